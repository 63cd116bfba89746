/*
 * dcl_plain.c — double-checked initialisation with the flag set first.
 *
 * get() reads a plain `inited` flag; if clear it takes a mutex, checks again
 * and initialises a table. The bug raises the flag before writing the table
 * (inside the lock): another thread's unlocked fast path, between those
 * plain stores, sees the flag and reads an empty table. Twin: write the
 * table, then raise the flag.
 * Oracle: every get() returned the initialised sum.
 */
#include "plain.h"

#define DC_THREADS 2u
#define DC_A 1u
#define DC_B 2u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned inited, a, b;
	unsigned bad_reads;
	bool fixed;
	int error;
} dc;

static void dc_init_locked(void)
{
	if (!dc.fixed)
		dc.inited = 1u;
	dc.a = DC_A;
	dc.b = DC_B;
	if (dc.fixed)
		dc.inited = 1u;
}

static unsigned dc_get(void)
{
	if (!dc.inited) {
		bug_note(&dc.error, k_mutex_lock(dc.m, K_FOREVER));
		if (!dc.inited)
			dc_init_locked();
		bug_note(&dc.error, k_mutex_unlock(dc.m));
	}
	return dc.a + dc.b;
}

static void dc_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < DC_THREADS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(dc.gate, &dc.error);
	if (dc_get() != DC_A + DC_B)
		dc.bad_reads++;
}

static int dc_run(bool fixed)
{
	dc.gate = NULL;
	dc.m = NULL;
	dc.inited = dc.a = dc.b = 0;
	dc.bad_reads = 0;
	dc.fixed = fixed;
	dc.error = 0;
	int rc = k_mutex_create(&dc.m, "init");
	if (rc == 0)
		rc = plain_group(dc_thread, DC_THREADS, &dc.gate, &dc.error);
	return plain_mutex_done(&dc.m, rc);
}

static int dc_check(char *msg, size_t cap)
{
	if (dc.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", dc.error, "");
	if (dc.bad_reads)
		return stress_fail(msg, cap, "double-checked init: ", dc.bad_reads,
				   " reads saw the flag before the table");
	return 0;
}

BUG_MAINS(dc)
K_BUG_PROGRAM_PLAIN(dcl_plain, "dcl_plain", "double-checked initialisation (flag first)",
		    DC_THREADS, true, "the init flag is raised before the table is written",
		    dc_bug, dc_twin, dc_check);
