/*
 * msgq_drop.c — bounded-buffer misuse: a put that does not wait, on a full
 * queue, with its error ignored.
 *
 * A producer sends ITEMS messages into a message queue of CAPACITY with
 * K_NO_WAIT and ignores -K_ETIMEDOUT; the consumer expects every message. If
 * the producer gets CAPACITY messages ahead of the consumer, the next one is
 * dropped and the consumer waits for it forever. Twin: the producer waits for
 * room (K_FOREVER).
 * Oracle: the deadlock report (the consumer blocked on an empty queue), and
 * the end check: every message received, in order.
 */
#include "bugs.h"

#define MD_CAPACITY 2u
#define MD_ITEMS 6u

static struct {
	k_msgq_t *q;
	unsigned received;
	unsigned out_of_order;
	bool fixed;
	int error;
} md;

static void md_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u) {
		for (uint32_t s = 0; s < MD_ITEMS; s++) {
			int rc = k_msgq_put(md.q, &s, md.fixed ? K_FOREVER : K_NO_WAIT);
			if (rc != -K_ETIMEDOUT) /* the bug ignores a full queue */
				bug_note(&md.error, rc);
		}
		return;
	}
	for (uint32_t s = 0; s < MD_ITEMS; s++) {
		uint32_t v = 0;
		bug_note(&md.error, k_msgq_get(md.q, &v, K_FOREVER));
		if (v != s)
			md.out_of_order++;
		md.received++;
	}
}

static int md_run(bool fixed)
{
	md.q = NULL;
	md.received = md.out_of_order = 0;
	md.fixed = fixed;
	md.error = 0;
	int rc = k_msgq_create(&md.q, "items", sizeof(uint32_t), MD_CAPACITY);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, md_thread, "md", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (md.q && rc == 0)
		rc = k_msgq_destroy(md.q);
	return rc;
}

static int md_check(char *msg, size_t cap)
{
	if (md.error < 0)
		return stress_fail_err(msg, cap, "a queue call failed with ", md.error);
	if (md.received != MD_ITEMS || md.out_of_order)
		return stress_fail2(msg, cap, "", md.received, " messages received, ",
				    md.out_of_order, " out of order");
	return 0;
}

BUG_MAINS(md)
K_BUG_PROGRAM(msgq_drop, "msgq_drop", "bounded-buffer misuse (full queue ignored)", 2, true,
	      "a producer drops messages on a full queue", md_bug, md_twin, md_check);
