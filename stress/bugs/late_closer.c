/*
 * late_closer.c — order violation that needs a late thread to run early:
 * more threads than cores.
 *
 * WORKERS threads each use a shared resource USES times (a check under its
 * mutex); a closer thread, created last, closes it. In the bug
 * the closer closes as soon as it runs, trusting that it runs last because it
 * was created last; if it runs before some worker's last use, that use finds
 * the resource closed. Twin: the closer waits until every worker has said it
 * is done (a semaphore given once per worker).
 * Oracle: no use found the resource closed.
 */
#include "bugs.h"

#define LC_WORKERS 6u
#define LC_USES 2u

static struct {
	k_mutex_t *m;
	k_sem_t *done;
	bool closed; /* under lc.m */
	unsigned uses, late_uses;
	bool fixed;
	int error;
} lc;

static void lc_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < LC_WORKERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg < LC_WORKERS) {
		for (unsigned i = 0; i < LC_USES; i++) {
			bug_note(&lc.error, k_mutex_lock(lc.m, K_FOREVER));
			if (lc.closed)
				lc.late_uses++;
			lc.uses++;
			bug_note(&lc.error, k_mutex_unlock(lc.m));
		}
		bug_note(&lc.error, k_sem_give(lc.done));
		return;
	}
	if (lc.fixed)
		for (unsigned i = 0; i < LC_WORKERS; i++)
			bug_note(&lc.error, k_sem_take(lc.done, K_FOREVER));
	bug_note(&lc.error, k_mutex_lock(lc.m, K_FOREVER));
	lc.closed = true;
	bug_note(&lc.error, k_mutex_unlock(lc.m));
}

static int lc_run(bool fixed)
{
	lc.m = NULL;
	lc.done = NULL;
	lc.closed = false;
	lc.uses = lc.late_uses = 0;
	lc.fixed = fixed;
	lc.error = 0;
	int rc = k_mutex_create(&lc.m, "resource");
	if (rc == 0)
		rc = k_sem_create(&lc.done, "done", 0, LC_WORKERS);
	k_thread_t *t[LC_WORKERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, LC_WORKERS + 1u, lc_thread, "lc", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, LC_WORKERS + 1u);
	if (rc == 0)
		rc = jr;
	if (lc.done && rc == 0)
		rc = k_sem_destroy(lc.done);
	if (lc.m && rc == 0)
		rc = k_mutex_destroy(lc.m);
	return rc;
}

static int lc_check(char *msg, size_t cap)
{
	if (lc.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", lc.error);
	if (lc.late_uses)
		return stress_fail2(msg, cap, "", lc.late_uses, " of ", lc.uses,
				    " uses found the resource closed");
	return 0;
}

BUG_MAINS(lc)
K_BUG_PROGRAM(late_closer, "late_closer", "order violation (late thread first)", LC_WORKERS + 1u,
	      true, "the last thread created closes a resource others still use", lc_bug, lc_twin,
	      lc_check);
