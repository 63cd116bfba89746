/*
 * plain_max.c — check-then-act on a shared maximum.
 *
 * Threads propose values with `if (v > max) max = v;`. Between a thread's
 * test and its store another thread may store a larger value, which the
 * first then overwrites with its smaller one. Twin: test and store under a
 * mutex.
 * Oracle: max ends at the largest value proposed.
 */
#include "plain.h"

#define PM_THREADS 2u
#define PM_VALUES 3u

/* Thread i proposes values[i][0..PM_VALUES): interleaved ranges, so each
 * thread's later proposals beat the other's earlier ones. */
static const unsigned pm_values[PM_THREADS][PM_VALUES] = {{3, 5, 9}, {4, 6, 8}};
#define PM_EXPECTED 9u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned max;
	bool fixed;
	int error;
} pm;

static void pm_thread(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	K_ASSERT(i < PM_THREADS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(pm.gate, &pm.error);
	for (unsigned k = 0; k < PM_VALUES; k++) {
		unsigned v = pm_values[i][k];
		plain_lock(pm.m, pm.fixed, &pm.error);
		if (v > pm.max)
			pm.max = v;
		plain_unlock(pm.m, pm.fixed, &pm.error);
	}
}

static int pm_run(bool fixed)
{
	pm.gate = NULL;
	pm.m = NULL;
	pm.max = 0;
	pm.fixed = fixed;
	pm.error = 0;
	int rc = k_mutex_create(&pm.m, "max");
	if (rc == 0)
		rc = plain_group(pm_thread, PM_THREADS, &pm.gate, &pm.error);
	return plain_mutex_done(&pm.m, rc);
}

static int pm_check(char *msg, size_t cap)
{
	if (pm.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", pm.error, "");
	if (pm.max != PM_EXPECTED)
		return stress_fail2(msg, cap, "lost maximum: max ", pm.max, ", largest proposed ",
				    PM_EXPECTED, "");
	return 0;
}

BUG_MAINS(pm)
K_BUG_PROGRAM_PLAIN(plain_max, "plain_max", "check-then-act (shared maximum)", PM_THREADS, true,
		    "if (v > max) max = v with no lock", pm_bug, pm_twin, pm_check);
