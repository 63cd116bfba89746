/*
 * atomicity_counter.c — atomicity violation across two critical sections.
 *
 * Two threads each add 1 to a shared counter ROUNDS times. The bug reads the
 * counter in one critical section and writes value+1 in a second one: another
 * thread's whole increment can land between the two (on another core, or on
 * the same core after a preemption at the unlock/lock), and one increment is
 * lost. Twin: read and write in one critical section.
 * Oracle: the counter ends at THREADS * ROUNDS.
 */
#include "bugs.h"

#define AC_THREADS 2u
#define AC_ROUNDS 3u

static struct {
	k_mutex_t *m;
	unsigned counter;
	bool fixed;
	int error;
} ac;

static void ac_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < AC_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned r = 0; r < AC_ROUNDS; r++) {
		bug_note(&ac.error, k_mutex_lock(ac.m, K_FOREVER));
		unsigned v = ac.counter;
		if (!ac.fixed) {
			/* The bug: the lock is dropped between read and write. */
			bug_note(&ac.error, k_mutex_unlock(ac.m));
			bug_note(&ac.error, k_mutex_lock(ac.m, K_FOREVER));
		}
		ac.counter = v + 1u;
		bug_note(&ac.error, k_mutex_unlock(ac.m));
	}
}

static int ac_run(bool fixed)
{
	ac.m = NULL;
	ac.counter = 0;
	ac.fixed = fixed;
	ac.error = 0;
	int rc = k_mutex_create(&ac.m, "counter");
	if (rc < 0)
		return rc;
	k_thread_t *t[AC_THREADS] = {0};
	rc = bug_spawn(t, AC_THREADS, ac_worker, "adder", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, AC_THREADS);
	K_ASSERT(t[0] == NULL);
	if (rc == 0)
		rc = jr;
	int dr = k_mutex_destroy(ac.m);
	return rc < 0 ? rc : dr;
}

static int ac_check(char *msg, size_t cap)
{
	if (ac.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", ac.error);
	if (ac.counter != AC_THREADS * AC_ROUNDS)
		return stress_fail2(msg, cap, "lost update: counter ", ac.counter, " after ",
				    AC_THREADS * AC_ROUNDS, " increments");
	return 0;
}

BUG_MAINS(ac)
K_BUG_PROGRAM(atomicity_counter, "atomicity_counter", "atomicity violation", AC_THREADS, true,
	      "read and write of a counter in two critical sections", ac_bug, ac_twin, ac_check);
