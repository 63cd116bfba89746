/*
 * token_ring.c — token ring with the hand-over before the write.
 *
 * Four threads pass a token around a ring of semaphores for ROUNDS rounds;
 * the token's value says whose turn it is, and each thread checks it. In the
 * bug a thread gives the next one's semaphore and only then advances the
 * value: the next thread, woken by the give, can read the value before it
 * was advanced. Twin: advance, then give.
 * Oracle: every thread saw the value of its turn (and all rounds were done).
 */
#include "bugs.h"

#define TR_THREADS 4u
#define TR_ROUNDS 2u

static struct {
	k_sem_t *turn[TR_THREADS];
	unsigned token;
	unsigned wrong;
	unsigned passes;
	bool fixed;
	int error;
} tr;

static void tr_member(void *arg)
{
	K_ASSERT((uintptr_t)arg < TR_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	unsigned i = (unsigned)(uintptr_t)arg;
	K_ASSERT(i < TR_THREADS);
	unsigned next = (i + 1u) % TR_THREADS;
	for (unsigned r = 0; r < TR_ROUNDS; r++) {
		bug_note(&tr.error, k_sem_take(tr.turn[i], K_FOREVER));
		if (tr.token != r * TR_THREADS + i)
			tr.wrong++;
		tr.passes++;
		bool last = r + 1u == TR_ROUNDS && next == 0u;
		if (tr.fixed) {
			tr.token++;
			if (!last)
				bug_note(&tr.error, k_sem_give(tr.turn[next]));
		} else {
			/* The bug: hand over, then advance. */
			if (!last)
				bug_note(&tr.error, k_sem_give(tr.turn[next]));
			tr.token++;
		}
	}
}

static int tr_run(bool fixed)
{
	tr.token = tr.wrong = tr.passes = 0;
	tr.fixed = fixed;
	tr.error = 0;
	int rc = 0;
	for (unsigned i = 0; i < TR_THREADS; i++) {
		tr.turn[i] = NULL;
		if (rc == 0)
			rc = k_sem_create(&tr.turn[i], "turn", i == 0 ? 1u : 0u, 1u);
	}
	k_thread_t *t[TR_THREADS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, TR_THREADS, tr_member, "ring", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, TR_THREADS);
	if (rc == 0)
		rc = jr;
	for (unsigned i = 0; i < TR_THREADS; i++) {
		if (!tr.turn[i])
			continue;
		int dr = k_sem_destroy(tr.turn[i]);
		if (rc == 0)
			rc = dr;
	}
	return rc;
}

static int tr_check(char *msg, size_t cap)
{
	if (tr.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", tr.error);
	if (tr.wrong)
		return stress_fail(msg, cap, "", tr.wrong, " turns saw a token not yet advanced");
	if (tr.passes != TR_THREADS * TR_ROUNDS || tr.token != TR_THREADS * TR_ROUNDS)
		return stress_fail2(msg, cap, "", tr.passes, " passes, token at ", tr.token, "");
	return 0;
}

BUG_MAINS(tr)
K_BUG_PROGRAM(token_ring, "token_ring", "token ring (hand-over before write)", TR_THREADS, true,
	      "each thread gives the next turn before advancing the token", tr_bug, tr_twin,
	      tr_check);
