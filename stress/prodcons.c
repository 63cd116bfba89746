/*
 * prodcons.c — producers and consumers over one bounded message queue.
 *
 * PRODUCERS threads each put ITEMS messages {producer, seq} into a queue of
 * CAPACITY; CONSUMERS threads get until they receive a stop message (main
 * puts one per consumer after every producer is joined). Consumers wait
 * with a short timeout and retry, so time-outs race with deliveries.
 * End check: every item arrived exactly once, and each consumer saw each
 * producer's items in increasing order (the queue is FIFO).
 */
#include "stress.h"

#define PC_PRODUCERS 2u
#define PC_CONSUMERS 2u
#define PC_ITEMS 5u
#define PC_CAPACITY 2u
#define PC_GET_TIMEOUT_NS 3000u
#define PC_RETRIES_MAX 100000u
#define PC_STOP 0xffffu

struct pc_msg {
	uint16_t producer;
	uint16_t seq;
};

static struct {
	k_msgq_t *q;
	unsigned seen[PC_PRODUCERS][PC_ITEMS];      /* times each item arrived */
	int last_seq[PC_CONSUMERS][PC_PRODUCERS];   /* per consumer, per producer */
	unsigned out_of_order;
	unsigned bogus;
	bool stopped[PC_CONSUMERS];
	int error;
} pc;

static void pc_note(int rc)
{
	if (rc < 0 && pc.error == 0)
		pc.error = rc;
}

static void pc_producer(void *arg)
{
	unsigned p = (unsigned)(uintptr_t)arg;
	for (unsigned s = 0; s < PC_ITEMS; s++) {
		struct pc_msg m = {(uint16_t)p, (uint16_t)s};
		pc_note(k_msgq_put(pc.q, &m, K_FOREVER));
	}
}

static void pc_consumer(void *arg)
{
	unsigned c = (unsigned)(uintptr_t)arg;
	for (unsigned tries = 0; tries < PC_RETRIES_MAX; tries++) {
		struct pc_msg m;
		int rc = k_msgq_get(pc.q, &m, PC_GET_TIMEOUT_NS);
		if (rc == -K_ETIMEDOUT)
			continue;
		if (rc < 0) {
			pc_note(rc);
			return;
		}
		if (m.producer == PC_STOP) {
			pc.stopped[c] = true;
			return;
		}
		if (m.producer >= PC_PRODUCERS || m.seq >= PC_ITEMS) {
			pc.bogus++;
			continue;
		}
		pc.seen[m.producer][m.seq]++;
		if ((int)m.seq <= pc.last_seq[c][m.producer])
			pc.out_of_order++;
		pc.last_seq[c][m.producer] = m.seq;
	}
	pc_note(-K_ETIMEDOUT);
}

static int prodcons_main(void)
{
	for (unsigned p = 0; p < PC_PRODUCERS; p++)
		for (unsigned s = 0; s < PC_ITEMS; s++)
			pc.seen[p][s] = 0;
	for (unsigned c = 0; c < PC_CONSUMERS; c++)
		for (unsigned p = 0; p < PC_PRODUCERS; p++)
			pc.last_seq[c][p] = -1;
	pc.out_of_order = pc.bogus = 0;
	for (unsigned c = 0; c < PC_CONSUMERS; c++)
		pc.stopped[c] = false;
	pc.error = 0;
	int rc = k_msgq_create(&pc.q, "items", sizeof(struct pc_msg), PC_CAPACITY);
	if (rc < 0)
		return rc;
	k_thread_t *prod[PC_PRODUCERS], *cons[PC_CONSUMERS];
	for (unsigned c = 0; c < PC_CONSUMERS; c++) {
		struct k_thread_attr a = stress_attr("consumer", K_PRIO_DEFAULT, 0);
		if ((rc = k_thread_create(&cons[c], pc_consumer, (void *)(uintptr_t)c, &a)) < 0)
			return rc;
	}
	for (unsigned p = 0; p < PC_PRODUCERS; p++) {
		struct k_thread_attr a = stress_attr("producer", K_PRIO_DEFAULT, 0);
		if ((rc = k_thread_create(&prod[p], pc_producer, (void *)(uintptr_t)p, &a)) < 0)
			return rc;
	}
	for (unsigned p = 0; p < PC_PRODUCERS; p++)
		if ((rc = k_thread_join(prod[p], K_FOREVER, NULL)) < 0)
			return rc;
	for (unsigned c = 0; c < PC_CONSUMERS; c++) {
		struct pc_msg stop = {PC_STOP, 0};
		if ((rc = k_msgq_put(pc.q, &stop, K_FOREVER)) < 0)
			return rc;
	}
	for (unsigned c = 0; c < PC_CONSUMERS; c++)
		if ((rc = k_thread_join(cons[c], K_FOREVER, NULL)) < 0)
			return rc;
	return k_msgq_destroy(pc.q);
}

static int prodcons_check(char *msg, size_t cap)
{
	if (pc.error < 0)
		return stress_fail_err(msg, cap, "a queue call failed with ", pc.error);
	if (pc.bogus)
		return stress_fail(msg, cap, "", pc.bogus, " messages were not sent by anybody");
	if (pc.out_of_order)
		return stress_fail(msg, cap, "", pc.out_of_order,
				   " items arrived out of order for their producer");
	for (unsigned p = 0; p < PC_PRODUCERS; p++)
		for (unsigned s = 0; s < PC_ITEMS; s++)
			if (pc.seen[p][s] != 1)
				return stress_fail2(msg, cap, "producer item ", (int64_t)(p * 1000u + s),
						    " (producer*1000+seq) arrived ", pc.seen[p][s],
						    " times");
	for (unsigned c = 0; c < PC_CONSUMERS; c++)
		if (!pc.stopped[c])
			return stress_fail(msg, cap, "consumer ", c, " never saw its stop message");
	return 0;
}

K_WORKLOAD(prodcons, "prodcons",
	   "producers and consumers over a bounded message queue; each item exactly once, in order",
	   prodcons_main, prodcons_check);
