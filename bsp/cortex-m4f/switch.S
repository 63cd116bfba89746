/*
 * switch.S — the Cortex-M4F context switch (the road from a hardware
 * interrupt to the kernel is irq_entry.S).
 *
 * Threads (and core 0's boot context) run in Thread mode on PSP; exceptions
 * run on MSP. Priorities (bsp_m4f.c): PendSV and SVCall 0x00, every kernel
 * interrupt (SysTick, the clock timer, the test device, the IPI line, the
 * device lines) 0x80; "interrupts off" is BASEPRI = 0x80, so PendSV and
 * SVCall are never masked and the kernel interrupts are.
 *
 * A saved context is the PSP of a stopped thread. Below it, from the top:
 * the hardware frame (r0-r3, r12, lr, pc, xpsr, plus s0-s15 and fpscr when
 * the thread was using the FPU), then s16-s31 (only then), then r4-r11 and
 * the EXC_RETURN value that says which of the two it is.
 */
	.syntax unified
	.thumb
	.text

	.equ ICSR, 0xE000ED04
	.equ ICSR_PENDSVSET, 0x10000000
	.equ KERNEL_MASK, 0x80

/* void bsp_context_switch(bsp_context_t *save, bsp_context_t to)
 * Thread mode, interrupts off (BASEPRI). Pends PendSV, which is above the
 * mask, so it is taken at the ISB with r0/r1 still holding the arguments.
 * Returns here when some context switches back to *save. */
	.global bsp_context_switch
	.type bsp_context_switch, %function
	.thumb_func
bsp_context_switch:
	ldr	r2, =ICSR
	mov	r3, #ICSR_PENDSVSET
	str	r3, [r2]
	dsb
	isb
	bx	lr
	.size bsp_context_switch, . - bsp_context_switch

/* PendSV: r0 = save (NULL: the running context is finished), r1 = to.
 * Lazy FPU stacking: bit 4 of EXC_RETURN is 0 only when the thread had an
 * FPU context (CONTROL.FPCA), and only then are s16-s31 saved; s0-s15 are in
 * the hardware frame, stacked lazily by the core on first FPU use. */
	.global m4f_pendsv
	.type m4f_pendsv, %function
	.thumb_func
m4f_pendsv:
	cbz	r0, 1f
	mrs	r2, psp
	tst	lr, #0x10
	it	eq
	vstmdbeq r2!, {s16-s31}
	stmdb	r2!, {r4-r11, lr}
	str	r2, [r0]
1:	ldmia	r1!, {r4-r11, lr}
	tst	lr, #0x10
	it	eq
	vldmiaeq r1!, {s16-s31}
	msr	psp, r1
	bx	lr
	.size m4f_pendsv, . - m4f_pendsv
