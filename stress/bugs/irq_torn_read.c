/*
 * irq_torn_read.c — thread vs interrupt handler: a two-word record read
 * across a kernel call.
 *
 * A device raises UPDATES interrupts; the handler writes a record of two
 * words (both the update's number). A thread samples the record READS times,
 * reading the first word, yielding (a kernel call) and reading the second: an
 * interrupt taken in between tears the sample. Twin: a sequence count the
 * handler bumps before and after writing (a seqlock); the thread retries a
 * sample whose count changed or was odd.
 * Oracle: no sample the thread kept was torn.
 */
#include "bugs.h"

#define IT_LINE 2u
#define IT_UPDATES 6u
#define IT_PERIOD_NS 2000u
#define IT_READS 8u
#define IT_RETRIES_MAX 64u

static struct {
	/* volatile: a sequence count only works in the order the source
	 * writes it; plain fields let the compiler merge the handler's two
	 * increments and move them past the record's stores (the races build
	 * found exactly that in the twin). */
	volatile uint32_t a, b;  /* written by the handler */
	volatile uint32_t seq;   /* twin: odd while the handler writes */
	uint32_t next;
	unsigned torn, samples;
	bool fixed;
	int error;
} it;

static void it_handler(unsigned line, void *arg)
{
	(void)arg;
	K_ASSERT(line == IT_LINE);
	K_ASSERT(k_in_isr());
	uint32_t n = ++it.next;
	it.seq++;
	it.a = n;
	it.b = n;
	it.seq++;
}

static bool it_sample(void)
{
	uint32_t s1 = it.seq;
	uint32_t a = it.a;
	k_thread_yield();
	uint32_t b = it.b;
	uint32_t s2 = it.seq;
	if (it.fixed && (s1 != s2 || (s1 & 1u)))
		return false; /* changed under us: try again */
	it.samples++;
	if (a != b)
		it.torn++;
	return true;
}

static void it_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	for (unsigned i = 0; i < IT_READS; i++) {
		for (unsigned r = 0; r < IT_RETRIES_MAX && !it_sample(); r++)
			;
	}
}

static int it_run(bool fixed)
{
	it.a = it.b = it.seq = it.next = 0;
	it.torn = it.samples = 0;
	it.fixed = fixed;
	it.error = 0;
	return bug_irq_with_thread(IT_LINE, it_handler, it_thread, "sampler", IT_UPDATES,
				   IT_PERIOD_NS);
}

static int it_check(char *msg, size_t cap)
{
	if (it.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", it.error);
	if (it.torn)
		return stress_fail2(msg, cap, "", it.torn, " of ", it.samples,
				    " samples were torn by an interrupt");
	return 0;
}

BUG_MAINS(it)
K_BUG_PROGRAM(irq_torn_read, "irq_torn_read", "thread vs interrupt handler (torn read)", 1, true,
	      "a two-word record read across a yield while a handler rewrites it", it_bug, it_twin,
	      it_check);
