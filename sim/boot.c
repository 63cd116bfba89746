/*
 * boot.c — one run of a workload: set up host memory, pick the strategy,
 * boot a fresh kernel on the simulated cores, run the workload's main and end
 * check on the first kernel thread, and judge the run with the oracles:
 * K_ASSERT (a panic fails the run), k_sched_check between steps, a
 * starvation bound, the latency bound (a more urgent ready thread gets its
 * core at the core's next interrupt window), the deadlock report when every
 * core idles with threads blocked, the step budget, a leak check after every
 * thread has exited.
 *
 * Strategies: random (seeded), pct:D (the engine's PCT), replay (a trace),
 * bytes (fuzzer input, then random once spent: see bytes_then_random).
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/errno.h>
#include <k/loader.h>
#include <k/mem.h>
#include <k/sched.h>
#include <k/workload.h>

#include "bsp_sim.h"
#include "harness.h"
#include "sim_assert.h"

/* Limits of one run. A workload that needs more is a workload to split. */
#define WEFT_STEP_BUDGET_DEFAULT 4000000u
#define WEFT_REGION_SMALL_BYTES ((64u << 10) + 1000u)
/* Per core: the engine's boot fiber runs k_boot on core 0 and each core's
 * idle loop; shallow, but sanitizer frames are big. */
#define WEFT_BOOT_STACK_BYTES (64u << 10)
/* The first kernel thread (workload main and end check). */
#define WEFT_MAIN_STACK_BYTES (16u << 10)
#define WEFT_REGION_MISALIGN 24u
/* Longest a ready thread may wait for a core, in virtual ns, before the run
 * fails as starvation: 2000 default slices. */
#define WEFT_STARVATION_NS_MAX (2000u * K_SLICE_DEFAULT_NS)
#define WEFT_CHECK_MSG_MAX 256u

/* --module (weft_module_set): the image, its path for messages, and, once
 * a run's loader refused it, why. One run at a time uses these. */
static struct {
	const uint8_t *bytes;
	size_t size;
	const char *path;
	char refusal[WEFT_CHECK_MSG_MAX];
} module_opt;

extern const unsigned char weft_default_module[];
extern const size_t weft_default_module_size;

void weft_module_set(const uint8_t *bytes, size_t size, const char *path)
{
	SIM_ASSERT(bytes == NULL || size > 0);
	module_opt.bytes = bytes;
	module_opt.size = size;
	module_opt.path = path;
	module_opt.refusal[0] = '\0';
}

const char *weft_module_refusal(void)
{
	return module_opt.refusal[0] ? module_opt.refusal : NULL;
}

const void *weft_workload_module(size_t *size)
{
	SIM_ASSERT(size != NULL);
	*size = module_opt.bytes ? module_opt.size : weft_default_module_size;
	if (*size == 0)
		return NULL;
	return module_opt.bytes ? (const void *)module_opt.bytes : (const void *)weft_default_module;
}

/* Load the --module image into the booted kernel before the workload: a
 * refusal ends the run (weft reports it as bad input, exit 2). */
static k_dynmod_t *module_load_before(void)
{
	if (!module_opt.bytes)
		return NULL;
	k_dynmod_t *m = NULL;
	const char *why = NULL;
	int rc = k_module_load(module_opt.bytes, module_opt.size, &m, &why);
	if (rc < 0) {
		snprintf(module_opt.refusal, sizeof module_opt.refusal, "%s (%s)", k_err_name(rc),
			 why ? why : "no reason given");
		sim_fail(SIM_FAIL_ORACLE, "--module %s: refused by the loader: %s", module_opt.path,
			 module_opt.refusal);
	}
	return m;
}

static void workload_thread(void *arg)
{
	const struct k_workload *w = arg;
	k_dynmod_t *module = module_load_before();
	int rc = w->main();
	if (rc < 0)
		sim_fail(SIM_FAIL_ORACLE, "workload %s: main failed with %s (%d: %s)", w->name,
			 k_err_name(rc), rc, k_err_meaning(rc));
	char msg[WEFT_CHECK_MSG_MAX] = "";
	if (w->check(msg, sizeof msg) < 0)
		sim_fail(SIM_FAIL_ORACLE, "workload %s: end check: %s", w->name, msg);
	if (module && (rc = k_module_unload(module)) < 0)
		sim_fail(SIM_FAIL_ORACLE, "--module %s: unload failed with %s", module_opt.path,
			 k_err_name(rc));
}

static void boot_main(void *arg)
{
	const struct k_workload *w = arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = workload_thread;
	bc.main_arg = (void *)w;
	/* The workload's main only creates, joins and checks: shallow. */
	bc.main_stack_bytes = WEFT_MAIN_STACK_BYTES;
	int rc = k_boot(&bc);
	if (rc < 0)
		sim_fail(SIM_FAIL_ORACLE, "k_boot failed with %s (%d: %s)", k_err_name(rc), rc,
			 k_err_meaning(rc));
	/* Every thread has exited and been freed: the kernel holds no memory
	 * for anybody, or something leaked. */
	k_mem_check();
	struct k_mem_stats st;
	k_mem_stats(&st);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		if (st.owner[o].used_bytes != 0)
			sim_fail(SIM_FAIL_ORACLE,
				 "leak: owner %u still holds %zu bytes in %zu blocks after every thread exited",
				 o, st.owner[o].used_bytes, st.owner[o].blocks);
	}
	sim_finish();
}

/* The starvation bound is 10^6 steps of virtual time away: looking every
 * 256 steps finds a starved thread just as surely, at a fraction of the
 * cost of a walk of every run queue per step. */
#define WEFT_STARVATION_CHECK_EVERY 256u
static uint64_t steps_since_starvation_check;

/* bsp_sim_publish_count at the last k_sched_check: while it has not moved,
 * nothing the checker can see has changed (it skips held locks). */
static uint64_t publish_count_checked;

/* Latency: once a thread more urgent than the one running on core C is
 * ready in C's run queue, the kernel has interrupted C (an IPI from the
 * waker, or the waker is C itself), and C takes that interrupt the next time
 * it enables interrupts; its handler preempts. So C may enable interrupts at
 * most this many times (or make this many points with interrupts on) before
 * it switches: 1 for the enable that takes the
 * IPI, 1 because the count moves at the point before an enable (the waker's
 * own enable may be counted while its IPI is still in flight), and 1 spare
 * for an IPI raised right after C's enable point; plus the engine's interrupt
 * window: a strategy may defer an interrupt that came from outside the core
 * past SIM_IRQ_DEFER_POINTS_MAX enabled points in a row (sim.h). An
 * idle core is judged alike (its wake-up IPI is taken at its first enable);
 * one left asleep makes no step to count, and shows as starvation or
 * deadlock instead. */
#define WEFT_LATENCY_ENABLES_MAX (3u + SIM_IRQ_DEFER_POINTS_MAX)

/* Points a core made with interrupts on (a thread polling an atomic, say):
 * a pending interrupt is taken when it resumes from each, so each counts as
 * an enable. */
static uint64_t latency_irq_on_points[SIM_CORES_MAX];

static struct latency_watch {
	bool waiting;        /* an urgent thread waits on this core */
	uint64_t switches;   /* the core's switch count when that began */
	uint64_t enables;    /* its interrupt-enable count then */
} latency[SIM_CORES_MAX];

static bool latency_check(char *msg, size_t cap)
{
	unsigned cores = k_sched_cores();
	for (unsigned c = 0; c < cores && c < SIM_CORES_MAX; c++) {
		struct latency_watch *w = &latency[c];
		uint64_t switches = 0;
		int urgent = k_sched_urgent_waiting(c, &switches);
		if (urgent < 0)
			continue; /* its run queue is mid-update: judge it later */
		if (urgent == 0 || (w->waiting && switches != w->switches)) {
			w->waiting = false;
			if (urgent == 0)
				continue;
		}
		uint64_t enables = bsp_sim_irq_enables(c) + latency_irq_on_points[c];
		if (!w->waiting) {
			*w = (struct latency_watch){.waiting = true, .switches = switches, .enables = enables};
			continue;
		}
		if (enables - w->enables > WEFT_LATENCY_ENABLES_MAX) {
			snprintf(msg, cap,
				 "latency: core %u enabled interrupts %" PRIu64 " times without switching to a more urgent ready thread (bound %u)",
				 c, enables - w->enables, WEFT_LATENCY_ENABLES_MAX);
			return false;
		}
	}
	return true;
}

static bool on_step(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	unsigned core = sim_core_id();
	if (core < SIM_CORES_MAX && sim_irq_enabled())
		latency_irq_on_points[core]++;
	uint64_t published = bsp_sim_publish_count();
	if (published != publish_count_checked) {
		publish_count_checked = published;
		if (k_sched_check(msg, cap) != 0)
			return false;
		if (!latency_check(msg, cap))
			return false;
	}
	if (++steps_since_starvation_check < WEFT_STARVATION_CHECK_EVERY)
		return true;
	steps_since_starvation_check = 0;
	uint64_t waited = k_sched_starvation_ns();
	if (waited > WEFT_STARVATION_NS_MAX) {
		snprintf(msg, cap, "starvation: a ready thread waited %" PRIu64 " ns for a core (bound %" PRIu64 ")",
			 waited, (uint64_t)WEFT_STARVATION_NS_MAX);
		return false;
	}
	return true;
}

static bool on_all_idle(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	if (k_sched_finished())
		return true;
	if (k_sched_deadlock_report(msg, cap) == 0)
		snprintf(msg, cap, "every core idle, no timer armed, threads left but none blocked");
	return false;
}

/* Fuzzing: decisions from the input bytes, then — once they are spent — from
 * a random strategy seeded by the input. The engine's default ("keep the
 * current core") is no schedule for a kernel: a core spinning in its idle
 * loop or on a lock would starve every other core forever, and each such
 * input would end as a false step-budget failure. */
struct bytes_then_random {
	sim_strategy_t bytes;
	sim_strategy_storage_t bytes_storage;
	sim_strategy_t random;
	sim_strategy_storage_t random_storage;
};

static uint32_t btr_choose(sim_strategy_t *self, const sim_choice_t *c)
{
	struct bytes_then_random *b = self->state;
	if (b->bytes_storage.pos < b->bytes_storage.len)
		return b->bytes.choose(&b->bytes, c);
	return b->random.choose(&b->random, c);
}

static void btr_begin(sim_strategy_t *self, unsigned cores)
{
	struct bytes_then_random *b = self->state;
	if (b->bytes.begin)
		b->bytes.begin(&b->bytes, cores);
	if (b->random.begin)
		b->random.begin(&b->random, cores);
}

static void btr_init(sim_strategy_t *s, struct bytes_then_random *b, const uint8_t *data,
		     size_t size)
{
	memset(b, 0, sizeof *b);
	sim_strategy_bytes(&b->bytes, &b->bytes_storage, data, size);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < size; i++)
		seed = sim_hash64(seed, data[i]);
	sim_strategy_random(&b->random, &b->random_storage, seed, 0);
	s->name = "bytes";
	s->choose = btr_choose;
	s->begin = btr_begin;
	s->state = b;
}

/* Every run allocates (and frees) the kernel's memory region and the
 * engine's boot stacks. glibc would serve blocks that size with fresh mmaps:
 * a page fault per page per run, a third of a small run's host time. Keep
 * them on the heap, where the next run finds them again. */
static void host_malloc_tune(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

static char console_tail[WEFT_CONSOLE_TAIL_BYTES];

const char *weft_run_console(void)
{
	return console_tail;
}

/* Calibrated k per (workload, cores), measured once per process. */
#define WEFT_PCT_CALIBRATIONS_MAX 64u
static struct {
	const struct k_workload *w;
	unsigned cores;
	bool mem_points;
	uint64_t steps;
} pct_calibrations[WEFT_PCT_CALIBRATIONS_MAX];
static size_t pct_calibration_count;

static uint64_t pct_calibrate(const struct k_workload *w, unsigned cores, bool mem_points)
{
	for (size_t i = 0; i < pct_calibration_count; i++)
		if (pct_calibrations[i].w == w && pct_calibrations[i].cores == cores &&
		    pct_calibrations[i].mem_points == mem_points)
			return pct_calibrations[i].steps;
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.cores = cores;
	o.mem_points = mem_points; /* memory points lengthen a run */
	o.seed = 0;
	o.quiet_console = true; /* a measurement, not a run to show */
	snprintf(o.strategy, sizeof o.strategy, "random");
	sim_result_t r;
	(void)weft_run_once(w, &o, &r, NULL, 0);
	uint64_t steps = r.steps ? r.steps : WEFT_PCT_STEPS_DEFAULT;
	sim_result_free(&r);
	if (pct_calibration_count < WEFT_PCT_CALIBRATIONS_MAX) {
		pct_calibrations[pct_calibration_count].w = w;
		pct_calibrations[pct_calibration_count].cores = cores;
		pct_calibrations[pct_calibration_count].mem_points = mem_points;
		pct_calibrations[pct_calibration_count].steps = steps;
		pct_calibration_count++;
	}
	return steps;
}

static uint64_t pct_steps_for(const struct k_workload *w, unsigned cores, const char *strategy,
			      bool mem_points)
{
	unsigned depth = 0;
	uint64_t steps = 0;
	char err[160];
	if (!weft_strategy_parse(strategy, &depth, &steps, err, sizeof err) || depth == 0)
		return 0;
	return steps ? steps : pct_calibrate(w, cores, mem_points);
}

uint64_t weft_pct_steps(const struct k_workload *w, unsigned cores, const char *strategy)
{
	return pct_steps_for(w, cores, strategy, false);
}

/* The kernel's per-core arrays hold BSP_CORES_MAX cores (bsp.h, set per
 * build); k_sched_init refuses more, so the CLI must never ask for them. */
unsigned weft_cores_max(void)
{
	_Static_assert(BSP_CORES_MAX >= 1u, "one core at least");
	return BSP_CORES_MAX < SIM_CORES_MAX ? (unsigned)BSP_CORES_MAX : SIM_CORES_MAX;
}

size_t weft_region_bytes(const struct k_workload *w, unsigned cores)
{
	SIM_ASSERT(w != NULL && cores >= 1 && cores <= SIM_CORES_MAX);
	size_t base = w->region_bytes ? w->region_bytes : WEFT_REGION_BYTES_DEFAULT;
	size_t extra = cores > WEFT_REGION_CORES_INCLUDED
			       ? (size_t)(cores - WEFT_REGION_CORES_INCLUDED) * WEFT_REGION_PER_CORE_BYTES
			       : 0u;
	SIM_ASSERT(base + extra >= base);
	return base + extra;
}

enum sim_outcome weft_run_once(const struct k_workload *w, const struct weft_run_options *opts,
			       sim_result_t *out, char *replay_note, size_t note_cap)
{
	SIM_ASSERT(w != NULL && opts != NULL);
	SIM_ASSERT(opts->cores >= 1 && opts->cores <= weft_cores_max()); /* the CLI checked */
	host_malloc_tune();
	/* Before this run's set-up: calibrating is a run of its own. */
	uint64_t pct_steps = opts->replay || opts->bytes
				     ? 0
				     : pct_steps_for(w, opts->cores, opts->strategy, opts->mem_points);
	/* Also before: learning the shared words takes runs of their own. */
	size_t shared_count = 0;
	const uint64_t *shared = NULL;
	if (opts->mem_points) {
		SIM_ASSERT(sim_mem_available()); /* the CLI refuses --mem-points otherwise */
		shared = weft_shared_words(w, opts->cores, &shared_count);
	}
	steps_since_starvation_check = 0;
	publish_count_checked = UINT64_MAX; /* the first step is checked */
	memset(latency, 0, sizeof latency);
	memset(latency_irq_on_points, 0, sizeof latency_irq_on_points);
	struct bsp_sim_options mem = {
		.region_count = 2,
		.region_bytes = {opts->region_bytes ? opts->region_bytes : weft_region_bytes(w, opts->cores),
				 WEFT_REGION_SMALL_BYTES},
		.region_misalign = WEFT_REGION_MISALIGN,
	};
	bsp_sim_setup(&mem);
	console_tail[0] = '\0';
	if (opts->quiet_console)
		bsp_sim_console_capture(true);
	if (opts->fault_per_million)
		bsp_sim_fault_decisions(BSP_FAULT_ALLOC, true);

	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	memset(&storage, 0, sizeof storage);
	struct bytes_then_random btr;
	sim_strategy_t *s = &strategy;
	unsigned depth = 0;
	uint64_t steps = 0;
	char err[160];
	if (opts->replay) {
		sim_strategy_replay(s, &storage, opts->replay);
	} else if (opts->bytes) {
		btr_init(s, &btr, opts->bytes, opts->bytes_len);
	} else if (!weft_strategy_parse(opts->strategy, &depth, &steps, err, sizeof err)) {
		/* The CLI parsed it already: reaching here is a harness bug. */
		fprintf(stderr, "weft: %s\n", err);
		s = NULL;
	} else if (depth > 0) {
		SIM_ASSERT(pct_steps >= 1);
		sim_strategy_pct(s, &storage, opts->seed, depth, pct_steps);
	} else if (strcmp(opts->strategy, "default") == 0) {
		s = NULL;
	} else {
		sim_strategy_random(s, &storage, opts->seed, opts->fault_per_million);
	}

	sim_config_t cfg = {
		.cores = opts->cores,
		.strategy = s,
		.step_budget = opts->step_budget ? opts->step_budget : WEFT_STEP_BUDGET_DEFAULT,
		.record_step_hashes = opts->step_hashes,
		.log = opts->log,
		.on_all_idle = on_all_idle,
		.on_step = on_step,
		.check_every = opts->check_every,
		.boot_stack_bytes = WEFT_BOOT_STACK_BYTES,
		/* Time and interrupts are decisions: one core has many
		 * schedules. One point may take at most a slice of virtual time,
		 * so the slice end is always in reach and latency bounds of a
		 * few slices stay meaningful. */
		.timing_decisions = !opts->fixed_timing,
		.advance_window_ns = K_SLICE_DEFAULT_NS,
		.mem_points = opts->mem_points,
		.mem_learn = opts->mem_learn,
		.features = opts->features,
		.never_rule = opts->never_rule,
		.mem_shared = shared,
		.mem_shared_count = shared_count,
	};
	enum sim_outcome o = bsp_sim_run(&cfg, boot_main, (void *)w, out);
	if (replay_note && note_cap)
		snprintf(replay_note, note_cap, "%s", opts->replay ? storage.note : "");
	if (opts->quiet_console) {
		const char *text = bsp_sim_console();
		size_t len = strlen(text);
		size_t from = len > WEFT_CONSOLE_TAIL_BYTES - 1u ? len - (WEFT_CONSOLE_TAIL_BYTES - 1u) : 0u;
		snprintf(console_tail, sizeof console_tail, "%s", text + from);
	}
	bsp_sim_teardown();
	return o;
}
