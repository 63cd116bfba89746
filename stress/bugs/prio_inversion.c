/*
 * prio_inversion.c — unbounded priority inversion: a semaphore used as a
 * lock has no priority inheritance. A program for one core (every thread is
 * pinned to core 0, whatever the core count).
 *
 * LOW takes the lock and works; HIGH wakes, needs the lock and waits for it
 * with a deadline; MEDIUM wakes and computes for longer than the deadline.
 * MEDIUM is more urgent than LOW, so LOW cannot finish and HIGH misses its
 * deadline — if MEDIUM wakes while LOW still holds the lock. Twin: the lock
 * is a mutex; while HIGH waits, LOW runs at HIGH's priority, above MEDIUM.
 * Oracle: HIGH got the lock before its deadline (a timed take/lock).
 */
#include "bugs.h"

#define PI_PRIO_LOW 10u
#define PI_PRIO_MEDIUM 20u
#define PI_PRIO_HIGH 30u
#define PI_LOW_WORK 40u        /* yields while LOW holds the lock */
#define PI_MEDIUM_WORK 4000u   /* yields MEDIUM computes for */
#define PI_HIGH_DELAY_NS 10000u
#define PI_MEDIUM_DELAY_NS 15000u
#define PI_DEADLINE_NS 300000u /* far longer than LOW's work, far shorter than MEDIUM's */

static struct {
	k_sem_t *sem;
	k_mutex_t *mutex;
	int high_rc;
	bool fixed;
	int error;
} pv;

static void pv_lock(uint64_t timeout, int *rc)
{
	*rc = pv.fixed ? k_mutex_lock(pv.mutex, timeout) : k_sem_take(pv.sem, timeout);
}

static void pv_unlock(void)
{
	bug_note(&pv.error, pv.fixed ? k_mutex_unlock(pv.mutex) : k_sem_give(pv.sem));
}

static void pv_thread(void *arg)
{
	unsigned role = (unsigned)(uintptr_t)arg;
	K_ASSERT(role < 3u);
	int rc = 0;
	if (role == 0u) { /* LOW */
		pv_lock(K_FOREVER, &rc);
		bug_note(&pv.error, rc);
		for (unsigned i = 0; i < PI_LOW_WORK; i++)
			k_thread_yield();
		pv_unlock();
	} else if (role == 1u) { /* MEDIUM */
		bug_note(&pv.error, k_thread_sleep_ns(PI_MEDIUM_DELAY_NS));
		for (unsigned i = 0; i < PI_MEDIUM_WORK; i++)
			k_thread_yield();
	} else { /* HIGH */
		bug_note(&pv.error, k_thread_sleep_ns(PI_HIGH_DELAY_NS));
		pv_lock(PI_DEADLINE_NS, &pv.high_rc);
		if (pv.high_rc == 0)
			pv_unlock();
	}
}

static int pv_run(bool fixed)
{
	pv.sem = NULL;
	pv.mutex = NULL;
	pv.high_rc = 1;
	pv.fixed = fixed;
	pv.error = 0;
	int rc = fixed ? k_mutex_create(&pv.mutex, "lock") : k_sem_create(&pv.sem, "lock", 1, 1);
	if (rc < 0)
		return rc;
	static const unsigned prio[3] = {PI_PRIO_LOW, PI_PRIO_MEDIUM, PI_PRIO_HIGH};
	k_thread_t *t[3] = {0};
	for (unsigned i = 0; i < 3u && rc == 0; i++)
		rc = bug_spawn_one(&t[i], pv_thread, (void *)(uintptr_t)i, "pv", prio[i],
				   K_CPUMASK_CORE(0));
	int jr = bug_join(t, 3);
	if (rc == 0)
		rc = jr;
	int dr = fixed ? k_mutex_destroy(pv.mutex) : k_sem_destroy(pv.sem);
	return rc < 0 ? rc : dr;
}

static int pv_check(char *msg, size_t cap)
{
	if (pv.error < 0)
		return stress_fail(msg, cap, "a kernel call failed with ", pv.error, "");
	if (pv.high_rc != 0)
		return stress_fail(msg, cap, "HIGH missed its deadline waiting for the lock (",
				   pv.high_rc, ")");
	return 0;
}

BUG_MAINS(pv)
K_BUG_PROGRAM(prio_inversion, "prio_inversion", "priority inversion without inheritance", 3, true,
	      "a semaphore as a lock: MEDIUM starves LOW, HIGH misses its deadline", pv_bug,
	      pv_twin, pv_check);
