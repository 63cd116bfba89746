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
 * An interrupted context (bsp.h; saved by m4f_irq_switch_tail, irq_entry.S)
 * has one word more: below s16-s31 its EXC_RETURN, then r4-r11 and, where
 * the EXC_RETURN would be, the address of m4f_irq_resume (bit 4 set, so the
 * restore below loads no s16-s31 for it): the restore's `bx lr` branches
 * there, still in the handler, which loads the rest and returns with
 * interrupts on. A switch costs nothing for the two kinds.
 */
	.syntax unified
	.thumb
	.text

	.equ KERNEL_MASK, 0x80

/* void bsp_context_switch(bsp_context_t *save, bsp_context_t to)
 * Thread mode, interrupts off (BASEPRI). SVCall (m4f_switch), above the
 * mask, is taken at once with r0/r1 still holding the arguments: one
 * instruction where pending PendSV took five (the ICSR write, DSB, ISB).
 * Returns here when some context switches back to *save. */
	.global bsp_context_switch
	.type bsp_context_switch, %function
	.thumb_func
bsp_context_switch:
	svc	#0
	bx	lr
	.size bsp_context_switch, . - bsp_context_switch

/* SVCall, only from bsp_context_switch: r0 = save (NULL: the running
 * context is finished), r1 = to.
 * Lazy FPU stacking: bit 4 of EXC_RETURN is 0 only when the thread had an
 * FPU context (CONTROL.FPCA), and only then are s16-s31 saved; s0-s15 are in
 * the hardware frame, stacked lazily by the core on first FPU use. */
	.global m4f_switch
	.type m4f_switch, %function
	.thumb_func
m4f_switch:
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
	.size m4f_switch, . - m4f_switch

/* The rest of an interrupted context's restore, reached by `bx lr` from
 * m4f_switch or m4f_irq_switch_tail with r1 = PSP at its saved EXC_RETURN
 * (they set PSP to r1; it moves past what is loaded here). Interrupts on:
 * BASEPRI 0; an interrupt pended meanwhile is taken at the exception
 * return (`bx lr`) at the latest, so no NVIC write is needed (the unmask
 * has none either: docs/m4f.md, "QEMU 7.2 and BASEPRI"). Its address has bit 4 set
 * (16 bytes past a 32-byte boundary; bsp_m4f.c checks it at boot in the
 * test images). */
	.section .text.m4f_irq_resume, "ax", %progbits
	.balign 32
	.space 16
	.global m4f_irq_resume
	.type m4f_irq_resume, %function
	.thumb_func
m4f_irq_resume:
	ldmia	r1!, {lr}
	tst	lr, #0x10
	it	eq
	vldmiaeq r1!, {s16-s31}
	msr	psp, r1
	mov	r2, #0
	msr	basepri, r2
	bx	lr
	.size m4f_irq_resume, . - m4f_irq_resume
