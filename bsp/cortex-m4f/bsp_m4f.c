/*
 * bsp_m4f.c — bsp.h on one Cortex-M4F core: QEMU's mps2-an386 board (ARM
 * AN386 FPGA image), no vendor HAL, no CMSIS: the few registers used are
 * named here.
 *
 * Interrupt masking: BASEPRI, not PRIMASK. "Interrupts off" is BASEPRI =
 * M4F_KERNEL_MASK, which masks every interrupt the kernel sees (SysTick, the
 * clock and test-device timers, the IPI line and the device lines, all at
 * priority M4F_KERNEL_PRIO) but not PendSV and SVCall (priority 0): the
 * context switch (PendSV) and the return from a kernel interrupt (SVCall)
 * must run while the kernel holds interrupts off. PRIMASK is used only for
 * the instant of WFI in bsp_core_idle. The kernel's interrupt handler runs
 * in Handler mode with BASEPRI raised too (irq_entry.S), so every kernel
 * path sees the same "interrupts off".
 *
 * Spinlocks and atomics: one core, so a spinlock is a flag that every caller
 * takes with interrupts off (the contract): nobody else can hold it, and
 * finding it held is a deadlock, reported by panic instead of spinning
 * forever. Atomic read-modify-writes use LDREX/STREX: an interrupt between
 * the two clears the exclusive monitor (exception entry does CLREX), so the
 * store fails and the loop retries. Aligned word loads and stores are atomic
 * as they are; one core needs no barrier to see its own stores in order.
 *
 * Time: TIMER0 (CMSDK APB timer) counts down from 2^32-1 at 25 MHz; its wrap
 * interrupt extends it to 64 bits (m4f_clock_ticks). SysTick is the one-shot
 * timer: a deadline beyond its 24-bit range is reached in several laps, and
 * BSP_IRQ_TIMER is raised only once the clock has passed the deadline, so
 * the kernel never sees an early timer.
 *
 * Device interrupt lines 0..7 are NVIC external interrupts 24..31 (no
 * peripheral of the board drives them), pended by software through the
 * NVIC's ISPR; the IPI is line 23 the same way. The test device is TIMER1.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bsp.h>

#include "bsp_m4f.h"

/* ------------------------------------------------------------ registers */

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))

/* System control block, SysTick, NVIC (ARMv7-M). */
#define SCB_ICSR REG32(0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_VECTACTIVE_MASK 0x1FFu
#define SCB_CCR REG32(0xE000ED14u)
#define SCB_SHPR_SVCALL REG8(0xE000ED1Fu)
#define SCB_SHPR_PENDSV REG8(0xE000ED22u)
#define SCB_SHPR_SYSTICK REG8(0xE000ED23u)
#define SCB_CFSR REG32(0xE000ED28u)
#define FPU_FPCCR REG32(0xE000EF34u)
#define FPCCR_ASPEN (1u << 31)
#define FPCCR_LSPEN (1u << 30)

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_RUN 7u /* enable, interrupt, processor clock */
#define SYST_MAX_TICKS 0x00FFFFFFu

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IPR(irq) REG8(0xE000E400u + (irq))

/* CMSDK APB timers and UART0. */
#define TIMER0_BASE 0x40000000u
#define TIMER1_BASE 0x40001000u
#define TIMER_CTRL(b) REG32((b) + 0x0u)
#define TIMER_VALUE(b) REG32((b) + 0x4u)
#define TIMER_RELOAD(b) REG32((b) + 0x8u)
#define TIMER_INT(b) REG32((b) + 0xCu)
#define TIMER_CTRL_RUN 9u /* enable, interrupt enable */
#define UART0_DATA REG32(0x40004000u)
#define UART0_STATE REG32(0x40004004u)
#define UART0_CTRL REG32(0x40004008u)
#define UART0_BAUDDIV REG32(0x40004010u)

/* NVIC lines: bsp_m4f.h (M4F_IRQ_*, shared with the vector table). */
#define IRQ_TIMER0 M4F_IRQ_TIMER0
#define IRQ_TIMER1 M4F_IRQ_TIMER1
#define IRQ_IPI M4F_IRQ_IPI
#define IRQ_LINE0 M4F_IRQ_LINE0

/* irq_entry.S gives each device line's entry and the IPI's their mask
 * bits as constants: what it assumes. */
_Static_assert(BSP_IRQ_LINE_SHIFT == 8u, "irq_entry.S: line n's bit is 1 << (8 + n)");
_Static_assert(BSP_IRQ_IPI == 2u, "irq_entry.S: the IPI's mask is 2");

/* Priorities (upper bits only, so any number of implemented bits works). */
#define M4F_KERNEL_PRIO 0x80u
#define M4F_KERNEL_MASK 0x80u

_Static_assert(IRQ_LINE0 + BSP_IRQ_LINES <= 32u, "device lines fit the board's 32 NVIC lines");
_Static_assert(BSP_CORES_MAX >= 1u, "one core at least");

/* ------------------------------------------------------------- state */

/* The kernel's two halves (bsp.h); until it installs them, an interrupt
 * that reaches the kernel is a bug of the image, reported as one. */
static bool irq_handler_unset(unsigned mask)
{
	(void)mask;
	bsp_panic(__FILE__, __LINE__, "interrupt before bsp_irq_set_handler");
}

static void irq_preempt_unset(void)
{
	bsp_panic(__FILE__, __LINE__, "preempt before bsp_irq_set_handler");
}

static bsp_irq_handler_fn irq_handler = irq_handler_unset;
static bsp_irq_preempt_fn irq_preempt = irq_preempt_unset;
/* Clock: wraps of TIMER0 (each 2^32 ticks). Written by the wrap interrupt
 * only; read with interrupts off. */
static volatile uint32_t clock_wraps;
/* One-shot timer: the deadline, BSP_TIMER_NONE when none. */
static volatile uint64_t timer_deadline_ns = BSP_TIMER_NONE;
/* The earliest deadline SysTick, as programmed, serves: it fires at a whole
 * tick (the clock reads whole ticks; systick_program rounds up), so every
 * deadline from that tick less M4F_TICK_NS - 1 is reached by it
 * (BSP_TIMER_NONE: stopped). It may fire before timer_deadline_ns (a lap,
 * or a deadline since moved later), never after it. */
static uint64_t systick_serves_ns = BSP_TIMER_NONE;
/* Test device: arrivals left and the line they raise. */
static volatile uint32_t device_left;
static volatile uint32_t device_line;

/* ------------------------------------------------------------ cores */

unsigned bsp_core_count(void)
{
	return 1u;
}

unsigned bsp_core_id(void)
{
	return 0u;
}

int bsp_core_start(unsigned core, bsp_entry_fn entry, void *arg)
{
	(void)core;
	(void)entry;
	(void)arg;
	return -BSP_EINVAL; /* one core: there is no secondary to start */
}

/* WFI with PRIMASK set wakes on any pending interrupt, masked or not, and
 * leaves it pending; BASEPRI is lowered only under PRIMASK so nothing is
 * taken here. The caller takes it by turning interrupts on. */
void bsp_core_idle(void)
{
	uint32_t mask = M4F_KERNEL_MASK;
	__asm__ volatile("cpsid i\n\t"
			 "msr basepri, %0\n\t"
			 "dsb\n\t"
			 "wfi\n\t"
			 "msr basepri, %1\n\t"
			 "cpsie i\n\t"
			 "isb"
			 :
			 : "r"(0u), "r"(mask)
			 : "memory");
}

void bsp_ipi_send(unsigned core)
{
	if (core != 0u)
		bsp_panic(__FILE__, __LINE__, "bsp_ipi_send: no such core");
	NVIC_ISPR(0) = 1u << IRQ_IPI;
	__asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* -------------------------------------------------------- interrupts */

/* M4F_CHECK_LOCKS (1 unless the build says 0): a lock taken twice or
 * released unheld panics, and `owner` is kept as a debug aid. These are
 * checks of the kernel, not of the board: every test image keeps them; the
 * shipped image's BSP (weft_bsp_m4f_ship) leaves them out with the kernel's
 * assertions, and a lock is then one store each way (its flag still says
 * held, for bsp_spin_held and the kernel's readers). The interrupt state
 * handed to bsp_irq_restore is checked with them. */
#ifndef M4F_CHECK_LOCKS
#define M4F_CHECK_LOCKS 1
#endif

static inline uint32_t basepri_get(void)
{
	uint32_t v;
	__asm__ volatile("mrs %0, basepri" : "=r"(v));
	return v;
}

/* Interrupts on: BASEPRI to 0, then an ISB, which on hardware makes the
 * lowered priority apply to the next instruction, so an interrupt that
 * arrived while masked is taken here (the architecture asks for the
 * context synchronization; FreeRTOS's port omits it).
 *
 * Nothing else is needed on QEMU 7.2 either. An MSR to a v7-M special
 * register ends QEMU's translation block with an exit to its main loop
 * (trans_MSR_v7m -> gen_lookup_tb, DISAS_EXIT), which looks at the
 * interrupt request again; and the NVIC keeps that request raised while
 * BASEPRI masks it (nvic_irq_update ignores BASEPRI, PRIMASK and
 * FAULTMASK; arm_v7m_cpu_exec_interrupt applies them). Until round 6
 * the unmask also wrote NVIC ISER0 on the belief that QEMU waited for its
 * next timer event otherwise; the board test m4f_unmask_takes_pending
 * (tests/unmask_tests.c: a line pended with interrupts off must have run
 * its handler before the first instruction after the unmask, with no
 * timer due) passes without the write, and fails when the unmask does not
 * lower the mask. */
static inline void irq_on(void)
{
	__asm__ volatile("msr basepri, %0\n\t"
			 "isb"
			 :
			 : "r"(0u)
			 : "memory");
}

bsp_irq_state_t bsp_irq_save(void)
{
	uint32_t old = basepri_get();
	__asm__ volatile("msr basepri, %0" : : "r"(M4F_KERNEL_MASK) : "memory");
	return old;
}

/* The saved BASEPRI is written back as it is, with no test and no ISB:
 * 0 turns interrupts on, the kernel's mask keeps them off, as the
 * simulator's and wasm's restore set their saved state either way. One
 * MSR, where a test of the state, a branch and the ISB cost three on every
 * unmask. Without the ISB, ARMv7-M does not promise that the next
 * instruction already runs at the lowered priority: the pending interrupt
 * is taken once the core sees it, which the architecture leaves to the
 * implementation (FreeRTOS's Cortex-M4F port unmasks with the bare MSR
 * too); bsp.h promises no more ("may deliver pending interrupts") and no
 * kernel path needs it sooner. QEMU takes it at the MSR itself
 * (see irq_on; m4f_unmask_takes_pending checks it). irq_on keeps its ISB:
 * it runs where a thread starts or the idle loop wakes, not per call. */
void bsp_irq_restore(bsp_irq_state_t state)
{
	if (M4F_CHECK_LOCKS && state != 0u && state != M4F_KERNEL_MASK)
		bsp_panic(__FILE__, __LINE__, "bsp_irq_restore: not a saved state");
	if (M4F_CHECK_LOCKS && basepri_get() == 0u && state != 0u)
		bsp_panic(__FILE__, __LINE__, "bsp_irq_restore: interrupts on");
	__asm__ volatile("msr basepri, %0"
			 :
			 : "r"(state)
			 : "memory");
}

bool bsp_irq_enabled(void)
{
	return basepri_get() == 0u;
}

void bsp_irq_enable(void)
{
	irq_on();
}

void bsp_irq_set_handler(bsp_irq_handler_fn handler, bsp_irq_preempt_fn preempt)
{
	if (handler == NULL || preempt == NULL)
		bsp_panic(__FILE__, __LINE__, "bsp_irq_set_handler: NULL");
	irq_handler = handler;
	irq_preempt = preempt;
}

int bsp_irq_line_raise(unsigned line)
{
	if (line >= BSP_IRQ_LINES)
		return -BSP_EINVAL;
	NVIC_ISPR(0) = 1u << (IRQ_LINE0 + line);
	__asm__ volatile("dsb\n\tisb" ::: "memory");
	return 0;
}

int bsp_device_start(unsigned line, uint32_t count, uint64_t period_ns)
{
	if (line >= BSP_IRQ_LINES || (count > 0u && period_ns == 0u))
		return -BSP_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	TIMER_CTRL(TIMER1_BASE) = 0u;
	TIMER_INT(TIMER1_BASE) = 1u;
	NVIC_ICPR(0) = 1u << IRQ_TIMER1;
	device_left = count;
	device_line = line;
	if (count > 0u) {
		uint64_t ticks = (period_ns + M4F_TICK_NS - 1u) / M4F_TICK_NS;
		if (ticks > UINT32_MAX)
			ticks = UINT32_MAX;
		if (ticks == 0u)
			ticks = 1u;
		TIMER_RELOAD(TIMER1_BASE) = (uint32_t)ticks;
		TIMER_VALUE(TIMER1_BASE) = (uint32_t)ticks;
		TIMER_CTRL(TIMER1_BASE) = TIMER_CTRL_RUN;
	}
	bsp_irq_restore(s);
	return 0;
}

/* ------------------------------------------------------------- time */

/* Consistent with interrupts on or off, without masking them: a wrap not
 * yet counted shows in TIMER0's interrupt status (VALUE is read again after
 * seeing it), and a wrap interrupt that ran meanwhile changed clock_wraps
 * (read again). Bounded: a wrap is 2^32 ticks (171 s) away from the next. */
#define CLOCK_READ_TRIES_MAX 4u
uint64_t m4f_clock_ticks(void)
{
	for (unsigned n = 0; n < CLOCK_READ_TRIES_MAX; n++) {
		uint32_t hi = clock_wraps;
		uint32_t v = TIMER_VALUE(TIMER0_BASE);
		uint32_t wrapped = TIMER_INT(TIMER0_BASE) & 1u;
		if (wrapped)
			v = TIMER_VALUE(TIMER0_BASE);
		if (hi == clock_wraps)
			return ((uint64_t)(hi + wrapped) << 32) | (uint64_t)(UINT32_MAX - v);
	}
	bsp_panic(__FILE__, __LINE__, "clock: wraps kept coming while it was read");
}

uint64_t bsp_clock_ns(void)
{
	return m4f_clock_ticks() * M4F_TICK_NS;
}

/* The stamp is TIMER0's count of 40 ns ticks (the low word of
 * m4f_clock_ticks, one load): its span is 2^32 ticks, about 171 s, more
 * than the 2^32 ns bsp.h promises. */
_Static_assert(M4F_TICK_NS >= 1u, "a stamp tick is at least the promised nanosecond");

uint32_t bsp_clock_stamp(void)
{
	return UINT32_MAX - TIMER_VALUE(TIMER0_BASE);
}

uint64_t bsp_clock_stamp_ns(uint32_t stamp)
{
	uint64_t now = m4f_clock_ticks();
	uint32_t since = (uint32_t)now - stamp; /* modulo 2^32: the span */
	if ((uint64_t)since > now)
		bsp_panic(__FILE__, __LINE__, "bsp_clock_stamp_ns: a stamp from before boot");
	return (now - since) * M4F_TICK_NS;
}

/* SysTick toward the stored deadline: at once when it has passed, else
 * min(remaining, 2^24-1 ticks) from now, rounded up to whole ticks. Records
 * what it serves (systick_serves_ns). Interrupts off. */
static void systick_program(uint64_t deadline_ns)
{
	SYST_CSR = 0u;
	if (deadline_ns == BSP_TIMER_NONE) {
		SCB_ICSR = ICSR_PENDSTCLR;
		systick_serves_ns = BSP_TIMER_NONE;
		return;
	}
	uint64_t now = bsp_clock_ns();
	if (deadline_ns <= now) {
		SCB_ICSR = ICSR_PENDSTSET;
		systick_serves_ns = now - (M4F_TICK_NS - 1u);
		return;
	}
	uint64_t left = deadline_ns - now;
	uint32_t ticks = SYST_MAX_TICKS;
	if (left < (uint64_t)SYST_MAX_TICKS * M4F_TICK_NS)
		ticks = ((uint32_t)left + M4F_TICK_NS - 1u) / M4F_TICK_NS;
	SYST_RVR = ticks;
	SYST_CVR = 0u; /* any write clears it: the count starts from RVR */
	SYST_CSR = SYST_CSR_RUN;
	systick_serves_ns = now + (uint64_t)ticks * M4F_TICK_NS - (M4F_TICK_NS - 1u);
}

/* The kernel re-arms on every switch, mostly to move a slice end later.
 * A SysTick already due no later than the new deadline is left running:
 * when it fires, m4f_irq_collect finds the deadline not reached and starts
 * the next lap without bothering the kernel. Only a deadline earlier than
 * what it serves reprograms it. Comparing with the tick it fires at made
 * every re-arm of a deadline that is not a tick multiple reprogram
 * SysTick: about 90 instructions a switch (bench_rtos
 * preemptive measured 511 instead of 423 instructions an iteration when
 * its measuring thread slept 50,001,237 ns instead of 50,000,000). */
void bsp_timer_set(uint64_t deadline_ns)
{
	bsp_irq_state_t s = bsp_irq_save();
	timer_deadline_ns = deadline_ns;
	if (deadline_ns < systick_serves_ns)
		systick_program(deadline_ns);
	bsp_irq_restore(s);
}

/* ---------------------------------------------------------- context */

/* The first run of a context: PendSV "returns" into entry(arg) through this
 * frame, in Thread mode on PSP with no FPU context. entry must not return:
 * if it does, the lr in the frame panics. */
struct m4f_initial_frame {
	uint32_t r4_r11[8];
	uint32_t exc_return;
	uint32_t r0, r1, r2, r3, r12, lr, pc, xpsr;
};

#define M4F_EXC_RETURN_THREAD_PSP 0xFFFFFFFDu
#define M4F_XPSR_THUMB 0x01000000u

static void context_returned(void)
{
	bsp_panic(__FILE__, __LINE__, "a context's entry returned");
}

bsp_context_t bsp_context_init(void *stack, size_t size, bsp_entry_fn entry, void *arg)
{
	if (stack == NULL || entry == NULL || size < BSP_STACK_MIN_BYTES ||
	    ((uintptr_t)stack & 7u) != 0u)
		return NULL;
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)7u;
	struct m4f_initial_frame *f = (struct m4f_initial_frame *)(top - sizeof *f);
	for (unsigned i = 0; i < 8u; i++)
		f->r4_r11[i] = 0u;
	f->exc_return = M4F_EXC_RETURN_THREAD_PSP;
	f->r0 = (uint32_t)(uintptr_t)arg;
	f->r1 = f->r2 = f->r3 = f->r12 = 0u;
	f->lr = (uint32_t)(uintptr_t)context_returned;
	f->pc = (uint32_t)(uintptr_t)entry & ~1u;
	f->xpsr = M4F_XPSR_THUMB;
	return f;
}

void bsp_context_release(bsp_context_t ctx)
{
	(void)ctx; /* the context lives in its stack: nothing else to free */
}

/* --------------------------------------------------------- spinlocks */

void bsp_spin_init(bsp_spinlock_t *lock)
{
	lock->locked = 0u;
	lock->owner = 0u;
}

void bsp_spin_lock(bsp_spinlock_t *lock)
{
	if (M4F_CHECK_LOCKS && lock->locked != 0u)
		bsp_panic(__FILE__, __LINE__, "spinlock already held on the only core (deadlock)");
	lock->locked = 1u;
	if (M4F_CHECK_LOCKS)
		lock->owner = 1u;
}

bool bsp_spin_trylock(bsp_spinlock_t *lock)
{
	if (lock->locked != 0u)
		return false;
	lock->locked = 1u;
	if (M4F_CHECK_LOCKS)
		lock->owner = 1u;
	return true;
}

void bsp_spin_unlock(bsp_spinlock_t *lock)
{
	if (M4F_CHECK_LOCKS && lock->locked == 0u)
		bsp_panic(__FILE__, __LINE__, "spinlock released but not held");
	if (M4F_CHECK_LOCKS)
		lock->owner = 0u;
	lock->locked = 0u;
}

bool bsp_spin_held(const bsp_spinlock_t *lock)
{
	return lock->locked != 0u;
}

bsp_irq_state_t bsp_spin_lock_irqsave(bsp_spinlock_t *lock)
{
	bsp_irq_state_t s = bsp_irq_save();
	bsp_spin_lock(lock);
	return s;
}

void bsp_spin_unlock_irqrestore(bsp_spinlock_t *lock, bsp_irq_state_t state)
{
	bsp_spin_unlock(lock);
	bsp_irq_restore(state);
}

/* ----------------------------------------------------------- atomics */

/* An aligned LDR is single-copy atomic on ARMv7-M: never torn. */
uintptr_t bsp_load_relaxed(const uintptr_t *word)
{
	return *(const volatile uintptr_t *)word;
}

uintptr_t bsp_atomic_load(const bsp_atomic_t *a)
{
	return a->value;
}

void bsp_atomic_store(bsp_atomic_t *a, uintptr_t v)
{
	a->value = v;
}

uintptr_t bsp_atomic_fetch_add(bsp_atomic_t *a, uintptr_t delta)
{
	uintptr_t old, sum, fail;
	do {
		/* strex needs a status register apart from the value stored. */
		__asm__ volatile("ldrex %0, [%3]\n\t"
				 "add %1, %0, %4\n\t"
				 "strex %2, %1, [%3]"
				 : "=&r"(old), "=&r"(sum), "=&r"(fail)
				 : "r"(&a->value), "r"(delta)
				 : "memory");
	} while (fail != 0u);
	return old;
}

uintptr_t bsp_atomic_swap(bsp_atomic_t *a, uintptr_t v)
{
	uintptr_t old, fail;
	do {
		__asm__ volatile("ldrex %0, [%2]\n\t"
				 "strex %1, %3, [%2]"
				 : "=&r"(old), "=&r"(fail)
				 : "r"(&a->value), "r"(v)
				 : "memory");
	} while (fail != 0u);
	return old;
}

bool bsp_atomic_cas(bsp_atomic_t *a, uintptr_t *expected, uintptr_t desired)
{
	uintptr_t old, fail;
	do {
		__asm__ volatile("ldrex %0, [%1]" : "=&r"(old) : "r"(&a->value) : "memory");
		if (old != *expected) {
			__asm__ volatile("clrex" ::: "memory");
			*expected = old;
			return false;
		}
		__asm__ volatile("strex %0, %2, [%1]"
				 : "=&r"(fail)
				 : "r"(&a->value), "r"(desired)
				 : "memory");
	} while (fail != 0u);
	return true;
}

/* ------------------------------------------------------------ memory */

extern char __heap0_start[], __heap0_end[], __heap1_start[], __heap1_end[];

static struct bsp_mem_region regions[2];

/* Executable memory for loaded modules: the top of PSRAM (the SRAM region,
 * where a Cortex-M4 executes), kept out of the kernel's region 1 and cut
 * into fixed blocks. One core: interrupts off is the lock. */
#define M4F_EXEC_BLOCK_BYTES (4u * 1024u)
#define M4F_EXEC_BLOCKS 16u
#define M4F_EXEC_POOL_BYTES (M4F_EXEC_BLOCK_BYTES * M4F_EXEC_BLOCKS)
static bool exec_used[M4F_EXEC_BLOCKS];

static uintptr_t exec_pool_base(void)
{
	return (uintptr_t)__heap1_end - M4F_EXEC_POOL_BYTES;
}

size_t bsp_mem_regions(const struct bsp_mem_region **out)
{
	regions[0].base = (uintptr_t)__heap0_start;
	regions[0].size = (size_t)(__heap0_end - __heap0_start);
	regions[1].base = (uintptr_t)__heap1_start;
	regions[1].size = (size_t)(exec_pool_base() - (uintptr_t)__heap1_start);
	for (unsigned i = 0; i < M4F_EXEC_BLOCKS; i++)
		exec_used[i] = false;
	*out = regions;
	return 2u;
}

/* One block of M4F_EXEC_BLOCK_BYTES; a larger request is refused (NULL,
 * the contract's "exhausted"). */
void *bsp_mem_exec_alloc(size_t size)
{
	if (size == 0 || size > M4F_EXEC_BLOCK_BYTES)
		return NULL;
	bsp_irq_state_t s = bsp_irq_save();
	void *p = NULL;
	for (unsigned i = 0; i < M4F_EXEC_BLOCKS && !p; i++) {
		if (!exec_used[i]) {
			exec_used[i] = true;
			p = (void *)(exec_pool_base() + i * M4F_EXEC_BLOCK_BYTES);
		}
	}
	bsp_irq_restore(s);
	return p;
}

/* The loader relocates Thumb-2 code (ELF machine 40, EM_ARM); the build
 * says so to the kernel as BSP_CODE_MACHINE (bsp.h), or leaves it open. */
#define M4F_CODE_MACHINE 40u
_Static_assert(BSP_CODE_MACHINE == BSP_CODE_MACHINE_ANY || BSP_CODE_MACHINE == M4F_CODE_MACHINE,
	       "BSP_CODE_MACHINE is the board's machine (EM_ARM) or left open");

unsigned bsp_code_machine(void)
{
	return M4F_CODE_MACHINE;
}

void bsp_mem_exec_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	uintptr_t off = (uintptr_t)p - exec_pool_base();
	if ((uintptr_t)p < exec_pool_base() || off % M4F_EXEC_BLOCK_BYTES != 0 ||
	    off / M4F_EXEC_BLOCK_BYTES >= M4F_EXEC_BLOCKS || size > M4F_EXEC_BLOCK_BYTES)
		bsp_panic(__FILE__, __LINE__, "bsp_mem_exec_free: not a block the pool handed out");
	bsp_irq_state_t s = bsp_irq_save();
	if (!exec_used[off / M4F_EXEC_BLOCK_BYTES])
		bsp_panic(__FILE__, __LINE__, "bsp_mem_exec_free: block already free");
	exec_used[off / M4F_EXEC_BLOCK_BYTES] = false;
	bsp_irq_restore(s);
}

/* -------------------------------------------------------- host files */

/* None: bsp/common/bsp_no_host_files.c answers -BSP_ENOSYS. */

/* ----------------------------------------- console, panic, semihosting */

#define M4F_LINE_MAX 4096u

void bsp_console_write(const char *s, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		/* Bounded: QEMU's UART drains at once; real hardware within a
		 * character time. */
		for (unsigned spin = 0; (UART0_STATE & 1u) != 0u && spin < 1000000u; spin++)
			;
		UART0_DATA = (uint8_t)s[i];
	}
}

void m4f_puts(const char *s)
{
	size_t n = 0;
	while (n < M4F_LINE_MAX && s[n] != '\0')
		n++;
	bsp_console_write(s, n);
}

void m4f_put_u64(uint64_t v)
{
	char buf[24];
	unsigned n = sizeof buf;
	do {
		buf[--n] = (char)('0' + (unsigned)(v % 10u));
		v /= 10u;
	} while (v != 0u && n > 0u);
	bsp_console_write(buf + n, sizeof buf - n);
}

#define SEMIHOST_SYS_WRITE0 0x04u
#define SEMIHOST_SYS_GET_CMDLINE 0x15u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOST_APPLICATION_EXIT 0x20026u

static uintptr_t semihost(uintptr_t op, void *arg)
{
	register uintptr_t r0 __asm__("r0") = op;
	register void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void m4f_puts_err(const char *s)
{
	(void)semihost(SEMIHOST_SYS_WRITE0, (void *)(uintptr_t)s);
}

_Noreturn void m4f_exit(int code)
{
	uint32_t block[2] = {SEMIHOST_APPLICATION_EXIT, (uint32_t)code};
	for (;;)
		(void)semihost(SEMIHOST_SYS_EXIT_EXTENDED, block);
}

_Noreturn void bsp_panic(const char *file, int line, const char *msg)
{
	__asm__ volatile("msr basepri, %0" : : "r"(M4F_KERNEL_MASK) : "memory");
	m4f_puts("panic: ");
	m4f_puts(file ? file : "?");
	m4f_puts(":");
	m4f_put_u64((uint64_t)(line > 0 ? line : 0));
	m4f_puts(": ");
	m4f_puts(msg ? msg : "");
	m4f_puts("\n");
	m4f_exit(1);
}

bool bsp_fault_inject(unsigned site)
{
	(void)site;
	return false; /* hardware never fails on purpose */
}

void bsp_trace_event(const char *kind, uintptr_t a, uintptr_t b)
{
	(void)kind;
	(void)a;
	(void)b;
}

void bsp_trace_detail(const char *kind, uintptr_t a, uintptr_t b, const char *text)
{
	(void)kind;
	(void)a;
	(void)b;
	(void)text;
}

/* ------------------------------------------------- interrupt plumbing */

/* Each source has its own vector (startup.c), so nothing is told apart by
 * the active exception number on the way to the kernel. */

/* SysTick, Handler mode (m4f_systick_entry): the kernel's BSP_IRQ_TIMER
 * once the clock has passed the deadline; 0 when it fired early (another
 * lap toward a far deadline, one moved later since, or none any more),
 * after starting the next lap. */
__attribute__((used)) unsigned m4f_systick_collect(void)
{
	uint64_t deadline = timer_deadline_ns;
	if (deadline != BSP_TIMER_NONE && bsp_clock_ns() >= deadline) {
		SYST_CSR = 0u;
		systick_serves_ns = BSP_TIMER_NONE;
		timer_deadline_ns = BSP_TIMER_NONE;
		return BSP_IRQ_TIMER;
	}
	systick_program(deadline);
	return 0u;
}

/* TIMER1, the test device, Handler mode (m4f_device_entry): one arrival on
 * its line, or 0 after a stop (an arrival already counted out). */
__attribute__((used)) unsigned m4f_device_collect(void)
{
	TIMER_INT(TIMER1_BASE) = 1u;
	if (device_left == 0u)
		return 0u;
	device_left = device_left - 1u;
	if (device_left == 0u)
		TIMER_CTRL(TIMER1_BASE) = 0u;
	return BSP_IRQ_LINE(device_line);
}

/* TIMER0 wrapped: one more 2^32 ticks of the clock. Its own vector; the
 * kernel never sees it. */
__attribute__((used)) void m4f_clock_wrap_isr(void)
{
	TIMER_INT(TIMER0_BASE) = 1u;
	clock_wraps = clock_wraps + 1u;
}

/* A vector of a line this board never enables. */
__attribute__((used)) void m4f_irq_unexpected(void)
{
	bsp_panic(__FILE__, __LINE__, "unexpected interrupt line");
}

/* The switch the kernel's handler asked for (bsp_irq_switch), made by
 * m4f_irq_kernel's tail (irq_entry.S: the two words in this order; it
 * clears `save`, which is non-NULL only from the call to the tail). */
struct m4f_tail_switch {
	bsp_context_t *save;
	bsp_context_t to;
};
__attribute__((used)) struct m4f_tail_switch m4f_tail;

/* Handler mode only (the kernel's handler): recorded for the tail. */
void bsp_irq_switch(bsp_context_t *save, bsp_context_t to)
{
	if (M4F_CHECK_LOCKS && (m4f_tail.save != NULL || save == NULL || to == NULL ||
				(SCB_ICSR & ICSR_VECTACTIVE_MASK) == 0u))
		bsp_panic(__FILE__, __LINE__, "bsp_irq_switch: not once from the kernel's handler");
	m4f_tail.save = save;
	m4f_tail.to = to;
}

/* switch.S: an interrupted context holds m4f_irq_resume where a context
 * saved by a switch holds its EXC_RETURN (the ninth word). */
void m4f_irq_resume(void);
#define M4F_CTX_LR_WORD 8u

bool bsp_context_interrupted(bsp_context_t ctx)
{
	const uint32_t *words = ctx;
	return words[M4F_CTX_LR_WORD] == (uint32_t)(uintptr_t)m4f_irq_resume;
}

/* Called by m4f_irq_kernel (irq_entry.S) in Handler mode on the exception
 * stack, BASEPRI raised, with a nonzero mask: the kernel's handler. True
 * when the interrupted thread must call the kernel's preempt function
 * first, or when the handler asked for a switch (m4f_tail, tested by the
 * entry only then: the return to an unpreempted thread tests nothing
 * more). The shipped BSP has no check here: a tail call. */
__attribute__((used)) bool m4f_irq_handle(unsigned mask)
{
	bool preempt = irq_handler(mask);
	if (M4F_CHECK_LOCKS && basepri_get() != M4F_KERNEL_MASK)
		bsp_panic(__FILE__, __LINE__, "the kernel's handler changed the interrupt mask");
	if (M4F_CHECK_LOCKS && !preempt && m4f_tail.save != NULL)
		bsp_panic(__FILE__, __LINE__, "a tail switch asked by a handler that returned false");
	return preempt;
}

/* Called by m4f_irq_tramp in Thread mode, interrupts off, on the
 * interrupted thread's stack. The check is the kernel's, like the lock
 * checks: the shipped BSP leaves it out (a plain tail call). */
__attribute__((used)) void m4f_irq_preempt(void)
{
	irq_preempt();
	if (M4F_CHECK_LOCKS && basepri_get() == 0u)
		bsp_panic(__FILE__, __LINE__, "the kernel's preempt returned with interrupts on");
}

/* ------------------------------------------------------------- boot */

void m4f_board_init(void)
{
	/* switch.S: the restore tests bit 4 of what it loads as EXC_RETURN. */
	if (M4F_CHECK_LOCKS && ((uintptr_t)m4f_irq_resume & 0x10u) == 0u)
		bsp_panic(__FILE__, __LINE__, "m4f_irq_resume: bit 4 of its address is clear");
	SCB_SHPR_SVCALL = 0u;
	SCB_SHPR_PENDSV = 0u;
	SCB_SHPR_SYSTICK = M4F_KERNEL_PRIO;
	/* Lazy stacking on (both are the reset values on a Cortex-M4F; set
	 * here so the port does not depend on it). */
	FPU_FPCCR = FPU_FPCCR | FPCCR_ASPEN | FPCCR_LSPEN;
	UART0_BAUDDIV = 16u;
	UART0_CTRL = 1u; /* TX enable */
	/* Clock: TIMER0 free-running over the full 32 bits. */
	TIMER_CTRL(TIMER0_BASE) = 0u;
	TIMER_RELOAD(TIMER0_BASE) = UINT32_MAX;
	TIMER_VALUE(TIMER0_BASE) = UINT32_MAX;
	TIMER_INT(TIMER0_BASE) = 1u;
	TIMER_CTRL(TIMER0_BASE) = TIMER_CTRL_RUN;
	static const unsigned lines[] = {IRQ_TIMER0, IRQ_TIMER1, IRQ_IPI};
	for (unsigned i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		NVIC_IPR(lines[i]) = M4F_KERNEL_PRIO;
		NVIC_ISER(0) = 1u << lines[i];
	}
	for (unsigned n = 0; n < BSP_IRQ_LINES; n++) {
		NVIC_IPR(IRQ_LINE0 + n) = M4F_KERNEL_PRIO;
		NVIC_ISER(0) = 1u << (IRQ_LINE0 + n);
	}
}

/* The command line after the image name: QEMU gives "image args" (-append)
 * or "image"; "" when semihosting has none. */
const char *m4f_cmdline(void)
{
	static char buf[256];
	struct {
		char *p;
		uint32_t len;
	} block = {buf, sizeof buf - 1u};
	if (semihost(SEMIHOST_SYS_GET_CMDLINE, &block) != 0u)
		return "";
	buf[sizeof buf - 1u] = '\0';
	const char *s = buf;
	unsigned i = 0;
	while (i < sizeof buf && s[i] != '\0' && s[i] != ' ')
		i++;
	while (i < sizeof buf && s[i] == ' ')
		i++;
	return s + i;
}

__attribute__((used)) void m4f_fault(void)
{
	uint32_t psp;
	__asm__ volatile("mrs %0, psp" : "=r"(psp));
	m4f_puts("fault: exception ");
	m4f_put_u64(SCB_ICSR & ICSR_VECTACTIVE_MASK);
	m4f_puts(" CFSR ");
	m4f_put_u64(SCB_CFSR);
	m4f_puts(" thread pc ");
	m4f_put_u64(((const uint32_t *)(uintptr_t)psp)[6]);
	m4f_puts("\n");
	m4f_exit(1);
}
