/*
 * irq_mailbox.c — thread vs interrupt handler: a one-word mailbox the handler
 * overwrites.
 *
 * A device raises EVENTS interrupts. The handler writes the event's number
 * into a one-word mailbox and gives a semaphore; a thread takes the
 * semaphore, does its bookkeeping (a mutex-guarded log: a kernel call) and
 * reads the mailbox. If the next interrupt comes between the give and the
 * read, the thread reads the newer number, and reads it again on its next
 * take: one event is lost, one seen twice. Twin: the handler puts each
 * number into a message queue big enough for every event, the thread gets
 * them in order.
 * Oracle: the thread saw each event exactly once.
 */
#include "bugs.h"

#define IM_LINE 1u
#define IM_EVENTS 5u
#define IM_PERIOD_NS 3000u

static struct {
	k_sem_t *ready;
	k_msgq_t *q;
	k_mutex_t *log;
	uint32_t mailbox;   /* written by the handler */
	uint32_t next;      /* handler: next event number */
	unsigned seen[IM_EVENTS];
	unsigned bogus;
	bool fixed;
	int error;
	int isr_error;
} im;

static void im_handler(unsigned line, void *arg)
{
	(void)arg;
	K_ASSERT(line == IM_LINE);
	K_ASSERT(k_in_isr());
	uint32_t n = im.next++;
	if (im.fixed) {
		bug_note(&im.isr_error, k_msgq_put(im.q, &n, K_NO_WAIT));
		return;
	}
	im.mailbox = n;
	bug_note(&im.isr_error, k_sem_give(im.ready));
}

static void im_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned i = 0; i < IM_EVENTS; i++) {
		uint32_t n = 0;
		if (im.fixed) {
			bug_note(&im.error, k_msgq_get(im.q, &n, K_FOREVER));
		} else {
			bug_note(&im.error, k_sem_take(im.ready, K_FOREVER));
			bug_note(&im.error, k_mutex_lock(im.log, K_FOREVER));
			bug_note(&im.error, k_mutex_unlock(im.log));
			n = im.mailbox;
		}
		if (n < IM_EVENTS)
			im.seen[n]++;
		else
			im.bogus++;
	}
}

static int im_run(bool fixed)
{
	im.ready = NULL;
	im.q = NULL;
	im.log = NULL;
	im.mailbox = im.next = 0;
	for (unsigned i = 0; i < IM_EVENTS; i++)
		im.seen[i] = 0;
	im.bogus = 0;
	im.fixed = fixed;
	im.error = im.isr_error = 0;
	int rc = k_sem_create(&im.ready, "ready", 0, IM_EVENTS);
	if (rc == 0)
		rc = k_msgq_create(&im.q, "events", sizeof(uint32_t), IM_EVENTS);
	if (rc == 0)
		rc = k_mutex_create(&im.log, "log");
	if (rc < 0)
		return rc;
	rc = bug_irq_with_thread(IM_LINE, im_handler, im_thread, "reader", IM_EVENTS, IM_PERIOD_NS);
	if (rc == 0)
		rc = k_mutex_destroy(im.log);
	if (rc == 0)
		rc = k_msgq_destroy(im.q);
	if (rc == 0)
		rc = k_sem_destroy(im.ready);
	return rc;
}

static int im_check(char *msg, size_t cap)
{
	if (im.error < 0 || im.isr_error < 0)
		return stress_fail2(msg, cap, "a kernel call failed: thread ", im.error, ", handler ",
				    im.isr_error, "");
	for (unsigned i = 0; i < IM_EVENTS; i++)
		if (im.seen[i] != 1u)
			return stress_fail2(msg, cap, "event ", i, " seen ", im.seen[i],
					    " times (the mailbox was overwritten)");
	if (im.bogus)
		return stress_fail(msg, cap, "", im.bogus, " bogus event numbers");
	return 0;
}

BUG_MAINS(im)
K_BUG_PROGRAM(irq_mailbox, "irq_mailbox", "thread vs interrupt handler (overwritten mailbox)", 1,
	      true, "a handler overwrites a one-word mailbox before the thread read it", im_bug,
	      im_twin, im_check);
