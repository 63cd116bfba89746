/*
 * irq.c — enabling interrupts from a context that has no saved "on" state:
 * a new thread's first run and the idle loop after bsp_core_idle
 * (bsp_irq_enable, bsp.h).
 */
#include "sched_impl.h"

void sched_irq_enable(void)
{
	K_ASSERT(!bsp_irq_enabled());
	bsp_irq_enable();
	K_ASSERT(bsp_irq_enabled());
}
