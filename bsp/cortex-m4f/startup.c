/*
 * startup.c — reset and the vector table of the mps2-an386 image.
 *
 * Reset turns the FPU on (before any FP instruction can run: the C code is
 * built for the hard-float ABI), moves Thread mode onto PSP (the boot
 * context's stack; MSP stays for exceptions), copies .data, zeroes .bss,
 * sets up the board with interrupts off (BASEPRI) and calls m4f_main with
 * the semihosting command line; its return value is QEMU's exit code.
 */
#include <stddef.h>
#include <stdint.h>

#include <bsp.h>

#include "bsp_m4f.h"

extern char __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern char __msp_top[], __boot_stack_top[];

void m4f_reset(void);
void m4f_switch(void);
void m4f_tramp_end(void);
void m4f_systick_entry(void);
void m4f_device_entry(void);
void m4f_ipi_entry(void);
void m4f_line0_entry(void);
void m4f_line1_entry(void);
void m4f_line2_entry(void);
void m4f_line3_entry(void);
void m4f_line4_entry(void);
void m4f_line5_entry(void);
void m4f_line6_entry(void);
void m4f_line7_entry(void);
void m4f_clock_wrap_isr(void);
void m4f_irq_unexpected(void);
void m4f_irq_bad(void);
void m4f_fault(void);
void m4f_board_init(void);
const char *m4f_cmdline(void);
_Noreturn void m4f_start(void);

/* 16 system exceptions and the board's 32 external lines, each source on
 * its own entry (irq_entry.S, bsp_m4f.c); only the lines bsp_m4f.c enables
 * can arrive, the others panic. */
#define M4F_VECTORS (16u + 32u)
typedef void (*m4f_vector_fn)(void);

__attribute__((section(".vectors"), used)) const m4f_vector_fn m4f_vectors[M4F_VECTORS] = {
	[0] = (m4f_vector_fn)(uintptr_t)__msp_top,
	[1] = m4f_reset,
	[2] = m4f_fault,  /* NMI */
	[3] = m4f_fault,  /* HardFault */
	[4] = m4f_fault,  /* MemManage */
	[5] = m4f_fault,  /* BusFault */
	[6] = m4f_fault,  /* UsageFault */
	[11] = m4f_switch,    /* SVCall: bsp_context_switch */
	[12] = m4f_fault, /* DebugMonitor */
	[14] = m4f_tramp_end, /* PendSV: the preempt trampoline's end */
	[15] = m4f_systick_entry,
	[16 ... 16 + M4F_IRQ_TIMER0 - 1u] = m4f_irq_unexpected,
	[16 + M4F_IRQ_TIMER0] = m4f_clock_wrap_isr,
	[16 + M4F_IRQ_TIMER1] = m4f_device_entry,
	[16 + M4F_IRQ_TIMER1 + 1u ... 16 + M4F_IRQ_IPI - 1u] = m4f_irq_unexpected,
	[16 + M4F_IRQ_IPI] = m4f_ipi_entry,
	/* One entry per device line, its mask a constant (irq_entry.S). */
	[16 + M4F_IRQ_LINE0 + 0u] = m4f_line0_entry,
	[16 + M4F_IRQ_LINE0 + 1u] = m4f_line1_entry,
	[16 + M4F_IRQ_LINE0 + 2u] = m4f_line2_entry,
	[16 + M4F_IRQ_LINE0 + 3u] = m4f_line3_entry,
	[16 + M4F_IRQ_LINE0 + 4u] = m4f_line4_entry,
	[16 + M4F_IRQ_LINE0 + 5u] = m4f_line5_entry,
	[16 + M4F_IRQ_LINE0 + 6u] = m4f_line6_entry,
	[16 + M4F_IRQ_LINE0 + 7u] = m4f_line7_entry,
};
_Static_assert(BSP_IRQ_LINES == 8u, "an entry above (and in irq_entry.S) per device line");
_Static_assert(M4F_IRQ_TIMER1 == M4F_IRQ_TIMER0 + 1u && M4F_IRQ_LINE0 == M4F_IRQ_IPI + 1u,
	       "the ranges above cover every line once");
_Static_assert(16u + M4F_IRQ_LINE0 + BSP_IRQ_LINES == M4F_VECTORS, "device lines end the table");

__attribute__((naked, noreturn)) void m4f_reset(void)
{
	__asm__ volatile("ldr r0, =0xE000ED88\n\t" /* CPACR: CP10, CP11 full access */
			 "ldr r1, [r0]\n\t"
			 "orr r1, r1, #(0xF << 20)\n\t"
			 "str r1, [r0]\n\t"
			 "dsb\n\t"
			 "isb\n\t"
			 "movs r0, #0x80\n\t"
			 "msr basepri, r0\n\t"
			 "ldr r0, =__boot_stack_top\n\t"
			 "msr psp, r0\n\t"
			 "movs r0, #2\n\t" /* CONTROL.SPSEL: Thread mode on PSP */
			 "msr control, r0\n\t"
			 "isb\n\t"
			 "b m4f_start\n\t"
			 ".ltorg");
}

__attribute__((naked, noreturn)) void m4f_irq_bad(void)
{
	__asm__ volatile("b m4f_fault");
}

__attribute__((used)) _Noreturn void m4f_start(void)
{
	size_t n = (size_t)(__data_end - __data_start);
	for (size_t i = 0; i < n; i++)
		__data_start[i] = __data_load[i];
	n = (size_t)(__bss_end - __bss_start);
	for (size_t i = 0; i < n; i++)
		__bss_start[i] = 0;
	m4f_board_init();
	m4f_exit(m4f_main(m4f_cmdline()));
}
