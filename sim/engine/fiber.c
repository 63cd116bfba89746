/*
 * fiber.c — host fibers: a stack, saved registers, and a hand-written switch.
 *
 * x86_64 and aarch64 (ELF) switch with a few instructions of global asm that
 * save the callee-saved registers (and on aarch64 d8-d15) on the old stack and
 * load the new stack pointer; any other host falls back to ucontext.
 *
 * The control block lives at the low end of the memory the caller gives, so
 * a stack overflow runs into it first and the magic word shows it. Nothing is
 * allocated here.
 *
 * ASan: every switch is announced with __sanitizer_start_switch_fiber and
 * completed with __sanitizer_finish_switch_fiber; a fiber's last switch
 * passes NULL as the save slot (its fake stack dies with it). Valgrind: every
 * fiber stack is registered, so memcheck follows the stack pointer across.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__ELF__) && \
	!defined(SIM_FIBER_FORCE_UCONTEXT)
#define FIBER_ASM 1
#else
#define FIBER_ASM 0
#include <ucontext.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#if !defined(FIBER_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#endif
#ifndef FIBER_ASAN
#define FIBER_ASAN 0
#endif

#if FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* WEFT_HAVE_VALGRIND_H comes from the build (sim/engine/CMakeLists.txt). */
#if defined(WEFT_HAVE_VALGRIND_H) && WEFT_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#define FIBER_VALGRIND 1
#else
#define FIBER_VALGRIND 0
#endif

#define FIBER_MAGIC 0x77656674u      /* "weft" */
#define FIBER_DEAD_MAGIC 0xdeadf1bu  /* released: a stale pointer shows itself */
#define FIBER_ALIGN_BYTES 64u
/* Usable stack below which init refuses: the control block is carved from
 * the memory given, so a caller's minimum (bsp.h's 4096 bytes) must leave
 * at least this much (sim.h: SIM_FIBER_STACK_MIN_BYTES is the whole). */
#define FIBER_STACK_MIN_BYTES (SIM_FIBER_STACK_MIN_BYTES / 2u)


enum fiber_state {
	FIBER_FRESH = 1,     /* initialised, entry not yet run */
	FIBER_RUNNING = 2,   /* the host thread is on it now */
	FIBER_SUSPENDED = 3, /* switched away from, may be resumed */
	FIBER_FINISHED = 4,  /* switched away from for the last time */
};

struct sim_fiber {
	void *sp; /* saved stack pointer: first member, the asm stores here */
	uint32_t magic;
	uint32_t state;
	bool host;              /* the thread's own stack, not ours */
	void (*entry)(void *);
	void *arg;
	char *stack_lo;         /* usable stack [stack_lo, stack_lo + stack_bytes) */
	size_t stack_bytes;
	unsigned valgrind_id;
	const void *asan_bottom; /* as ASan knows the stack (host: learnt on switch) */
	size_t asan_size;
	void *asan_fake_stack;
	uint64_t tag;           /* the engine's word: context id and state */
#if !FIBER_ASM
	ucontext_t uc;
#endif
};

_Static_assert(offsetof(struct sim_fiber, sp) == 0, "the asm saves sp at offset 0");
_Static_assert(sizeof(struct sim_fiber) + FIBER_ALIGN_BYTES + 16u + FIBER_STACK_MIN_BYTES <=
		       SIM_FIBER_STACK_MIN_BYTES,
	       "a fiber of SIM_FIBER_STACK_MIN_BYTES must be accepted");
_Static_assert(sizeof(struct sim_fiber) <= SIM_FIBER_HOST_BYTES, "host fiber block too big");

/* The fiber the host thread runs now (NULL until one is known), and the one
 * that just switched away (so a resumed fiber can tell ASan's answer about
 * the previous stack to a host fiber, whose bounds only ASan knows). */
static sim_fiber_t *fiber_current;
static sim_fiber_t *fiber_switched_from;

_Noreturn void sim_assert_fail(const char *cond, const char *file, int line)
{
	fprintf(stderr, "%s:%d: sim engine assertion failed: %s\n", file, line, cond);
	abort();
}

static _Noreturn void fiber_die(const char *what)
{
	fprintf(stderr, "sim fiber: %s\n", what);
	abort();
}

static void fiber_check(const sim_fiber_t *f, const char *who)
{
	if (!f)
		fiber_die(who);
	if (f->magic != FIBER_MAGIC) {
		fprintf(stderr, "sim fiber: %s: bad magic %#x (stack overflow or released fiber)\n",
			who, f->magic);
		abort();
	}
}

/* ---------------------------------------------------------- the switch */

#if FIBER_ASM
/* fiber_swap(save, sp): push callee-saved state, *save = sp, load sp, pop the
 * other fiber's state and return into it. fiber_start: the first return of a
 * new fiber lands here with the fiber in a callee-saved register. */
void weft_fiber_swap(void **save_sp, void *new_sp);
void weft_fiber_start(void);

#if defined(__x86_64__)
/* Frame (low to high): mxcsr|x87cw, r15, r14, r13, r12, rbx, rbp, return. */
#define FIBER_FRAME_WORDS 8u
__asm__(".text\n"
	".globl weft_fiber_swap\n"
	".type weft_fiber_swap,@function\n"
	".p2align 4\n"
	"weft_fiber_swap:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size weft_fiber_swap, .-weft_fiber_swap\n"
	".globl weft_fiber_start\n"
	".type weft_fiber_start,@function\n"
	".p2align 4\n"
	"weft_fiber_start:\n"
	"	movq %r12, %rdi\n"
	"	call weft_fiber_main\n"
	"	ud2\n"
	".size weft_fiber_start, .-weft_fiber_start\n"
	".section .note.GNU-stack,\"\",@progbits\n"
	".text\n");
#elif defined(__aarch64__)
/* Frame (low to high): x19..x28, x29, x30, d8..d15, fpcr, pad: 22 words. */
#define FIBER_FRAME_WORDS 22u
__asm__(".text\n"
	".globl weft_fiber_swap\n"
	".type weft_fiber_swap,%function\n"
	".p2align 4\n"
	"weft_fiber_swap:\n"
	"	sub sp, sp, #176\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mrs x9, fpcr\n"
	"	str x9, [sp, #160]\n"
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	mov sp, x1\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	ldr x9, [sp, #160]\n"
	"	msr fpcr, x9\n"
	"	add sp, sp, #176\n"
	"	ret\n"
	".size weft_fiber_swap, .-weft_fiber_swap\n"
	".globl weft_fiber_start\n"
	".type weft_fiber_start,%function\n"
	".p2align 4\n"
	"weft_fiber_start:\n"
	"	mov x0, x19\n"
	"	bl weft_fiber_main\n"
	"	brk #0\n"
	".size weft_fiber_start, .-weft_fiber_start\n"
	".section .note.GNU-stack,\"\",%progbits\n"
	".text\n");
#endif
#endif /* FIBER_ASM */

/* The first code a new fiber runs (called from weft_fiber_start, or by
 * makecontext). Not static: the asm calls it by name. */
_Noreturn void weft_fiber_main(sim_fiber_t *f);
_Noreturn void weft_fiber_main(sim_fiber_t *f)
{
#if FIBER_ASAN
	const void *prev_bottom = NULL;
	size_t prev_size = 0;
	__sanitizer_finish_switch_fiber(NULL, &prev_bottom, &prev_size);
	if (fiber_switched_from && fiber_switched_from->host) {
		fiber_switched_from->asan_bottom = prev_bottom;
		fiber_switched_from->asan_size = prev_size;
	}
#endif
	fiber_check(f, "start");
	SIM_ASSERT(f->state == FIBER_RUNNING);
	f->entry(f->arg);
	fiber_die("a fiber's entry returned (entries must never return)");
}

#if !FIBER_ASM
/* makecontext passes int arguments only: the fiber being started is handed
 * over here (one host thread, set just before the switch). */
static sim_fiber_t *fiber_starting;

static void fiber_uc_entry(void)
{
	sim_fiber_t *f = fiber_starting;
	fiber_starting = NULL;
	weft_fiber_main(f);
}

/* Apart, so that getcontext (which returns twice) has no caller's locals to
 * clobber. */
static __attribute__((noinline)) void fiber_uc_make(ucontext_t *uc, char *lo, size_t bytes)
{
	if (getcontext(uc) != 0)
		fiber_die("getcontext failed");
	uc->uc_stack.ss_sp = lo;
	uc->uc_stack.ss_size = bytes;
	uc->uc_link = NULL;
	makecontext(uc, fiber_uc_entry, 0);
}
#endif

/* ------------------------------------------------------------ lifecycle */

static sim_fiber_t *fiber_carve(void *mem, size_t size)
{
	uintptr_t lo = (uintptr_t)mem;
	uintptr_t block = (lo + FIBER_ALIGN_BYTES - 1) & ~(uintptr_t)(FIBER_ALIGN_BYTES - 1);
	if (block < lo || block - lo > size || size - (block - lo) < sizeof(struct sim_fiber))
		return NULL;
	sim_fiber_t *f = (sim_fiber_t *)block;
	memset(f, 0, sizeof *f);
	f->magic = FIBER_MAGIC;
	return f;
}

uint64_t sim_fiber_tag(const sim_fiber_t *f)
{
	SIM_ASSERT(f != NULL && f->magic == FIBER_MAGIC);
	return f->tag;
}

void sim_fiber_set_tag(sim_fiber_t *f, uint64_t tag)
{
	SIM_ASSERT(f != NULL && f->magic == FIBER_MAGIC);
	f->tag = tag;
}

sim_fiber_t *sim_fiber_init_host(void *mem, size_t size)
{
	if (!mem || size < SIM_FIBER_HOST_BYTES)
		return NULL;
	sim_fiber_t *f = fiber_carve(mem, size);
	if (!f)
		return NULL;
	f->host = true;
	f->state = FIBER_RUNNING;
	fiber_current = f;
	return f;
}

sim_fiber_t *sim_fiber_init(void *stack, size_t size, void (*entry)(void *), void *arg)
{
	if (!stack || !entry)
		return NULL;
#if FIBER_ASAN
	/* Frames of a fiber that died on this memory may have left redzones
	 * poisoned; a new stack starts clean. */
	__asan_unpoison_memory_region(stack, size);
#endif
	sim_fiber_t *f = fiber_carve(stack, size);
	if (!f)
		return NULL;
	uintptr_t lo = (uintptr_t)f + sizeof *f;
	uintptr_t hi = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	if (hi <= lo || hi - lo < FIBER_STACK_MIN_BYTES) {
		f->magic = 0;
		return NULL;
	}
	f->entry = entry;
	f->arg = arg;
	f->stack_lo = (char *)lo;
	f->stack_bytes = hi - lo;
	f->asan_bottom = f->stack_lo;
	f->asan_size = f->stack_bytes;
	f->state = FIBER_FRESH;
#if FIBER_ASM
	uintptr_t *frame = (uintptr_t *)hi - FIBER_FRAME_WORDS;
	memset(frame, 0, FIBER_FRAME_WORDS * sizeof *frame);
#if defined(__x86_64__)
	frame[0] = 0x1f80u | ((uintptr_t)0x037fu << 32); /* mxcsr, x87 control word */
	frame[4] = (uintptr_t)f;                          /* r12 */
	frame[7] = (uintptr_t)weft_fiber_start;           /* return address */
#else
	frame[0] = (uintptr_t)f;                          /* x19 */
	frame[11] = (uintptr_t)weft_fiber_start;          /* x30 */
	frame[20] = 0;                                    /* fpcr: IEEE defaults */
#endif
	f->sp = frame;
	SIM_ASSERT(((uintptr_t)f->sp & 15u) == 0);
#else
	fiber_uc_make(&f->uc, f->stack_lo, f->stack_bytes);
#endif
#if FIBER_VALGRIND
	f->valgrind_id = VALGRIND_STACK_REGISTER(f->stack_lo, f->stack_lo + f->stack_bytes);
#endif
	return f;
}

void sim_fiber_release(sim_fiber_t *f)
{
	fiber_check(f, "release");
	if (f->state == FIBER_RUNNING && !f->host)
		fiber_die("release of the running fiber");
#if FIBER_VALGRIND
	if (!f->host)
		VALGRIND_STACK_DEREGISTER(f->valgrind_id);
#endif
#if FIBER_ASAN
	/* A fiber that finished left its frames' redzones poisoned; the owner
	 * is about to reuse this memory as plain data (a kernel heap block), so
	 * it must read as ordinary memory again. */
	if (!f->host)
		__asan_unpoison_memory_region(f->stack_lo, f->stack_bytes);
#endif
	if (fiber_current == f)
		fiber_current = NULL;
	if (fiber_switched_from == f)
		fiber_switched_from = NULL;
	f->magic = FIBER_DEAD_MAGIC;
	f->state = 0;
}

void sim_fiber_switch(sim_fiber_t *from, sim_fiber_t *to)
{
	fiber_check(to, "switch target");
	if (to == from)
		fiber_die("switch to itself");
	if (to->state != FIBER_FRESH && to->state != FIBER_SUSPENDED)
		fiber_die("switch to a fiber that is running or finished");
	if (from) {
		fiber_check(from, "switch source");
		SIM_ASSERT(from->state == FIBER_RUNNING);
		from->state = FIBER_SUSPENDED;
	} else if (fiber_current && fiber_current->magic == FIBER_MAGIC) {
		fiber_current->state = FIBER_FINISHED;
	}
	bool fresh = to->state == FIBER_FRESH;
	to->state = FIBER_RUNNING;
	fiber_switched_from = from;
	fiber_current = to;
#if FIBER_ASAN
	__sanitizer_start_switch_fiber(from ? &from->asan_fake_stack : NULL, to->asan_bottom,
				       to->asan_size);
#endif
#if FIBER_ASM
	/* A finished fiber's registers go to a slot nobody reads. */
	static void *dead_sp;
	weft_fiber_swap(from ? &from->sp : &dead_sp, to->sp);
	(void)fresh;
#else
	static ucontext_t dead_uc;
	if (fresh)
		fiber_starting = to;
	if (swapcontext(from ? &from->uc : &dead_uc, &to->uc) != 0)
		fiber_die("swapcontext failed");
#endif
	/* Resumed: `from` runs again, switched to by fiber_switched_from. */
	SIM_ASSERT(from != NULL);
#if FIBER_ASAN
	const void *prev_bottom = NULL;
	size_t prev_size = 0;
	__sanitizer_finish_switch_fiber(from->asan_fake_stack, &prev_bottom, &prev_size);
	if (fiber_switched_from && fiber_switched_from->host) {
		fiber_switched_from->asan_bottom = prev_bottom;
		fiber_switched_from->asan_size = prev_size;
	}
#endif
	SIM_ASSERT(from->magic == FIBER_MAGIC && from->state == FIBER_RUNNING);
}

void sim_fiber_stack(const sim_fiber_t *f, const char **lo, size_t *bytes)
{
	SIM_ASSERT(f != NULL && lo != NULL && bytes != NULL);
	*lo = f->host ? NULL : f->stack_lo;
	*bytes = f->host ? 0 : f->stack_bytes;
}
