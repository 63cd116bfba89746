/*
 * timed_wait.c — a timed condition wait whose result is ignored: a timeout
 * racing a wake-up.
 *
 * A consumer waits for `ready` on a condition variable with a timeout and,
 * in the bug, takes the return as "the data is ready" whatever it was: when
 * the timeout wins the race against the producer's signal, it reads data not
 * yet written. Twin: it re-tests `ready` after the wait and waits again on a
 * timeout (a bounded number of times).
 * Oracle: the consumer read the data only once it was ready.
 */
#include "bugs.h"

#define TW_TIMEOUT_NS 4000u
#define TW_PRODUCER_WORK 4u /* yields before the data is ready */
#define TW_WAITS_MAX 1000u
#define TW_DATA 0xda7au

static struct {
	k_mutex_t *m;
	k_cond_t *c;
	bool ready;     /* under tw.m */
	unsigned data;  /* under tw.m */
	unsigned seen;
	bool fixed;
	int error;
} tw;

static void tw_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u) { /* producer */
		for (unsigned i = 0; i < TW_PRODUCER_WORK; i++)
			k_thread_yield();
		bug_note(&tw.error, k_mutex_lock(tw.m, K_FOREVER));
		tw.data = TW_DATA;
		tw.ready = true;
		bug_note(&tw.error, k_cond_signal(tw.c));
		bug_note(&tw.error, k_mutex_unlock(tw.m));
		return;
	}
	bug_note(&tw.error, k_mutex_lock(tw.m, K_FOREVER)); /* consumer */
	if (tw.fixed) {
		for (unsigned i = 0; i < TW_WAITS_MAX && !tw.ready; i++) {
			int rc = k_cond_wait(tw.c, tw.m, TW_TIMEOUT_NS);
			if (rc != -K_ETIMEDOUT)
				bug_note(&tw.error, rc);
		}
	} else if (!tw.ready) {
		int rc = k_cond_wait(tw.c, tw.m, TW_TIMEOUT_NS);
		if (rc != -K_ETIMEDOUT) /* the bug: a timeout is taken as a wake-up */
			bug_note(&tw.error, rc);
	}
	tw.seen = tw.data;
	bug_note(&tw.error, k_mutex_unlock(tw.m));
}

static int tw_run(bool fixed)
{
	tw.m = NULL;
	tw.c = NULL;
	tw.ready = false;
	tw.data = tw.seen = 0;
	tw.fixed = fixed;
	tw.error = 0;
	int rc = k_mutex_create(&tw.m, "m");
	if (rc == 0)
		rc = k_cond_create(&tw.c, "ready");
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, tw_thread, "tw", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (tw.c && rc == 0)
		rc = k_cond_destroy(tw.c);
	if (tw.m && rc == 0)
		rc = k_mutex_destroy(tw.m);
	return rc;
}

static int tw_check(char *msg, size_t cap)
{
	if (tw.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", tw.error);
	if (tw.seen != TW_DATA)
		return stress_fail(msg, cap, "the consumer read ", tw.seen,
				   " before the data was ready (its wait timed out)");
	return 0;
}

BUG_MAINS(tw)
K_BUG_PROGRAM(timed_wait, "timed_wait", "wrong timeout (timed wait result ignored)", 2, true,
	      "a timed condition wait taken as a wake-up", tw_bug, tw_twin, tw_check);
