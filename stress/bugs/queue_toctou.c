/*
 * queue_toctou.c — check-then-act on a message queue's count.
 *
 * Two consumers share a queue that holds ITEMS messages. Each one, in the
 * bug, asks k_msgq_count whether a message is there and, if so, gets one
 * without waiting, trusting the answer: between the count and the get the
 * other consumer can take the last message, and the get fails. Twin: the
 * consumers just get without waiting and take "empty" as the answer.
 * Oracle: no get failed after a count said a message was there; every
 * message was received once.
 */
#include "bugs.h"

#define QT_CONSUMERS 2u
#define QT_ITEMS 3u
#define QT_TRIES_MAX 16u

static struct {
	k_sem_t *gate;
	k_msgq_t *q;
	/* Per consumer: each counts its own (a shared counter would race). */
	unsigned received[QT_CONSUMERS], surprises[QT_CONSUMERS];
	bool fixed;
	int error;
} qt;

static void qt_consumer(void *arg)
{
	K_ASSERT((uintptr_t)arg < QT_CONSUMERS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	uintptr_t me = (uintptr_t)arg;
	bug_gate_pass(qt.gate, &qt.error);
	for (unsigned i = 0; i < QT_TRIES_MAX; i++) {
		if (!qt.fixed && k_msgq_count(qt.q) == 0)
			return;
		uint32_t v;
		int rc = k_msgq_get(qt.q, &v, K_NO_WAIT);
		if (rc == -K_ETIMEDOUT) {
			if (!qt.fixed)
				qt.surprises[me]++; /* the count said there was one */
			return;
		}
		bug_note(&qt.error, rc);
		qt.received[me]++;
	}
}

static int qt_run(bool fixed)
{
	qt.gate = NULL;
	qt.q = NULL;
	for (unsigned i = 0; i < QT_CONSUMERS; i++)
		qt.received[i] = qt.surprises[i] = 0;
	qt.fixed = fixed;
	qt.error = 0;
	int rc = bug_gate_create(&qt.gate);
	if (rc == 0)
		rc = k_msgq_create(&qt.q, "work", sizeof(uint32_t), QT_ITEMS);
	for (uint32_t i = 0; i < QT_ITEMS && rc == 0; i++)
		rc = k_msgq_put(qt.q, &i, K_NO_WAIT);
	k_thread_t *t[QT_CONSUMERS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, QT_CONSUMERS, qt_consumer, "consumer", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(qt.gate, QT_CONSUMERS, &qt.error);
	int jr = bug_join(t, QT_CONSUMERS);
	if (rc == 0)
		rc = jr;
	if (qt.q && rc == 0)
		rc = k_msgq_destroy(qt.q);
	if (qt.gate && rc == 0)
		rc = k_sem_destroy(qt.gate);
	return rc;
}

static int qt_check(char *msg, size_t cap)
{
	if (qt.error < 0)
		return stress_fail_err(msg, cap, "a queue call failed with ", qt.error);
	unsigned surprises = 0, received = 0;
	for (unsigned i = 0; i < QT_CONSUMERS; i++) {
		surprises += qt.surprises[i];
		received += qt.received[i];
	}
	if (surprises)
		return stress_fail(msg, cap, "", surprises,
				   " gets failed right after the count said a message was there");
	if (received != QT_ITEMS)
		return stress_fail(msg, cap, "", received, " messages received");
	return 0;
}

BUG_MAINS(qt)
K_BUG_PROGRAM(queue_toctou, "queue_toctou", "check-then-act (queue count)", QT_CONSUMERS, true,
	      "consumers trust k_msgq_count before a get", qt_bug, qt_twin, qt_check);
