/*
 * flag_check_act.c — check-then-act on a busy flag.
 *
 * Two threads guard a section with a plain flag: `if (!busy) { busy = 1;
 * ...section...; busy = 0; }`. Both can see the flag clear before either
 * sets it and enter together. The test and the set are adjacent plain
 * accesses. Twin: test and set the flag under a mutex (the section itself
 * still runs outside it).
 * Oracle: never two threads inside the section.
 * Several cores: on one core the overlap needs two preemptions at two given
 * accesses (one thread between its test and set, the other inside the
 * section), which the benchmark's cap does not reach.
 */
#include "plain.h"

#define FC_THREADS 2u
#define FC_TRIES 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned busy, inside;
	unsigned overlaps;
	bool fixed;
	int error;
} fc;

/* Take the flag if it is clear. */
static bool fc_try_enter(void)
{
	plain_lock(fc.m, fc.fixed, &fc.error);
	bool got = fc.busy == 0u;
	if (got)
		fc.busy = 1u;
	plain_unlock(fc.m, fc.fixed, &fc.error);
	return got;
}

static void fc_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < FC_THREADS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(fc.gate, &fc.error);
	for (unsigned t = 0; t < FC_TRIES; t++) {
		if (!fc_try_enter())
			continue;
		fc.inside = fc.inside + 1u;
		if (fc.inside > 1u)
			fc.overlaps++;
		fc.inside = fc.inside - 1u;
		fc.busy = 0u;
	}
}

static int fc_run(bool fixed)
{
	fc.gate = NULL;
	fc.m = NULL;
	fc.busy = fc.inside = 0;
	fc.overlaps = 0;
	fc.fixed = fixed;
	fc.error = 0;
	int rc = k_mutex_create(&fc.m, "flag");
	if (rc == 0)
		rc = plain_group(fc_thread, FC_THREADS, &fc.gate, &fc.error);
	return plain_mutex_done(&fc.m, rc);
}

static int fc_check(char *msg, size_t cap)
{
	if (fc.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", fc.error, "");
	if (fc.overlaps)
		return stress_fail(msg, cap, "check-then-act: two threads inside the section ",
				   fc.overlaps, " times");
	return 0;
}

BUG_MAINS(fc)
K_BUG_PROGRAM_PLAIN(flag_check_act, "flag_check_act", "check-then-act (busy flag)", FC_THREADS, false,
		    "a section guarded by testing then setting a plain flag", fc_bug, fc_twin,
		    fc_check);
