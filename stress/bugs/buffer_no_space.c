/*
 * buffer_no_space.c — bounded-buffer misuse: no count of free slots.
 *
 * A producer puts ITEMS sequence numbers into a ring of SLOTS slots, and a
 * consumer takes them, with a mutex around the ring and a semaphore counting
 * filled slots. The bug has no semaphore counting free slots: a producer more
 * than SLOTS items ahead of the consumer overwrites one it has not read.
 * Twin: the producer takes a free slot (semaphore `spaces`) before it fills
 * one, and the consumer gives it back.
 * Oracle: the consumer received 0, 1, ..., ITEMS-1 in order.
 */
#include "bugs.h"

#define BN_SLOTS 2u
#define BN_ITEMS 5u

static struct {
	k_mutex_t *m;
	k_sem_t *items;
	k_sem_t *spaces;
	unsigned ring[BN_SLOTS];
	unsigned head, tail; /* under bn.m */
	unsigned out_of_order;
	unsigned received;
	bool fixed;
	int error;
} bn;

static void bn_producer(void)
{
	for (unsigned s = 0; s < BN_ITEMS; s++) {
		if (bn.fixed)
			bug_note(&bn.error, k_sem_take(bn.spaces, K_FOREVER));
		bug_note(&bn.error, k_mutex_lock(bn.m, K_FOREVER));
		bn.ring[bn.head % BN_SLOTS] = s;
		bn.head++;
		bug_note(&bn.error, k_mutex_unlock(bn.m));
		bug_note(&bn.error, k_sem_give(bn.items));
	}
}

static void bn_consumer(void)
{
	for (unsigned s = 0; s < BN_ITEMS; s++) {
		bug_note(&bn.error, k_sem_take(bn.items, K_FOREVER));
		bug_note(&bn.error, k_mutex_lock(bn.m, K_FOREVER));
		unsigned v = bn.ring[bn.tail % BN_SLOTS];
		bn.tail++;
		bug_note(&bn.error, k_mutex_unlock(bn.m));
		if (bn.fixed)
			bug_note(&bn.error, k_sem_give(bn.spaces));
		if (v != s)
			bn.out_of_order++;
		bn.received++;
	}
}

static void bn_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u)
		bn_producer();
	else
		bn_consumer();
}

static int bn_run(bool fixed)
{
	bn.m = NULL;
	bn.items = bn.spaces = NULL;
	bn.head = bn.tail = bn.out_of_order = bn.received = 0;
	bn.fixed = fixed;
	bn.error = 0;
	int rc = k_mutex_create(&bn.m, "ring");
	if (rc == 0)
		rc = k_sem_create(&bn.items, "items", 0, BN_ITEMS);
	if (rc == 0)
		rc = k_sem_create(&bn.spaces, "spaces", BN_SLOTS, BN_SLOTS);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, bn_thread, "bn", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (bn.spaces && rc == 0)
		rc = k_sem_destroy(bn.spaces);
	if (bn.items && rc == 0)
		rc = k_sem_destroy(bn.items);
	if (bn.m && rc == 0)
		rc = k_mutex_destroy(bn.m);
	return rc;
}

static int bn_check(char *msg, size_t cap)
{
	if (bn.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", bn.error);
	if (bn.out_of_order)
		return stress_fail(msg, cap, "", bn.out_of_order,
				   " items received out of order (a slot overwritten)");
	if (bn.received != BN_ITEMS)
		return stress_fail(msg, cap, "only ", bn.received, " items received");
	return 0;
}

BUG_MAINS(bn)
K_BUG_PROGRAM(buffer_no_space, "buffer_no_space", "bounded-buffer misuse (no space count)", 2,
	      true, "a ring buffer without a count of free slots", bn_bug, bn_twin, bn_check);
