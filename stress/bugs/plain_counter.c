/*
 * plain_counter.c — lost update on a plain counter.
 *
 * Two threads each add 1 to a shared counter PC_ROUNDS times with `counter++`
 * and no lock: a load and a store with nothing between them. An increment
 * is lost when the other thread's load lands between them. Without memory
 * points the two accesses are one step and no schedule splits them. Twin:
 * the increment under a mutex.
 * Oracle: the counter ends at threads x rounds.
 */
#include "plain.h"

#define PC_THREADS 2u
#define PC_ROUNDS 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned counter;
	bool fixed;
	int error;
} pc;

static void pc_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < PC_THREADS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(pc.gate, &pc.error);
	for (unsigned r = 0; r < PC_ROUNDS; r++) {
		plain_lock(pc.m, pc.fixed, &pc.error);
		pc.counter++;
		plain_unlock(pc.m, pc.fixed, &pc.error);
	}
}

static int pc_run(bool fixed)
{
	pc.gate = NULL;
	pc.m = NULL;
	pc.counter = 0;
	pc.fixed = fixed;
	pc.error = 0;
	int rc = k_mutex_create(&pc.m, "counter");
	if (rc == 0)
		rc = plain_group(pc_thread, PC_THREADS, &pc.gate, &pc.error);
	return plain_mutex_done(&pc.m, rc);
}

static int pc_check(char *msg, size_t cap)
{
	if (pc.error < 0)
		return stress_fail(msg, cap, "a kernel call failed with ", pc.error, "");
	if (pc.counter != PC_THREADS * PC_ROUNDS)
		return stress_fail2(msg, cap, "lost update: counter ", pc.counter, " after ",
				    PC_THREADS * PC_ROUNDS, " increments");
	return 0;
}

BUG_MAINS(pc)
K_BUG_PROGRAM_PLAIN(plain_counter, "plain_counter", "lost update (plain counter)", PC_THREADS, true,
		    "two threads increment a counter with counter++, no lock", pc_bug, pc_twin,
		    pc_check);
