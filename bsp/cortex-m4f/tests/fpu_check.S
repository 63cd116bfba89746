/*
 * fpu_check.S — uint32_t m4f_fpu_fill_check(uint32_t seed, uint32_t rounds)
 *
 * Loads seed+i into s<i> for every i in 0..31, then `rounds` times reads all
 * 32 back and compares. Returns 0 when every value survived, else 1 + the
 * index of the first register found changed. Between any two instructions
 * the thread may be preempted (SysTick slice) and another thread may load
 * its own values into the same registers: only a correct save and restore
 * of the whole FPU context (s0-s15 and fpscr in the hardware frame, s16-s31
 * in the PendSV frame) keeps them. s16-s31 are callee-saved (AAPCS), so they
 * are pushed and popped around the test.
 */
	.syntax unified
	.thumb
	.text
	.global m4f_fpu_fill_check
	.type m4f_fpu_fill_check, %function
	.thumb_func
m4f_fpu_fill_check:
	push	{r4, lr}
	vpush	{s16-s31}
	add	r2, r0, #0
	vmov	s0, r2
	add	r2, r0, #1
	vmov	s1, r2
	add	r2, r0, #2
	vmov	s2, r2
	add	r2, r0, #3
	vmov	s3, r2
	add	r2, r0, #4
	vmov	s4, r2
	add	r2, r0, #5
	vmov	s5, r2
	add	r2, r0, #6
	vmov	s6, r2
	add	r2, r0, #7
	vmov	s7, r2
	add	r2, r0, #8
	vmov	s8, r2
	add	r2, r0, #9
	vmov	s9, r2
	add	r2, r0, #10
	vmov	s10, r2
	add	r2, r0, #11
	vmov	s11, r2
	add	r2, r0, #12
	vmov	s12, r2
	add	r2, r0, #13
	vmov	s13, r2
	add	r2, r0, #14
	vmov	s14, r2
	add	r2, r0, #15
	vmov	s15, r2
	add	r2, r0, #16
	vmov	s16, r2
	add	r2, r0, #17
	vmov	s17, r2
	add	r2, r0, #18
	vmov	s18, r2
	add	r2, r0, #19
	vmov	s19, r2
	add	r2, r0, #20
	vmov	s20, r2
	add	r2, r0, #21
	vmov	s21, r2
	add	r2, r0, #22
	vmov	s22, r2
	add	r2, r0, #23
	vmov	s23, r2
	add	r2, r0, #24
	vmov	s24, r2
	add	r2, r0, #25
	vmov	s25, r2
	add	r2, r0, #26
	vmov	s26, r2
	add	r2, r0, #27
	vmov	s27, r2
	add	r2, r0, #28
	vmov	s28, r2
	add	r2, r0, #29
	vmov	s29, r2
	add	r2, r0, #30
	vmov	s30, r2
	add	r2, r0, #31
	vmov	s31, r2
1:	cmp	r1, #0
	beq	8f
	vmov	r2, s0
	add	r3, r0, #0
	cmp	r2, r3
	itt	ne
	movne	r4, #1
	bne	7f
	vmov	r2, s1
	add	r3, r0, #1
	cmp	r2, r3
	itt	ne
	movne	r4, #2
	bne	7f
	vmov	r2, s2
	add	r3, r0, #2
	cmp	r2, r3
	itt	ne
	movne	r4, #3
	bne	7f
	vmov	r2, s3
	add	r3, r0, #3
	cmp	r2, r3
	itt	ne
	movne	r4, #4
	bne	7f
	vmov	r2, s4
	add	r3, r0, #4
	cmp	r2, r3
	itt	ne
	movne	r4, #5
	bne	7f
	vmov	r2, s5
	add	r3, r0, #5
	cmp	r2, r3
	itt	ne
	movne	r4, #6
	bne	7f
	vmov	r2, s6
	add	r3, r0, #6
	cmp	r2, r3
	itt	ne
	movne	r4, #7
	bne	7f
	vmov	r2, s7
	add	r3, r0, #7
	cmp	r2, r3
	itt	ne
	movne	r4, #8
	bne	7f
	vmov	r2, s8
	add	r3, r0, #8
	cmp	r2, r3
	itt	ne
	movne	r4, #9
	bne	7f
	vmov	r2, s9
	add	r3, r0, #9
	cmp	r2, r3
	itt	ne
	movne	r4, #10
	bne	7f
	vmov	r2, s10
	add	r3, r0, #10
	cmp	r2, r3
	itt	ne
	movne	r4, #11
	bne	7f
	vmov	r2, s11
	add	r3, r0, #11
	cmp	r2, r3
	itt	ne
	movne	r4, #12
	bne	7f
	vmov	r2, s12
	add	r3, r0, #12
	cmp	r2, r3
	itt	ne
	movne	r4, #13
	bne	7f
	vmov	r2, s13
	add	r3, r0, #13
	cmp	r2, r3
	itt	ne
	movne	r4, #14
	bne	7f
	vmov	r2, s14
	add	r3, r0, #14
	cmp	r2, r3
	itt	ne
	movne	r4, #15
	bne	7f
	vmov	r2, s15
	add	r3, r0, #15
	cmp	r2, r3
	itt	ne
	movne	r4, #16
	bne	7f
	vmov	r2, s16
	add	r3, r0, #16
	cmp	r2, r3
	itt	ne
	movne	r4, #17
	bne	7f
	vmov	r2, s17
	add	r3, r0, #17
	cmp	r2, r3
	itt	ne
	movne	r4, #18
	bne	7f
	vmov	r2, s18
	add	r3, r0, #18
	cmp	r2, r3
	itt	ne
	movne	r4, #19
	bne	7f
	vmov	r2, s19
	add	r3, r0, #19
	cmp	r2, r3
	itt	ne
	movne	r4, #20
	bne	7f
	vmov	r2, s20
	add	r3, r0, #20
	cmp	r2, r3
	itt	ne
	movne	r4, #21
	bne	7f
	vmov	r2, s21
	add	r3, r0, #21
	cmp	r2, r3
	itt	ne
	movne	r4, #22
	bne	7f
	vmov	r2, s22
	add	r3, r0, #22
	cmp	r2, r3
	itt	ne
	movne	r4, #23
	bne	7f
	vmov	r2, s23
	add	r3, r0, #23
	cmp	r2, r3
	itt	ne
	movne	r4, #24
	bne	7f
	vmov	r2, s24
	add	r3, r0, #24
	cmp	r2, r3
	itt	ne
	movne	r4, #25
	bne	7f
	vmov	r2, s25
	add	r3, r0, #25
	cmp	r2, r3
	itt	ne
	movne	r4, #26
	bne	7f
	vmov	r2, s26
	add	r3, r0, #26
	cmp	r2, r3
	itt	ne
	movne	r4, #27
	bne	7f
	vmov	r2, s27
	add	r3, r0, #27
	cmp	r2, r3
	itt	ne
	movne	r4, #28
	bne	7f
	vmov	r2, s28
	add	r3, r0, #28
	cmp	r2, r3
	itt	ne
	movne	r4, #29
	bne	7f
	vmov	r2, s29
	add	r3, r0, #29
	cmp	r2, r3
	itt	ne
	movne	r4, #30
	bne	7f
	vmov	r2, s30
	add	r3, r0, #30
	cmp	r2, r3
	itt	ne
	movne	r4, #31
	bne	7f
	vmov	r2, s31
	add	r3, r0, #31
	cmp	r2, r3
	itt	ne
	movne	r4, #32
	bne	7f
	sub	r1, r1, #1
	b	1b
8:	mov	r4, #0
7:	mov	r0, r4
	vpop	{s16-s31}
	pop	{r4, pc}
	.size m4f_fpu_fill_check, . - m4f_fpu_fill_check
