/*
 * irq_entry.S — the road from a hardware interrupt to the kernel (bsp.h:
 * bsp_irq_handler_fn, bsp_irq_preempt_fn).
 *
 * Every kernel interrupt (SysTick, the test-device timer, the IPI line, the
 * device lines: priority 0x80) reaches m4f_irq_kernel. The kernel's
 * handler runs right there, in Handler mode on the exception stack (MSP),
 * with BASEPRI raised so that kernel code sees "interrupts off" as it does
 * in thread context (bsp_irq_enabled reads BASEPRI). It never switches. Only
 * when it asks for the kernel's preempt function (a more urgent thread is
 * ready, ...) is the interrupted thread made to call it in Thread mode, on
 * its own stack, through m4f_irq_tramp and PendSV (m4f_tramp_end): the preempt function
 * may switch context like any kernel code. An interrupt that readies nobody
 * more urgent costs one exception entry and return, as on any RTOS.
 */
	.syntax unified
	.thumb
	.text

/* M4F_CHECK_LOCKS (bsp_m4f.c: 1 unless the build says 0) also keeps the
 * entry's check of what was interrupted; the shipped board leaves it out,
 * as the kernel's assertions are left out there. */
#ifndef M4F_CHECK_LOCKS
#define M4F_CHECK_LOCKS 1
#endif

	.equ KERNEL_MASK, 0x80

/* Each source has its own vector (startup.c). Device lines and the IPI
 * need no acknowledging (software pends them in the NVIC) and go straight
 * to the kernel with their mask; SysTick and the test device first ask C
 * (bsp_m4f.c) whether the kernel must see them. The clock timer's wrap
 * never reaches the kernel (m4f_clock_wrap_isr, C). */
	.equ BSP_IRQ_IPI, 2		@ bsp.h; checked in bsp_m4f.c
	.equ BSP_IRQ_LINE_SHIFT, 8	@ bsp.h; checked in bsp_m4f.c

/* A vector per device line: its mask is a constant (BSP_IRQ_LINE(n), one
 * instruction), where one shared entry would compute it from IPSR. */
	.macro LINE_ENTRY n
	.global m4f_line\n\()_entry
	.type m4f_line\n\()_entry, %function
	.thumb_func
m4f_line\n\()_entry:
	mov	r0, #(1 << (BSP_IRQ_LINE_SHIFT + \n))
	b	m4f_irq_kernel
	.size m4f_line\n\()_entry, . - m4f_line\n\()_entry
	.endm

	LINE_ENTRY 0
	LINE_ENTRY 1
	LINE_ENTRY 2
	LINE_ENTRY 3
	LINE_ENTRY 4
	LINE_ENTRY 5
	LINE_ENTRY 6
	LINE_ENTRY 7

	.global m4f_ipi_entry
	.type m4f_ipi_entry, %function
	.thumb_func
m4f_ipi_entry:
	mov	r0, #BSP_IRQ_IPI
	b	m4f_irq_kernel
	.size m4f_ipi_entry, . - m4f_ipi_entry

	.global m4f_systick_entry
	.type m4f_systick_entry, %function
	.thumb_func
m4f_systick_entry:
	push	{r4, lr}
	bl	m4f_systick_collect
	pop	{r4, lr}
	cbnz	r0, m4f_irq_kernel
	bx	lr			@ nothing for the kernel
	.size m4f_systick_entry, . - m4f_systick_entry

	.global m4f_device_entry
	.type m4f_device_entry, %function
	.thumb_func
m4f_device_entry:
	push	{r4, lr}
	bl	m4f_device_collect
	pop	{r4, lr}
	cbnz	r0, m4f_irq_kernel
	bx	lr			@ nothing for the kernel
	.size m4f_device_entry, . - m4f_device_entry

/* r0 = the kernel's mask (nonzero). m4f_irq_handle (C, bsp_m4f.c) runs the
 * kernel's handler and returns nonzero when the preempt function must run.
 * The interrupted context had interrupts on (BASEPRI 0): a kernel interrupt
 * is taken at no other BASEPRI this board uses, so 0 is what the return
 * restores. Otherwise a frame of the interrupted frame's type is pushed below
 * it, which "returns" into m4f_irq_tramp(exc_return) with BASEPRI still
 * raised; when that type carries the FPU, the pending lazy save of s0-s15 is
 * forced first (any FP instruction does it), so the interrupted frame holds
 * them before another frame is laid below. */
	.type m4f_irq_kernel, %function
	.thumb_func
m4f_irq_kernel:
#if M4F_CHECK_LOCKS
	/* A belief, not a case: every kernel interrupt has one priority and
	 * PendSV, SVCall and the faults are above it, so only Thread mode
	 * (on PSP) is ever interrupted here. */
	tst	lr, #0x4
	beq	m4f_irq_bad
#endif
	push	{r4, lr}		@ r4: keeps the stack 8-byte aligned
	mov	r1, #KERNEL_MASK
	msr	basepri, r1		@ the kernel's handler runs with interrupts off
	bl	m4f_irq_handle
	cbnz	r0, 1f
	msr	basepri, r0		@ r0 == 0: interrupts on again
	pop	{r4, pc}		@ EXC_RETURN: resume the interrupted thread
1:	pop	{r4, lr}
	ldr	r3, =m4f_tail		@ a switch asked (bsp_irq_switch)?
	ldm	r3, {r0, r1}
	cbnz	r0, m4f_irq_switch_tail
	mrs	r3, psp
	tst	lr, #0x10
	bne	2f
	vmrs	r2, fpscr		@ forces the lazy save into the interrupted frame
	sub	r3, r3, #104		@ FP frame: 8 words, s0-s15, fpscr, reserved
	str	r2, [r3, #96]
	b	3f
2:	sub	r3, r3, #32		@ basic frame: 8 words
3:	str	lr, [r3, #0]		@ r0: how to resume the interrupted context
	ldr	r2, =m4f_irq_tramp
	bic	r2, r2, #1
	str	r2, [r3, #24]		@ pc
	mov	r2, #0x01000000
	str	r2, [r3, #28]		@ xpsr: Thumb
	msr	psp, r3
	bx	lr			@ BASEPRI stays raised: the trampoline starts with interrupts off
	.size m4f_irq_kernel, . - m4f_irq_kernel

/* The switch the kernel's handler asked for (bsp_irq_switch): r3 =
 * &m4f_tail, r0 and r1 its save and to (r0 non-NULL); lr = the interrupted
 * thread's EXC_RETURN. The request is cleared first (save = NULL). The
 * interrupted context is saved as an interrupted one (switch.S: s16-s31
 * when it has an FPU context, its EXC_RETURN, r4-r11 and m4f_irq_resume;
 * the vstmdb also forces a pending lazy save of s0-s15 into its frame, so
 * the frame is complete before another context's registers are loaded)
 * and `to` is restored as m4f_switch restores one: a context saved by a
 * switch (or new) resumes with interrupts off (BASEPRI stays raised), an
 * interrupted one through m4f_irq_resume with interrupts on. */
	.type m4f_irq_switch_tail, %function
	.thumb_func
m4f_irq_switch_tail:
	mov	r12, #0
	str	r12, [r3]
	mrs	r3, psp
	tst	lr, #0x10
	it	eq
	vstmdbeq r3!, {s16-s31}
	ldr	r12, =m4f_irq_resume
	stmdb	r3!, {r4-r11, r12, lr}
	str	r3, [r0]
	ldmia	r1!, {r4-r11, lr}
	tst	lr, #0x10
	it	eq
	vldmiaeq r1!, {s16-s31}
	msr	psp, r1
	bx	lr
	.size m4f_irq_switch_tail, . - m4f_irq_switch_tail

/* Thread mode, interrupts off, on the interrupted thread's stack just below
 * its frame. r0 = the EXC_RETURN that resumes it. */
	.global m4f_irq_tramp
	.type m4f_irq_tramp, %function
	.thumb_func
m4f_irq_tramp:
	push	{r0, lr}
	bl	m4f_irq_preempt
	pop	{r0, r1}		@ sp is back at the interrupted frame
	ldr	r2, =ICSR		@ pend PendSV (m4f_tramp_end), above the mask:
	mov	r3, #ICSR_PENDSVSET	@ taken at the ISB with r0 as it is
	str	r3, [r2]
	dsb
	isb
	b	m4f_irq_bad		@ never resumed
	.size m4f_irq_tramp, . - m4f_irq_tramp

/* PendSV, pended only by m4f_irq_tramp (the switch is SVCall's, switch.S):
 * drop its own frame, turn interrupts on
 * and resume the interrupted frame with r0 = its EXC_RETURN. A pending lazy
 * FPU save of the dropped frame is forced first: left pending, the return
 * would take the live registers as the interrupted frame's s0-s15. */
	.equ ICSR, 0xE000ED04
	.equ ICSR_PENDSVSET, 0x10000000
	.global m4f_tramp_end
	.type m4f_tramp_end, %function
	.thumb_func
m4f_tramp_end:
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
	.size m4f_tramp_end, . - m4f_tramp_end
