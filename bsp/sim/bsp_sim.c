/*
 * bsp_sim.c — bsp.h on the simulator engine.
 *
 * Every primitive that another core could observe (spinlock, atomic, enabling
 * interrupts, IPI, context switch, idle) first calls sim_point(): that is
 * where the engine may run another core, so the races the kernel has are the
 * races the simulator explores. Between points exactly one fiber runs on the
 * one host thread, so the plain loads and stores below are atomic with
 * respect to the simulated cores.
 */
#define _GNU_SOURCE /* dladdr */
#include "bsp_sim.h"

#include <dirent.h>
#include <dlfcn.h>
#include <unwind.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim_assert.h"

/* Built with AddressSanitizer (clang's or gcc's spelling)? */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BSP_SIM_ASAN 1
#endif
#endif
#if !defined(BSP_SIM_ASAN) && defined(__SANITIZE_ADDRESS__)
#define BSP_SIM_ASAN 1
#endif
#ifndef BSP_SIM_ASAN
#define BSP_SIM_ASAN 0
#endif
#if BSP_SIM_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(WEFT_HAVE_VALGRIND_H) && WEFT_HAVE_VALGRIND_H
#include <valgrind/memcheck.h>
#define BSP_SIM_VALGRIND 1
#else
#define BSP_SIM_VALGRIND 0
#endif

/* Host memory a previous run used is about to serve again as plain memory.
 * Fibers may have run on it (kernel threads' stacks live in the regions):
 * ASan left their frames' redzones poisoned, and Memcheck marked what their
 * returns popped as inaccessible. A fresh malloc would have reset both. */
static void host_block_reuse(void *p, size_t n)
{
#if BSP_SIM_ASAN
	__asan_unpoison_memory_region(p, n);
#endif
#if BSP_SIM_VALGRIND
	(void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
	(void)p;
	(void)n;
}

static void asan_stacks_release(void);

#define BSP_SIM_JUNK_BYTE 0xa5u
#define BSP_SIM_REGION_ALIGN 64u
/* Host blocks behind the regions start on this boundary, so where a region
 * begins relative to any kernel page size up to it (and so how many frames
 * the kernel carves) is the same in every run, whichever block the host
 * handed out: a fresh process and a reused block see one machine. */
#define BSP_SIM_HOST_ALIGN (64u * 1024u)
_Static_assert(BSP_SIM_HOST_ALIGN % BSP_SIM_REGION_ALIGN == 0, "host blocks keep the region alignment");
#define BSP_SIM_PANIC_MAX 512u
#define BSP_SIM_CONSOLE_MAX (16u << 20)

static struct {
	/* First, together in one cache line: what every interrupt save/restore
	 * and every allocation's fault hook reads. */
	/* Inside bsp_sim_run. Outside (direct mode) there is one core and no
	 * engine: the primitives below take a path that never calls it, so
	 * unit tests and benchmarks of kernel code measure the kernel. */
	bool in_run;
	bool direct_irq_enabled;
	/* Bit s: site s has fail_nth or fault decisions set. Lets the common
	 * call (nothing armed) count and return without reading the rest. */
	uint32_t fault_armed;
	uint64_t fault_calls[BSP_FAULT_SITES];

	/* Host memory regions handed to the kernel at boot. */
	struct bsp_mem_region regions[BSP_SIM_REGIONS_MAX];
	void *region_alloc[BSP_SIM_REGIONS_MAX];
	size_t region_count;

	/* Fault injection by count, per site. */
	uint64_t fail_nth[BSP_FAULT_SITES];
	bool fail_persist[BSP_FAULT_SITES];
	bool fault_decisions[BSP_FAULT_SITES];

	/* Panic catching (direct mode). */
	jmp_buf *panic_env;
	char last_panic[BSP_SIM_PANIC_MAX];

	/* Console capture. */
	bool console_capture;
	char *console;
	size_t console_len;
	size_t console_cap;

	bsp_irq_handler_fn irq_handler;
	bsp_irq_preempt_fn irq_preempt;

	/* The test device of each line (bsp_device_start): arrivals still to
	 * come and the period. Its next arrival is engine event timer `line`;
	 * armed while remaining > 0. */
	struct sim_device {
		uint32_t remaining;
		uint64_t period_ns;
		uint64_t due_ns;
		uint64_t arrivals; /* since the last setup: for tests and logs */
	} device[BSP_IRQ_LINES];

	uint64_t publish_count; /* see bsp_sim_publish_count */
	uint64_t irq_enables[BSP_CORES_MAX]; /* see bsp_sim_irq_enables */

	/* Context ids handed to the engine (sim_context_init), in creation
	 * order from SIM_CONTEXT_FIRST; restarted by every run, so the same
	 * thread has the same id in every run of a schedule. */
	uint32_t next_context;
} bsp_sim;

uint64_t bsp_sim_irq_enables(unsigned core)
{
	return core < BSP_CORES_MAX ? bsp_sim.irq_enables[core] : 0u;
}

/* A core is about to enable interrupts (called before its point). */
static void irq_enable_count(void)
{
	unsigned core = sim_core_id();
	if (core < BSP_CORES_MAX)
		bsp_sim.irq_enables[core]++;
}

uint64_t bsp_sim_publish_count(void)
{
	return bsp_sim.publish_count;
}

/* ------------------------------------------------------------- harness */

/* The host blocks behind the regions outlive a run: the next setup takes a
 * block again when it is large enough, so a harness that boots a kernel per
 * input (fuzzers: thousands a second) pays no allocation, no mmap and no
 * page faults per input, only the junk fill of what it hands out. A block
 * is freed when a larger one is needed, or by bsp_sim_release_memory. */
static struct {
	void *mem;
	size_t bytes;
} region_host[BSP_SIM_REGIONS_MAX];

static void regions_forget(void)
{
	for (size_t i = 0; i < bsp_sim.region_count; i++) {
		bsp_sim.region_alloc[i] = NULL;
		bsp_sim.regions[i].base = 0;
		bsp_sim.regions[i].size = 0;
		if (i < SIM_MEM_RANGES_MAX)
			sim_mem_range((unsigned)i, NULL, 0);
	}
	bsp_sim.region_count = 0;
}

/* A host block of at least `bytes` for region i, junk-filled over `bytes`. */
static uint8_t *region_block(unsigned i, size_t bytes)
{
	SIM_ASSERT(i < BSP_SIM_REGIONS_MAX);
	SIM_ASSERT(bytes > 0);
	if (region_host[i].mem == NULL || region_host[i].bytes < bytes) {
		/* Capacity in whole alignment units, so sizes that vary a little
		 * from run to run (mem_fuzz) reuse one block. */
		size_t capacity = (bytes + BSP_SIM_HOST_ALIGN - 1u) & ~(size_t)(BSP_SIM_HOST_ALIGN - 1u);
		free(region_host[i].mem);
		region_host[i].mem = aligned_alloc(BSP_SIM_HOST_ALIGN, capacity);
		region_host[i].bytes = region_host[i].mem ? capacity : 0;
		if (!region_host[i].mem)
			return NULL;
	}
	SIM_ASSERT(((uintptr_t)region_host[i].mem & (BSP_SIM_HOST_ALIGN - 1u)) == 0u);
	host_block_reuse(region_host[i].mem, bytes);
	/* Junk, not zero: the kernel must initialise what it uses. The same
	 * junk every run, so nothing of the previous run shows through. */
	memset(region_host[i].mem, BSP_SIM_JUNK_BYTE, bytes);
	return region_host[i].mem;
}

void bsp_sim_release_memory(void)
{
	SIM_ASSERT(!bsp_sim.in_run);
	regions_forget();
	for (unsigned i = 0; i < BSP_SIM_REGIONS_MAX; i++) {
		free(region_host[i].mem);
		region_host[i].mem = NULL;
		region_host[i].bytes = 0;
	}
	asan_stacks_release();
	SIM_ASSERT(bsp_sim.region_count == 0);
}

static void fault_rearm(unsigned site)
{
	uint32_t bit = 1u << site;
	if (bsp_sim.fail_nth[site] != 0u || bsp_sim.fault_decisions[site])
		bsp_sim.fault_armed |= bit;
	else
		bsp_sim.fault_armed &= ~bit;
}

void bsp_sim_setup(const struct bsp_sim_options *options)
{
	if (!options || options->region_count == 0 || options->region_count > BSP_SIM_REGIONS_MAX) {
		fprintf(stderr, "bsp_sim_setup: region_count must be 1..%u\n", BSP_SIM_REGIONS_MAX);
		abort();
	}
	regions_forget();
	memset(bsp_sim.device, 0, sizeof bsp_sim.device);
	memset(bsp_sim.fail_nth, 0, sizeof bsp_sim.fail_nth);
	memset(bsp_sim.fail_persist, 0, sizeof bsp_sim.fail_persist);
	memset(bsp_sim.fault_calls, 0, sizeof bsp_sim.fault_calls);
	memset(bsp_sim.irq_enables, 0, sizeof bsp_sim.irq_enables);
	for (unsigned site = 0; site < BSP_FAULT_SITES; site++)
		fault_rearm(site);
	for (unsigned i = 0; i < options->region_count; i++) {
		size_t size = options->region_bytes[i];
		size_t slack = BSP_SIM_REGION_ALIGN + options->region_misalign;
		uint8_t *mem = region_block(i, size + slack);
		if (!mem) {
			fprintf(stderr, "bsp_sim_setup: cannot allocate %zu bytes of host memory\n", size);
			abort();
		}
		uintptr_t base = ((uintptr_t)mem + BSP_SIM_REGION_ALIGN - 1) &
				 ~(uintptr_t)(BSP_SIM_REGION_ALIGN - 1);
		bsp_sim.region_alloc[i] = mem;
		bsp_sim.regions[i].base = base + options->region_misalign;
		bsp_sim.regions[i].size = size;
		/* The engine keys plain accesses in a region by their offset,
		 * never by where the host put it (races build). */
		if (i < SIM_MEM_RANGES_MAX)
			sim_mem_range(i, (const void *)bsp_sim.regions[i].base, size);
	}
	bsp_sim.region_count = options->region_count;
}

void bsp_sim_teardown(void)
{
	regions_forget();
	free(bsp_sim.console);
	bsp_irq_handler_fn none = NULL;
	bsp_irq_preempt_fn no_preempt = NULL;
	memset(&bsp_sim, 0, sizeof bsp_sim);
	bsp_sim.irq_handler = none;
	bsp_sim.irq_preempt = no_preempt;
}

void bsp_sim_fail_nth(unsigned site, uint64_t n, bool persist)
{
	if (site >= BSP_FAULT_SITES)
		abort();
	bsp_sim.fail_nth[site] = n;
	bsp_sim.fail_persist[site] = persist;
	bsp_sim.fault_calls[site] = 0;
	fault_rearm(site);
}

uint64_t bsp_sim_fault_calls(unsigned site)
{
	return site < BSP_FAULT_SITES ? bsp_sim.fault_calls[site] : 0;
}

void bsp_sim_fault_decisions(unsigned site, bool enabled)
{
	if (site >= BSP_FAULT_SITES)
		abort();
	bsp_sim.fault_decisions[site] = enabled;
	fault_rearm(site);
}

void bsp_sim_catch_panic(jmp_buf *env)
{
	bsp_sim.panic_env = env;
}

const char *bsp_sim_last_panic(void)
{
	return bsp_sim.last_panic;
}

void bsp_sim_console_capture(bool on)
{
	bsp_sim.console_capture = on;
	bsp_sim.console_len = 0;
	if (bsp_sim.console)
		bsp_sim.console[0] = '\0';
}

const char *bsp_sim_console(void)
{
	return bsp_sim.console ? bsp_sim.console : "";
}

/* ------------------------------------------------------ the test device */

/* Each arrival's delay after the previous one is period/2 + k*period/64,
 * k in 0..64 chosen by the run: 65 points spread over the documented
 * window [period/2, 3*period/2]. */
#define BSP_SIM_DEVICE_STEPS 64u

_Static_assert(BSP_IRQ_LINES <= SIM_EVENT_TIMERS_MAX, "one event timer per device line");

static uint64_t device_delay(uint64_t period_ns)
{
	uint64_t k = sim_decide_value(BSP_SIM_DEVICE_STEPS + 1u);
	uint64_t step = period_ns / BSP_SIM_DEVICE_STEPS;
	uint64_t rest = (period_ns % BSP_SIM_DEVICE_STEPS) * k / BSP_SIM_DEVICE_STEPS;
	return period_ns / 2u + step * k + rest;
}

/* Program the next arrival of `line`, `delay` after `from` (saturating). */
static void device_arm(unsigned line, uint64_t from)
{
	struct sim_device *d = &bsp_sim.device[line];
	uint64_t delay = device_delay(d->period_ns);
	d->due_ns = from > UINT64_MAX - 1u - delay ? UINT64_MAX - 1u : from + delay;
	sim_event_timer_set(line, 0, d->due_ns, BSP_IRQ_LINE_SHIFT + line);
	sim_log("device %u next %llu", line, (unsigned long long)d->due_ns);
}

/* Core 0 takes line bits: a device whose event timer fired has arrived.
 * The next arrival is counted from this one's due time (not from when core
 * 0 took it), so a late take does not stretch the program; it is armed only
 * now, so no arrival is ever merged into another: the handler runs once per
 * arrival. */
static void device_arrivals(unsigned irq_mask)
{
	for (unsigned line = 0; line < BSP_IRQ_LINES; line++) {
		struct sim_device *d = &bsp_sim.device[line];
		if (!(irq_mask & BSP_IRQ_LINE(line)) || d->remaining == 0 ||
		    sim_event_timer_deadline(line) != UINT64_MAX)
			continue;
		d->remaining--;
		d->arrivals++;
		sim_hash_mix(0xde71ce00u + line);
		sim_log("device %u arrival (%u to come)", line, d->remaining);
		if (d->remaining > 0)
			device_arm(line, d->due_ns);
	}
}

int bsp_irq_line_raise(unsigned line)
{
	if (line >= BSP_IRQ_LINES)
		return -BSP_EINVAL;
	/* Another core's interrupt controller: a point, as an IPI is. */
	sim_point(SIM_POINT_IPI);
	sim_irq_raise(0, BSP_IRQ_LINE(line));
	return 0;
}

int bsp_device_start(unsigned line, uint32_t count, uint64_t period_ns)
{
	if (line >= BSP_IRQ_LINES || (count > 0 && period_ns == 0))
		return -BSP_EINVAL;
	struct sim_device *d = &bsp_sim.device[line];
	if (count == 0) {
		d->remaining = 0;
		sim_event_timer_set(line, 0, UINT64_MAX, 0);
		return 0;
	}
	/* Outside a run there is no engine to deliver arrivals. */
	if (!bsp_sim.in_run)
		return -BSP_ENOSYS;
	sim_point(SIM_POINT_IPI);
	d->remaining = count;
	d->period_ns = period_ns;
	device_arm(line, sim_time_ns());
	return 0;
}

uint64_t bsp_sim_device_arrivals(unsigned line)
{
	return line < BSP_IRQ_LINES ? bsp_sim.device[line].arrivals : 0;
}

static void adapter_irq(void *ctx, unsigned core, unsigned irq_mask)
{
	(void)ctx;
	if (irq_mask & BSP_IRQ_LINES_MASK) {
		if (core != 0)
			bsp_panic(__FILE__, __LINE__, "device line taken on a core other than 0");
		device_arrivals(irq_mask);
	}
	/* The handler's second half right after it, on the same fiber, with
	 * no point between them (bsp.h). */
	if (bsp_sim.irq_handler && bsp_sim.irq_handler(irq_mask))
		bsp_sim.irq_preempt();
}

static void asan_stacks_free_all(void);

enum sim_outcome bsp_sim_run(const sim_config_t *cfg, void (*main_fn)(void *), void *arg,
			     sim_result_t *out)
{
	if (cfg->irq_handler) {
		fprintf(stderr, "bsp_sim_run: the adapter owns irq_handler\n");
		abort();
	}
	sim_config_t c = *cfg;
	c.irq_handler = adapter_irq;
	bsp_sim.next_context = SIM_CONTEXT_FIRST;
	/* The engine disarms every event timer when a run begins: so do the
	 * devices. */
	for (unsigned line = 0; line < BSP_IRQ_LINES; line++)
		bsp_sim.device[line].remaining = 0;
	bsp_sim.in_run = true;
	enum sim_outcome o = sim_run(&c, main_fn, arg, out);
	bsp_sim.in_run = false;
	/* A run that failed left its threads' fibers behind: none runs again. */
	asan_stacks_free_all();
	return o;
}

/* ------------------------------------------------------------------ cores */

unsigned bsp_core_count(void)
{
	return sim_core_count();
}

unsigned bsp_core_id(void)
{
	return sim_core_id();
}

int bsp_core_start(unsigned core, bsp_entry_fn entry, void *arg)
{
	if (!sim_running() || core == 0 || core >= sim_core_count())
		return -BSP_EINVAL;
	sim_point(SIM_POINT_IPI);
	return sim_core_start(core, entry, arg) ? 0 : -BSP_EINVAL;
}

void bsp_core_idle(void)
{
	sim_core_idle();
}

void bsp_ipi_send(unsigned core)
{
	if (core >= sim_core_count())
		bsp_panic(__FILE__, __LINE__, "bsp_ipi_send: no such core");
	sim_point(SIM_POINT_IPI);
	sim_irq_raise(core, BSP_IRQ_IPI);
}

/* ------------------------------------------------------------- interrupts */

bsp_irq_state_t bsp_irq_save(void)
{
	if (!bsp_sim.in_run) {
		bool was = bsp_sim.direct_irq_enabled;
		bsp_sim.direct_irq_enabled = false;
		return was;
	}
	return sim_irq_set_enabled(false) ? 1u : 0u;
}

void bsp_irq_restore(bsp_irq_state_t state)
{
	if (!bsp_sim.in_run) {
		bsp_sim.direct_irq_enabled = state != 0;
		return;
	}
	if (state) {
		/* Enabling is where a pending interrupt gets in: a point. */
		bsp_sim.publish_count++;
		irq_enable_count();
		sim_point(SIM_POINT_IRQ);
		sim_irq_set_enabled(true);
	} else {
		sim_irq_set_enabled(false);
	}
}

void bsp_irq_enable(void)
{
	if (!bsp_sim.in_run) {
		bsp_sim.direct_irq_enabled = true;
		return;
	}
	/* Enabling is where a pending interrupt gets in: a point. */
	bsp_sim.publish_count++;
	irq_enable_count();
	sim_point(SIM_POINT_IRQ);
	sim_irq_set_enabled(true);
}

bool bsp_irq_enabled(void)
{
	return bsp_sim.in_run ? sim_irq_enabled() : bsp_sim.direct_irq_enabled;
}

void bsp_irq_set_handler(bsp_irq_handler_fn handler, bsp_irq_preempt_fn preempt)
{
	if (handler == NULL || preempt == NULL)
		bsp_panic(__FILE__, __LINE__, "bsp_irq_set_handler: NULL");
	bsp_sim.irq_handler = handler;
	bsp_sim.irq_preempt = preempt;
}

/* ------------------------------------------------------------------- time */

uint64_t bsp_clock_ns(void)
{
	return sim_time_ns();
}

/* The stamp counts nanoseconds: the span is 2^32 ns, as bsp.h promises. */
uint32_t bsp_clock_stamp(void)
{
	return (uint32_t)sim_time_ns();
}

uint64_t bsp_clock_stamp_ns(uint32_t stamp)
{
	uint64_t now = sim_time_ns();
	uint32_t since = (uint32_t)now - stamp; /* modulo 2^32: the span */
	if ((uint64_t)since > now)
		bsp_panic(__FILE__, __LINE__, "bsp_clock_stamp_ns: a stamp from before boot");
	return now - since;
}

void bsp_timer_set(uint64_t deadline_ns)
{
	/* The engine takes the bit's index; the handler gets the mask back. */
	sim_timer_set(deadline_ns, (unsigned)__builtin_ctz(BSP_IRQ_TIMER));
}

/* ---------------------------------------------------------------- context */

/* The documented minimum (the kernel's K_STACK_MIN_BYTES) is one the
 * engine takes whole, control block and all. */
_Static_assert(BSP_STACK_MIN_BYTES >= SIM_FIBER_STACK_MIN_BYTES,
	       "bsp.h's smallest stack must be a stack the engine accepts");

/* Under AddressSanitizer every frame carries redzones and the kernel's
 * deepest paths (an interrupt taken inside a switch inside an exit) no longer
 * fit the documented smallest stack: a 4096-byte thread overflowed into the
 * memory below its stack (clang preset, selftest at one core, seed 181).
 * Such builds run every fiber whose stack is smaller than
 * BSP_SIM_ASAN_STACK_BYTES on host memory of that size instead, and leave
 * the kernel's block untouched: the kernel's accounting is the same, only
 * the host pays. Nothing here orders or decides anything. */
#define BSP_SIM_ASAN_STACK_BYTES (64u * 1024u)
/* At most this many substituted stacks live at once (threads of all runs
 * of a process are released before the next run boots). */
#define BSP_SIM_ASAN_STACKS_MAX 1024u

static struct {
	void *fiber;
	void *mem;
} asan_stacks[BSP_SIM_ASAN ? BSP_SIM_ASAN_STACKS_MAX : 1u];
/* Blocks of BSP_SIM_ASAN_STACK_BYTES whose fiber is gone, kept for the next
 * fiber (of this run or a later one): a fuzzer creates threads thousands
 * of times a second. sim_fiber_init prepares a stack afresh, so a reused
 * block carries nothing over. */
static void *asan_stack_pool[BSP_SIM_ASAN ? BSP_SIM_ASAN_STACKS_MAX : 1u];
static unsigned asan_stack_pool_count;

/* Host memory for a fiber under ASan, or the kernel's own. *host is the
 * block to give back at release (NULL: none). */
static void *context_stack(void *stack, size_t *size, void **host)
{
	*host = NULL;
	if (!BSP_SIM_ASAN || *size >= BSP_SIM_ASAN_STACK_BYTES)
		return stack;
	SIM_ASSERT(asan_stack_pool_count <= BSP_SIM_ASAN_STACKS_MAX);
	void *mem = asan_stack_pool_count > 0 ? asan_stack_pool[--asan_stack_pool_count]
					      : aligned_alloc(16u, BSP_SIM_ASAN_STACK_BYTES);
	if (!mem)
		return NULL;
	*host = mem;
	*size = BSP_SIM_ASAN_STACK_BYTES;
	return mem;
}

/* Keep a block for the next fiber, or free it when the pool is full. */
static void asan_stack_put(void *mem)
{
	SIM_ASSERT(mem != NULL);
	SIM_ASSERT(asan_stack_pool_count <= BSP_SIM_ASAN_STACKS_MAX);
	if (asan_stack_pool_count < BSP_SIM_ASAN_STACKS_MAX)
		asan_stack_pool[asan_stack_pool_count++] = mem;
	else
		free(mem);
}

static bool asan_stack_note(void *fiber, void *mem)
{
	for (unsigned i = 0; i < BSP_SIM_ASAN_STACKS_MAX && BSP_SIM_ASAN; i++) {
		if (!asan_stacks[i].fiber) {
			asan_stacks[i].fiber = fiber;
			asan_stacks[i].mem = mem;
			return true;
		}
	}
	return false;
}

static void asan_stack_free(void *fiber)
{
	for (unsigned i = 0; i < BSP_SIM_ASAN_STACKS_MAX && BSP_SIM_ASAN; i++) {
		if (asan_stacks[i].fiber == fiber) {
			asan_stack_put(asan_stacks[i].mem);
			asan_stacks[i].fiber = NULL;
			asan_stacks[i].mem = NULL;
			return;
		}
	}
}

/* End of a run: every fiber is gone, its block goes back to the pool. */
static void asan_stacks_free_all(void)
{
	for (unsigned i = 0; i < BSP_SIM_ASAN_STACKS_MAX && BSP_SIM_ASAN; i++) {
		if (asan_stacks[i].mem)
			asan_stack_put(asan_stacks[i].mem);
		asan_stacks[i].fiber = NULL;
		asan_stacks[i].mem = NULL;
	}
}

static void asan_stacks_release(void)
{
	asan_stacks_free_all();
	while (asan_stack_pool_count > 0)
		free(asan_stack_pool[--asan_stack_pool_count]);
	SIM_ASSERT(asan_stack_pool_count == 0);
}

bsp_context_t bsp_context_init(void *stack, size_t size, bsp_entry_fn entry, void *arg)
{
	if (!stack || size < BSP_STACK_MIN_BYTES || ((uintptr_t)stack & 15u) != 0)
		return NULL;
	void *host;
	void *mem = context_stack(stack, &size, &host);
	if (!mem)
		return NULL;
	sim_fiber_t *f = sim_fiber_init(mem, size, entry, arg);
	if (host && (!f || !asan_stack_note(f, host))) {
		if (f)
			sim_fiber_release(f);
		asan_stack_put(host);
		return NULL;
	}
	SIM_ASSERT(!f || !host || size == BSP_SIM_ASAN_STACK_BYTES);
	/* Tell the engine which context this is (a small stable id, never the
	 * address), so strategies can rank threads: the engine then knows
	 * which context each core runs, and this new one as ready. */
	if (f && bsp_sim.in_run && bsp_sim.next_context < SIM_CONTEXT_IRQ(0))
		sim_context_init(f, bsp_sim.next_context++);
	return f;
}

void bsp_context_switch(bsp_context_t *save, bsp_context_t to)
{
	if (!to)
		bsp_panic(__FILE__, __LINE__, "bsp_context_switch: no context to switch to");
	if (sim_irq_enabled())
		bsp_panic(__FILE__, __LINE__, "bsp_context_switch: interrupts must be off");
	if (save)
		*save = sim_core_fiber();
	bsp_sim.publish_count++;
	sim_point(SIM_POINT_SWITCH);
	sim_core_switch((sim_fiber_t *)to, save == NULL);
}

void bsp_context_release(bsp_context_t ctx)
{
	if (!ctx)
		return;
	sim_fiber_release((sim_fiber_t *)ctx);
	if (BSP_SIM_ASAN)
		asan_stack_free(ctx);
}

/* --------------------------------------------------- spinlocks and atomics */

void bsp_spin_init(bsp_spinlock_t *lock)
{
	lock->locked = 0;
	lock->owner = 0;
	bsp_sim.publish_count++;
}

/* Direct mode: one core, so a held lock can never be released. */
static inline void direct_lock(bsp_spinlock_t *lock)
{
	if (lock->locked)
		bsp_panic(__FILE__, __LINE__,
			  "bsp_spin_lock: lock held and no other core runs to release it");
	lock->locked = 1;
	lock->owner = 1;
}

static inline void direct_unlock(bsp_spinlock_t *lock)
{
	if (!lock->locked || lock->owner != 1)
		bsp_panic(__FILE__, __LINE__, "bsp_spin_unlock: lock not held by this core");
	lock->locked = 0;
	lock->owner = 0;
}

void bsp_spin_lock(bsp_spinlock_t *lock)
{
	if (!bsp_sim.in_run) {
		direct_lock(lock);
		return;
	}
	uint32_t me = sim_core_id() + 1;
	if (lock->locked && lock->owner == me)
		bsp_panic(__FILE__, __LINE__, "bsp_spin_lock: this core already holds the lock");
	/* Unbounded by design, as on hardware: a lock never released is a
	 * livelock, which the engine's step budget reports. */
	for (;;) {
		sim_point(lock->locked ? SIM_POINT_SPIN : SIM_POINT_LOCK);
		if (!lock->locked) {
			lock->locked = 1;
			lock->owner = me;
			sim_mem_sync(lock, SIM_SYNC_ACQUIRE); /* the never-rule's ordering */
			return;
		}
		if (!sim_running())
			bsp_panic(__FILE__, __LINE__,
				  "bsp_spin_lock: lock held and no other core runs to release it");
	}
}

bool bsp_spin_trylock(bsp_spinlock_t *lock)
{
	sim_point(SIM_POINT_LOCK);
	if (lock->locked)
		return false;
	lock->locked = 1;
	lock->owner = sim_core_id() + 1;
	sim_mem_sync(lock, SIM_SYNC_ACQUIRE);
	return true;
}

void bsp_spin_unlock(bsp_spinlock_t *lock)
{
	if (!bsp_sim.in_run) {
		direct_unlock(lock);
		return;
	}
	if (!lock->locked || lock->owner != sim_core_id() + 1)
		bsp_panic(__FILE__, __LINE__, "bsp_spin_unlock: lock not held by this core");
	sim_mem_sync(lock, SIM_SYNC_RELEASE);
	lock->locked = 0;
	lock->owner = 0;
	bsp_sim.publish_count++;
	sim_point(SIM_POINT_UNLOCK);
}

bool bsp_spin_held(const bsp_spinlock_t *lock)
{
	return lock->locked && lock->owner == sim_core_id() + 1;
}

bsp_irq_state_t bsp_spin_lock_irqsave(bsp_spinlock_t *lock)
{
	if (!bsp_sim.in_run) {
		bsp_irq_state_t was = bsp_sim.direct_irq_enabled;
		bsp_sim.direct_irq_enabled = false;
		direct_lock(lock);
		return was;
	}
	bsp_irq_state_t state = bsp_irq_save();
	bsp_spin_lock(lock);
	return state;
}

void bsp_spin_unlock_irqrestore(bsp_spinlock_t *lock, bsp_irq_state_t state)
{
	if (!bsp_sim.in_run) {
		direct_unlock(lock);
		bsp_sim.direct_irq_enabled = state != 0;
		return;
	}
	bsp_spin_unlock(lock);
	bsp_irq_restore(state);
}

uintptr_t bsp_load_relaxed(const uintptr_t *word)
{
	/* No point and no sim_mem_sync: the contract says the bits the caller
	 * uses do not change under it, so no schedule could tell it apart. No
	 * assertion either: it sits on the heap's hot path (a call is the whole
	 * cost), and the heap asserts the word's alignment in debug builds. */
	return __atomic_load_n(word, __ATOMIC_RELAXED);
}

uintptr_t bsp_atomic_load(const bsp_atomic_t *a)
{
	sim_point(SIM_POINT_ATOMIC);
	sim_mem_sync(a, SIM_SYNC_BOTH); /* atomics order like a lock taken and released */
	return a->value;
}

void bsp_atomic_store(bsp_atomic_t *a, uintptr_t v)
{
	sim_point(SIM_POINT_ATOMIC);
	sim_mem_sync(a, SIM_SYNC_BOTH);
	a->value = v;
	bsp_sim.publish_count++;
}

uintptr_t bsp_atomic_fetch_add(bsp_atomic_t *a, uintptr_t delta)
{
	sim_point(SIM_POINT_ATOMIC);
	sim_mem_sync(a, SIM_SYNC_BOTH);
	uintptr_t old = a->value;
	a->value = old + delta;
	bsp_sim.publish_count++;
	return old;
}

uintptr_t bsp_atomic_swap(bsp_atomic_t *a, uintptr_t v)
{
	sim_point(SIM_POINT_ATOMIC);
	sim_mem_sync(a, SIM_SYNC_BOTH);
	uintptr_t old = a->value;
	a->value = v;
	bsp_sim.publish_count++;
	return old;
}

bool bsp_atomic_cas(bsp_atomic_t *a, uintptr_t *expected, uintptr_t desired)
{
	sim_point(SIM_POINT_ATOMIC);
	sim_mem_sync(a, SIM_SYNC_BOTH);
	if (a->value == *expected) {
		a->value = desired;
		bsp_sim.publish_count++;
		return true;
	}
	*expected = a->value;
	return false;
}

/* ----------------------------------------------------------------- memory */

size_t bsp_mem_regions(const struct bsp_mem_region **regions)
{
	*regions = bsp_sim.regions;
	return bsp_sim.region_count;
}

void *bsp_mem_exec_alloc(size_t size)
{
	if (size == 0)
		return NULL;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

#if defined(__x86_64__)
#define SIM_CODE_MACHINE 62u /* EM_X86_64 */
#else
#define SIM_CODE_MACHINE 0u /* the loader has no relocations for this host yet */
#endif
/* The simulator leaves BSP_CODE_MACHINE open (bsp.h): its loader keeps
 * every machine, so the loader fuzzer runs the board's relocations too. */
_Static_assert(BSP_CODE_MACHINE == BSP_CODE_MACHINE_ANY || BSP_CODE_MACHINE == SIM_CODE_MACHINE,
	       "BSP_CODE_MACHINE is the host's machine or left open");

unsigned bsp_code_machine(void)
{
	return SIM_CODE_MACHINE;
}

void bsp_mem_exec_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* ------------------------------------------------------------- host files */

static int host_error(int e)
{
	switch (e) {
	case ENOENT: return -BSP_ENOENT;
	case EACCES: return -BSP_EACCES;
	case EPERM: return -BSP_EPERM;
	case EEXIST: return -BSP_EEXIST;
	case ENOTDIR: return -BSP_ENOTDIR;
	case EISDIR: return -BSP_EISDIR;
	case EBADF: return -BSP_EBADF;
	case ENOMEM: return -BSP_ENOMEM;
	case ENOSPC: return -BSP_ENOSPC;
	case EINVAL: return -BSP_EINVAL;
	default: return -BSP_EIO;
	}
}

int bsp_file_open(const char *path, unsigned flags)
{
	if (!path || (flags & (BSP_FILE_READ | BSP_FILE_WRITE)) == 0)
		return -BSP_EINVAL;
	if (bsp_fault_inject(BSP_FAULT_IO))
		return -BSP_EIO;
	int mode = (flags & BSP_FILE_WRITE) ? ((flags & BSP_FILE_READ) ? O_RDWR : O_WRONLY)
					    : O_RDONLY;
	if (flags & BSP_FILE_CREATE)
		mode |= O_CREAT;
	if (flags & BSP_FILE_TRUNC)
		mode |= O_TRUNC;
	int fd = open(path, mode | O_CLOEXEC, 0644);
	return fd < 0 ? host_error(errno) : fd;
}

long bsp_file_read(int handle, void *buf, size_t size)
{
	if (handle < 0)
		return -BSP_EBADF;
	if (bsp_fault_inject(BSP_FAULT_IO))
		return -BSP_EIO;
	ssize_t n = read(handle, buf, size);
	return n < 0 ? host_error(errno) : (long)n;
}

long bsp_file_write(int handle, const void *buf, size_t size)
{
	if (handle < 0)
		return -BSP_EBADF;
	if (bsp_fault_inject(BSP_FAULT_IO))
		return -BSP_EIO;
	ssize_t n = write(handle, buf, size);
	return n < 0 ? host_error(errno) : (long)n;
}

int64_t bsp_file_seek(int handle, int64_t offset, int whence)
{
	if (handle < 0)
		return -BSP_EBADF;
	int w = whence == BSP_SEEK_SET ? SEEK_SET : whence == BSP_SEEK_CUR ? SEEK_CUR
					      : whence == BSP_SEEK_END ? SEEK_END : -1;
	if (w < 0)
		return -BSP_EINVAL;
	off_t r = lseek(handle, (off_t)offset, w);
	return r < 0 ? host_error(errno) : (int64_t)r;
}

int bsp_file_close(int handle)
{
	if (handle < 0)
		return -BSP_EBADF;
	return close(handle) < 0 ? host_error(errno) : 0;
}

static int not_dot(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int bsp_dir_entry(const char *path, size_t index, char *name, size_t cap)
{
	if (!path || !name || cap == 0)
		return -BSP_EINVAL;
	struct dirent **list;
	int n = scandir(path, &list, not_dot, by_name); /* sorted: stable order */
	if (n < 0)
		return host_error(errno);
	int rc = 0;
	if (index < (size_t)n) {
		size_t len = strlen(list[index]->d_name);
		rc = len < cap ? 1 : -BSP_EINVAL;
		if (rc == 1)
			memcpy(name, list[index]->d_name, len + 1);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

/* ------------------------------------------------- console, panic, faults */

void bsp_console_write(const char *s, size_t size)
{
	if (!bsp_sim.console_capture) {
		fwrite(s, 1, size, stdout);
		fflush(stdout);
		return;
	}
	if (bsp_sim.console_len + size + 1 > bsp_sim.console_cap) {
		size_t cap = bsp_sim.console_cap ? bsp_sim.console_cap : 4096;
		while (cap < bsp_sim.console_len + size + 1 && cap < BSP_SIM_CONSOLE_MAX)
			cap *= 2;
		if (cap < bsp_sim.console_len + size + 1)
			return; /* capture full: drop, never fail the caller */
		char *c = realloc(bsp_sim.console, cap);
		if (!c)
			return;
		bsp_sim.console = c;
		bsp_sim.console_cap = cap;
	}
	memcpy(bsp_sim.console + bsp_sim.console_len, s, size);
	bsp_sim.console_len += size;
	bsp_sim.console[bsp_sim.console_len] = '\0';
}

_Noreturn void bsp_panic(const char *file, int line, const char *msg)
{
	snprintf(bsp_sim.last_panic, sizeof bsp_sim.last_panic, "%s:%d: %s", file, line, msg);
	if (sim_running())
		sim_fail(SIM_FAIL_ASSERT, "panic on core %u: %s", sim_core_id(), bsp_sim.last_panic);
	if (bsp_sim.panic_env)
		longjmp(*bsp_sim.panic_env, 1);
	fprintf(stderr, "panic: %s\n", bsp_sim.last_panic);
	abort();
}

bool bsp_fault_inject(unsigned site)
{
	if (__builtin_expect(site >= BSP_FAULT_SITES, 0))
		bsp_panic(__FILE__, __LINE__, "bsp_fault_inject: unknown site");
	uint64_t call = ++bsp_sim.fault_calls[site];
	if (__builtin_expect((bsp_sim.fault_armed >> site & 1u) == 0u, 1))
		return false;
	uint64_t nth = bsp_sim.fail_nth[site];
	if (nth && (call == nth || (bsp_sim.fail_persist[site] && call > nth)))
		return true;
	if (bsp_sim.in_run && bsp_sim.fault_decisions[site])
		return sim_decide_fault(site);
	return false;
}

/* ------------------------------------------------- the readable log */

/* Where the kernel call that caused an event was made: the return addresses
 * of the frames above the hook, as offsets into the executable (stable from
 * run to run of one binary, whatever ASLR does), written into the log line
 * as "@off,off,...". The CLI symbolizes them for display (sim/symbols.c)
 * and picks the first frame outside the kernel. Display only: never hashed,
 * never read by a strategy. */
#define BSP_SIM_WHERE_FRAMES_MAX 10u
#define BSP_SIM_WHERE_SKIP 1u /* the hook itself */
#define BSP_SIM_WHERE_BYTES (BSP_SIM_WHERE_FRAMES_MAX * 17u + 2u)
#define BSP_SIM_LOG_TEXT_MAX 40u

struct where_walk {
	uintptr_t pc[BSP_SIM_WHERE_FRAMES_MAX];
	unsigned count;
	unsigned skip;
};

static _Unwind_Reason_Code where_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct where_walk *w = arg;
	if (w->skip > 0) {
		w->skip--;
		return _URC_NO_REASON;
	}
	if (w->count >= BSP_SIM_WHERE_FRAMES_MAX)
		return _URC_END_OF_STACK;
	uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);
	if (ip == 0)
		return _URC_END_OF_STACK;
	w->pc[w->count++] = ip;
	return _URC_NO_REASON;
}

/* out[cap]: " @o1,o2,..." (call sites: return address - 1), or "". */
static void where_format(char *out, size_t cap)
{
	out[0] = '\0';
	Dl_info self;
	if (!dladdr((void *)(uintptr_t)where_format, &self) || !self.dli_fbase)
		return;
	struct where_walk w = {.count = 0, .skip = BSP_SIM_WHERE_SKIP};
	_Unwind_Backtrace(where_frame, &w);
	size_t len = 0;
	for (unsigned i = 0; i < w.count && len + 20u < cap; i++) {
		uintptr_t base = (uintptr_t)self.dli_fbase;
		if (w.pc[i] <= base)
			break; /* another object (libc, a sanitizer): past the caller */
		int n = snprintf(out + len, cap - len, "%s%lx", i == 0 ? " @" : ",",
				 (unsigned long)(w.pc[i] - 1u - base));
		if (n <= 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	SIM_ASSERT(len < cap);
}

/* A name as one safe token of the log line: printable, bounded. */
static void log_text(char *out, size_t cap, const char *text)
{
	size_t n = 0;
	for (; text && text[n] && n + 1u < cap && n < BSP_SIM_LOG_TEXT_MAX; n++) {
		unsigned char ch = (unsigned char)text[n];
		out[n] = ch >= 0x20u && ch < 0x7fu ? (char)ch : '?';
	}
	out[n] = '\0';
	SIM_ASSERT(n < cap);
}

void bsp_trace_event(const char *kind, uintptr_t a, uintptr_t b)
{
	if (!sim_running())
		return;
	/* Hash the text, never the pointer: addresses differ between runs. */
	uint64_t h = 0;
	for (size_t i = 0; kind[i] && i < 64; i++)
		h = h * 31u + (unsigned char)kind[i];
	sim_hash_mix(h);
	sim_hash_mix(a);
	sim_hash_mix(b);
	if (!sim_log_enabled())
		return;
	char where[BSP_SIM_WHERE_BYTES];
	where_format(where, sizeof where);
	sim_log("%s %lu %lu%s", kind, (unsigned long)a, (unsigned long)b, where);
}

void bsp_trace_detail(const char *kind, uintptr_t a, uintptr_t b, const char *text)
{
	if (!sim_running() || !sim_log_enabled())
		return;
	char where[BSP_SIM_WHERE_BYTES];
	char shown[BSP_SIM_LOG_TEXT_MAX + 1u];
	where_format(where, sizeof where);
	log_text(shown, sizeof shown, text);
	sim_log("%s %lu %lu%s%s%s", kind, (unsigned long)a, (unsigned long)b, where,
		text ? " =" : "", shown);
}
