/*
 * bitmask_rmw.c — lost update on a shared bitmask.
 *
 * Each thread sets bits of its own in one shared word with `mask |= bit`:
 * different bits, but each `|=` reads and writes the whole word, so a
 * thread's store can erase a bit the other set in between. Twin: the
 * read-modify-write under a mutex.
 * Oracle: every bit ends set.
 */
#include "plain.h"

#define BM_THREADS 2u
#define BM_BITS 3u /* per thread */
#define BM_ALL ((1u << (BM_THREADS * BM_BITS)) - 1u)

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned mask;
	bool fixed;
	int error;
} bm;

static void bm_thread(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	K_ASSERT(i < BM_THREADS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(bm.gate, &bm.error);
	for (unsigned k = 0; k < BM_BITS; k++) {
		plain_lock(bm.m, bm.fixed, &bm.error);
		bm.mask |= 1u << (k * BM_THREADS + (unsigned)i);
		plain_unlock(bm.m, bm.fixed, &bm.error);
	}
}

static int bm_run(bool fixed)
{
	bm.gate = NULL;
	bm.m = NULL;
	bm.mask = 0;
	bm.fixed = fixed;
	bm.error = 0;
	int rc = k_mutex_create(&bm.m, "mask");
	if (rc == 0)
		rc = plain_group(bm_thread, BM_THREADS, &bm.gate, &bm.error);
	return plain_mutex_done(&bm.m, rc);
}

static int bm_check(char *msg, size_t cap)
{
	if (bm.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", bm.error, "");
	if (bm.mask != BM_ALL)
		return stress_fail2(msg, cap, "lost bit: mask ", bm.mask, ", expected ", BM_ALL, "");
	return 0;
}

BUG_MAINS(bm)
K_BUG_PROGRAM_PLAIN(bitmask_rmw, "bitmask_rmw", "lost update (shared bitmask)", BM_THREADS, true,
		    "two threads set their own bits of one word with |=", bm_bug, bm_twin, bm_check);
