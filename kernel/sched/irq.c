/*
 * irq.c — enabling interrupts from a context that has no saved "on" state:
 * a new thread's first run and the idle loop after bsp_core_idle.
 *
 * bsp_irq_enable() is the BSP's (bsp.h). Until every BSP provides it, the
 * weak definition below stands in; it relies on the simulator BSP's
 * encoding of bsp_irq_state_t (non-zero = enabled) and is replaced by the
 * BSP's strong definition as soon as one is linked.
 */
#include "sched_impl.h"

__attribute__((weak)) void bsp_irq_enable(void)
{
	bsp_irq_restore((bsp_irq_state_t)1u);
}

void sched_irq_enable(void)
{
	K_ASSERT(!bsp_irq_enabled());
	bsp_irq_enable();
	K_ASSERT(bsp_irq_enabled());
}
