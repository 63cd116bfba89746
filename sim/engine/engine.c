/*
 * sim_engine.c — runs, scheduling points, virtual cores and decisions.
 *
 * N virtual cores share one host thread: each core has a current fiber, and
 * exactly one core's fiber runs at a time (sim_engine.current). At every
 * sim_point the engine counts a step, advances virtual time, fires due timers,
 * checks the oracle and the budget, then picks the next core among the ready
 * ones (through the strategy when there are two or more) and switches host
 * fibers only when the pick differs from the running core. The core that
 * resumes then passes its enabled-point decisions (engine_irq.c).
 *
 * Contexts: each fiber's tag carries its context id; sim_core_switch keeps
 * core_context[] and each core's list of contexts known ready (switched out
 * inside the interrupt handler, i.e. preempted, or new), for strategies.
 *
 * A run ends by switching back to sim_run's own context (sim_engine.host) from
 * whatever fiber ends it; every fiber still suspended is abandoned there.
 * The engine frees what it took (boot stacks, its host fiber); fibers the
 * caller created with sim_fiber_init belong to the caller, who releases and
 * frees them after sim_run returns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

struct engine sim_engine;

static _Alignas(64) unsigned char engine_host_block[SIM_FIBER_HOST_BYTES];
/* options[i] = i for value decisions, filled once. */
static uint32_t engine_identity[SIM_DECIDE_VALUE_MAX];

#define ENGINE_STEP_HASHES_INITIAL 1024u
/* When no core is ready the engine jumps to the earliest timer, which makes
 * its core ready: one jump always suffices; the bound is the belief. */
#define ENGINE_IDLE_JUMPS_MAX 2u

static const uint32_t engine_fault_options[2] = {0, 1};

/* ------------------------------------------------------------ run end */

static void engine_one_line(char *s)
{
	for (size_t i = 0; s[i] != '\0' && i < SIM_MESSAGE_MAX; i++)
		if (s[i] == '\n' || s[i] == '\r')
			s[i] = ' ';
}

_Noreturn void sim_engine_end_v(enum sim_outcome outcome, const char *fmt, va_list ap)
{
	SIM_ASSERT(sim_engine.running);
	sim_result_t *r = sim_engine.out;
	r->outcome = outcome;
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	if (outcome == SIM_OK && sim_never_reports() > 0) {
		/* A run that broke the never-rule did not end well. */
		r->outcome = SIM_FAIL_ORACLE;
		snprintf(r->message, sizeof r->message, "%" PRIu32 " never-rule violation(s); first: %s",
			 sim_never_reports(), sim_never_report(0));
	}
	engine_one_line(r->message);
	/* This fiber never resumes: its stack (and every suspended one) is
	 * abandoned. */
	sim_fiber_switch(NULL, sim_engine.host);
	sim_assert_fail("an ended run resumed", __FILE__, __LINE__);
}

_Noreturn void sim_engine_end(enum sim_outcome outcome, const char *fmt, ...)
			      {
	va_list ap;
	va_start(ap, fmt);
	sim_engine_end_v(outcome, fmt, ap);
}

_Noreturn void sim_finish(void)
{
	if (!sim_engine.running) {
		fprintf(stderr, "sim_finish called outside a run\n");
		abort();
	}
	sim_engine_end(SIM_OK, "%s", "");
}

_Noreturn void sim_fail(enum sim_outcome outcome, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!sim_engine.running) {
		/* No run to end: the caller is a unit test calling adapter-backed
		 * code directly. Say what failed and stop, like a panic would. */
		fprintf(stderr, "sim_fail (outside a run, outcome %d): ", (int)outcome);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
		abort();
	}
	sim_engine_end_v(outcome, fmt, ap);
}

/* -------------------------------------------------------------- cores */

/* ----------------------------------------------------------- contexts */

static uint32_t engine_tag_context(uint64_t tag)
{
	return (tag & ENGINE_TAG_NAMED) ? (uint32_t)tag : SIM_CONTEXT_NONE;
}

/* File `id` as ready on core c (newest last; the oldest is forgotten when
 * the list is full: it is a hint). */
static void engine_ready_add(unsigned c, uint32_t id)
{
	struct engine_core *k = &sim_engine.core[c];
	SIM_ASSERT(k->ready_count <= SIM_READY_CONTEXTS_MAX);
	if (id == SIM_CONTEXT_NONE)
		return;
	if (k->ready_count == SIM_READY_CONTEXTS_MAX) {
		memmove(k->ready, k->ready + 1, (SIM_READY_CONTEXTS_MAX - 1) * sizeof k->ready[0]);
		k->ready_count--;
	}
	k->ready[k->ready_count++] = id;
}

/* `id` runs now: no core lists it as ready any more. */
static void engine_ready_remove(uint32_t id)
{
	for (unsigned c = 0; c < sim_engine.cores; c++) {
		struct engine_core *k = &sim_engine.core[c];
		for (uint32_t i = 0; i < k->ready_count; i++) {
			if (k->ready[i] != id)
				continue;
			memmove(k->ready + i, k->ready + i + 1, (k->ready_count - i - 1) * sizeof k->ready[0]);
			k->ready_count--;
			SIM_ASSERT(k->ready_count < SIM_READY_CONTEXTS_MAX);
			return;
		}
	}
}

/* Core c now runs fiber f: count it the first time, learn its context. */
static void engine_context_enter(unsigned c, sim_fiber_t *f)
{
	uint64_t tag = sim_fiber_tag(f);
	uint32_t id = engine_tag_context(tag);
	if (!(tag & ENGINE_TAG_RAN)) {
		sim_engine.contexts_ran++;
		tag |= ENGINE_TAG_RAN;
	}
	struct engine_core *k = &sim_engine.core[c];
	/* A preempted fiber resumes inside the handler that switched it out. */
	k->in_irq = (tag & ENGINE_TAG_PREEMPTED) != 0;
	k->resumed_preempted = k->in_irq;
	sim_fiber_set_tag(f, tag & ~ENGINE_TAG_PREEMPTED);
	if (sim_engine.core_context[c] != id && id != SIM_CONTEXT_NONE)
		engine_ready_remove(id);
	sim_engine.core_context[c] = id;
	sim_engine.hash = engine_mix(sim_engine.hash, ((uint64_t)c << 32) | id);
}

void sim_context_init(sim_fiber_t *f, uint32_t id)
{
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(id >= SIM_CONTEXT_FIRST && id < SIM_CONTEXT_IRQ(0));
	sim_fiber_set_tag(f, ENGINE_TAG_NAMED | id);
	if (sim_engine.running)
		engine_ready_add(sim_engine.current, id);
}

uint32_t sim_context_current(void)
{
	return sim_engine.running ? sim_engine.core_context[sim_engine.current] : 0;
}

static void engine_boot_entry(void *p)
{
	struct engine_core *k = p;
	SIM_ASSERT(k >= sim_engine.core && k < sim_engine.core + SIM_CORES_MAX);
	unsigned boot_core = (unsigned)(k - sim_engine.core);
	k->entry(k->arg);
	/* main_fn returning ends the run like sim_finish; a secondary entry
	 * returning halts the core it now runs on. */
	if (boot_core == 0)
		sim_finish();
	struct engine_core *now = &sim_engine.core[sim_engine.current];
	now->halted = true;
	now->timer_deadline_ns = ENGINE_TIMER_NONE;
	sim_engine_recompute_deadline();
	engine_update_ready(sim_engine.current);
	sim_point(SIM_POINT_IDLE);
	sim_assert_fail("a halted core was resumed", __FILE__, __LINE__);
}

/* Each core's boot stack outlives its run: the next run of the process takes
 * it again (a fuzzer boots thousands of kernels a second, and a fresh host
 * block per run costs an allocation and its page faults each time). Only
 * the host pays: sim_fiber_init prepares the stack afresh, whatever ran on
 * it before, so nothing of an earlier run reaches the next. */
static struct {
	void *mem;
	size_t bytes;
} engine_boot_stacks[SIM_CORES_MAX];

static void *engine_boot_stack(unsigned c, size_t bytes)
{
	SIM_ASSERT(c < SIM_CORES_MAX);
	SIM_ASSERT(bytes > 0);
	if (engine_boot_stacks[c].mem == NULL || engine_boot_stacks[c].bytes != bytes) {
		free(engine_boot_stacks[c].mem);
		engine_boot_stacks[c].mem = malloc(bytes);
		engine_boot_stacks[c].bytes = bytes;
	}
	return engine_boot_stacks[c].mem;
}

static void engine_core_boot(unsigned c, void (*entry)(void *), void *arg)
{
	struct engine_core *k = &sim_engine.core[c];
	SIM_ASSERT(!k->started && k->boot_stack == NULL);
	k->boot_stack = engine_boot_stack(c, sim_engine.boot_stack_bytes);
	SIM_ASSERT(k->boot_stack != NULL); /* host out of memory: not a finding */
	k->entry = entry;
	k->arg = arg;
	k->boot_fiber = sim_fiber_init(k->boot_stack, sim_engine.boot_stack_bytes, engine_boot_entry, k);
	SIM_ASSERT(k->boot_fiber != NULL);
	sim_fiber_set_tag(k->boot_fiber, ENGINE_TAG_NAMED | ENGINE_TAG_RAN | c);
	sim_engine.contexts_ran++;
	sim_engine.core_context[c] = c;
	k->fiber = k->boot_fiber;
	k->started = true;
	k->idle = false;
	k->irq_enabled = false;
	engine_update_ready(c);
}

bool sim_core_start(unsigned core, void (*entry)(void *), void *arg)
{
	if (!sim_engine.running || entry == NULL || core >= sim_engine.cores || sim_engine.core[core].started)
		return false;
	engine_core_boot(core, entry, arg);
	sim_engine_never_core_start(sim_engine.current, core); /* the start orders */
	return true;
}

bool sim_running(void)
{
	return sim_engine.running;
}

unsigned sim_core_id(void)
{
	return sim_engine.running ? sim_engine.current : 0;
}

unsigned sim_core_count(void)
{
	return sim_engine.running ? sim_engine.cores : 1;
}

uint64_t sim_time_ns(void)
{
	return sim_engine.running ? sim_engine.time_ns : 0;
}

sim_fiber_t *sim_core_fiber(void)
{
	return sim_engine.running ? sim_engine.core[sim_engine.current].fiber : NULL;
}

void sim_core_switch(sim_fiber_t *to, bool from_finished)
{
	if (!sim_engine.running)
		sim_assert_fail("sim_core_switch outside a run", __FILE__, __LINE__);
	unsigned c = sim_engine.current;
	sim_fiber_t *from = sim_engine.core[c].fiber;
	/* These are mistakes of the code under test (a kernel that switches to
	 * nothing, to itself, or to a context another core is running), not of
	 * the engine: they end the run as a failure with a trace, so explore,
	 * shrink and fuzzing record them like any assertion. */
	if (to == NULL)
		sim_engine_end(SIM_FAIL_ASSERT, "core %u: context switch to no context", c);
	if (to == from)
		sim_engine_end(SIM_FAIL_ASSERT, "core %u: context switch to the running context", c);
	for (unsigned i = 0; i < sim_engine.cores; i++) {
		if (sim_engine.core[i].fiber == to)
			sim_engine_end(SIM_FAIL_ASSERT,
				       "core %u: context switch to a context core %u is running", c, i);
	}
	struct engine_core *k = &sim_engine.core[c];
	if (!from_finished) {
		/* Switched out inside the handler: preempted, still runnable
		 * (and it will resume inside the handler). Otherwise it blocked,
		 * slept or yielded: the engine cannot tell which. */
		uint64_t tag = sim_fiber_tag(from);
		if (k->in_irq) {
			sim_fiber_set_tag(from, tag | ENGINE_TAG_PREEMPTED);
			engine_ready_add(c, engine_tag_context(tag));
		}
	}
	k->fiber = to;
	uint32_t from_context = sim_engine.core_context[c];
	engine_context_enter(c, to);
	if (sim_engine_features_on) /* an ordering on one core: a switch */
		sim_engine_feature(((uint64_t)from_context << 40) ^ ((uint64_t)SIM_POINT_SWITCH << 32) ^
				   sim_engine.core_context[c] ^ (1ull << 63));
	sim_fiber_switch(from_finished ? NULL : from, to);
	/* Resumed: some core switched back to `from`, maybe not core c. */
	SIM_ASSERT(!from_finished);
	SIM_ASSERT(sim_engine.core[sim_engine.current].fiber == from);
}

/* ---------------------------------------------------------- decisions */

static void engine_record(unsigned kind, uint32_t value)
{
	sim_trace_t *t = &sim_engine.out->decisions;
	if (t->count < t->capacity) {
		t->decisions[t->count].kind = (uint8_t)kind;
		t->decisions[t->count].value = value;
		t->count++;
		return;
	}
	if (!sim_trace_push(t, kind, value))
		sim_engine_end(SIM_FAIL_BUDGET, "decision stream full (%zu decisions)", t->count);
}

/* Put a choice to the strategy (or take the default); record the value. */
uint32_t sim_engine_decide(const sim_choice_t *choice)
{
	SIM_ASSERT(choice->n >= 2 && choice->default_index < choice->n);
	SIM_ASSERT(choice->kind < SIM_DECIDE_KINDS);
	uint32_t index = choice->default_index;
	sim_strategy_t *s = sim_engine.cfg.strategy;
	if (s != NULL) {
		index = s->choose(s, choice);
		if (index >= choice->n) {
			fprintf(stderr, "sim: strategy %s chose %" PRIu32 " of %" PRIu32 " options\n",
				s->name ? s->name : "?", index, choice->n);
			abort();
		}
	}
	uint32_t value = choice->options[index];
	engine_record(choice->kind, value);
	/* The trace's identity: which point asked (sim_trace_t's fit record). */
	if (!sim_trace_fit_note(&sim_engine.out->decisions, choice))
		sim_engine_end(SIM_FAIL_BUDGET, "fit record full (%zu decisions)",
			       sim_engine.out->decisions.count);
	return value;
}

static uint32_t engine_decide(unsigned kind, uint32_t n, const uint32_t *options,
			      uint32_t default_index, uint32_t current_index, uint32_t site)
{
	sim_choice_t choice = {
		.kind = kind,
		.n = n,
		.options = options,
		.default_index = default_index,
		.current_index = current_index,
		.site = site,
		.step = sim_engine.step,
		.core = sim_engine.current,
		.core_contexts = sim_engine.core_context,
	};
	return sim_engine_decide(&choice);
}

bool sim_decide_fault(unsigned site)
{
	if (!sim_engine.running)
		return false;
	uint32_t v = engine_decide(SIM_DECIDE_FAULT, 2, engine_fault_options, 0, 2, site);
	sim_engine.hash = engine_mix(sim_engine.hash, ((uint64_t)SIM_DECIDE_FAULT << 32) | v);
	return v == 1;
}

uint32_t sim_decide_value(uint32_t n)
{
	if (n <= 1 || !sim_engine.running)
		return 0;
	if (n > SIM_DECIDE_VALUE_MAX) {
		fprintf(stderr, "sim_decide_value(%" PRIu32 "): above SIM_DECIDE_VALUE_MAX\n", n);
		abort();
	}
	uint32_t v = engine_decide(SIM_DECIDE_VALUE, n, engine_identity, 0, n, n);
	sim_engine.hash = engine_mix(sim_engine.hash, ((uint64_t)SIM_DECIDE_VALUE << 32) | v);
	return v;
}

/* ------------------------------------------------------------- points */

static void engine_step_hash_store(void)
{
	sim_result_t *r = sim_engine.out;
	uint64_t i = sim_engine.step - 1;
	if (i >= sim_engine.step_hashes_capacity) {
		size_t cap = sim_engine.step_hashes_capacity * 2;
		uint64_t *p = realloc(r->step_hashes, cap * sizeof *p);
		SIM_ASSERT(p != NULL); /* host out of memory: not a finding */
		r->step_hashes = p;
		sim_engine.step_hashes_capacity = cap;
	}
	r->step_hashes[i] = sim_engine.hash;
}

static _Noreturn void engine_all_idle(void)
{
	if (sim_engine.cfg.on_all_idle == NULL)
		sim_engine_end(SIM_FAIL_DEADLOCK, "every core idle, no timer armed");
	char msg[SIM_MESSAGE_MAX];
	msg[0] = '\0';
	sim_engine_mem_hold(true); /* the adapter's check, not the run's accesses */
	bool over = sim_engine.cfg.on_all_idle(sim_engine.cfg.ctx, msg, sizeof msg);
	sim_engine_mem_hold(false);
	if (over)
		sim_engine_end(SIM_OK, "%s", "");
	msg[sizeof msg - 1] = '\0';
	sim_engine_end(SIM_FAIL_DEADLOCK, "%s",
		       msg[0] ? msg : "every core idle, no timer armed (no reason given)");
}

/* Count the step; time, timers, budget, oracle. May end the run. A memory
 * point (a plain access, races build) takes no virtual time: an access costs
 * a nanosecond, not a kernel primitive's step, and time-based oracles
 * (starvation, latency, timeouts) keep their meaning with --mem-points. */
static void engine_step_begin(unsigned kind)
{
	/* A budget of N allows N points; the one after fails (and is not
	 * counted). */
	if (sim_engine.cfg.step_budget != 0 && sim_engine.step >= sim_engine.cfg.step_budget)
		sim_engine_end(SIM_FAIL_BUDGET, "step budget of %" PRIu64 " points exhausted",
			       sim_engine.cfg.step_budget);
	sim_engine.step++;
	if (kind != SIM_POINT_MEM)
		sim_engine.time_ns += sim_engine.step_cost_ns;
	if (sim_engine.time_ns >= sim_engine.next_deadline_ns)
		sim_engine_fire_timers();
	sim_engine.hash = engine_mix(sim_engine.hash, sim_engine.step);
	if (sim_engine.cfg.record_step_hashes)
		engine_step_hash_store();
	/* A countdown, not step % check_every: no division on every point. */
	if (sim_engine.cfg.on_step != NULL && --sim_engine.check_countdown == 0) {
		sim_engine.check_countdown = sim_engine.check_every;
		char msg[SIM_MESSAGE_MAX];
		msg[0] = '\0';
		sim_engine_mem_hold(true); /* the adapter's check, not the run's accesses */
		bool held = sim_engine.cfg.on_step(sim_engine.cfg.ctx, msg, sizeof msg);
		sim_engine_mem_hold(false);
		if (!held) {
			msg[sizeof msg - 1] = '\0';
			sim_engine_end(SIM_FAIL_ORACLE, "%s", msg[0] ? msg : "on_step check failed");
		}
	}
}

static void engine_options_build(uint64_t ready)
{
	uint32_t n = 0;
	for (uint64_t m = ready; m != 0 && n < SIM_CORES_MAX; m &= m - 1) {
		unsigned core = (unsigned)__builtin_ctzll(m);
		sim_engine.options_index[core] = (uint8_t)n;
		sim_engine.options[n++] = core;
	}
	SIM_ASSERT(n == (uint32_t)__builtin_popcountll(ready));
	sim_engine.options_mask = ready;
	sim_engine.options_count = n;
}

/* The core that runs after this point. */
static unsigned engine_pick(unsigned kind)
{
	for (unsigned jumps = 0; sim_engine.ready_mask == 0; jumps++) {
		SIM_ASSERT(jumps < ENGINE_IDLE_JUMPS_MAX);
		if (sim_engine.next_deadline_ns == ENGINE_TIMER_NONE)
			engine_all_idle();
		if (sim_engine.next_deadline_ns > sim_engine.time_ns)
			sim_engine.time_ns = sim_engine.next_deadline_ns;
		sim_engine_fire_timers();
	}
	uint64_t ready = sim_engine.ready_mask;
	if ((ready & (ready - 1)) == 0)
		return (unsigned)__builtin_ctzll(ready);
	if (ready != sim_engine.options_mask)
		engine_options_build(ready);
	unsigned cur = sim_engine.current;
	uint32_t n = sim_engine.options_count;
	uint32_t current_index = n, default_index = 0;
	if ((ready >> cur) & 1u) {
		current_index = sim_engine.options_index[cur];
		/* A spinner cannot progress until another core runs: by default
		 * the next ready core does (round robin reaches the holder). */
		default_index = kind == SIM_POINT_SPIN ? (current_index + 1) % n : current_index;
	}
	uint32_t core = engine_decide(SIM_DECIDE_CORE, n, sim_engine.options, default_index,
				      current_index, kind);
	SIM_ASSERT(core < sim_engine.cores && ((ready >> core) & 1u));
	return core;
}

void sim_point(unsigned kind)
{
	if (!sim_engine.running)
		return;
	engine_step_begin(kind);
	unsigned next = engine_pick(kind);
	sim_engine.hash = engine_mix(sim_engine.hash, ((uint64_t)next << 56) ^ sim_engine.time_ns);
	if (sim_engine.cfg.record_step_hashes)
		sim_engine.out->step_hashes[sim_engine.step - 1] = sim_engine.hash;
	sim_engine.core[next].idle = false;
	unsigned cur = sim_engine.current;
	if (next != cur) {
		if (sim_engine_features_on) /* an ordering: who ran, at what, who runs */
			sim_engine_feature(((uint64_t)sim_engine.core_context[cur] << 40) ^
					   ((uint64_t)kind << 32) ^ sim_engine.core_context[next]);
		sim_engine.current = next;
		sim_fiber_switch(sim_engine.core[cur].fiber, sim_engine.core[next].fiber);
		/* Resumed by the core that picked this fiber's core. */
	}
	/* `kind` is now the resumed fiber's own point. */
	if (__builtin_expect(sim_engine.timing, 1))
		sim_engine_irq_point(kind);
	else if (sim_engine.core[sim_engine.current].pending_irq_mask != 0)
		sim_engine_deliver_irqs();
}

void sim_core_idle(void)
{
	if (!sim_engine.running)
		return;
	struct engine_core *k = &sim_engine.core[sim_engine.current];
	if (k->pending_irq_mask == 0) {
		k->idle = true;
		engine_update_ready(sim_engine.current);
	}
	sim_point(SIM_POINT_IDLE);
	SIM_ASSERT(!sim_engine.core[sim_engine.current].idle);
}

void sim_hash_mix(uint64_t v)
{
	/* The per-step mix: one multiply. The state hash only has to tell runs
	 * apart, and adapters feed it at every kernel event. */
	if (sim_engine.running)
		sim_engine.hash = engine_mix(sim_engine.hash, v);
}

/* ---------------------------------------------------------------- run */

static void engine_begin(const sim_config_t *cfg, sim_result_t *out)
{
	memset(&sim_engine, 0, sizeof sim_engine);
	memset(out, 0, sizeof *out);
	sim_trace_init(&out->decisions);
	out->outcome = SIM_OK;
	sim_engine.cfg = *cfg;
	sim_engine.out = out;
	sim_engine.cores = cfg->cores;
	sim_engine.step_cost_ns = cfg->step_cost_ns ? cfg->step_cost_ns : ENGINE_STEP_COST_DEFAULT_NS;
	sim_engine.boot_stack_bytes =
		cfg->boot_stack_bytes ? cfg->boot_stack_bytes : ENGINE_BOOT_STACK_DEFAULT_BYTES;
	/* on_step with check_every 0: check at every step. */
	sim_engine.check_every = cfg->check_every ? cfg->check_every : 1;
	sim_engine.check_countdown = sim_engine.check_every;
	sim_engine.timing = cfg->timing_decisions;
	sim_engine.advance_window_ns =
		cfg->advance_window_ns ? cfg->advance_window_ns : SIM_ADVANCE_WINDOW_NS_DEFAULT;
	sim_engine.next_deadline_ns = ENGINE_TIMER_NONE;
	for (unsigned c = 0; c < SIM_CORES_MAX; c++)
		sim_engine.core[c].timer_deadline_ns = ENGINE_TIMER_NONE;
	sim_engine_events_reset();
	sim_engine_mem_begin(cfg);
	sim_engine_never_begin(cfg);
	sim_engine.hash = engine_mix(0x6a09e667f3bcc908ull, cfg->cores);
	if (cfg->record_step_hashes) {
		sim_engine.step_hashes_capacity = ENGINE_STEP_HASHES_INITIAL;
		out->step_hashes = malloc(sim_engine.step_hashes_capacity * sizeof *out->step_hashes);
		SIM_ASSERT(out->step_hashes != NULL);
	}
	sim_engine_log_begin();
	if (engine_identity[SIM_DECIDE_VALUE_MAX - 1] != SIM_DECIDE_VALUE_MAX - 1)
		for (uint32_t i = 0; i < SIM_DECIDE_VALUE_MAX; i++)
			engine_identity[i] = i;
	sim_engine.host = sim_fiber_init_host(engine_host_block, sizeof engine_host_block);
	SIM_ASSERT(sim_engine.host != NULL);
}

static void engine_release(void)
{
	for (unsigned c = 0; c < SIM_CORES_MAX; c++) {
		struct engine_core *k = &sim_engine.core[c];
		if (k->boot_fiber != NULL)
			sim_fiber_release(k->boot_fiber);
		/* The stack itself stays for the next run (engine_boot_stack). */
		k->boot_fiber = NULL;
		k->boot_stack = NULL;
		k->fiber = NULL;
	}
	sim_fiber_release(sim_engine.host);
	sim_engine.host = NULL;
}

enum sim_outcome sim_run(const sim_config_t *cfg, void (*main_fn)(void *), void *arg,
			 sim_result_t *out)
{
	SIM_ASSERT(!sim_engine.running); /* one run at a time, never nested */
	SIM_ASSERT(cfg != NULL && main_fn != NULL && out != NULL);
	SIM_ASSERT(cfg->cores >= 1 && cfg->cores <= SIM_CORES_MAX);
	engine_begin(cfg, out);
	if (cfg->strategy != NULL) {
		SIM_ASSERT(cfg->strategy->choose != NULL);
		if (cfg->strategy->begin != NULL)
			cfg->strategy->begin(cfg->strategy, cfg->cores);
	}
	sim_engine.running = true;
	engine_core_boot(0, main_fn, arg);
	sim_engine.current = 0;
	sim_fiber_switch(sim_engine.host, sim_engine.core[0].fiber);
	/* Back: some fiber ended the run (sim_engine_end). */
	SIM_ASSERT(sim_engine.running);
	sim_engine.running = false;
	out->steps = sim_engine.step;
	out->time_ns = sim_engine.time_ns;
	out->final_hash = sim_engine.hash;
	out->contexts = sim_engine.contexts_ran;
	out->preemptions = sim_engine.preemptions;
	if (out->outcome != SIM_OK && out->message[0] == '\0')
		snprintf(out->message, sizeof out->message, "run failed (outcome %d)", (int)out->outcome);
	engine_release();
	return out->outcome;
}

void sim_result_free(sim_result_t *r)
{
	if (r == NULL)
		return;
	sim_trace_free(&r->decisions);
	free(r->step_hashes);
	r->step_hashes = NULL;
	sim_engine_log_free(r);
}
