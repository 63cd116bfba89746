/*
 * suspend_holding.c — suspending a thread while it holds a lock.
 *
 * A worker loops taking a mutex, working (a yield) and releasing it. Main
 * lets it run a while, suspends it, then needs the mutex itself. If the
 * suspension lands while the worker holds the mutex, main waits for a thread
 * that will not run until main resumes it. Twin: main asks the worker to
 * pause, and the worker pauses at a safe point, after releasing the mutex
 * (it waits on a semaphore main gives to let it go on); main waits for the
 * pause before it takes the mutex.
 * Oracle: main got the mutex within BUG_PATIENCE_NS of the suspension.
 */
#include "bugs.h"

#define SH_LOOPS_MAX 1000u
#define SH_RUN_NS (20u * 1000u)

static struct {
	k_mutex_t *m;
	k_sem_t *paused;
	k_sem_t *go_on;
	bool pause_requested;
	bool stop;
	unsigned sections;
	int main_rc;
	bool fixed;
	int error;
} sh;

static void sh_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned i = 0; i < SH_LOOPS_MAX && !sh.stop; i++) {
		bug_note(&sh.error, k_mutex_lock(sh.m, K_FOREVER));
		sh.sections++;
		k_thread_yield();
		bug_note(&sh.error, k_mutex_unlock(sh.m));
		if (sh.fixed && sh.pause_requested) {
			sh.pause_requested = false;
			bug_note(&sh.error, k_sem_give(sh.paused));
			bug_note(&sh.error, k_sem_take(sh.go_on, K_FOREVER));
		}
		k_thread_yield();
	}
}

static int sh_run(bool fixed)
{
	sh.m = NULL;
	sh.paused = sh.go_on = NULL;
	sh.pause_requested = sh.stop = false;
	sh.sections = 0;
	sh.main_rc = 1;
	sh.fixed = fixed;
	sh.error = 0;
	int rc = k_mutex_create(&sh.m, "shared");
	if (rc == 0)
		rc = k_sem_create(&sh.paused, "paused", 0, 1);
	if (rc == 0)
		rc = k_sem_create(&sh.go_on, "go_on", 0, 1);
	k_thread_t *t[1] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 1, sh_worker, "worker", K_PRIO_DEFAULT, 0);
	if (rc < 0)
		return rc;
	bug_note(&sh.error, k_thread_sleep_ns(SH_RUN_NS));
	if (fixed) {
		sh.pause_requested = true;
		bug_note(&sh.error, k_sem_take(sh.paused, K_FOREVER));
	} else {
		bug_note(&sh.error, k_thread_suspend(t[0]));
	}
	sh.main_rc = k_mutex_lock(sh.m, BUG_PATIENCE_NS);
	if (sh.main_rc == 0)
		bug_note(&sh.error, k_mutex_unlock(sh.m));
	sh.stop = true;
	if (fixed)
		bug_note(&sh.error, k_sem_give(sh.go_on));
	else
		bug_note(&sh.error, k_thread_resume(t[0]));
	rc = bug_join(t, 1);
	if (rc == 0)
		rc = k_sem_destroy(sh.go_on);
	if (rc == 0)
		rc = k_sem_destroy(sh.paused);
	if (rc == 0)
		rc = k_mutex_destroy(sh.m);
	return rc;
}

static int sh_check(char *msg, size_t cap)
{
	if (sh.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", sh.error);
	if (sh.main_rc != 0)
		return stress_fail2(msg, cap, "main could not get the mutex (", sh.main_rc,
				    "): the worker was suspended holding it, after ", sh.sections,
				    " sections");
	return 0;
}

BUG_MAINS(sh)
K_BUG_PROGRAM(suspend_holding, "suspend_holding", "suspend while holding a lock", 1, true,
	      "a thread suspended while it holds a mutex another thread needs", sh_bug, sh_twin,
	      sh_check);
