/*
 * main_m4f.c — the RTOS benchmarks as a Cortex-M4F image: JSON lines on
 * UART0 (QEMU's stdout), errors through semihosting (stderr). The command
 * line (QEMU -append) names one case to run; empty runs all. Run it with
 * -icount shift=0 so that one virtual nanosecond is one instruction.
 */
#include "bsp_m4f.h"
#include "rtos.h"

void rtos_puts(const char *s)
{
	m4f_puts(s);
}

void rtos_put_u64(uint64_t v)
{
	m4f_put_u64(v);
}

void rtos_puts_err(const char *s)
{
	m4f_puts_err(s);
}

int m4f_main(const char *cmdline)
{
	return rtos_run(cmdline);
}
