/*
 * switch.S — the Cortex-M4F context switch and the road from a hardware
 * interrupt to the kernel's handler.
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

/* Every kernel interrupt. m4f_irq_collect (C) acknowledges the source and
 * returns the bsp_irq mask for the kernel, or 0 when nothing is for it (a
 * timer re-armed toward a far deadline, a clock wrap). Otherwise the
 * interrupted thread is made to call m4f_irq_tramp(exc_return, mask) on its
 * own stack, in Thread mode, with interrupts off: the kernel's handler may
 * then switch context like any kernel code. A frame of the interrupted
 * frame's type is pushed below it; when that type carries the FPU, the
 * pending lazy save of s0-s15 is forced first (any FP instruction does it),
 * so the interrupted frame holds them before another frame is laid below. */
	.global m4f_irq_entry
	.type m4f_irq_entry, %function
	.thumb_func
m4f_irq_entry:
	tst	lr, #0x4		@ only Thread mode on PSP is ever interrupted
	beq	m4f_irq_bad
	push	{r4, lr}
	bl	m4f_irq_collect
	pop	{r4, lr}
	cbz	r0, 9f
	mrs	r3, psp
	tst	lr, #0x10
	bne	2f
	vmrs	r2, fpscr		@ forces the lazy save into the interrupted frame
	sub	r3, r3, #104		@ FP frame: 8 words, s0-s15, fpscr, reserved
	str	r2, [r3, #96]
	b	3f
2:	sub	r3, r3, #32		@ basic frame: 8 words
3:	str	lr, [r3, #0]		@ r0: how to resume the interrupted context
	str	r0, [r3, #4]		@ r1: the mask
	ldr	r2, =m4f_irq_tramp
	bic	r2, r2, #1
	str	r2, [r3, #24]		@ pc
	mov	r2, #0x01000000
	str	r2, [r3, #28]		@ xpsr: Thumb
	msr	psp, r3
	mov	r2, #KERNEL_MASK
	msr	basepri, r2		@ the trampoline starts with interrupts off
9:	bx	lr
	.size m4f_irq_entry, . - m4f_irq_entry

/* Thread mode, interrupts off, on the interrupted thread's stack just below
 * its frame. r0 = the EXC_RETURN that resumes it, r1 = mask. */
	.global m4f_irq_tramp
	.type m4f_irq_tramp, %function
	.thumb_func
m4f_irq_tramp:
	push	{r0, lr}
	mov	r0, r1
	bl	m4f_irq_dispatch
	pop	{r0, r1}		@ sp is back at the interrupted frame
	svc	#0
	b	m4f_irq_bad		@ never resumed
	.size m4f_irq_tramp, . - m4f_irq_tramp

/* SVCall, only from m4f_irq_tramp: drop its own frame, turn interrupts on
 * and resume the interrupted frame with r0 = its EXC_RETURN. A pending lazy
 * FPU save of the dropped frame is forced first: left pending, the return
 * would take the live registers as the interrupted frame's s0-s15. */
	.global m4f_svc
	.type m4f_svc, %function
	.thumb_func
m4f_svc:
	mrs	r1, psp
	tst	lr, #0x10
	bne	1f
	vmrs	r2, fpscr
	add	r1, r1, #72		@ FP frame: 104 bytes in all
1:	add	r1, r1, #32
	mov	r2, #0
	msr	basepri, r2
	msr	psp, r1
	bx	r0
	.size m4f_svc, . - m4f_svc
