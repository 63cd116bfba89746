/*
 * unmask_tests.c — the board's unmask takes an interrupt that arrived while
 * interrupts were off, at once: bsp.h promises that bsp_irq_restore and
 * bsp_irq_enable "may deliver pending interrupts", and every kernel call
 * that masks relies on a raise made meanwhile not waiting for some later,
 * unrelated event.
 *
 * Why a test of its own: under QEMU an unmask that does not make the
 * emulator look at its pending interrupts still works whenever a timer
 * event happens to come soon after (QEMU looks then), so a workload that
 * keeps timers busy cannot tell. Here a device line is pended with
 * interrupts off, the mask is lowered, and the handler must have run before
 * the first instruction after the unmask returns: no timer deadline sits
 * exactly there, and under -icount shift=0 the run is the same to the
 * instruction every time, so the verdict is deterministic. A bounded spin
 * after it says how late (or whether at all) a broken unmask delivered.
 * Built when the kernel implements k/irq.h.
 */
#include <bsp.h>
#include <k/irq.h>
#include <k/test.h>

#define UNMASK_TEST_LINE 3u
/* Loop steps waited after a failed check, only to report how late the
 * interrupt came: about 4 instructions a step, 100 us of virtual time. */
#define UNMASK_LATE_SPIN_MAX 25000u
/* Loop steps spent with the line pending and interrupts off: long enough
 * for QEMU to have ended several translation blocks and looked. */
#define UNMASK_MASKED_SPIN 64u

static volatile uint32_t unmask_taken;
static volatile bool unmask_in_isr;

static void unmask_handler(unsigned line, void *arg)
{
	(void)arg;
	unmask_taken++;
	unmask_in_isr = k_in_isr() && line == UNMASK_TEST_LINE;
}

/* Steps until the handler count moves past `before`, at most `max` (then
 * max): 0 means it had already run. noinline keeps the first read of the
 * count after the caller's unmask, where the check wants it. */
static __attribute__((noinline)) uint32_t unmask_wait(uint32_t before, uint32_t max)
{
	uint32_t n = 0;
	while (unmask_taken == before && n < max)
		n++;
	return n;
}

/* Raise the line with interrupts off, check it waits, lower the mask with
 * `unmask` (bsp_irq_restore of the saved state, or bsp_irq_enable) and
 * return how many wait steps passed before the handler ran. */
static uint32_t unmask_round(bool by_restore)
{
	uint32_t before = unmask_taken;
	bsp_irq_state_t s = bsp_irq_save();
	K_TEST_CHECK(!bsp_irq_enabled());
	K_TEST_CHECK(k_irq_raise(UNMASK_TEST_LINE) == 0);
	/* Masked: the raise stays pending however long we go on. */
	K_TEST_CHECK(unmask_wait(before, UNMASK_MASKED_SPIN) == UNMASK_MASKED_SPIN);
	if (by_restore)
		bsp_irq_restore(s);
	else
		bsp_irq_enable();
	uint32_t late = unmask_wait(before, UNMASK_LATE_SPIN_MAX);
	K_TEST_CHECK(bsp_irq_enabled());
	return late;
}

K_TEST(m4f_unmask_takes_pending)
{
	unmask_taken = 0u;
	unmask_in_isr = false;
	K_TEST_CHECK(bsp_irq_enabled());
	K_TEST_CHECK(k_irq_connect(UNMASK_TEST_LINE, unmask_handler, NULL) == 0);
	uint32_t late_restore = unmask_round(true);
	uint32_t late_enable = unmask_round(false);
	K_TEST_CHECK(k_irq_disconnect(UNMASK_TEST_LINE) == 0);
	/* Taken at the unmask, once per round, in isr context. */
	K_TEST_CHECK(late_restore == 0u);
	K_TEST_CHECK(late_enable == 0u);
	/* Which of these fails tells a late delivery from none at all. */
	K_TEST_CHECK(late_restore < UNMASK_LATE_SPIN_MAX);
	K_TEST_CHECK(late_enable < UNMASK_LATE_SPIN_MAX);
	K_TEST_CHECK(unmask_taken == 2u);
	K_TEST_CHECK(unmask_in_isr);
}
