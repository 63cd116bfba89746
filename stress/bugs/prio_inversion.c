/*
 * prio_inversion.c — unbounded priority inversion: a semaphore used as a
 * lock has no priority inheritance. A program for one core (every thread is
 * pinned to core 0, whatever the core count).
 *
 * LOW takes the lock and works; HIGH wakes and needs the lock; MEDIUM wakes
 * and computes. MEDIUM is more urgent than LOW, so while HIGH waits for the
 * lock LOW cannot run and HIGH waits for all of MEDIUM's computation — if
 * MEDIUM wakes while LOW still holds the lock. Twin: the lock is a mutex;
 * while HIGH waits, LOW runs at HIGH's priority, above MEDIUM.
 * Oracle (a latency bound counted in work, not in time: exploration decides
 * how fast virtual time runs, so a deadline in ns would also catch the twin
 * on a slow schedule): MEDIUM, which neither holds the lock nor is more
 * urgent than HIGH, did no work while HIGH waited for the lock.
 */
#include "bugs.h"

#define PI_PRIO_LOW 10u
#define PI_PRIO_MEDIUM 20u
#define PI_PRIO_HIGH 30u
#define PI_LOW_WORK 40u        /* yields while LOW holds the lock */
#define PI_MEDIUM_WORK 4000u   /* yields MEDIUM computes for */
#define PI_HIGH_DELAY_NS 10000u
#define PI_MEDIUM_DELAY_NS 15000u
/* MEDIUM's yields HIGH may wait through: none, on one core with
 * inheritance (LOW then runs above MEDIUM until it hands the lock over). */
#define PI_MEDIUM_WORK_WHILE_WAITING_MAX 0u

static struct {
	k_sem_t *sem;
	k_mutex_t *mutex;
	unsigned medium_done;   /* MEDIUM's yields so far */
	unsigned high_waited;   /* MEDIUM's yields while HIGH waited */
	bool high_locked;
	bool fixed;
	int error;
} pv;

static int pv_lock(void)
{
	return pv.fixed ? k_mutex_lock(pv.mutex, K_FOREVER) : k_sem_take(pv.sem, K_FOREVER);
}

static void pv_unlock(void)
{
	bug_note(&pv.error, pv.fixed ? k_mutex_unlock(pv.mutex) : k_sem_give(pv.sem));
}

static void pv_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 3u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	unsigned role = (unsigned)(uintptr_t)arg;
	K_ASSERT(role < 3u);
	if (role == 0u) { /* LOW */
		bug_note(&pv.error, pv_lock());
		for (unsigned i = 0; i < PI_LOW_WORK; i++)
			k_thread_yield();
		pv_unlock();
	} else if (role == 1u) { /* MEDIUM */
		bug_note(&pv.error, k_thread_sleep_ns(PI_MEDIUM_DELAY_NS));
		for (unsigned i = 0; i < PI_MEDIUM_WORK; i++) {
			k_thread_yield();
			pv.medium_done++;
		}
	} else { /* HIGH */
		bug_note(&pv.error, k_thread_sleep_ns(PI_HIGH_DELAY_NS));
		unsigned before = pv.medium_done;
		bug_note(&pv.error, pv_lock());
		pv.high_waited = pv.medium_done - before;
		pv.high_locked = true;
		pv_unlock();
	}
}

static int pv_run(bool fixed)
{
	pv.sem = NULL;
	pv.mutex = NULL;
	pv.medium_done = pv.high_waited = 0;
	pv.high_locked = false;
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
		return stress_fail_err(msg, cap, "a kernel call failed with ", pv.error);
	if (!pv.high_locked)
		return stress_fail_text(msg, cap, "HIGH never got the lock");
	if (pv.high_waited > PI_MEDIUM_WORK_WHILE_WAITING_MAX)
		return stress_fail(msg, cap, "priority inversion: HIGH waited for the lock while MEDIUM did ",
				   pv.high_waited, " units of work");
	return 0;
}

BUG_MAINS(pv)
K_BUG_PROGRAM(prio_inversion, "prio_inversion", "priority inversion without inheritance", 3, true,
	      "a semaphore as a lock: HIGH waits while MEDIUM computes", pv_bug,
	      pv_twin, pv_check);
