/*
 * cond_if.c — a condition waited for with `if` instead of `while`.
 *
 * Two consumers and one producer share a count of items under a mutex. A
 * consumer that finds no item waits on a condition variable and, in the bug,
 * takes an item as soon as it wakes. Between the producer's signal and the
 * woken consumer's relock, the other consumer can come in, find the item and
 * take it: the woken one then takes an item that is not there and the count
 * goes below zero. Twin: the consumer re-tests the count after every wake.
 * Oracle: the count never went below zero, and each consumer got one item.
 */
#include "bugs.h"

#define CI_CONSUMERS 2u
#define CI_WAITS_MAX 16u

static struct {
	k_mutex_t *m;
	k_cond_t *c;
	int items;
	int items_min;
	unsigned taken;
	bool fixed;
	int error;
} ci;

static void ci_consumer(void)
{
	bug_note(&ci.error, k_mutex_lock(ci.m, K_FOREVER));
	if (ci.fixed) {
		for (unsigned i = 0; i < CI_WAITS_MAX && ci.items <= 0; i++)
			bug_note(&ci.error, k_cond_wait(ci.c, ci.m, K_FOREVER));
	} else if (ci.items <= 0) {
		bug_note(&ci.error, k_cond_wait(ci.c, ci.m, K_FOREVER));
	}
	ci.items--;
	if (ci.items < ci.items_min)
		ci.items_min = ci.items;
	ci.taken++;
	bug_note(&ci.error, k_mutex_unlock(ci.m));
}

static void ci_producer(void)
{
	for (unsigned i = 0; i < CI_CONSUMERS; i++) {
		bug_note(&ci.error, k_mutex_lock(ci.m, K_FOREVER));
		ci.items++;
		bug_note(&ci.error, k_cond_signal(ci.c));
		bug_note(&ci.error, k_mutex_unlock(ci.m));
	}
}

static void ci_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < CI_CONSUMERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg < CI_CONSUMERS)
		ci_consumer();
	else
		ci_producer();
}

static int ci_run(bool fixed)
{
	ci.m = NULL;
	ci.c = NULL;
	ci.items = ci.items_min = 0;
	ci.taken = 0;
	ci.fixed = fixed;
	ci.error = 0;
	int rc = k_mutex_create(&ci.m, "m");
	if (rc == 0)
		rc = k_cond_create(&ci.c, "items");
	k_thread_t *t[CI_CONSUMERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, CI_CONSUMERS + 1u, ci_thread, "ci", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, CI_CONSUMERS + 1u);
	if (rc == 0)
		rc = jr;
	if (ci.c && rc == 0)
		rc = k_cond_destroy(ci.c);
	if (ci.m && rc == 0)
		rc = k_mutex_destroy(ci.m);
	return rc;
}

static int ci_check(char *msg, size_t cap)
{
	if (ci.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", ci.error);
	if (ci.items_min < 0)
		return stress_fail(msg, cap, "a consumer took an item that was not there (count ",
				   ci.items_min, ")");
	if (ci.taken != CI_CONSUMERS || ci.items != 0)
		return stress_fail2(msg, cap, "", ci.taken, " items taken, ", ci.items, " left");
	return 0;
}

BUG_MAINS(ci)
K_BUG_PROGRAM(cond_if, "cond_if", "missed re-check (if, not while)", CI_CONSUMERS + 1u, true,
	      "a consumer waits with if instead of while", ci_bug, ci_twin, ci_check);
