/*
 * open_latch.c — missed wake-up at a latch: more threads than cores.
 *
 * WAITERS threads wait for a latch to open. A waiter that finds it shut
 * counts itself in `waiting` and takes a semaphore; the opener gives the
 * semaphore once per counted waiter. The bug reads the count in one critical
 * section and marks the latch open in a later one: a waiter that arrives in
 * between counts itself, sees the latch still shut and waits for a give that
 * never comes. Twin: the opener reads the count and opens in one critical
 * section.
 * Oracle: the deadlock report (a waiter blocked on the semaphore); the end
 * check counts the waiters that got through.
 */
#include "bugs.h"

#define OL_WAITERS 6u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	k_sem_t *wake;
	bool open;        /* under ol.m */
	unsigned waiting; /* under ol.m */
	bool through[OL_WAITERS]; /* each waiter its own (a shared count would race) */
	bool fixed;
	int error;
} ol;

static void ol_waiter(unsigned me)
{
	K_ASSERT(me < OL_WAITERS);
	bug_note(&ol.error, k_mutex_lock(ol.m, K_FOREVER));
	bool wait = !ol.open;
	if (wait)
		ol.waiting++;
	bug_note(&ol.error, k_mutex_unlock(ol.m));
	if (wait)
		bug_note(&ol.error, k_sem_take(ol.wake, K_FOREVER));
	ol.through[me] = true;
}

static void ol_opener(void)
{
	bug_note(&ol.error, k_mutex_lock(ol.m, K_FOREVER));
	unsigned n = ol.waiting;
	if (!ol.fixed) {
		/* The bug: the count is stale by the time the latch opens. */
		bug_note(&ol.error, k_mutex_unlock(ol.m));
		bug_note(&ol.error, k_mutex_lock(ol.m, K_FOREVER));
	}
	ol.open = true;
	bug_note(&ol.error, k_mutex_unlock(ol.m));
	K_ASSERT(n <= OL_WAITERS);
	for (unsigned i = 0; i < n; i++)
		bug_note(&ol.error, k_sem_give(ol.wake));
}

static void ol_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < OL_WAITERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	bug_gate_pass(ol.gate, &ol.error);
	if ((uintptr_t)arg < OL_WAITERS)
		ol_waiter((unsigned)(uintptr_t)arg);
	else
		ol_opener();
}

static int ol_run(bool fixed)
{
	ol.gate = ol.wake = NULL;
	ol.m = NULL;
	ol.open = false;
	ol.waiting = 0;
	for (unsigned i = 0; i < OL_WAITERS; i++)
		ol.through[i] = false;
	ol.fixed = fixed;
	ol.error = 0;
	int rc = bug_gate_create(&ol.gate);
	if (rc == 0)
		rc = k_mutex_create(&ol.m, "latch");
	if (rc == 0)
		rc = k_sem_create(&ol.wake, "wake", 0, OL_WAITERS);
	k_thread_t *t[OL_WAITERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, OL_WAITERS + 1u, ol_thread, "latch", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(ol.gate, OL_WAITERS + 1u, &ol.error);
	int jr = bug_join(t, OL_WAITERS + 1u);
	if (rc == 0)
		rc = jr;
	if (ol.wake && rc == 0)
		rc = k_sem_destroy(ol.wake);
	if (ol.m && rc == 0)
		rc = k_mutex_destroy(ol.m);
	if (ol.gate && rc == 0)
		rc = k_sem_destroy(ol.gate);
	return rc;
}

static int ol_check(char *msg, size_t cap)
{
	if (ol.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", ol.error);
	unsigned through = 0;
	for (unsigned i = 0; i < OL_WAITERS; i++)
		through += ol.through[i] ? 1u : 0u;
	if (through != OL_WAITERS)
		return stress_fail(msg, cap, "only ", through, " waiters got through the latch");
	return 0;
}

BUG_MAINS(ol)
K_BUG_PROGRAM(open_latch, "open_latch", "missed wake-up (stale waiter count)", OL_WAITERS + 1u,
	      true, "a latch opened with a waiter count read in an earlier section", ol_bug, ol_twin,
	      ol_check);
