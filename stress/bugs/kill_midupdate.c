/*
 * kill_midupdate.c — kill between the two halves of an update.
 *
 * A worker process moves units from account A to account B: it debits A in
 * one critical section and credits B in a second one. Main kills the process
 * after a while. A kill that lands between the two sections loses a unit: the
 * mutex is released (the kernel does that) but the update is half done.
 * Twin: the debit and the credit are one critical section and one store of
 * the packed pair: a kill can stop a thread wherever a preemption can —
 * between two plain stores too (the races build showed it) — so the pair
 * is written whole.
 * Oracle: A + B still equals the starting total after the kill.
 */
#include "bugs.h"

#define KM_TOTAL 1000
#define KM_MOVES_MAX 1000u
#define KM_RUN_NS (30u * 1000u)

static struct {
	k_mutex_t *m;
	volatile uint64_t ab; /* (a, b) packed, under km.m: one store writes both */
	unsigned moves;
	bool fixed;
	int error;
} km;

static uint64_t km_pack(int a, int b)
{
	K_ASSERT(a >= -KM_TOTAL && a <= KM_TOTAL);
	K_ASSERT(b >= -KM_TOTAL && b <= KM_TOTAL);
	return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

static int km_a(uint64_t w)
{
	return (int)(int32_t)(uint32_t)(w >> 32);
}

static int km_b(uint64_t w)
{
	return (int)(int32_t)(uint32_t)w;
}

static void km_worker(void *arg)
{
	K_ASSERT(arg == NULL);
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned i = 0; i < KM_MOVES_MAX; i++) {
		bug_note(&km.error, k_mutex_lock(km.m, K_FOREVER));
		uint64_t w = km.ab;
		if (!km.fixed) {
			km.ab = km_pack(km_a(w) - 1, km_b(w));
			bug_note(&km.error, k_mutex_unlock(km.m));
			bug_note(&km.error, k_mutex_lock(km.m, K_FOREVER));
			w = km.ab;
			km.ab = km_pack(km_a(w), km_b(w) + 1);
		} else {
			km.ab = km_pack(km_a(w) - 1, km_b(w) + 1);
		}
		km.moves++;
		bug_note(&km.error, k_mutex_unlock(km.m));
		k_thread_yield();
	}
}

static int km_run(bool fixed)
{
	km.m = NULL;
	km.ab = km_pack(KM_TOTAL, 0);
	km.moves = 0;
	km.fixed = fixed;
	km.error = 0;
	int rc = k_mutex_create(&km.m, "accounts");
	if (rc < 0)
		return rc;
	rc = bug_proc_run_then_kill(km_worker, "mover", KM_RUN_NS, &km.error);
	if (rc < 0)
		return rc;
	return k_mutex_destroy(km.m);
}

static int km_check(char *msg, size_t cap)
{
	if (km.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", km.error);
	uint64_t w = km.ab;
	if (km_a(w) + km_b(w) != KM_TOTAL)
		return stress_fail2(msg, cap, "a unit was lost by the kill: A + B = ", km_a(w) + km_b(w),
				    " after ", km.moves, " moves");
	return 0;
}

BUG_MAINS(km)
K_BUG_PROGRAM(kill_midupdate, "kill_midupdate", "kill between two critical sections", 1, true,
	      "a process killed between the debit and the credit of a transfer", km_bug, km_twin,
	      km_check);
