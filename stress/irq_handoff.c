/*
 * irq_handoff.c — a device interrupt hands work to threads.
 *
 * The board's test device raises line IRQ_HANDOFF_LINE IRQ_HANDOFF_ARRIVALS
 * times (on the simulator every arrival time is a decision of the run). Its
 * handler, in isr context on core 0, gives one unit of a semaphore a
 * consumer thread takes, posts the arrival's number to a message queue a
 * reader drains, and resumes a more urgent thread that suspends itself
 * after each resume. End check: the handler ran once per arrival, the
 * consumer got exactly one unit per call and the reader every number in
 * order, nothing is left over, the parked thread woke only through the
 * handler, and after k_irq_disconnect the handler is never called again.
 * A target without a test device (-K_ENOSYS) raises the line by software
 * instead, from a thread, the same number of times.
 */
#include <k/irq.h>

#include "stress.h"

#define IRQ_HANDOFF_LINE 1u
#define IRQ_HANDOFF_ARRIVALS 12u
#define IRQ_HANDOFF_PERIOD_NS 40000u
#define IRQ_HANDOFF_WAIT_NS 10000000u /* per unit: generous, the device is bounded */
#define IRQ_HANDOFF_PARK_MAX (IRQ_HANDOFF_ARRIVALS + 2u)

static struct {
	k_sem_t *units;
	k_msgq_t *numbers;
	k_thread_t *parked;
	k_sem_t *ack;              /* one unit per call: the software source waits on it */
	/* Written by the handler only; read once k_irq_disconnect returned
	 * (it waits for a running handler: the order between the two). */
	unsigned calls;            /* handler calls */
	unsigned resumed;          /* resumes the handler made succeed */
	bool not_isr;              /* a call saw k_in_isr() false */
	bool post_failed;          /* the queue was full (never: it holds all) */
	/* Written by main after the disconnect, read by the parked thread when
	 * main's resume wakes it. */
	bool stop;
	unsigned consumed;
	unsigned timeouts;
	unsigned numbers_seen;
	unsigned out_of_order;
	unsigned wakes;            /* the parked thread's wake-ups */
	unsigned calls_at_disconnect;
	int error;
} ih;

static void ih_note(int rc)
{
	if (rc < 0 && ih.error == 0)
		ih.error = rc;
}

static void ih_handler(unsigned line, void *arg)
{
	(void)line;
	(void)arg;
	if (!k_in_isr())
		ih.not_isr = true;
	uint32_t n = ++ih.calls;
	(void)k_sem_give(ih.units);
	(void)k_sem_give(ih.ack);
	if (k_msgq_put(ih.numbers, &n, K_NO_WAIT) != 0)
		ih.post_failed = true;
	/* -K_EINVAL when it has not parked yet: it then waits for the next. */
	if (ih.parked && k_thread_resume(ih.parked) == 0)
		ih.resumed++;
}

static void ih_consumer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < IRQ_HANDOFF_ARRIVALS; i++) {
		int rc = k_sem_take(ih.units, IRQ_HANDOFF_WAIT_NS);
		if (rc == -K_ETIMEDOUT)
			ih.timeouts++;
		else if (rc == 0)
			ih.consumed++;
		else
			ih_note(rc);
	}
}

static void ih_reader(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < IRQ_HANDOFF_ARRIVALS; i++) {
		uint32_t n = 0;
		int rc = k_msgq_get(ih.numbers, &n, IRQ_HANDOFF_WAIT_NS);
		if (rc != 0) {
			ih_note(rc == -K_ETIMEDOUT ? 0 : rc);
			continue;
		}
		ih.numbers_seen++;
		if (n != ih.numbers_seen)
			ih.out_of_order++;
	}
}

static void ih_parker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < IRQ_HANDOFF_PARK_MAX && !ih.stop; i++) {
		ih_note(k_thread_suspend(k_thread_self()));
		ih.wakes++;
	}
}

static k_thread_t *ih_spawn(k_thread_entry_fn fn, const char *name, unsigned prio)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = name;
	a.priority = prio;
	a.stack_bytes = STRESS_STACK_BYTES;
	k_thread_t *t = NULL;
	ih_note(k_thread_create(&t, fn, NULL, &a));
	return t;
}

/* The device, or (no device on this target) a thread's software raises. */
static void ih_source(void)
{
	int rc = k_irq_device_start(IRQ_HANDOFF_LINE, IRQ_HANDOFF_ARRIVALS, IRQ_HANDOFF_PERIOD_NS);
	if (rc != -K_ENOSYS) {
		ih_note(rc);
		return;
	}
	for (unsigned i = 0; i < IRQ_HANDOFF_ARRIVALS; i++) {
		ih_note(k_irq_raise(IRQ_HANDOFF_LINE));
		ih_note(k_sem_take(ih.ack, IRQ_HANDOFF_WAIT_NS)); /* one raise, one call */
	}
}

static int irq_handoff_main(void)
{
	ih.units = NULL;
	ih.numbers = NULL;
	ih.parked = NULL;
	ih.ack = NULL;
	ih.calls = ih.resumed = 0;
	ih.stop = ih.not_isr = ih.post_failed = false;
	ih.consumed = ih.timeouts = ih.numbers_seen = ih.out_of_order = ih.wakes = 0;
	ih.calls_at_disconnect = 0;
	ih.error = 0;
	ih_note(k_sem_create(&ih.units, "units", 0, IRQ_HANDOFF_ARRIVALS));
	ih_note(k_sem_create(&ih.ack, "ack", 0, IRQ_HANDOFF_ARRIVALS));
	ih_note(k_msgq_create(&ih.numbers, "numbers", sizeof(uint32_t), IRQ_HANDOFF_ARRIVALS));
	if (ih.error)
		return ih.error;
	k_thread_t *parker = ih_spawn(ih_parker, "parker", K_PRIO_DEFAULT + 4u);
	k_thread_t *consumer = ih_spawn(ih_consumer, "consumer", K_PRIO_DEFAULT + 1u);
	k_thread_t *reader = ih_spawn(ih_reader, "reader", K_PRIO_DEFAULT);
	if (ih.error)
		return ih.error;
	ih.parked = parker;
	ih_note(k_irq_connect(IRQ_HANDOFF_LINE, ih_handler, NULL));
	ih_source();
	ih_note(k_thread_join(consumer, K_FOREVER, NULL));
	ih_note(k_thread_join(reader, K_FOREVER, NULL));
	ih_note(k_irq_disconnect(IRQ_HANDOFF_LINE));
	ih.calls_at_disconnect = ih.calls;
	k_thread_sleep_ns(IRQ_HANDOFF_PERIOD_NS * 4u);
	/* The parked thread: end it (it may be parked, or about to park). */
	ih.stop = true;
	for (unsigned i = 0; i < IRQ_HANDOFF_PARK_MAX * 4u; i++) {
		if (k_thread_resume(parker) == -K_ESRCH)
			break;
		k_thread_sleep_ns(IRQ_HANDOFF_PERIOD_NS);
	}
	ih_note(k_thread_join(parker, K_FOREVER, NULL));
	ih_note(k_msgq_destroy(ih.numbers));
	ih_note(k_sem_destroy(ih.units));
	ih_note(k_sem_destroy(ih.ack));
	return ih.error;
}

static int irq_handoff_check(char *msg, size_t cap)
{
	if (ih.error)
		return stress_fail_err(msg, cap, "irq_handoff: a kernel call failed: ", ih.error);
	if (ih.calls != IRQ_HANDOFF_ARRIVALS)
		return stress_fail2(msg, cap, "irq_handoff: handler ran ", ih.calls,
				    " times for ", IRQ_HANDOFF_ARRIVALS, " arrivals");
	if (ih.calls_at_disconnect != ih.calls)
		return stress_fail2(msg, cap, "irq_handoff: handler ran ", ih.calls,
				    " times, ", ih.calls_at_disconnect, " of them before disconnect");
	if (ih.consumed != IRQ_HANDOFF_ARRIVALS || ih.timeouts != 0)
		return stress_fail2(msg, cap, "irq_handoff: consumer got ", ih.consumed,
				    " units and timed out ", ih.timeouts, " times");
	if (ih.numbers_seen != IRQ_HANDOFF_ARRIVALS || ih.out_of_order != 0)
		return stress_fail2(msg, cap, "irq_handoff: reader saw ", ih.numbers_seen,
				    " numbers, ", ih.out_of_order, " out of order");
	if (ih.post_failed)
		return stress_fail_text(msg, cap, "irq_handoff: a post from isr found the queue full");
	if (ih.not_isr)
		return stress_fail_text(msg, cap, "irq_handoff: a handler call was not in isr context");
	/* Every wake but the last (main's stop) is one of the handler's
	 * successful resumes. */
	if (ih.wakes < ih.resumed || ih.wakes > ih.resumed + 1u)
		return stress_fail2(msg, cap, "irq_handoff: parked thread woke ", ih.wakes,
				    " times, the handler resumed it ", ih.resumed, " times");
	return 0;
}

K_WORKLOAD(irq_handoff, "irq_handoff",
	   "a device interrupt's handler gives a semaphore, posts to a queue, resumes a parked thread",
	   irq_handoff_main, irq_handoff_check);
