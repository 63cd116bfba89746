/*
 * lost_signal.c — missed signal with a condition variable.
 *
 * A signaller posts ROUNDS events, one at a time: it bumps `posted` and
 * signals under the mutex, then waits for the waiter's acknowledgement. The
 * waiter, in the bug, tests `posted` without holding the mutex and only then
 * locks and waits. If a whole post lands between the waiter's test and its
 * wait (another core, or a preemption of the waiter), nobody is waiting when
 * the signal comes and the waiter sleeps forever (and the signaller with it,
 * waiting for the acknowledgement). Twin: the waiter tests under the mutex,
 * in a loop, so the test and the wait are one step for the signaller.
 * Oracle: the deadlock report; the end check counts the events seen.
 */
#include "bugs.h"

#define LS_ROUNDS 3u
#define LS_WAITS_MAX 16u

static struct {
	k_mutex_t *m;
	k_cond_t *c;
	k_sem_t *ack;
	unsigned posted; /* under ls.m (the bug reads it without) */
	unsigned seen;
	bool fixed;
	int error;
} ls;

static void ls_waiter(void)
{
	for (unsigned r = 0; r < LS_ROUNDS; r++) {
		if (!ls.fixed) {
			if (ls.posted <= r) {
				bug_note(&ls.error, k_mutex_lock(ls.m, K_FOREVER));
				bug_note(&ls.error, k_cond_wait(ls.c, ls.m, K_FOREVER));
				bug_note(&ls.error, k_mutex_unlock(ls.m));
			}
		} else {
			bug_note(&ls.error, k_mutex_lock(ls.m, K_FOREVER));
			for (unsigned i = 0; i < LS_WAITS_MAX && ls.posted <= r; i++)
				bug_note(&ls.error, k_cond_wait(ls.c, ls.m, K_FOREVER));
			bug_note(&ls.error, k_mutex_unlock(ls.m));
		}
		ls.seen++;
		bug_note(&ls.error, k_sem_give(ls.ack));
	}
}

static void ls_signaller(void)
{
	for (unsigned r = 0; r < LS_ROUNDS; r++) {
		bug_note(&ls.error, k_mutex_lock(ls.m, K_FOREVER));
		ls.posted++;
		bug_note(&ls.error, k_cond_signal(ls.c));
		bug_note(&ls.error, k_mutex_unlock(ls.m));
		bug_note(&ls.error, k_sem_take(ls.ack, K_FOREVER));
	}
}

static void ls_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u)
		ls_waiter();
	else
		ls_signaller();
}

static int ls_run(bool fixed)
{
	ls.m = NULL;
	ls.c = NULL;
	ls.ack = NULL;
	ls.posted = ls.seen = 0;
	ls.fixed = fixed;
	ls.error = 0;
	int rc = k_mutex_create(&ls.m, "m");
	if (rc == 0)
		rc = k_cond_create(&ls.c, "posted");
	if (rc == 0)
		rc = k_sem_create(&ls.ack, "ack", 0, 1);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, ls_thread, "ls", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (ls.ack && rc == 0)
		rc = k_sem_destroy(ls.ack);
	if (ls.c && rc == 0)
		rc = k_cond_destroy(ls.c);
	if (ls.m && rc == 0)
		rc = k_mutex_destroy(ls.m);
	return rc;
}

static int ls_check(char *msg, size_t cap)
{
	if (ls.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", ls.error);
	if (ls.seen != LS_ROUNDS)
		return stress_fail(msg, cap, "the waiter saw ", ls.seen, " events");
	return 0;
}

BUG_MAINS(ls)
K_BUG_PROGRAM(lost_signal, "lost_signal", "missed signal (condition variable)", 2, true,
	      "the event count is tested outside the mutex before waiting", ls_bug, ls_twin,
	      ls_check);
