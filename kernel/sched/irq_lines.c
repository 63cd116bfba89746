/*
 * irq_lines.c — device interrupt lines (k/irq.h): the handler table, the
 * dispatch from the kernel's interrupt entry (sched_irq), software raise,
 * the board's test device, and the isr depth behind k_in_isr.
 *
 * Locks (sched_impl.h, level 0): each line's run_lock is held while its
 * handler runs, so k_irq_disconnect can wait for a running handler by taking
 * it; g_irq.lock guards the table and is taken after a run_lock (a handler
 * may call k_irq_raise), never before one. A one-core build takes neither
 * in a take (interrupts off exclude everyone) and k_irq_raise neither
 * masks nor locks there (irq_raise_one_core). A handler is called with no
 * other kernel lock held: the calls it may make take their own.
 *
 * Device lines are taken on core 0 only (bsp.h), one handler call per take,
 * with interrupts off and the core's isr depth at 1. A thread a handler makes
 * ready is judged when the handlers are done: sched_irq finds it more urgent
 * than the interrupted thread and sched_irq_preempt, which the BSP calls
 * next in the interrupted context, switches to it; wake-ups on other cores
 * send their IPI as from a thread.
 */
#include <k/irq.h>

#include "sched_impl.h"

K_STATIC_ASSERT(K_IRQ_LINES == BSP_IRQ_LINES, "kernel and BSP agree on the device lines");
K_STATIC_ASSERT(BSP_IRQ_LINE(K_IRQ_LINES - 1u) <= (1u << 31), "line bits fit the mask");

/* What a take reads and writes first, so that one base address serves
 * them all. */
struct irq_line {
	/* g_irq.lock */
	k_irq_handler_fn fn;
	void *arg;
	/* run_lock. Both are reported only in the trace, as a uintptr_t: kept
	 * at that width, they wrap where the trace's field does (2^32 calls on
	 * a 32-bit target, no 64-bit add on its interrupt path). */
	uintptr_t taken;   /* handler calls since boot */
	uintptr_t dropped; /* takes with nothing connected (raise before a disconnect) */
};

/* The run locks (level 0), held across a handler call: one per line where
 * another core may take a line while a thread disconnects it. A one-core
 * build never holds one in a take (irq_take_lock) and its disconnect only
 * passes through one, so a single lock serves every line there: 7 x 8 B
 * less static RAM on the board. */
#define IRQ_RUN_LOCKS (BSP_CORES_MAX > 1u ? K_IRQ_LINES : 1u)

static struct {
	bsp_spinlock_t lock; /* the table; level 0, after any run_lock */
	struct irq_line line[K_IRQ_LINES];
	bsp_spinlock_t run_lock[IRQ_RUN_LOCKS];
} g_irq;

/* Line n's run lock (the shared one on one core). */
static bsp_spinlock_t *irq_run_lock(unsigned n)
{
	K_ASSERT(n < K_IRQ_LINES);
	unsigned i = IRQ_RUN_LOCKS == K_IRQ_LINES ? n : 0u;
	K_ASSERT(i < IRQ_RUN_LOCKS);
	return &g_irq.run_lock[i];
}

/* At boot (k_boot, interrupts off, one core running): empty table, every
 * test device stopped (a device left running by a previous boot must not
 * raise into this one). */
void irq_lines_init(void)
{
	K_ASSERT(!bsp_irq_enabled());
	bsp_spin_init(&g_irq.lock);
	for (unsigned n = 0; n < IRQ_RUN_LOCKS; n++)
		bsp_spin_init(&g_irq.run_lock[n]);
	for (unsigned n = 0; n < K_IRQ_LINES; n++) {
		struct irq_line *l = &g_irq.line[n];
		l->fn = NULL;
		l->arg = NULL;
		l->taken = 0;
		l->dropped = 0;
		int rc = bsp_device_start(n, 0, 0);
		K_ASSERT_MSG(rc == 0 || rc == -BSP_ENOSYS, "irq_lines_init: cannot stop a device");
	}
	K_ASSERT(g_irq.line[0].fn == NULL);
}

/* A take's locks: its run_lock across the handler, the table's while fn
 * and arg are read. On one core (folded) neither is taken: whoever else
 * uses them is a thread, which holds them only with interrupts off, so it
 * can neither be inside them nor wait for them while a take runs. */
static void irq_take_lock(unsigned n)
{
	K_ASSERT(!bsp_irq_enabled());
	if (BSP_CORES_MAX == 1u) {
		K_ASSERT(!bsp_spin_held(irq_run_lock(n)) && !bsp_spin_held(&g_irq.lock));
		return;
	}
	bsp_spin_lock(irq_run_lock(n));
	bsp_spin_lock(&g_irq.lock);
}

static void irq_table_unlock(void)
{
	if (BSP_CORES_MAX > 1u)
		bsp_spin_unlock(&g_irq.lock);
}

static void irq_run_unlock(unsigned n)
{
	K_ASSERT(!bsp_irq_enabled());
	if (BSP_CORES_MAX > 1u)
		bsp_spin_unlock(irq_run_lock(n));
}

/* One take of line n on this core (core 0), in isr context. Inline: it is
 * the whole of a line's take, one per interrupt. */
static inline __attribute__((always_inline)) void irq_line_run(unsigned n)
{
	struct irq_line *l = &g_irq.line[n];
	irq_take_lock(n);
	k_irq_handler_fn fn = l->fn;
	void *arg = l->arg;
	irq_table_unlock();
	if (fn) {
		l->taken++;
		sched_trace("irq", n, l->taken);
		fn(n, arg);
		K_ASSERT_MSG(!bsp_irq_enabled(), "irq handler returned with interrupts on");
		K_ASSERT_MSG(sched_this_core()->isr_depth == 1u, "irq handler left isr context");
	} else {
		l->dropped++;
		sched_trace("irq-drop", n, l->dropped);
	}
	irq_run_unlock(n);
}

/* Called by sched_irq on this core (core 0, in isr) with its mask, which
 * holds at least one line bit, before the tick. */
void irq_lines_dispatch(unsigned irq_mask)
{
	K_ASSERT_MSG(sched_this_core()->id == 0, "device line taken on a core other than 0");
	K_ASSERT(sched_this_core()->isr_depth == 1u);
	unsigned lines = (irq_mask & BSP_IRQ_LINES_MASK) >> BSP_IRQ_LINE_SHIFT;
	K_ASSERT(lines != 0 && lines < (1u << K_IRQ_LINES));
	/* Lowest line first: a fixed order, as an interrupt controller's.
	 * One step per raised line (usually one), not per line number. The
	 * bound is the mask's: each step clears its lowest bit, and it has
	 * at most K_IRQ_LINES of them (asserted above and per step), so the
	 * loop needs no counter of its own. */
	unsigned steps = 0;
	do {
		K_ASSERT(++steps <= K_IRQ_LINES);
		unsigned line = (unsigned)__builtin_ctz(lines);
		K_ASSERT(line < K_IRQ_LINES);
		lines &= lines - 1u;
		irq_line_run(line);
	} while (lines != 0);
	(void)steps;
}

bool k_in_isr(void)
{
	if (!g_sched.booted.value)
		return false;
	bsp_irq_state_t s = bsp_irq_save();
	bool in = sched_this_core()->isr_depth != 0;
	bsp_irq_restore(s);
	return in;
}

/* Thread-context entry check shared by the calls k/irq.h reserves to
 * threads. Interrupts off. */
static void assert_thread_context(const char *msg)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT_MSG(!g_sched.booted.value || sched_this_core()->isr_depth == 0, msg);
}

int k_irq_connect(unsigned line, k_irq_handler_fn fn, void *arg)
{
	if (line >= K_IRQ_LINES || !fn)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_irq.lock);
	assert_thread_context("k_irq_connect: not from isr");
	struct irq_line *l = &g_irq.line[line];
	int rc = l->fn ? -K_EBUSY : 0;
	if (rc == 0) {
		l->fn = fn;
		l->arg = arg;
	}
	bsp_spin_unlock_irqrestore(&g_irq.lock, s);
	return rc;
}

int k_irq_disconnect(unsigned line)
{
	if (line >= K_IRQ_LINES)
		return -K_EINVAL;
	struct irq_line *l = &g_irq.line[line];
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_irq.lock);
	assert_thread_context("k_irq_disconnect: not from isr (a handler would wait for itself)");
	int rc = l->fn ? 0 : -K_ENOENT;
	if (rc == 0) {
		l->fn = NULL;
		l->arg = NULL;
		/* Under the table lock, so a connect + device start that comes
		 * right after is never stopped by this late stop. */
		int stop = bsp_device_start(line, 0, 0);
		K_ASSERT(stop == 0 || stop == -BSP_ENOSYS);
	}
	bsp_spin_unlock(&g_irq.lock);
	if (rc == 0) {
		/* A take that read the handler before it was cleared holds
		 * run_lock until the handler returns: wait for it. Takes after
		 * this see no handler and drop the raise. */
		bsp_spin_lock(irq_run_lock(line));
		bsp_spin_unlock(irq_run_lock(line));
	}
	bsp_irq_restore(s);
	return rc;
}

/* k_irq_raise on one core (folded), interrupts as the caller has them: the
 * handler is one aligned word no isr writes (connect and disconnect are
 * thread calls) and no other core exists, so reading it unmasked is whole. A disconnect that slips
 * in between the read and the pend (a more urgent thread preempting this
 * one) sees the raise as made before it: pending, dropped at the take,
 * which k_irq_disconnect's contract already allows. */
static int irq_raise_one_core(unsigned line)
{
	K_ASSERT(BSP_CORES_MAX == 1u && line < K_IRQ_LINES);
	if (g_irq.line[line].fn == NULL)
		return -K_ENOENT;
	int raised = bsp_irq_line_raise(line);
	K_ASSERT(raised == 0);
	return 0;
}

int k_irq_raise(unsigned line)
{
	if (line >= K_IRQ_LINES)
		return -K_EINVAL;
	if (BSP_CORES_MAX == 1u)
		return irq_raise_one_core(line);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_irq.lock);
	int rc = g_irq.line[line].fn ? 0 : -K_ENOENT;
	if (rc == 0) {
		int raised = bsp_irq_line_raise(line);
		K_ASSERT(raised == 0);
	}
	bsp_spin_unlock_irqrestore(&g_irq.lock, s);
	return rc;
}

int k_irq_device_start(unsigned line, uint32_t count, uint64_t period_ns)
{
	if (line >= K_IRQ_LINES || (count > 0 && period_ns == 0))
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_irq.lock);
	assert_thread_context("k_irq_device_start: not from isr");
	int rc = g_irq.line[line].fn ? 0 : -K_ENOENT;
	if (rc == 0)
		rc = bsp_device_start(line, count, period_ns);
	bsp_spin_unlock_irqrestore(&g_irq.lock, s);
	K_ASSERT(rc == 0 || rc == -K_ENOENT || rc == -K_ENOSYS);
	return rc;
}
