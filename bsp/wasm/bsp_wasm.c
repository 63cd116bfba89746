/*
 * bsp_wasm.c — bsp.h for WebAssembly under Emscripten (see bsp_wasm.h for
 * what the board is). One core, one host thread: the plain loads and stores
 * below are atomic with respect to everything the kernel runs, because
 * nothing else runs between two of them except an interrupt handler, and
 * handlers run only at points (point()) with interrupts on.
 */
#include "bsp_wasm.h"

#include <emscripten.h>
#include <emscripten/fiber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WASM_JUNK_BYTE 0xa5u
/* The second, small region: odd size and misaligned base, as on the
 * simulator, so the memory manager's region code is exercised here too. */
#define WASM_SMALL_REGION_BYTES ((64u << 10) + 1000u)
#define WASM_REGION_MISALIGN 24u
#define WASM_REGION_ALIGN 64u
/* Interrupts raised while a handler runs are taken in further rounds at the
 * same point; past this many the rest waits for the next point, so a handler
 * that keeps raising its own line cannot hang a point (the engine's bound). */
#define WASM_IRQ_ROUNDS_MAX 16u
/* Asyncify buffer of the boot context (core 0's idle loop and k_boot): it
 * holds the unwound frames of main, k_boot and the idle loop. */
#define WASM_BOOT_ASYNCIFY_BYTES (64u << 10)
/* A context's fiber record sits at the bottom of its stack, marked. */
#define WASM_CTX_MAGIC 0x77656674u /* "weft" */
#define WASM_STACK_ALIGN 16u

#define WASM_ASSERT(cond)                                                          \
	do {                                                                       \
		if (!(cond))                                                       \
			bsp_panic(__FILE__, __LINE__, "bsp_wasm: " #cond);         \
	} while (0)

struct wasm_ctx {
	emscripten_fiber_t fiber; /* first: the handle is &ctx->fiber */
	uint32_t magic;
};

static struct {
	bool set_up;
	bool irq_enabled;
	uint32_t pending;            /* enum bsp_irq bits and BSP_IRQ_LINE bits */
	bsp_irq_handler_fn handler;
	bsp_irq_preempt_fn preempt;
	uint64_t now_ns;
	uint64_t timer_ns;           /* BSP_TIMER_NONE: not armed */
	uint64_t rng;                /* splitmix64 state, from the seed */
	uint64_t points;
	uint64_t switches;
	bool trace_to_js;

	/* The test device of each line: arrivals left and the next one's time. */
	struct {
		uint32_t left;
		uint64_t period_ns;
		uint64_t next_ns;
	} device[BSP_IRQ_LINES];

	struct bsp_mem_region regions[2];
	void *region_alloc[2];
	size_t region_count;

	/* Core 0's boot context (main) and the context running now. */
	struct wasm_ctx boot;
	struct wasm_ctx *current;

	bsp_wasm_stuck_fn on_stuck;
	bsp_wasm_panic_fn on_panic;
	bool panicking;
} w;

static _Alignas(16) uint8_t boot_asyncify[WASM_BOOT_ASYNCIFY_BYTES];

/* ------------------------------------------------------------- set-up */

static void regions_free(void)
{
	WASM_ASSERT(w.region_count <= 2u);
	for (size_t i = 0; i < w.region_count; i++) {
		free(w.region_alloc[i]);
		w.region_alloc[i] = NULL;
		w.regions[i] = (struct bsp_mem_region){0, 0};
	}
	w.region_count = 0;
}

static int region_add(size_t size, size_t misalign)
{
	WASM_ASSERT(w.region_count < 2u);
	size_t slack = WASM_REGION_ALIGN + misalign;
	uint8_t *mem = malloc(size + slack);
	if (!mem)
		return -BSP_ENOMEM;
	/* Junk, not zero: the kernel must initialise what it uses. */
	memset(mem, WASM_JUNK_BYTE, size + slack);
	uintptr_t base = ((uintptr_t)mem + WASM_REGION_ALIGN - 1u) & ~(uintptr_t)(WASM_REGION_ALIGN - 1u);
	w.region_alloc[w.region_count] = mem;
	w.regions[w.region_count].base = base + misalign;
	w.regions[w.region_count].size = size;
	w.region_count++;
	return 0;
}

int bsp_wasm_setup(const struct bsp_wasm_options *options)
{
	WASM_ASSERT(options != NULL);
	WASM_ASSERT(options->region_bytes >= BSP_STACK_MIN_BYTES);
	if (!w.set_up) {
		/* main's context becomes core 0's boot context. */
		emscripten_fiber_init_from_current_context(&w.boot.fiber, boot_asyncify,
							   sizeof boot_asyncify);
		w.boot.magic = WASM_CTX_MAGIC;
		w.current = &w.boot;
		w.set_up = true;
	}
	WASM_ASSERT(w.current == &w.boot);
	regions_free();
	w.irq_enabled = false;
	w.pending = 0;
	w.handler = NULL;
	w.preempt = NULL;
	w.now_ns = 0;
	w.timer_ns = BSP_TIMER_NONE;
	w.rng = options->seed ^ 0x9e3779b97f4a7c15ull;
	w.points = 0;
	w.switches = 0;
	w.trace_to_js = options->trace_to_js;
	for (unsigned i = 0; i < BSP_IRQ_LINES; i++)
		w.device[i].left = 0;
	int rc = region_add(options->region_bytes, 0);
	if (rc == 0)
		rc = region_add(WASM_SMALL_REGION_BYTES, WASM_REGION_MISALIGN);
	if (rc < 0)
		regions_free();
	return rc;
}

void bsp_wasm_on_stuck(bsp_wasm_stuck_fn fn)
{
	w.on_stuck = fn;
}

void bsp_wasm_on_panic(bsp_wasm_panic_fn fn)
{
	w.on_panic = fn;
}

uint64_t bsp_wasm_points(void)
{
	return w.points;
}

uint64_t bsp_wasm_switches(void)
{
	return w.switches;
}

/* -------------------------------------------------- time and interrupts */

static uint64_t rng_next(void)
{
	uint64_t z = (w.rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A seeded value in [v/2, v/2 + v] (v >= 1): the simulator's window. */
static uint64_t jitter(uint64_t v)
{
	WASM_ASSERT(v >= 1u);
	uint64_t lo = v / 2u;
	uint64_t r = lo + rng_next() % (v + 1u);
	WASM_ASSERT(r >= lo);
	return r;
}

/* Every timer or device arrival whose time has come pends its bit. */
static void fire_due(void)
{
	WASM_ASSERT(w.region_count > 0u); /* set up, not torn down */
	if (w.timer_ns <= w.now_ns) {
		w.pending |= BSP_IRQ_TIMER;
		w.timer_ns = BSP_TIMER_NONE;
	}
	for (unsigned i = 0; i < BSP_IRQ_LINES; i++) {
		if (w.device[i].left == 0u || w.device[i].next_ns > w.now_ns)
			continue;
		w.pending |= BSP_IRQ_LINE(i);
		w.device[i].left--;
		w.device[i].next_ns += jitter(w.device[i].period_ns);
	}
}

/* Take what is pending, with interrupts off during the handler. The
 * kernel's preempt function, called after a handler that asks for it, may
 * switch contexts; when the interrupted context runs again its interrupts
 * come back on, as a return from interrupt restores them. */
static void deliver(void)
{
	for (unsigned round = 0; round < WASM_IRQ_ROUNDS_MAX; round++) {
		if (!w.irq_enabled || w.pending == 0u)
			return;
		WASM_ASSERT(w.handler != NULL);
		uint32_t mask = w.pending;
		w.pending = 0;
		w.irq_enabled = false;
		if (w.handler(mask))
			w.preempt(); /* the second half, on the same fiber (bsp.h) */
		WASM_ASSERT(!w.irq_enabled);
		w.irq_enabled = true;
	}
}

/* A point: the clock moves by one seeded cost; what came due is pended and,
 * with interrupts on, taken here. */
static void point(void)
{
	WASM_ASSERT(w.set_up);
	uint64_t before = w.now_ns;
	w.points++;
	w.now_ns += jitter(BSP_WASM_POINT_COST_NS);
	WASM_ASSERT(w.now_ns > before); /* time only moves on */
	fire_due();
	if (w.irq_enabled && w.pending != 0u)
		deliver();
}

bsp_irq_state_t bsp_irq_save(void)
{
	bool was = w.irq_enabled;
	w.irq_enabled = false;
	return was ? 1u : 0u;
}

void bsp_irq_restore(bsp_irq_state_t state)
{
	if (!state) {
		w.irq_enabled = false;
		return;
	}
	w.irq_enabled = true;
	point(); /* enabling is where a pending interrupt gets in */
}

void bsp_irq_enable(void)
{
	w.irq_enabled = true;
	point();
}

bool bsp_irq_enabled(void)
{
	return w.irq_enabled;
}

void bsp_irq_set_handler(bsp_irq_handler_fn handler, bsp_irq_preempt_fn preempt)
{
	WASM_ASSERT(handler != NULL);
	WASM_ASSERT(preempt != NULL);
	w.handler = handler;
	w.preempt = preempt;
}

int bsp_irq_line_raise(unsigned line)
{
	if (line >= BSP_IRQ_LINES)
		return -BSP_EINVAL;
	w.pending |= BSP_IRQ_LINE(line);
	return 0;
}

int bsp_device_start(unsigned line, uint32_t count, uint64_t period_ns)
{
	if (line >= BSP_IRQ_LINES || (count > 0u && period_ns == 0u))
		return -BSP_EINVAL;
	w.device[line].left = count;
	w.device[line].period_ns = period_ns;
	w.device[line].next_ns = count > 0u ? w.now_ns + jitter(period_ns) : BSP_TIMER_NONE;
	return 0;
}

uint64_t bsp_clock_ns(void)
{
	point();
	return w.now_ns;
}

/* The stamp counts nanoseconds: the span is 2^32 ns, as bsp.h promises.
 * No scheduling point: it stands for a clock read the kernel skips. */
uint32_t bsp_clock_stamp(void)
{
	return (uint32_t)w.now_ns;
}

uint64_t bsp_clock_stamp_ns(uint32_t stamp)
{
	uint32_t since = (uint32_t)w.now_ns - stamp; /* modulo 2^32: the span */
	if ((uint64_t)since > w.now_ns)
		bsp_panic(__FILE__, __LINE__, "bsp_clock_stamp_ns: a stamp from before boot");
	return w.now_ns - since;
}

void bsp_timer_set(uint64_t deadline_ns)
{
	w.timer_ns = deadline_ns;
	if (deadline_ns <= w.now_ns)
		fire_due(); /* a deadline in the past fires at once */
}

/* ------------------------------------------------------------------ cores */

unsigned bsp_core_count(void)
{
	return 1;
}

unsigned bsp_core_id(void)
{
	return 0;
}

int bsp_core_start(unsigned core, bsp_entry_fn entry, void *arg)
{
	(void)core;
	(void)entry;
	(void)arg;
	return -BSP_EINVAL; /* one core */
}

/* The earliest of the timer and the device arrivals (BSP_TIMER_NONE: none). */
static uint64_t next_event_ns(void)
{
	uint64_t next = w.timer_ns;
	for (unsigned i = 0; i < BSP_IRQ_LINES; i++)
		if (w.device[i].left > 0u && w.device[i].next_ns < next)
			next = w.device[i].next_ns;
	return next;
}

void bsp_core_idle(void)
{
	WASM_ASSERT(!w.irq_enabled);
	if (w.pending != 0u)
		return;
	uint64_t next = next_event_ns();
	if (next == BSP_TIMER_NONE) {
		/* One core, interrupts off, nothing will ever arrive. */
		if (w.on_stuck)
			w.on_stuck();
		bsp_panic(__FILE__, __LINE__,
			  "bsp_core_idle: nothing pending and no timer: every thread is blocked for ever");
	}
	if (next > w.now_ns)
		w.now_ns = next; /* sleep until then: virtual time jumps */
	fire_due();
	WASM_ASSERT(w.pending != 0u);
}

void bsp_ipi_send(unsigned core)
{
	if (core != 0u)
		bsp_panic(__FILE__, __LINE__, "bsp_ipi_send: no such core");
	w.pending |= BSP_IRQ_IPI;
	point();
}

/* ---------------------------------------------------------------- context */

bsp_context_t bsp_context_init(void *stack, size_t size, bsp_entry_fn entry, void *arg)
{
	if (!stack || !entry || size < BSP_STACK_MIN_BYTES ||
	    ((uintptr_t)stack & (WASM_STACK_ALIGN - 1u)) != 0)
		return NULL;
	/* [ctx record][asyncify buffer: half the rest][C stack: the other half].
	 * An unwind stores every live local of every frame, so the buffer
	 * needs about what the frames need; halves keep both bounded. */
	size_t header = (sizeof(struct wasm_ctx) + WASM_STACK_ALIGN - 1u) & ~(size_t)(WASM_STACK_ALIGN - 1u);
	size_t rest = size - header;
	size_t async_bytes = (rest / 2u) & ~(size_t)(WASM_STACK_ALIGN - 1u);
	size_t c_bytes = (rest - async_bytes) & ~(size_t)(WASM_STACK_ALIGN - 1u);
	WASM_ASSERT(header + async_bytes + c_bytes <= size);
	WASM_ASSERT(c_bytes >= 1024u && async_bytes >= 1024u);
	uint8_t *base = stack;
	struct wasm_ctx *ctx = (struct wasm_ctx *)base;
	memset(ctx, 0, sizeof *ctx);
	emscripten_fiber_init(&ctx->fiber, entry, arg, base + header + async_bytes, c_bytes,
			      base + header, async_bytes);
	ctx->magic = WASM_CTX_MAGIC;
	return &ctx->fiber;
}

void bsp_context_switch(bsp_context_t *save, bsp_context_t to)
{
	if (!to)
		bsp_panic(__FILE__, __LINE__, "bsp_context_switch: no context to switch to");
	if (w.irq_enabled)
		bsp_panic(__FILE__, __LINE__, "bsp_context_switch: interrupts must be off");
	struct wasm_ctx *next = (struct wasm_ctx *)to;
	struct wasm_ctx *prev = w.current;
	WASM_ASSERT(next->magic == WASM_CTX_MAGIC);
	WASM_ASSERT(prev != NULL && prev->magic == WASM_CTX_MAGIC);
	WASM_ASSERT(next != prev);
	if (save)
		*save = &prev->fiber;
	w.switches++;
	w.current = next;
	/* A finished context (save == NULL) still unwinds into its own buffer,
	 * which lives until the next context frees the stack after this. */
	emscripten_fiber_swap(&prev->fiber, &next->fiber);
	WASM_ASSERT(w.current == prev);
	WASM_ASSERT(!w.irq_enabled);
}

void bsp_context_release(bsp_context_t ctx)
{
	if (!ctx)
		return;
	struct wasm_ctx *c = (struct wasm_ctx *)ctx;
	WASM_ASSERT(c->magic == WASM_CTX_MAGIC);
	WASM_ASSERT(c != w.current && c != &w.boot);
	c->magic = 0; /* a switch to it now panics */
}

/* --------------------------------------------------- spinlocks and atomics */

void bsp_spin_init(bsp_spinlock_t *lock)
{
	lock->locked = 0;
	lock->owner = 0;
}

void bsp_spin_lock(bsp_spinlock_t *lock)
{
	point();
	/* One core, and locks are held with interrupts off: a held lock has no
	 * one left to release it. */
	if (lock->locked)
		bsp_panic(__FILE__, __LINE__,
			  "bsp_spin_lock: lock held and no other core runs to release it");
	lock->locked = 1;
	lock->owner = 1;
}

bool bsp_spin_trylock(bsp_spinlock_t *lock)
{
	point();
	if (lock->locked)
		return false;
	lock->locked = 1;
	lock->owner = 1;
	return true;
}

void bsp_spin_unlock(bsp_spinlock_t *lock)
{
	if (!lock->locked || lock->owner != 1u)
		bsp_panic(__FILE__, __LINE__, "bsp_spin_unlock: lock not held by this core");
	lock->locked = 0;
	lock->owner = 0;
	point();
}

bool bsp_spin_held(const bsp_spinlock_t *lock)
{
	return lock->locked && lock->owner == 1u;
}

bsp_irq_state_t bsp_spin_lock_irqsave(bsp_spinlock_t *lock)
{
	bsp_irq_state_t state = bsp_irq_save();
	bsp_spin_lock(lock);
	return state;
}

void bsp_spin_unlock_irqrestore(bsp_spinlock_t *lock, bsp_irq_state_t state)
{
	bsp_spin_unlock(lock);
	bsp_irq_restore(state);
}

/* One core: nothing writes the word while it is read. Not a point (see
 * bsp.h). */
uintptr_t bsp_load_relaxed(const uintptr_t *word)
{
	return *(const volatile uintptr_t *)word;
}

uintptr_t bsp_atomic_load(const bsp_atomic_t *a)
{
	point();
	return a->value;
}

void bsp_atomic_store(bsp_atomic_t *a, uintptr_t v)
{
	point();
	a->value = v;
}

uintptr_t bsp_atomic_fetch_add(bsp_atomic_t *a, uintptr_t delta)
{
	point();
	uintptr_t old = a->value;
	a->value = old + delta;
	return old;
}

uintptr_t bsp_atomic_swap(bsp_atomic_t *a, uintptr_t v)
{
	point();
	uintptr_t old = a->value;
	a->value = v;
	return old;
}

bool bsp_atomic_cas(bsp_atomic_t *a, uintptr_t *expected, uintptr_t desired)
{
	point();
	if (a->value == *expected) {
		a->value = desired;
		return true;
	}
	*expected = a->value;
	return false;
}

/* ----------------------------------------------------------------- memory */

size_t bsp_mem_regions(const struct bsp_mem_region **regions)
{
	WASM_ASSERT(regions != NULL);
	WASM_ASSERT(w.region_count > 0u);
	*regions = w.regions;
	return w.region_count;
}

void *bsp_mem_exec_alloc(size_t size)
{
	(void)size;
	return NULL; /* wasm code cannot be written at run time */
}

/* wasm code cannot be written at run time: machine 0. The build leaves
 * BSP_CODE_MACHINE open (bsp.h) or says 0. */
_Static_assert(BSP_CODE_MACHINE == BSP_CODE_MACHINE_ANY || BSP_CODE_MACHINE == 0u,
	       "BSP_CODE_MACHINE is 0 (no loadable code) or left open");

unsigned bsp_code_machine(void)
{
	return 0u;
}

void bsp_mem_exec_free(void *p, size_t size)
{
	(void)size;
	WASM_ASSERT(p == NULL);
}

/* ------------------------------------------------------------- host files */

/* None: bsp/common/bsp_no_host_files.c answers -BSP_ENOSYS. */

/* ------------------------------------------------- console, panic, faults */

void bsp_console_write(const char *s, size_t size)
{
	fwrite(s, 1, size, stdout);
}

_Noreturn void bsp_panic(const char *file, int line, const char *msg)
{
	fflush(stdout);
	printf("panic: %s:%d: %s\n", file, line, msg);
	/* A panic inside the runner's hook must not recurse. */
	if (!w.panicking) {
		w.panicking = true;
		if (w.on_panic)
			w.on_panic();
	}
	bsp_wasm_exit(1);
}

EM_JS(void, wasm_js_exit, (int status), {
	if (Module["weftExit"])
		Module["weftExit"](status);
});

_Noreturn void bsp_wasm_exit(int status)
{
	fflush(stdout);
	fflush(stderr);
	wasm_js_exit(status);
	exit(status);
}

bool bsp_fault_inject(unsigned site)
{
	if (site >= BSP_FAULT_SITES)
		bsp_panic(__FILE__, __LINE__, "bsp_fault_inject: unknown site");
	return false; /* as on hardware */
}

/* The page's activity view: Module.weftTrace(kind, a, b, time_ns) if the
 * page installed it. kind is a static string: the page caches it by
 * address, so each kind is decoded once. */
EM_JS(void, wasm_js_trace, (const char *kind, double a, double b, double t_ns), {
	if (Module["weftTrace"]) {
		var cache = Module["weftKinds"] || (Module["weftKinds"] = {});
		var k = cache[kind];
		if (k === undefined)
			k = cache[kind] = UTF8ToString(kind);
		Module["weftTrace"](k, a, b, t_ns);
	}
});

void bsp_trace_event(const char *kind, uintptr_t a, uintptr_t b)
{
	if (!w.trace_to_js)
		return;
	wasm_js_trace(kind, (double)a, (double)b, (double)w.now_ns);
}

/* The page's activity view shows switches and wake-ups only: the log-only
 * details have no reader here. */
void bsp_trace_detail(const char *kind, uintptr_t a, uintptr_t b, const char *text)
{
	(void)kind;
	(void)a;
	(void)b;
	(void)text;
}
