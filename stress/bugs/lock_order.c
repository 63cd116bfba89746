/*
 * lock_order.c — lock-order deadlock (ABBA).
 *
 * Thread A locks `first` then `second`; thread B, in the bug, locks `second`
 * then `first`. If each takes its first lock before the other takes its
 * second (two cores, or a preemption between the two lock calls on one core),
 * both wait forever. Twin: both take the locks in the same order.
 * Oracle: the deadlock report (every core idle, both threads blocked on a
 * mutex held by the other); the end check counts the critical sections done.
 */
#include "bugs.h"

#define LO_THREADS 2u
#define LO_ROUNDS 2u

static struct {
	k_mutex_t *lock[2];
	unsigned sections;
	bool fixed;
	int error;
} lo;

static void lo_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < LO_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	unsigned self = (unsigned)(uintptr_t)arg;
	K_ASSERT(self < LO_THREADS);
	/* Thread 1 of the bug takes the locks the other way round. */
	unsigned a = (self == 1u && !lo.fixed) ? 1u : 0u;
	for (unsigned r = 0; r < LO_ROUNDS; r++) {
		bug_note(&lo.error, k_mutex_lock(lo.lock[a], K_FOREVER));
		bug_note(&lo.error, k_mutex_lock(lo.lock[1u - a], K_FOREVER));
		lo.sections++;
		bug_note(&lo.error, k_mutex_unlock(lo.lock[1u - a]));
		bug_note(&lo.error, k_mutex_unlock(lo.lock[a]));
	}
}

static int lo_run(bool fixed)
{
	lo.lock[0] = lo.lock[1] = NULL;
	lo.sections = 0;
	lo.fixed = fixed;
	lo.error = 0;
	int rc = k_mutex_create(&lo.lock[0], "first");
	if (rc == 0)
		rc = k_mutex_create(&lo.lock[1], "second");
	if (rc < 0)
		return rc;
	k_thread_t *t[LO_THREADS] = {0};
	rc = bug_spawn(t, LO_THREADS, lo_worker, "locker", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, LO_THREADS);
	if (rc == 0)
		rc = jr;
	for (unsigned i = 0; i < 2u; i++) {
		int dr = k_mutex_destroy(lo.lock[i]);
		if (rc == 0)
			rc = dr;
	}
	return rc;
}

static int lo_check(char *msg, size_t cap)
{
	if (lo.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", lo.error);
	if (lo.sections != LO_THREADS * LO_ROUNDS)
		return stress_fail(msg, cap, "only ", lo.sections, " critical sections done");
	return 0;
}

BUG_MAINS(lo)
K_BUG_PROGRAM(lock_order, "lock_order", "lock-order deadlock", LO_THREADS, true,
	      "two threads take two mutexes in opposite orders", lo_bug, lo_twin, lo_check);
