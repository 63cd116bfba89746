/*
 * test_timing.c — time and interrupts as decisions, and contexts.
 *
 * A tiny round-robin "kernel" on one core: two named fibers (contexts) take
 * turns; the timer interrupt ends a slice and its handler switches to the
 * other fiber. Each fiber appends its letter to a shared log, one letter per
 * slice of work, with an enabled point after each. Without timing decisions
 * the timer fires at fixed virtual times and every run interleaves the same
 * way; with them a strategy decides when each slice ends (ADVANCE) and when a
 * pending interrupt is taken (DEFER), within the engine's bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim.h"

#define TOY_STACK_BYTES (64u * 1024u)
#define TOY_WORK 12u               /* letters per fiber */
#define TOY_SLICE_NS 2000u         /* 20 default points */
#define TOY_TIMER_IRQ 0u
#define TOY_DEVICE_BIT 5u
#define TOY_SEEDS 200u
#define TOY_LOG_MAX (2u * TOY_WORK + 1u)

static struct {
	sim_fiber_t *fiber[2];
	sim_fiber_t *boot;
	void *stack[2];
	unsigned current;              /* which fiber runs */
	bool done[2];
	char log[TOY_LOG_MAX];
	unsigned log_len;
	bool timer_early;              /* a timer ran before its deadline */
	uint64_t armed_deadline;
	unsigned device_taken;
	uint64_t late_points_max;      /* points between a raise and its take */
	uint64_t raised_at_step;
	uint64_t preempt_ready_seen;   /* the other context was in the ready list */
	uint64_t advance_at_ns;        /* time of the last ADVANCE said yes */
	bool advanced;                 /* and its timer has not run yet */
	uint64_t jump_max_ns;          /* the largest jump an ADVANCE made */
} toy;

static void toy_arm(void)
{
	toy.armed_deadline = sim_time_ns() + TOY_SLICE_NS;
	sim_timer_set(toy.armed_deadline, TOY_TIMER_IRQ);
}

static void toy_handler(void *ctx, unsigned core, unsigned mask)
{
	(void)ctx;
	(void)core;
	if (mask & (1u << TOY_DEVICE_BIT)) {
		toy.device_taken++;
		uint64_t late = sim_time_ns() / 100u - toy.raised_at_step;
		if (late > toy.late_points_max)
			toy.late_points_max = late;
	}
	if (!(mask & (1u << TOY_TIMER_IRQ)))
		return;
	if (sim_time_ns() < toy.armed_deadline)
		toy.timer_early = true;
	if (toy.advanced && sim_time_ns() - toy.advance_at_ns > toy.jump_max_ns)
		toy.jump_max_ns = sim_time_ns() - toy.advance_at_ns;
	toy.advanced = false;
	toy_arm();
	unsigned other = 1u - toy.current;
	if (toy.done[other])
		return;
	unsigned me = toy.current;
	toy.current = other;
	sim_point(SIM_POINT_SWITCH);
	sim_core_switch(toy.fiber[other], false);
	/* Back: the other one was preempted (or finished) and chose us. */
	toy.current = me;
}

static void toy_worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	sim_irq_set_enabled(true);
	for (unsigned i = 0; i < TOY_WORK; i++) {
		sim_irq_set_enabled(false);
		if (toy.log_len < TOY_LOG_MAX - 1)
			toy.log[toy.log_len++] = (char)('A' + me);
		sim_point(SIM_POINT_IRQ); /* an enabled point: the flag comes on */
		sim_irq_set_enabled(true);
	}
	sim_irq_set_enabled(false);
	toy.done[me] = true;
	unsigned other = 1u - me;
	if (toy.done[other])
		sim_finish();
	toy.current = other;
	sim_point(SIM_POINT_SWITCH);
	sim_core_switch(toy.fiber[other], true);
}

static void toy_main(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 2; i++) {
		toy.fiber[i] = sim_fiber_init(toy.stack[i], TOY_STACK_BYTES, toy_worker,
					      (void *)(uintptr_t)i);
		sim_context_init(toy.fiber[i], SIM_CONTEXT_FIRST + i);
	}
	toy_arm();
	toy.current = 0;
	sim_core_switch(toy.fiber[0], true);
}

static sim_config_t toy_config(sim_strategy_t *s, bool timing)
{
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = 1;
	cfg.strategy = s;
	cfg.irq_handler = toy_handler;
	cfg.timing_decisions = timing;
	cfg.advance_window_ns = TOY_SLICE_NS;
	cfg.step_budget = 100000;
	return cfg;
}

static enum sim_outcome toy_run(const sim_config_t *cfg, sim_result_t *r)
{
	memset(toy.log, 0, sizeof toy.log);
	toy.log_len = 0;
	toy.done[0] = toy.done[1] = false;
	toy.timer_early = false;
	toy.device_taken = 0;
	toy.late_points_max = 0;
	for (unsigned i = 0; i < 2; i++) {
		free(toy.stack[i]);
		toy.stack[i] = aligned_alloc(64, TOY_STACK_BYTES);
	}
	enum sim_outcome o = sim_run(cfg, toy_main, NULL, r);
	for (unsigned i = 0; i < 2; i++)
		sim_fiber_release(toy.fiber[i]);
	return o;
}

/* Distinct interleavings among up to TOY_SEEDS runs, kept as strings. */
static unsigned count_distinct(char logs[][TOY_LOG_MAX], unsigned n)
{
	unsigned distinct = 0;
	for (unsigned i = 0; i < n; i++) {
		bool seen = false;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = strcmp(logs[i], logs[j]) == 0;
		distinct += !seen;
	}
	return distinct;
}

static unsigned count_kind(const sim_result_t *r, unsigned kind)
{
	unsigned n = 0;
	for (size_t i = 0; i < r->decisions.count; i++)
		n += r->decisions.decisions[i].kind == kind;
	return n;
}

/* One core: fixed timing gives one interleaving whatever the strategy; with
 * timing decisions random gives many, each complete, no timer ever early. */
static void test_one_core_many_schedules(void)
{
	static char logs[TOY_SEEDS][TOY_LOG_MAX];
	for (int timing = 0; timing <= 1; timing++) {
		for (uint64_t seed = 1; seed <= TOY_SEEDS; seed++) {
			sim_strategy_t s;
			sim_strategy_storage_t st;
			sim_strategy_random(&s, &st, seed, 0);
			sim_config_t cfg = toy_config(&s, timing != 0);
			sim_result_t r;
			CHECK_EQ_U64(toy_run(&cfg, &r), SIM_OK);
			CHECK_EQ_U64(toy.log_len, 2 * TOY_WORK);
			CHECK(!toy.timer_early);
			if (!timing) {
				CHECK_EQ_U64(r.decisions.count, 0); /* one core: nothing to decide */
				CHECK_EQ_U64(r.preemptions, 0);
			} else {
				CHECK(count_kind(&r, SIM_DECIDE_ADVANCE) > 0);
			}
			CHECK_EQ_U64(r.contexts, 3); /* the boot context and two workers */
			memcpy(logs[seed - 1], toy.log, TOY_LOG_MAX);
			sim_result_free(&r);
		}
		unsigned distinct = count_distinct(logs, TOY_SEEDS);
		if (!timing)
			CHECK_EQ_U64(distinct, 1);
		else
			CHECK(distinct > TOY_SEEDS / 4);
	}
}

/* Always say yes: time runs ahead at every enabled point, interrupts are
 * deferred as long as the engine lets them. */
static uint32_t yes_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	if (c->kind == SIM_DECIDE_ADVANCE || c->kind == SIM_DECIDE_DEFER)
		return 1;
	return c->default_index;
}

/* Time runs ahead wherever it may, interrupts are taken at once: the timer
 * runs at the point of the jump, which it measures. */
static uint32_t advance_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	if (c->kind != SIM_DECIDE_ADVANCE)
		return c->default_index;
	toy.advance_at_ns = sim_time_ns();
	toy.advanced = true;
	return 1;
}

/* Records what ADVANCE choices saw: the running context and the ready list. */
static uint32_t ctx_audit_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	if (c->kind != SIM_DECIDE_ADVANCE)
		return c->default_index;
	CHECK(c->core_contexts != NULL);
	uint32_t running = c->core_contexts[c->core];
	CHECK(running == SIM_CONTEXT_FIRST + toy.current);
	for (uint32_t i = 0; i < c->ready_count; i++) {
		CHECK(c->ready[i] != running);
		if (c->ready[i] == SIM_CONTEXT_FIRST + (1u - toy.current))
			toy.preempt_ready_seen++;
	}
	return 1;
}

/* The bounds: a timer beyond the window is never run to; deferral ends
 * after SIM_IRQ_DEFER_POINTS_MAX enabled points; a preempted context is
 * listed as ready while the other runs. */
static void test_bounds_and_contexts(void)
{
	sim_strategy_t yes = {.name = "yes", .choose = yes_choose};
	sim_config_t cfg = toy_config(&yes, true);
	sim_result_t r;
	CHECK_EQ_U64(toy_run(&cfg, &r), SIM_OK);
	CHECK(!toy.timer_early);
	/* Every slice ends at its first enabled point (and its interrupt is
	 * then deferred as long as allowed). */
	CHECK(toy.log_len == 2 * TOY_WORK);
	CHECK(r.preemptions > 2);
	unsigned defers = count_kind(&r, SIM_DECIDE_DEFER);
	unsigned taken_after_max = 0;
	/* Each slice end pends the timer; yes defers it exactly the bound. */
	size_t run_len = 0;
	for (size_t i = 0; i < r.decisions.count; i++) {
		if (r.decisions.decisions[i].kind == SIM_DECIDE_DEFER) {
			run_len++;
			CHECK(run_len <= SIM_IRQ_DEFER_POINTS_MAX);
			if (run_len == SIM_IRQ_DEFER_POINTS_MAX)
				taken_after_max++;
		} else {
			run_len = 0;
		}
	}
	CHECK(defers > 0);
	CHECK(taken_after_max > 0);
	sim_result_free(&r);

	/* A window smaller than the slice: time runs ahead only to a deadline
	 * within it, so no jump is larger. */
	sim_strategy_t advance = {.name = "advance", .choose = advance_choose};
	cfg.strategy = &advance;
	for (uint64_t window = TOY_SLICE_NS / 4; window <= TOY_SLICE_NS; window *= 2) {
		cfg.advance_window_ns = window;
		toy.advanced = false;
		toy.advance_at_ns = 0;
		toy.jump_max_ns = 0;
		CHECK_EQ_U64(toy_run(&cfg, &r), SIM_OK);
		CHECK(!toy.timer_early);
		CHECK(r.preemptions >= 1);
		CHECK(toy.jump_max_ns <= window);
		CHECK(toy.jump_max_ns > window / 2);
		sim_result_free(&r);
	}

	sim_strategy_t audit = {.name = "ctx-audit", .choose = ctx_audit_choose};
	cfg = toy_config(&audit, true);
	toy.preempt_ready_seen = 0;
	CHECK_EQ_U64(toy_run(&cfg, &r), SIM_OK);
	CHECK(toy.preempt_ready_seen > TOY_WORK / 2);
	sim_result_free(&r);
}

/* PCT depth 1 on contexts: the higher-priority worker, once it runs, is
 * never preempted for the lower one, and the lower one is preempted (at its
 * first enabled point) as soon as the higher one is known ready. Both
 * orders appear over the seeds. */
static void test_pct_on_contexts(void)
{
	unsigned b_first = 0, a_first = 0;
	for (uint64_t seed = 1; seed <= TOY_SEEDS; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		sim_strategy_pct(&s, &st, seed, 1, 200);
		sim_config_t cfg = toy_config(&s, true);
		sim_result_t r;
		CHECK_EQ_U64(toy_run(&cfg, &r), SIM_OK);
		/* A runs first (the toy kernel's order); either it keeps going
		 * to the end, or B takes over after A's first letter and runs
		 * to its end. */
		bool a_all = strncmp(toy.log, "AAAAAAAAAAAA", TOY_WORK) == 0;
		bool b_after_one = toy.log[0] == 'A' && strncmp(toy.log + 1, "BBBBBBBBBBBB", TOY_WORK) == 0;
		CHECK(a_all || b_after_one);
		a_first += a_all;
		b_first += b_after_one;
		sim_result_free(&r);
	}
	CHECK(a_first > TOY_SEEDS / 5);
	CHECK(b_first > TOY_SEEDS / 5);
}

/* A device interrupt arriving from outside the core (here: a timer with its
 * own bit) is deferred at most SIM_IRQ_DEFER_POINTS_MAX enabled points,
 * whatever the strategy; one the core raises on itself is never deferred. */
static bool dev_self_raise;

static void dev_main(void *arg)
{
	(void)arg;
	sim_irq_set_enabled(true);
	for (unsigned i = 0; i < 40; i++) {
		if (i % 8 == 0) {
			if (dev_self_raise) {
				toy.raised_at_step = sim_time_ns() / 100u;
				sim_irq_raise(0, 1u << TOY_DEVICE_BIT);
			} else {
				toy.raised_at_step = sim_time_ns() / 100u + 1u;
				sim_timer_set(sim_time_ns() + 100u, TOY_DEVICE_BIT);
			}
		}
		sim_point(SIM_POINT_ATOMIC);
	}
}

static void test_defer_bound(void)
{
	sim_strategy_t yes = {.name = "yes", .choose = yes_choose};
	for (int self = 0; self <= 1; self++) {
		dev_self_raise = self != 0;
		sim_config_t cfg = toy_config(&yes, true);
		sim_result_t r;
		toy.device_taken = 0;
		toy.late_points_max = 0;
		CHECK_EQ_U64(sim_run(&cfg, dev_main, NULL, &r), SIM_OK);
		CHECK_EQ_U64(toy.device_taken, 5);
		if (self) {
			CHECK(toy.late_points_max <= 1);
			CHECK_EQ_U64(count_kind(&r, SIM_DECIDE_DEFER), 0);
		} else {
			CHECK_EQ_U64(toy.late_points_max, SIM_IRQ_DEFER_POINTS_MAX);
		}
		sim_result_free(&r);
		/* The default takes it at the next enabled point. */
		cfg.strategy = NULL;
		toy.device_taken = 0;
		toy.late_points_max = 0;
		CHECK_EQ_U64(sim_run(&cfg, dev_main, NULL, &r), SIM_OK);
		CHECK_EQ_U64(toy.device_taken, 5);
		CHECK(toy.late_points_max <= 1);
		sim_result_free(&r);
	}
}

/* A self-raised interrupt stays immediate when another core raises the same
 * bit before it is taken (the bit keeps its first arrival). */
static volatile bool two_raised_self, two_raised_other;

static void two_core1(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 1000 && !two_raised_self; i++)
		sim_point(SIM_POINT_SPIN);
	sim_irq_raise(0, 1u << TOY_DEVICE_BIT);
	two_raised_other = true;
}

static void two_main(void *arg)
{
	(void)arg;
	CHECK(sim_core_start(1, two_core1, NULL));
	sim_irq_raise(0, 1u << TOY_DEVICE_BIT); /* on itself, interrupts off */
	two_raised_self = true;
	for (unsigned i = 0; i < 1000 && !two_raised_other; i++)
		sim_point(SIM_POINT_SPIN);
	sim_point(SIM_POINT_IRQ);
	sim_irq_set_enabled(true); /* taken here, whatever the strategy */
	CHECK_EQ_U64(toy.device_taken, 1);
	sim_irq_set_enabled(false);
}

static void test_self_raise_kept(void)
{
	sim_strategy_t yes = {.name = "yes", .choose = yes_choose};
	sim_config_t cfg = toy_config(&yes, true);
	cfg.cores = 2;
	sim_result_t r;
	two_raised_self = two_raised_other = false;
	toy.device_taken = 0;
	CHECK_EQ_U64(sim_run(&cfg, two_main, NULL, &r), SIM_OK);
	CHECK(two_raised_other);
	CHECK_EQ_U64(count_kind(&r, SIM_DECIDE_DEFER), 0);
	sim_result_free(&r);
}

/* Replay of a run with timing decisions gives the same run; a stream of
 * defaults gives the fixed-timing run. */
static void test_replay(void)
{
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_random(&s, &st, 42, 0);
	sim_config_t cfg = toy_config(&s, true);
	sim_result_t a;
	CHECK_EQ_U64(toy_run(&cfg, &a), SIM_OK);
	char log_a[TOY_LOG_MAX];
	memcpy(log_a, toy.log, sizeof log_a);
	sim_strategy_t rs;
	sim_strategy_storage_t rst;
	sim_strategy_replay(&rs, &rst, &a.decisions);
	cfg.strategy = &rs;
	sim_result_t b;
	CHECK_EQ_U64(toy_run(&cfg, &b), SIM_OK);
	CHECK_EQ_U64(b.final_hash, a.final_hash);
	CHECK(strcmp(toy.log, log_a) == 0);
	CHECK_EQ_U64(rst.divergences, 0);
	CHECK(sim_trace_first_difference(&a.decisions, &b.decisions) < 0);

	/* Every decision turned to "default": the fixed-timing interleaving. */
	sim_trace_t defaults = a.decisions;
	defaults.decisions = malloc(a.decisions.count * sizeof *defaults.decisions);
	for (size_t i = 0; i < a.decisions.count; i++) {
		defaults.decisions[i].kind = a.decisions.decisions[i].kind;
		defaults.decisions[i].value = SIM_DECISION_DEFAULT;
	}
	sim_strategy_replay(&rs, &rst, &defaults);
	sim_result_t c;
	CHECK_EQ_U64(toy_run(&cfg, &c), SIM_OK);
	char log_c[TOY_LOG_MAX];
	memcpy(log_c, toy.log, sizeof log_c);
	cfg = toy_config(NULL, false);
	sim_result_t d;
	CHECK_EQ_U64(toy_run(&cfg, &d), SIM_OK);
	CHECK(strcmp(toy.log, log_c) == 0);
	CHECK_EQ_U64(c.preemptions, 0);
	free(defaults.decisions);
	sim_result_free(&a);
	sim_result_free(&b);
	sim_result_free(&c);
	sim_result_free(&d);
}

/* Trace format: v2 carries the new kinds; a v1 trace round-trips as v1 and
 * cannot carry them. */
static void test_trace_versions(void)
{
	sim_trace_t t;
	sim_trace_init(&t);
	CHECK_EQ_U64(t.version, SIM_TRACE_VERSION);
	snprintf(t.scenario, sizeof t.scenario, "toy");
	snprintf(t.strategy, sizeof t.strategy, "random");
	t.cores = 1;
	for (unsigned i = 0; i < 40; i++)
		CHECK(sim_trace_push(&t, i % SIM_DECIDE_KINDS, i % 3 == 0 ? SIM_DECISION_DEFAULT : i % 2));
	uint8_t *data;
	size_t size;
	CHECK(sim_trace_encode(&t, &data, &size));
	sim_trace_t back;
	char err[SIM_MESSAGE_MAX];
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), 0);
	CHECK(sim_trace_equal(&t, &back));
	free(data);
	sim_trace_free(&back);

	t.version = 1; /* the new kinds do not exist in v1 */
	CHECK(!sim_trace_encode(&t, &data, &size));
	t.count = 0;
	for (unsigned i = 0; i < 40; i++)
		CHECK(sim_trace_push(&t, i % 3, i));
	CHECK(sim_trace_encode(&t, &data, &size));
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), 0);
	CHECK_EQ_U64(back.version, 1);
	CHECK(sim_trace_equal(&t, &back));
	free(data);
	sim_trace_free(&back);
	sim_trace_free(&t);
}

int main(void)
{
	test_one_core_many_schedules();
	test_bounds_and_contexts();
	test_pct_on_contexts();
	test_defer_bound();
	test_self_raise_kept();
	test_replay();
	test_trace_versions();
	for (unsigned i = 0; i < 2; i++)
		free(toy.stack[i]);
	return check_report();
}
