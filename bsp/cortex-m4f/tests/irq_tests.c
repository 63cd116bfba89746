/*
 * irq_tests.c — target tests of device interrupts (k/irq.h) on the board:
 * a busy thread that makes no kernel call is preempted by a more urgent
 * thread that an interrupt of the test device (TIMER1) wakes, within one
 * tick; and a software-raised line runs its handler in isr context, at once.
 * Built when the kernel implements k/irq.h.
 */
#include <bsp.h>
#include <k/irq.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/test.h>
#include <k/thread.h>

#define IRQ_TEST_LINE 2u
#define IRQ_DEVICE_PERIOD_NS 1000000u /* 1 ms */
#define IRQ_SPIN_MAX 10000000u

static k_sem_t *irq_sem;
static volatile uint32_t irq_flag;
static volatile uint32_t irq_spins;
static volatile uint32_t irq_taken;
static volatile uint64_t irq_isr_ns;
static volatile uint64_t irq_run_ns;
static volatile bool irq_in_isr;

static void irq_handler(unsigned line, void *arg)
{
	(void)arg;
	irq_taken++;
	irq_in_isr = k_in_isr() && line == IRQ_TEST_LINE;
	irq_isr_ns = bsp_clock_ns();
	(void)k_sem_give(irq_sem);
}

static void irq_busy(void *arg)
{
	(void)arg;
	uint32_t n = 0;
	while (irq_flag == 0u && n < IRQ_SPIN_MAX)
		n++;
	irq_spins = n;
}

static void irq_urgent(void *arg)
{
	(void)arg;
	if (k_sem_take(irq_sem, K_FOREVER) == 0)
		irq_run_ns = bsp_clock_ns();
	irq_flag = 1u;
}

K_TEST(m4f_irq_preempt)
{
	irq_flag = irq_spins = irq_taken = 0u;
	irq_isr_ns = irq_run_ns = 0u;
	irq_in_isr = false;
	K_TEST_CHECK(k_sem_create(&irq_sem, "irq", 0u, 1u) == 0);
	K_TEST_CHECK(k_irq_connect(IRQ_TEST_LINE, irq_handler, NULL) == 0);
	k_thread_t *busy, *urgent;
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "busy";
	a.priority = K_PRIO_DEFAULT - 2u;
	K_TEST_CHECK(k_thread_create(&busy, irq_busy, NULL, &a) == 0);
	a.name = "urgent";
	a.priority = K_PRIO_DEFAULT - 1u;
	K_TEST_CHECK(k_thread_create(&urgent, irq_urgent, NULL, &a) == 0);
	uint64_t started = bsp_clock_ns();
	K_TEST_CHECK(k_irq_device_start(IRQ_TEST_LINE, 1u, IRQ_DEVICE_PERIOD_NS) == 0);
	K_TEST_CHECK(k_thread_join(urgent, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_thread_join(busy, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_irq_disconnect(IRQ_TEST_LINE) == 0);
	K_TEST_CHECK(k_sem_destroy(irq_sem) == 0);
	/* One arrival, about a period after the start, in isr context. */
	K_TEST_CHECK(irq_taken == 1u);
	K_TEST_CHECK(irq_in_isr);
	K_TEST_CHECK(irq_isr_ns >= started + IRQ_DEVICE_PERIOD_NS / 2u);
	/* The busy thread was still spinning when the urgent one ran, and the
	 * urgent one ran within one tick of the interrupt. */
	K_TEST_CHECK(irq_spins > 0u && irq_spins < IRQ_SPIN_MAX);
	K_TEST_CHECK(irq_run_ns >= irq_isr_ns && irq_run_ns - irq_isr_ns < K_SLICE_DEFAULT_NS);
}

K_TEST(m4f_irq_raise)
{
	irq_taken = 0u;
	irq_in_isr = false;
	K_TEST_CHECK(k_sem_create(&irq_sem, "irq", 0u, 1u) == 0);
	K_TEST_CHECK(k_irq_connect(IRQ_TEST_LINE, irq_handler, NULL) == 0);
	K_TEST_CHECK(!k_in_isr());
	K_TEST_CHECK(k_irq_raise(IRQ_TEST_LINE) == 0);
	/* Interrupts are on here: the handler has run by now. */
	K_TEST_CHECK(irq_taken == 1u);
	K_TEST_CHECK(irq_in_isr);
	K_TEST_CHECK(k_sem_take(irq_sem, K_NO_WAIT) == 0);
	K_TEST_CHECK(k_irq_disconnect(IRQ_TEST_LINE) == 0);
	K_TEST_CHECK(k_irq_raise(IRQ_TEST_LINE) == -K_ENOENT);
	K_TEST_CHECK(k_sem_destroy(irq_sem) == 0);
}
