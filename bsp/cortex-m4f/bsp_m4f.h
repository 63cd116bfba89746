/*
 * bsp_m4f.h — what the Cortex-M4F board offers beyond bsp.h, for the images
 * built on it (self-test runner, workloads, target tests, benchmarks). The
 * kernel never includes this header.
 */
#ifndef BSP_M4F_H
#define BSP_M4F_H

#include <stddef.h>
#include <stdint.h>

#include <bsp.h>

/* The board's timers count at its 25 MHz system clock (QEMU mps2-an386
 * SYSCLK): one tick is 40 ns. Under -icount shift=0 one instruction is 1 ns
 * of virtual time, so a tick is 40 instructions. */
#define M4F_TICK_NS 40u

/* NVIC lines the board uses (the vector table and bsp_m4f.c): the clock
 * timer TIMER0, the test device TIMER1, the IPI, device line 0 (lines
 * 0..BSP_IRQ_LINES-1 follow it). */
#define M4F_IRQ_TIMER0 8u
#define M4F_IRQ_TIMER1 9u
#define M4F_IRQ_IPI 23u
#define M4F_IRQ_LINE0 24u

/* The application entry, called by the reset code on the boot context (PSP,
 * thread mode, interrupts off) with the semihosting command line (QEMU's
 * -append, "" when none). Its return value is the exit code given to QEMU. */
int m4f_main(const char *cmdline);

/* End the run: QEMU exits with `code` (semihosting SYS_EXIT_EXTENDED). */
_Noreturn void m4f_exit(int code);

/* Raw ticks of the free-running clock (64-bit, M4F_TICK_NS each). any. */
uint64_t m4f_clock_ticks(void);

/* Console helpers (UART0): a NUL-terminated string, an unsigned decimal.
 */
void m4f_puts(const char *s);
void m4f_put_u64(uint64_t v);
/* A NUL-terminated string on the host's stderr (semihosting SYS_WRITE0). */
void m4f_puts_err(const char *s);

#endif /* BSP_M4F_H */
