/*
 * barrier_reuse.c — a reusable barrier built on one semaphore.
 *
 * THREADS threads meet at a barrier ROUNDS times. The barrier counts
 * arrivals under a mutex; the last to arrive resets the count and gives the
 * semaphore THREADS-1 times; the others take it. In the bug the semaphore is
 * shared by every round: a thread released early runs on to the next round,
 * arrives, and takes a token meant for a thread still waiting in the round
 * before — it passes round r+1 before everybody arrived there. Twin: rounds
 * alternate between two semaphores, so a token of round r cannot be taken
 * in round r+1 (a thread reaches round r+2 only after all left round r).
 * Oracle: nobody left a round before every thread had arrived in it.
 */
#include "bugs.h"

#define BR_THREADS 3u
#define BR_ROUNDS 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	k_sem_t *turnstile[2];
	unsigned count;               /* under br.m */
	unsigned arrived[BR_ROUNDS];  /* under br.m */
	unsigned early;               /* left a round not everybody reached */
	bool fixed;
	int error;
} br;

static void br_wait(unsigned round)
{
	K_ASSERT(round < BR_ROUNDS);
	k_sem_t *t = br.turnstile[br.fixed ? round % 2u : 0u];
	bug_note(&br.error, k_mutex_lock(br.m, K_FOREVER));
	br.arrived[round]++;
	bool last = ++br.count == BR_THREADS;
	if (last) {
		br.count = 0;
		for (unsigned i = 0; i + 1u < BR_THREADS; i++)
			bug_note(&br.error, k_sem_give(t));
	}
	bug_note(&br.error, k_mutex_unlock(br.m));
	if (!last)
		bug_note(&br.error, k_sem_take(t, K_FOREVER));
	/* Past the barrier: everybody must have arrived in this round. */
	if (br.arrived[round] != BR_THREADS)
		br.early++;
}

static void br_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < BR_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_gate_pass(br.gate, &br.error);
	for (unsigned r = 0; r < BR_ROUNDS; r++)
		br_wait(r);
}

static int br_run(bool fixed)
{
	br.gate = NULL;
	br.m = NULL;
	br.turnstile[0] = br.turnstile[1] = NULL;
	br.count = br.early = 0;
	for (unsigned r = 0; r < BR_ROUNDS; r++)
		br.arrived[r] = 0;
	br.fixed = fixed;
	br.error = 0;
	int rc = bug_gate_create(&br.gate);
	if (rc == 0)
		rc = k_mutex_create(&br.m, "barrier");
	for (unsigned i = 0; i < 2u && rc == 0; i++)
		rc = k_sem_create(&br.turnstile[i], "turnstile", 0, BR_THREADS);
	k_thread_t *t[BR_THREADS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, BR_THREADS, br_thread, "party", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(br.gate, BR_THREADS, &br.error);
	int jr = bug_join(t, BR_THREADS);
	if (rc == 0)
		rc = jr;
	for (unsigned i = 0; i < 2u; i++)
		if (br.turnstile[i] && rc == 0)
			rc = k_sem_destroy(br.turnstile[i]);
	if (br.m && rc == 0)
		rc = k_mutex_destroy(br.m);
	if (br.gate && rc == 0)
		rc = k_sem_destroy(br.gate);
	return rc;
}

static int br_check(char *msg, size_t cap)
{
	if (br.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", br.error);
	if (br.early)
		return stress_fail(msg, cap, "", br.early,
				   " passes of the barrier before every thread arrived");
	return 0;
}

BUG_MAINS(br)
K_BUG_PROGRAM(barrier_reuse, "barrier_reuse", "barrier reuse (stolen wake-up)", BR_THREADS, true,
	      "a reusable barrier with one semaphore for every round", br_bug, br_twin, br_check);
