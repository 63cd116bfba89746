/*
 * give_before_read.c — bounded-buffer misuse: a slot handed back before it
 * was read.
 *
 * A producer and a consumer share a ring of SLOTS slots with the two classic
 * semaphores (filled, free). The consumer, in the bug, gives the slot back
 * (free) before copying the value out of it: the producer, woken by that
 * give, can overwrite the slot with a later item first. Twin: copy the value
 * out, then give the slot back.
 * Oracle: the consumer received 0, 1, ..., ITEMS-1 in order.
 */
#include "bugs.h"

#define GB_SLOTS 2u
#define GB_ITEMS 6u

static struct {
	k_sem_t *filled;
	k_sem_t *free;
	unsigned ring[GB_SLOTS];
	unsigned received;
	unsigned out_of_order;
	bool fixed;
	int error;
} gb;

static void gb_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u) { /* producer: one producer, so no index lock */
		for (unsigned s = 0; s < GB_ITEMS; s++) {
			bug_note(&gb.error, k_sem_take(gb.free, K_FOREVER));
			gb.ring[s % GB_SLOTS] = s;
			bug_note(&gb.error, k_sem_give(gb.filled));
		}
		return;
	}
	for (unsigned s = 0; s < GB_ITEMS; s++) { /* consumer */
		bug_note(&gb.error, k_sem_take(gb.filled, K_FOREVER));
		unsigned v;
		if (gb.fixed) {
			v = gb.ring[s % GB_SLOTS];
			bug_note(&gb.error, k_sem_give(gb.free));
		} else {
			bug_note(&gb.error, k_sem_give(gb.free));
			v = gb.ring[s % GB_SLOTS];
		}
		if (v != s)
			gb.out_of_order++;
		gb.received++;
	}
}

static int gb_run(bool fixed)
{
	gb.filled = gb.free = NULL;
	gb.received = gb.out_of_order = 0;
	gb.fixed = fixed;
	gb.error = 0;
	int rc = k_sem_create(&gb.filled, "filled", 0, GB_SLOTS);
	if (rc == 0)
		rc = k_sem_create(&gb.free, "free", GB_SLOTS, GB_SLOTS);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, gb_thread, "gb", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (gb.free && rc == 0)
		rc = k_sem_destroy(gb.free);
	if (gb.filled && rc == 0)
		rc = k_sem_destroy(gb.filled);
	return rc;
}

static int gb_check(char *msg, size_t cap)
{
	if (gb.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", gb.error);
	if (gb.out_of_order)
		return stress_fail(msg, cap, "", gb.out_of_order,
				   " items overwritten before the consumer read them");
	if (gb.received != GB_ITEMS)
		return stress_fail(msg, cap, "only ", gb.received, " items received");
	return 0;
}

BUG_MAINS(gb)
K_BUG_PROGRAM(give_before_read, "give_before_read", "bounded-buffer misuse (slot freed early)", 2,
	      true, "the consumer frees a slot before reading it", gb_bug, gb_twin, gb_check);
