/*
 * torn_pair.c — two writes another thread reads in between, across critical
 * sections: sixteen threads.
 *
 * A writer keeps a pair (x, y) equal, updating it ROUNDS times; fifteen
 * readers each read the pair READS times under the same mutex and compare.
 * The bug writes x in one critical section and y in a second: a reader that
 * gets the mutex between them sees x != y. Twin: both writes in one section.
 * Oracle: no reader saw a torn pair.
 */
#include "bugs.h"

#define TP_READERS 15u
#define TP_ROUNDS 3u
#define TP_READS 2u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	unsigned x, y; /* under tp.m */
	unsigned torn;
	bool fixed;
	int error;
} tp;

static void tp_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < TP_READERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	bug_gate_pass(tp.gate, &tp.error);
	if ((uintptr_t)arg == 0u) { /* the writer */
		for (unsigned r = 1; r <= TP_ROUNDS; r++) {
			bug_note(&tp.error, k_mutex_lock(tp.m, K_FOREVER));
			tp.x = r;
			if (!tp.fixed) {
				bug_note(&tp.error, k_mutex_unlock(tp.m));
				bug_note(&tp.error, k_mutex_lock(tp.m, K_FOREVER));
			}
			tp.y = r;
			bug_note(&tp.error, k_mutex_unlock(tp.m));
		}
		return;
	}
	for (unsigned i = 0; i < TP_READS; i++) {
		bug_note(&tp.error, k_mutex_lock(tp.m, K_FOREVER));
		if (tp.x != tp.y)
			tp.torn++;
		bug_note(&tp.error, k_mutex_unlock(tp.m));
	}
}

static int tp_run(bool fixed)
{
	tp.gate = NULL;
	tp.m = NULL;
	tp.x = tp.y = tp.torn = 0;
	tp.fixed = fixed;
	tp.error = 0;
	int rc = bug_gate_create(&tp.gate);
	if (rc == 0)
		rc = k_mutex_create(&tp.m, "pair");
	k_thread_t *t[TP_READERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, TP_READERS + 1u, tp_thread, "tp", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(tp.gate, TP_READERS + 1u, &tp.error);
	int jr = bug_join(t, TP_READERS + 1u);
	if (rc == 0)
		rc = jr;
	if (tp.m && rc == 0)
		rc = k_mutex_destroy(tp.m);
	if (tp.gate && rc == 0)
		rc = k_sem_destroy(tp.gate);
	return rc;
}

static int tp_check(char *msg, size_t cap)
{
	if (tp.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", tp.error);
	if (tp.torn)
		return stress_fail(msg, cap, "", tp.torn, " reads saw a torn pair (x != y)");
	return 0;
}

BUG_MAINS(tp)
K_BUG_PROGRAM(torn_pair, "torn_pair", "atomicity violation (torn pair, 16 threads)",
	      TP_READERS + 1u, true, "a pair written in two critical sections, read by 15",
	      tp_bug, tp_twin, tp_check);
