/*
 * torn_plain.c — two writes another thread reads in between.
 *
 * A writer keeps a pair (x, y) equal, writing x then y, TP_ROUNDS times; a
 * reader reads x then y TP_READS times and compares. No lock: a read between
 * the writer's two plain stores (or a write between the reader's two loads)
 * sees a torn pair. Twin: both sides under one mutex.
 * Oracle: the reader never saw x != y.
 */
#include "plain.h"

#define TPL_ROUNDS 3u
#define TPL_READS 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned x, y;
	unsigned torn;
	bool fixed;
	int error;
} tpl;

static void tpl_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(tpl.gate, &tpl.error);
	if ((uintptr_t)arg == 0u) {
		for (unsigned r = 1; r <= TPL_ROUNDS; r++) {
			plain_lock(tpl.m, tpl.fixed, &tpl.error);
			tpl.x = r;
			tpl.y = r;
			plain_unlock(tpl.m, tpl.fixed, &tpl.error);
		}
		return;
	}
	for (unsigned i = 0; i < TPL_READS; i++) {
		plain_lock(tpl.m, tpl.fixed, &tpl.error);
		unsigned x = tpl.x, y = tpl.y;
		plain_unlock(tpl.m, tpl.fixed, &tpl.error);
		if (x != y)
			tpl.torn++;
		k_thread_yield();
	}
}

static int tpl_run(bool fixed)
{
	tpl.gate = NULL;
	tpl.m = NULL;
	tpl.x = tpl.y = tpl.torn = 0;
	tpl.fixed = fixed;
	tpl.error = 0;
	int rc = k_mutex_create(&tpl.m, "pair");
	if (rc == 0)
		rc = plain_group(tpl_thread, 2u, &tpl.gate, &tpl.error);
	return plain_mutex_done(&tpl.m, rc);
}

static int tpl_check(char *msg, size_t cap)
{
	if (tpl.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", tpl.error, "");
	if (tpl.torn)
		return stress_fail(msg, cap, "", tpl.torn, " reads saw a torn pair (x != y)");
	return 0;
}

BUG_MAINS(tpl)
K_BUG_PROGRAM_PLAIN(torn_plain, "torn_plain", "atomicity violation (torn pair, plain)", 2u, true,
		    "a pair written and read with plain accesses, no lock", tpl_bug, tpl_twin,
		    tpl_check);
