/*
 * kill_holding_sem.c — kill while holding a resource the kernel does not
 * release.
 *
 * A worker process loops taking a binary semaphore used as a lock, working
 * (a yield) and giving it back. Main kills the process after a while and,
 * once it is reaped, takes the lock itself. The kernel releases a killed
 * thread's mutexes but knows no owner of a semaphore: if the kill lands while
 * the worker holds it, the lock is gone for good. Twin: the lock is a mutex,
 * which the kill releases.
 * Oracle: main gets the lock within BUG_PATIENCE_NS after the reap.
 */
#include "bugs.h"

#define KH_LOOPS_MAX 1000u      /* the worker's loop, until killed */
#define KH_RUN_NS (30u * 1000u) /* how long main lets it run */

static struct {
	k_sem_t *sem;
	k_mutex_t *mutex;
	unsigned sections;
	int main_rc;
	bool fixed;
	int error;
} kh;

static void kh_worker(void *arg)
{
	K_ASSERT(arg == NULL);
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned i = 0; i < KH_LOOPS_MAX; i++) {
		if (kh.fixed)
			bug_note(&kh.error, k_mutex_lock(kh.mutex, K_FOREVER));
		else
			bug_note(&kh.error, k_sem_take(kh.sem, K_FOREVER));
		kh.sections++;
		k_thread_yield();
		if (kh.fixed)
			bug_note(&kh.error, k_mutex_unlock(kh.mutex));
		else
			bug_note(&kh.error, k_sem_give(kh.sem));
		k_thread_yield();
	}
}

static int kh_run(bool fixed)
{
	kh.sem = NULL;
	kh.mutex = NULL;
	kh.sections = 0;
	kh.main_rc = 1;
	kh.fixed = fixed;
	kh.error = 0;
	int rc = fixed ? k_mutex_create(&kh.mutex, "lock") : k_sem_create(&kh.sem, "lock", 1, 1);
	if (rc < 0)
		return rc;
	rc = bug_proc_run_then_kill(kh_worker, "worker", KH_RUN_NS, &kh.error);
	if (rc < 0)
		return rc;
	if (fixed) {
		kh.main_rc = k_mutex_lock(kh.mutex, BUG_PATIENCE_NS);
		if (kh.main_rc == 0)
			bug_note(&kh.error, k_mutex_unlock(kh.mutex));
		return k_mutex_destroy(kh.mutex);
	}
	kh.main_rc = k_sem_take(kh.sem, BUG_PATIENCE_NS);
	return k_sem_destroy(kh.sem);
}

static int kh_check(char *msg, size_t cap)
{
	if (kh.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", kh.error);
	if (kh.main_rc != 0)
		return stress_fail2(msg, cap, "the lock died with its killed holder (take: ",
				    kh.main_rc, ", after ", kh.sections, " sections)");
	return 0;
}

BUG_MAINS(kh)
K_BUG_PROGRAM(kill_holding_sem, "kill_holding_sem", "kill while holding a resource", 1, true,
	      "a process killed while it holds a semaphore used as a lock", kh_bug, kh_twin,
	      kh_check);
