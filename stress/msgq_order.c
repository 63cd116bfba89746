/*
 * msgq_order.c — the message queue's promises, checked at the end.
 *
 * MQ_SENDERS senders each put MQ_PER_SENDER messages {sender, seq} into a
 * queue of capacity MQ_CAPACITY (small: senders block on full, receivers on
 * empty); one more sender only ever uses K_NO_WAIT (a put that returned 0 was
 * sent, -K_ETIMEDOUT was not). MQ_RECEIVERS receivers get until every sent
 * message is accounted for.
 * End check: every message sent was received exactly once, none that was not
 * sent; each receiver saw each sender's messages in increasing order (FIFO);
 * then, on the empty queue: get with K_NO_WAIT is -K_ETIMEDOUT, MQ_CAPACITY
 * puts with K_NO_WAIT succeed, the next is -K_ETIMEDOUT, the count is the
 * capacity, and the messages come out in the order they went in.
 */
#include "stress.h"

#define MQ_SENDERS 2u
#define MQ_PER_SENDER 6u
#define MQ_TRIES 8u                     /* the K_NO_WAIT sender's attempts */
#define MQ_ALL (MQ_SENDERS + 1u)        /* senders, the K_NO_WAIT one last */
#define MQ_RECEIVERS 2u
#define MQ_CAPACITY 2u
#define MQ_STOP 0xffffu                 /* a receiver's stop message */

struct mq_msg {
	uint16_t sender;
	uint16_t seq;
};

static struct {
	k_msgq_t *q;
	k_sem_t *sent_done;     /* each sender gives once when finished */
	unsigned sent[MQ_ALL];  /* messages each sender put successfully */
	unsigned got[MQ_ALL][MQ_PER_SENDER + MQ_TRIES]; /* times received */
	unsigned out_of_order;
	unsigned bogus;
	unsigned nowait_bad_rc;
	unsigned end_bad;       /* the empty/full K_NO_WAIT probe at the end */
	int error;
} mq;

static void mq_note(int rc)
{
	if (rc < 0 && mq.error == 0)
		mq.error = rc;
}

static void mq_sender(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < MQ_PER_SENDER; i++) {
		struct mq_msg m = {(uint16_t)s, (uint16_t)i};
		int rc = k_msgq_put(mq.q, &m, K_FOREVER);
		mq_note(rc);
		if (rc == 0)
			mq.sent[s]++;
	}
	mq_note(k_sem_give(mq.sent_done));
}

static void mq_nowait_sender(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < MQ_TRIES; i++) {
		struct mq_msg m = {(uint16_t)s, (uint16_t)mq.sent[s]};
		int rc = k_msgq_put(mq.q, &m, K_NO_WAIT);
		if (rc == 0)
			mq.sent[s]++;
		else if (rc != -K_ETIMEDOUT)
			mq.nowait_bad_rc++;
		k_thread_yield();
	}
	mq_note(k_sem_give(mq.sent_done));
}

static void mq_receiver(void *arg)
{
	(void)arg;
	unsigned last[MQ_ALL];
	bool any[MQ_ALL] = {false};
	for (unsigned n = 0; n < MQ_ALL * (MQ_PER_SENDER + MQ_TRIES) + 1u; n++) {
		struct mq_msg m;
		int rc = k_msgq_get(mq.q, &m, K_FOREVER);
		if (rc < 0) {
			mq_note(rc);
			return;
		}
		if (m.sender == MQ_STOP)
			return;
		if (m.sender >= MQ_ALL || m.seq >= MQ_PER_SENDER + MQ_TRIES) {
			mq.bogus++;
			continue;
		}
		if (any[m.sender] && m.seq <= last[m.sender])
			mq.out_of_order++;
		any[m.sender] = true;
		last[m.sender] = m.seq;
		mq.got[m.sender][m.seq]++;
	}
}

/* On the empty queue, nobody else using it: the K_NO_WAIT codes and FIFO. */
static void mq_probe_empty_full(void)
{
	struct mq_msg m;
	if (k_msgq_get(mq.q, &m, K_NO_WAIT) != -K_ETIMEDOUT)
		mq.end_bad++;
	for (unsigned i = 0; i < MQ_CAPACITY; i++) {
		m = (struct mq_msg){0x7777u, (uint16_t)i};
		if (k_msgq_put(mq.q, &m, K_NO_WAIT) != 0)
			mq.end_bad++;
	}
	m = (struct mq_msg){0x7777u, 0xeeeeu};
	if (k_msgq_put(mq.q, &m, K_NO_WAIT) != -K_ETIMEDOUT)
		mq.end_bad++;
	if (k_msgq_count(mq.q) != MQ_CAPACITY)
		mq.end_bad++;
	for (unsigned i = 0; i < MQ_CAPACITY; i++)
		if (k_msgq_get(mq.q, &m, K_NO_WAIT) != 0 || m.seq != i)
			mq.end_bad++;
	if (k_msgq_count(mq.q) != 0)
		mq.end_bad++;
}

static int msgq_order_main(void)
{
	mq = (__typeof__(mq)){0};
	int rc;
	if ((rc = k_msgq_create(&mq.q, "mq", sizeof(struct mq_msg), MQ_CAPACITY)) < 0 ||
	    (rc = k_sem_create(&mq.sent_done, "mq.sent", 0, MQ_ALL)) < 0)
		return rc;
	k_thread_t *r[MQ_RECEIVERS], *s[MQ_ALL];
	for (unsigned i = 0; i < MQ_RECEIVERS; i++) {
		struct k_thread_attr a = stress_attr("recv", K_PRIO_DEFAULT, 0);
		if ((rc = k_thread_create(&r[i], mq_receiver, NULL, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < MQ_ALL; i++) {
		struct k_thread_attr a = stress_attr("send", K_PRIO_DEFAULT, 0);
		k_thread_entry_fn fn = i + 1u == MQ_ALL ? mq_nowait_sender : mq_sender;
		if ((rc = k_thread_create(&s[i], fn, (void *)(uintptr_t)i, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < MQ_ALL; i++)
		if ((rc = k_sem_take(mq.sent_done, K_FOREVER)) < 0)
			return rc;
	/* Every real message is in the queue or taken: stop the receivers
	 * behind them (FIFO puts the stops last). */
	for (unsigned i = 0; i < MQ_RECEIVERS; i++) {
		struct mq_msg stop = {MQ_STOP, 0};
		if ((rc = k_msgq_put(mq.q, &stop, K_FOREVER)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < MQ_ALL; i++)
		if ((rc = k_thread_join(s[i], K_FOREVER, NULL)) < 0)
			return rc;
	for (unsigned i = 0; i < MQ_RECEIVERS; i++)
		if ((rc = k_thread_join(r[i], K_FOREVER, NULL)) < 0)
			return rc;
	mq_probe_empty_full();
	if ((rc = k_msgq_destroy(mq.q)) < 0)
		return rc;
	return k_sem_destroy(mq.sent_done);
}

static int msgq_order_check(char *msg, size_t cap)
{
	if (mq.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", mq.error);
	if (mq.nowait_bad_rc)
		return stress_fail(msg, cap, "", mq.nowait_bad_rc, " K_NO_WAIT puts returned neither 0 nor -K_ETIMEDOUT");
	if (mq.bogus)
		return stress_fail(msg, cap, "", mq.bogus, " messages received that nobody sent");
	if (mq.out_of_order)
		return stress_fail(msg, cap, "", mq.out_of_order, " messages overtook an earlier one of their sender");
	for (unsigned s = 0; s < MQ_ALL; s++) {
		if (s + 1u < MQ_ALL && mq.sent[s] != MQ_PER_SENDER)
			return stress_fail2(msg, cap, "sender ", s, " sent ", mq.sent[s], " messages");
		for (unsigned i = 0; i < MQ_PER_SENDER + MQ_TRIES; i++) {
			unsigned want = i < mq.sent[s] ? 1u : 0u;
			if (mq.got[s][i] != want)
				return stress_fail2(msg, cap, "a message of sender ", s, " was received ", mq.got[s][i],
						    " times (exactly once promised)");
		}
	}
	if (mq.end_bad)
		return stress_fail(msg, cap, "", mq.end_bad,
				   " K_NO_WAIT results wrong on the empty/full queue (get empty, put full, count, order)");
	return 0;
}

K_WORKLOAD(msgq_order, "msgq_order",
	   "message queue: blocking and K_NO_WAIT senders, several receivers; exactly once, FIFO, full/empty codes",
	   msgq_order_main, msgq_order_check);
