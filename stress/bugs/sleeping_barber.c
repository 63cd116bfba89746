/*
 * sleeping_barber.c — missed wake-up: the wake-up is given only when a flag
 * says the sleeper is asleep.
 *
 * A barber serves CUSTOMERS customers. Each customer queues (a count under a
 * mutex), wakes the barber if the `asleep` flag says he sleeps, and waits to
 * be served. The barber, when nobody queues, sets `asleep` and takes the
 * wake-up semaphore. In the bug the barber decides to sleep in one critical
 * section and raises the flag in a later one: a customer that queues in
 * between sees the flag down, gives no wake-up, and the barber sleeps while
 * the customer waits. Twin: the barber decides and raises the flag in the
 * same critical section.
 * Oracle: the deadlock report; the end check counts the customers served.
 */
#include "bugs.h"

#define SB_CUSTOMERS 3u
#define SB_LOOPS_MAX 64u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	k_sem_t *wake;
	k_sem_t *served;
	unsigned queued; /* under sb.m */
	bool asleep;     /* under sb.m */
	unsigned done;
	bool fixed;
	int error;
} sb;

/* The barber: serve until every customer was served. */
static void sb_barber(void)
{
	for (unsigned i = 0; i < SB_LOOPS_MAX && sb.done < SB_CUSTOMERS; i++) {
		bug_note(&sb.error, k_mutex_lock(sb.m, K_FOREVER));
		bool sleep = sb.queued == 0;
		if (sleep && !sb.fixed) {
			/* The bug: decided in one section, flagged in the next. */
			bug_note(&sb.error, k_mutex_unlock(sb.m));
			bug_note(&sb.error, k_mutex_lock(sb.m, K_FOREVER));
		}
		if (sleep)
			sb.asleep = true;
		else
			sb.queued--;
		bug_note(&sb.error, k_mutex_unlock(sb.m));
		if (sleep) {
			bug_note(&sb.error, k_sem_take(sb.wake, K_FOREVER));
			continue;
		}
		sb.done++;
		bug_note(&sb.error, k_sem_give(sb.served));
	}
}

static void sb_customer(void)
{
	bug_note(&sb.error, k_mutex_lock(sb.m, K_FOREVER));
	sb.queued++;
	bool wake = sb.asleep;
	sb.asleep = false;
	bug_note(&sb.error, k_mutex_unlock(sb.m));
	if (wake)
		bug_note(&sb.error, k_sem_give(sb.wake));
	bug_note(&sb.error, k_sem_take(sb.served, K_FOREVER));
}

static void sb_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < SB_CUSTOMERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	bug_gate_pass(sb.gate, &sb.error);
	if ((uintptr_t)arg == 0u)
		sb_barber();
	else
		sb_customer();
}

static int sb_run(bool fixed)
{
	sb.gate = sb.wake = sb.served = NULL;
	sb.m = NULL;
	sb.queued = sb.done = 0;
	sb.asleep = false;
	sb.fixed = fixed;
	sb.error = 0;
	int rc = bug_gate_create(&sb.gate);
	if (rc == 0)
		rc = k_mutex_create(&sb.m, "shop");
	if (rc == 0)
		rc = k_sem_create(&sb.wake, "wake", 0, 1);
	if (rc == 0)
		rc = k_sem_create(&sb.served, "served", 0, SB_CUSTOMERS);
	k_thread_t *t[SB_CUSTOMERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, SB_CUSTOMERS + 1u, sb_thread, "shop", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(sb.gate, SB_CUSTOMERS + 1u, &sb.error);
	int jr = bug_join(t, SB_CUSTOMERS + 1u);
	if (rc == 0)
		rc = jr;
	k_sem_t *sems[3] = {sb.served, sb.wake, sb.gate};
	for (unsigned i = 0; i < 3u; i++)
		if (sems[i] && rc == 0)
			rc = k_sem_destroy(sems[i]);
	if (sb.m && rc == 0)
		rc = k_mutex_destroy(sb.m);
	return rc;
}

static int sb_check(char *msg, size_t cap)
{
	if (sb.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", sb.error);
	if (sb.done != SB_CUSTOMERS)
		return stress_fail(msg, cap, "only ", sb.done, " customers served");
	return 0;
}

BUG_MAINS(sb)
K_BUG_PROGRAM(sleeping_barber, "sleeping_barber", "missed wake-up (flag set late)",
	      SB_CUSTOMERS + 1u, true, "the barber raises his asleep flag after deciding to sleep",
	      sb_bug, sb_twin, sb_check);
