/*
 * irq_early.c — order violation between a thread and an interrupt handler:
 * the device starts before the buffer its handler fills exists.
 *
 * Main connects a handler, starts the device (EVENTS interrupts) and, in the
 * bug, only then creates the driver's lock and allocates the buffer the
 * handler appends to (kernel calls). An interrupt taken before the buffer is published finds no
 * buffer and its event is dropped. Twin: the buffer is allocated and
 * published before the device starts.
 * Oracle: every event landed in the buffer.
 */
#include "bugs.h"

#define IE_LINE 3u
#define IE_EVENTS 3u
#define IE_PERIOD_NS 2000u

static struct {
	k_mutex_t *lock; /* the driver's lock, made with its buffer */
	k_sem_t *arrived; /* given by the handler at every arrival */
	uint32_t *buf; /* published by main, appended to by the handler */
	unsigned count;
	unsigned dropped;
	bool fixed;
} ie;

static void ie_handler(unsigned line, void *arg)
{
	(void)arg;
	K_ASSERT(line == IE_LINE);
	K_ASSERT(k_in_isr());
	uint32_t *b = ie.buf;
	if (!b || ie.count >= IE_EVENTS) {
		ie.dropped++;
	} else {
		b[ie.count] = ie.count;
		ie.count++;
	}
	(void)k_sem_give(ie.arrived);
}

static int ie_alloc(void)
{
	int rc = k_mutex_create(&ie.lock, "driver");
	if (rc < 0)
		return rc;
	uint32_t *b = k_mem_alloc(IE_EVENTS * sizeof(uint32_t), K_MEM_OWNER_KERNEL);
	if (!b)
		return -K_ENOMEM;
	ie.buf = b;
	return 0;
}

static int ie_run(bool fixed)
{
	ie.buf = NULL;
	ie.lock = NULL;
	ie.arrived = NULL;
	ie.count = ie.dropped = 0;
	ie.fixed = fixed;
	int rc = k_sem_create(&ie.arrived, "arrived", 0, IE_EVENTS);
	if (rc == 0)
		rc = k_irq_connect(IE_LINE, ie_handler, NULL);
	if (rc < 0)
		return rc;
	if (fixed)
		rc = ie_alloc();
	if (rc == 0)
		rc = k_irq_device_start(IE_LINE, IE_EVENTS, IE_PERIOD_NS);
	if (rc == 0 && !fixed)
		rc = ie_alloc();
	/* Wait for every arrival (counted by the handler), then stop. */
	for (unsigned i = 0; i < IE_EVENTS && rc == 0; i++)
		rc = k_sem_take(ie.arrived, K_FOREVER);
	int dr = k_irq_disconnect(IE_LINE);
	if (ie.buf)
		k_mem_free(ie.buf);
	if (ie.lock && rc == 0)
		rc = k_mutex_destroy(ie.lock);
	if (rc == 0)
		rc = k_sem_destroy(ie.arrived);
	return rc < 0 ? rc : dr;
}

static int ie_check(char *msg, size_t cap)
{
	if (ie.dropped)
		return stress_fail(msg, cap, "", ie.dropped,
				   " interrupts came before the buffer existed (events lost)");
	if (ie.count != IE_EVENTS)
		return stress_fail(msg, cap, "only ", ie.count, " events arrived");
	return 0;
}

BUG_MAINS(ie)
K_BUG_PROGRAM(irq_early, "irq_early", "order violation (device before buffer)", 0, true,
	      "a device started before the buffer its handler fills", ie_bug, ie_twin, ie_check);
