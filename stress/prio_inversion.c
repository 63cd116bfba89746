/*
 * prio_inversion.c — the classic inversion, which passes only with priority
 * inheritance.
 *
 * On one core P (every thread of the case is pinned there; main stays off it
 * when there is another core):
 *   low (prio LOW) locks `outer` then `inner`, lets main go on, and waits
 *     for high to arrive; then works, unlocks `inner`, works, unlocks
 *     `outer` (an ordinary nested lock/unlock);
 *   medium (prio MEDIUM) waits for its start signal, then spins (yields);
 *   high (prio HIGH) releases medium and low, then locks `outer`: it blocks.
 * Medium can only start once high has blocked (high outranks it on P). With
 * inheritance low runs at HIGH until it unlocks `outer`, so high finishes
 * before medium does. Without it — or if unlocking `inner` drops low back to
 * its base priority while it still holds `outer` that high waits for —
 * medium's spinning keeps low, and so high, off the core until medium is
 * done. End check: high finished first, low's priority was right at every
 * step it looked.
 */
#include <k/sched.h>

#include "stress.h"

#define PI_LOW 8u
#define PI_MEDIUM 24u
#define PI_HIGH 48u
#define PI_LOW_WORK 2u
#define PI_MEDIUM_WORK 6u

static struct {
	k_mutex_t *outer, *inner;
	k_sem_t *locked;        /* low -> main: both mutexes held */
	k_sem_t *high_started;  /* high -> low */
	k_sem_t *go_medium;     /* high -> medium */
	unsigned finish_seq;    /* order of finishing, all on core P */
	unsigned high_done, medium_done;
	unsigned low_prio_wrong;
	int error;
} pi;

static void pi_note(int rc)
{
	if (rc < 0 && pi.error == 0)
		pi.error = rc;
}

static void pi_low(void *arg)
{
	(void)arg;
	k_thread_t *self = k_thread_self();
	pi_note(k_mutex_lock(pi.outer, K_FOREVER));
	pi_note(k_mutex_lock(pi.inner, K_FOREVER));
	pi_note(k_sem_give(pi.locked));
	pi_note(k_sem_take(pi.high_started, K_FOREVER));
	for (unsigned i = 0; i < PI_LOW_WORK; i++)
		k_thread_yield();
	pi_note(k_mutex_unlock(pi.inner));
	/* high waits for `outer`, which low still holds (low runs at all only
	 * once high has blocked: both are pinned to P and high outranks it), so
	 * low must still run at high's priority. */
	if (k_thread_priority_effective(self) != PI_HIGH)
		pi.low_prio_wrong++;
	for (unsigned i = 0; i < PI_LOW_WORK; i++)
		k_thread_yield();
	pi_note(k_mutex_unlock(pi.outer));
	if (k_thread_priority_effective(self) != PI_LOW)
		pi.low_prio_wrong++;
}

static void pi_medium(void *arg)
{
	(void)arg;
	pi_note(k_sem_take(pi.go_medium, K_FOREVER));
	for (unsigned i = 0; i < PI_MEDIUM_WORK; i++)
		k_thread_yield();
	pi.medium_done = ++pi.finish_seq;
}

static void pi_high(void *arg)
{
	(void)arg;
	pi_note(k_sem_give(pi.go_medium));
	pi_note(k_sem_give(pi.high_started));
	pi_note(k_mutex_lock(pi.outer, K_FOREVER));
	pi.high_done = ++pi.finish_seq;
	pi_note(k_mutex_unlock(pi.outer));
}

static int pi_create_objects(void)
{
	int rc;
	if ((rc = k_mutex_create(&pi.outer, "outer")) < 0 ||
	    (rc = k_mutex_create(&pi.inner, "inner")) < 0 ||
	    (rc = k_sem_create(&pi.locked, "locked", 0, 1)) < 0 ||
	    (rc = k_sem_create(&pi.high_started, "high_started", 0, 1)) < 0)
		return rc;
	return k_sem_create(&pi.go_medium, "go_medium", 0, 1);
}

static int pi_destroy_objects(void)
{
	int rc;
	if ((rc = k_mutex_destroy(pi.outer)) < 0 || (rc = k_mutex_destroy(pi.inner)) < 0 ||
	    (rc = k_sem_destroy(pi.locked)) < 0 || (rc = k_sem_destroy(pi.high_started)) < 0)
		return rc;
	return k_sem_destroy(pi.go_medium);
}

static int prio_inversion_main(void)
{
	pi.finish_seq = pi.high_done = pi.medium_done = 0;
	pi.low_prio_wrong = 0;
	pi.error = 0;
	unsigned cores = k_sched_cores();
	unsigned p = cores > 1u ? cores - 1u : 0u;
	int rc;
	if (cores > 1u && (rc = k_thread_affinity_set(k_thread_self(), K_CPUMASK_CORE(0))) < 0)
		return rc;
	if ((rc = pi_create_objects()) < 0)
		return rc;
	k_thread_t *low, *medium, *high;
	struct k_thread_attr al = stress_attr("low", PI_LOW, K_CPUMASK_CORE(p));
	struct k_thread_attr am = stress_attr("medium", PI_MEDIUM, K_CPUMASK_CORE(p));
	struct k_thread_attr ah = stress_attr("high", PI_HIGH, K_CPUMASK_CORE(p));
	if ((rc = k_thread_create(&low, pi_low, NULL, &al)) < 0)
		return rc;
	if ((rc = k_sem_take(pi.locked, K_FOREVER)) < 0)
		return rc;
	if ((rc = k_thread_create(&medium, pi_medium, NULL, &am)) < 0)
		return rc;
	if ((rc = k_thread_create(&high, pi_high, NULL, &ah)) < 0)
		return rc;
	if ((rc = k_thread_join(high, K_FOREVER, NULL)) < 0 ||
	    (rc = k_thread_join(medium, K_FOREVER, NULL)) < 0 ||
	    (rc = k_thread_join(low, K_FOREVER, NULL)) < 0)
		return rc;
	return pi_destroy_objects();
}

static int prio_inversion_check(char *msg, size_t cap)
{
	if (pi.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", pi.error);
	if (pi.high_done == 0 || pi.medium_done == 0)
		return stress_fail2(msg, cap, "high finished ", pi.high_done, ", medium ",
				    pi.medium_done, " (0: never)");
	if (pi.high_done > pi.medium_done)
		return stress_fail2(msg, cap,
				    "priority inversion: high finished #", pi.high_done,
				    " after medium #", pi.medium_done,
				    " (low lost its inherited priority while holding the mutex)");
	if (pi.low_prio_wrong)
		return stress_fail(msg, cap, "", pi.low_prio_wrong,
				   " times low's effective priority was not what inheritance says");
	return 0;
}

K_WORKLOAD(prio_inversion, "prio_inversion",
	   "low holds a mutex high needs while medium spins: passes only with priority inheritance",
	   prio_inversion_main, prio_inversion_check);
