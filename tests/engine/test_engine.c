/*
 * test_engine.c — the engine's runs: cores, points, decisions, interrupts,
 * timers, switches, the ways a run ends, and behaviour outside a run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim.h"

#define WORKER_POINTS 20u
#define USER_STACK_BYTES (64u * 1024u)

/* ------------------------------------------------------ test strategies */

/* Round-robin: always the next ready core after the default one. */
static uint32_t rr_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	if (c->kind != SIM_DECIDE_CORE)
		return c->default_index;
	return (c->default_index + 1) % c->n;
}
static sim_strategy_t rr_strategy = {.name = "round-robin", .choose = rr_choose};

/* A tiny seeded random strategy, written here with sim_rng. */
struct rnd_state {
	uint64_t seed;
	sim_rng_t rng;
};
static uint32_t rnd_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	struct rnd_state *st = s->state;
	return (uint32_t)sim_rng_below(&st->rng, c->n);
}
static void rnd_begin(sim_strategy_t *s, unsigned cores)
{
	(void)cores;
	struct rnd_state *st = s->state;
	sim_rng_seed(&st->rng, st->seed);
}
static void rnd_make(sim_strategy_t *s, struct rnd_state *st, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	st->seed = seed;
	s->name = "test-random";
	s->choose = rnd_choose;
	s->begin = rnd_begin;
	s->state = st;
}

/* Checks every choice it sees is well formed, then takes the default. */
static unsigned audit_bad;
static uint64_t audit_seen;
static uint32_t audit_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	audit_seen++;
	if (c->n < 2 || c->default_index >= c->n || c->kind >= SIM_DECIDE_KINDS)
		audit_bad++;
	for (uint32_t i = 1; i < c->n; i++)
		if (c->options[i - 1] >= c->options[i])
			audit_bad++;
	if (c->kind == SIM_DECIDE_CORE) {
		if (c->options[c->default_index] != sim_core_id())
			audit_bad++; /* the running core is ready in these tests */
		if (c->site != SIM_POINT_YIELD)
			audit_bad++;
	}
	return c->default_index;
}
static sim_strategy_t audit_strategy = {.name = "audit", .choose = audit_choose};

static sim_config_t config(unsigned cores, sim_strategy_t *s)
{
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = cores;
	cfg.strategy = s;
	cfg.step_budget = 1000000;
	return cfg;
}

/* -------------------------------------------------- N cores run workers */

static unsigned worker_points[SIM_CORES_MAX];
static unsigned worker_wrong_core;
static unsigned workers_done;

static void worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < WORKER_POINTS; i++) {
		if (sim_core_id() != me)
			worker_wrong_core++;
		worker_points[me]++;
		sim_point(SIM_POINT_YIELD);
	}
	workers_done++;
	for (;;)
		sim_core_idle(); /* nothing will wake it */
}

static void workers_main(void *arg)
{
	(void)arg;
	unsigned n = sim_core_count();
	for (unsigned c = 1; c < n; c++)
		if (!sim_core_start(c, worker, (void *)(uintptr_t)c))
			sim_fail(SIM_FAIL_ASSERT, "core %u did not start", c);
	if (sim_core_start(1, worker, NULL))
		sim_fail(SIM_FAIL_ASSERT, "core 1 started twice");
	if (sim_core_start(n, worker, NULL))
		sim_fail(SIM_FAIL_ASSERT, "core %u out of range started", n);
	for (unsigned i = 0; workers_done < n - 1; i++) {
		if (sim_core_id() != 0)
			worker_wrong_core++;
		sim_point(SIM_POINT_YIELD);
	}
	sim_finish();
}

static void test_cores(void)
{
	static const unsigned counts[] = {1, 2, 4, 16, 64};
	for (unsigned i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		unsigned n = counts[i];
		memset(worker_points, 0, sizeof worker_points);
		worker_wrong_core = 0;
		workers_done = 0;
		sim_config_t cfg = config(n, &rr_strategy);
		cfg.boot_stack_bytes = 64 * 1024;
		sim_result_t r;
		CHECK_EQ_U64(sim_run(&cfg, workers_main, NULL, &r), SIM_OK);
		CHECK_EQ_U64(worker_wrong_core, 0);
		unsigned all = 1;
		for (unsigned c = 1; c < n; c++)
			all &= worker_points[c] == WORKER_POINTS;
		CHECK(all);
		CHECK(r.steps >= (uint64_t)(n - 1) * WORKER_POINTS);
		CHECK_EQ_U64(r.time_ns, r.steps * 100);
		if (n == 1)
			CHECK_EQ_U64(r.decisions.count, 0);
		else
			CHECK(r.decisions.count > 0);
		CHECK(!sim_running());
		sim_result_free(&r);
	}
}

/* ----------------------------------------------- decisions are recorded */

static void parked(void *arg)
{
	(void)arg;
	for (;;)
		sim_point(SIM_POINT_YIELD);
}

static void decisions_main(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 5; i++)
		sim_point(SIM_POINT_YIELD); /* one ready core: no decision */
	sim_core_start(1, parked, NULL);
	for (unsigned i = 0; i < 3; i++)
		sim_point(SIM_POINT_YIELD); /* two ready: default keeps core 0 */
	(void)sim_decide_fault(7);
	(void)sim_decide_value(5);
	(void)sim_decide_value(1); /* one option: not a decision */
	sim_finish();
}

static void test_decisions(void)
{
	sim_config_t cfg = config(2, NULL);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, decisions_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(r.steps, 8);
	CHECK_EQ_U64(r.decisions.count, 5);
	unsigned cores_ok = 1;
	for (unsigned i = 0; i < 3 && i < r.decisions.count; i++)
		cores_ok &= r.decisions.decisions[i].kind == SIM_DECIDE_CORE &&
			    r.decisions.decisions[i].value == 0;
	CHECK(cores_ok);
	if (r.decisions.count == 5) {
		CHECK_EQ_U64(r.decisions.decisions[3].kind, SIM_DECIDE_FAULT);
		CHECK_EQ_U64(r.decisions.decisions[3].value, 0);
		CHECK_EQ_U64(r.decisions.decisions[4].kind, SIM_DECIDE_VALUE);
		CHECK_EQ_U64(r.decisions.decisions[4].value, 0);
	}
	sim_result_free(&r);

	/* The same with a strategy that audits every choice. */
	audit_bad = 0;
	audit_seen = 0;
	cfg.strategy = &audit_strategy;
	CHECK_EQ_U64(sim_run(&cfg, decisions_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(audit_seen, 5);
	CHECK_EQ_U64(audit_bad, 0);
	sim_result_free(&r);
}

/* Faults and values follow the strategy. */
static uint32_t last_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	return c->n - 1;
}
static bool fault_seen;
static uint32_t value_seen;
static void faults_main(void *arg)
{
	(void)arg;
	fault_seen = sim_decide_fault(3);
	value_seen = sim_decide_value(1000);
	sim_finish();
}

static void test_fault_value(void)
{
	sim_strategy_t s = {.name = "last", .choose = last_choose};
	sim_config_t cfg = config(1, &s);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, faults_main, NULL, &r), SIM_OK);
	CHECK(fault_seen);
	CHECK_EQ_U64(value_seen, 999);
	CHECK_EQ_U64(r.decisions.count, 2);
	CHECK_EQ_U64(r.steps, 0);
	sim_result_free(&r);
}

/* --------------------------------------- the default run is one run only */

static void test_default_fixed(void)
{
	sim_config_t cfg = config(4, NULL);
	cfg.record_step_hashes = true;
	sim_result_t a, b;
	sim_run(&cfg, decisions_main, NULL, &a);
	sim_run(&cfg, decisions_main, NULL, &b);
	CHECK_EQ_U64(a.outcome, SIM_OK);
	CHECK_EQ_U64(a.final_hash, b.final_hash);
	CHECK_EQ_U64(a.steps, b.steps);
	CHECK(a.steps == 0 || memcmp(a.step_hashes, b.step_hashes, a.steps * 8) == 0);
	sim_result_free(&a);
	sim_result_free(&b);
}

/* ------------------------------------------------------------ interrupts */

static unsigned irq_calls;
static unsigned irq_last_mask;
static unsigned irq_last_core;
static unsigned irq_flag_wrong;

static void count_irq(void *ctx, unsigned core, unsigned mask)
{
	(void)ctx;
	irq_calls++;
	irq_last_mask = mask;
	irq_last_core = core;
	if (sim_irq_enabled() || core != sim_core_id())
		irq_flag_wrong++;
}

static unsigned irq_script_bad;
#define EXPECT(cond) \
	do { \
		if (!(cond)) \
			irq_script_bad = __LINE__; \
	} while (0)

static void irq_main(void *arg)
{
	(void)arg;
	EXPECT(!sim_irq_enabled());
	sim_irq_raise(0, 1u << 2);
	sim_point(SIM_POINT_YIELD);
	EXPECT(irq_calls == 0); /* flag off: stays pending */
	EXPECT(sim_irq_set_enabled(true) == false);
	EXPECT(irq_calls == 1 && irq_last_mask == 4u); /* enabling delivers */
	EXPECT(sim_irq_enabled());
	sim_irq_raise(0, 1u << 5);
	EXPECT(irq_calls == 1); /* raising is not a point */
	sim_point(SIM_POINT_YIELD);
	EXPECT(irq_calls == 2 && irq_last_mask == 32u);
	EXPECT(sim_irq_set_enabled(false) == true);
	sim_irq_raise(0, 1u);
	sim_irq_raise(0, 2u);
	sim_point(SIM_POINT_YIELD);
	EXPECT(irq_calls == 2);
	sim_irq_set_enabled(true);
	EXPECT(irq_calls == 3 && irq_last_mask == 3u); /* merged */
	sim_finish();
}

static void test_irq(void)
{
	irq_calls = 0;
	irq_flag_wrong = 0;
	irq_script_bad = 0;
	sim_config_t cfg = config(1, NULL);
	cfg.irq_handler = count_irq;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, irq_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(irq_script_bad, 0);
	CHECK_EQ_U64(irq_flag_wrong, 0);
	sim_result_free(&r);
}

/* An interrupt wakes an idle core; delivered there, on that core. */
static unsigned woke_core;
static void sleeper(void *arg)
{
	(void)arg;
	sim_irq_set_enabled(true);
	sim_core_idle();
	woke_core = sim_core_id() + 100;
	for (;;)
		sim_core_idle();
}
static void waker_main(void *arg)
{
	(void)arg;
	sim_core_start(1, sleeper, NULL);
	for (unsigned i = 0; i < 10; i++)
		sim_point(SIM_POINT_YIELD);
	sim_irq_raise(1, 1u << 4);
	for (unsigned i = 0; i < 10 && woke_core == 0; i++)
		sim_point(SIM_POINT_YIELD);
	sim_finish();
}
static void test_irq_wakes_idle(void)
{
	irq_calls = 0;
	irq_flag_wrong = 0;
	woke_core = 0;
	sim_config_t cfg = config(2, &rr_strategy);
	cfg.irq_handler = count_irq;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, waker_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(irq_calls, 1);
	CHECK_EQ_U64(irq_last_core, 1);
	CHECK_EQ_U64(irq_last_mask, 16);
	CHECK_EQ_U64(irq_flag_wrong, 0);
	CHECK_EQ_U64(woke_core, 101);
	sim_result_free(&r);
}

/* Event timers: an all-idle system jumps to the earliest one, which raises
 * its bit on its core; a cancelled one never fires; a fired one reads as
 * disarmed. */
static uint64_t ev_time;
static uint64_t ev_deadline_after;
static void ev_sleeper(void *arg)
{
	(void)arg;
	sim_irq_set_enabled(true);
	sim_core_idle();
	ev_time = sim_time_ns();
	ev_deadline_after = sim_event_timer_deadline(2);
	sim_irq_raise(0, 1u << 1); /* wake core 0 so the run can end */
	for (;;)
		sim_core_idle();
}
static void ev_main(void *arg)
{
	(void)arg;
	sim_core_start(1, ev_sleeper, NULL);
	sim_event_timer_set(3, 1, 1000, 7);
	sim_event_timer_set(3, 1, UINT64_MAX, 0); /* cancelled */
	sim_event_timer_set(2, 1, 50000, 9);
	EXPECT(sim_event_timer_deadline(2) == 50000);
	EXPECT(sim_event_timer_deadline(3) == UINT64_MAX);
	sim_irq_set_enabled(true);
	for (unsigned i = 0; i < 100 && ev_time == 0; i++)
		sim_core_idle();
	sim_finish();
}
static void test_event_timer(void)
{
	irq_calls = 0;
	irq_flag_wrong = 0;
	irq_script_bad = 0;
	ev_time = 0;
	ev_deadline_after = 0;
	sim_config_t cfg = config(2, &rr_strategy);
	cfg.irq_handler = count_irq;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, ev_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(irq_script_bad, 0);
	CHECK_EQ_U64(irq_calls, 2);            /* core 1's event, then core 0's wake */
	CHECK(ev_time >= 50000 && ev_time < 60000);
	CHECK_EQ_U64(ev_deadline_after, UINT64_MAX);
	CHECK_EQ_U64(irq_flag_wrong, 0);
	CHECK(r.time_ns < 1000000);
	sim_result_free(&r);
	CHECK_EQ_U64(sim_event_timer_deadline(2), UINT64_MAX); /* outside a run */
}

/* ------------------------------------ preemption from the irq handler */

static sim_fiber_t *pre_main_fiber, *pre_thread;
static unsigned pre_thread_runs;
static unsigned pre_bad;
static bool pre_done;

static void preempt_irq(void *ctx, unsigned core, unsigned mask)
{
	(void)ctx;
	(void)mask;
	if (core != 0 || sim_irq_enabled())
		pre_bad = __LINE__;
	if (sim_core_fiber() == pre_main_fiber && !pre_done)
		sim_core_switch(pre_thread, false); /* preempt main */
	if (sim_core_fiber() != pre_main_fiber)
		pre_bad = __LINE__;
}

static void pre_thread_main(void *arg)
{
	(void)arg;
	pre_thread_runs++;
	if (sim_irq_enabled() || sim_core_fiber() != pre_thread)
		pre_bad = __LINE__;
	sim_point(SIM_POINT_YIELD);
	pre_done = true;
	sim_core_switch(pre_main_fiber, true); /* finished: never resumes */
}

static void preempt_main(void *arg)
{
	(void)arg;
	pre_main_fiber = sim_core_fiber();
	sim_timer_set(sim_time_ns() + 1000, 0);
	sim_irq_set_enabled(true);
	for (unsigned i = 0; i < 100 && !pre_done; i++)
		sim_point(SIM_POINT_YIELD);
	if (!pre_done || !sim_irq_enabled() || sim_core_fiber() != pre_main_fiber)
		pre_bad = __LINE__;
	sim_finish();
}

static void test_preempt(void)
{
	void *stack = malloc(USER_STACK_BYTES);
	pre_thread = sim_fiber_init(stack, USER_STACK_BYTES, pre_thread_main, NULL);
	pre_thread_runs = 0;
	pre_bad = 0;
	pre_done = false;
	sim_config_t cfg = config(1, NULL);
	cfg.irq_handler = preempt_irq;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, preempt_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(pre_thread_runs, 1);
	CHECK_EQ_U64(pre_bad, 0);
	CHECK(r.steps > 10 && r.steps < 20); /* 1000 ns at 100 ns per point */
	sim_result_free(&r);
	sim_fiber_release(pre_thread);
	free(stack);
}

/* ---------------------------------- a fiber migrates to another core */

static sim_fiber_t *mig_main_fiber, *mig_parker;
static volatile bool mig_parked;
static unsigned mig_resumed_on = 99;

static void mig_parker_main(void *arg)
{
	(void)arg;
	mig_parked = true;
	for (;;)
		sim_core_idle();
}

static void mig_core1(void *arg)
{
	(void)arg;
	while (!mig_parked)
		sim_point(SIM_POINT_YIELD);
	sim_core_switch(mig_main_fiber, true); /* core 1 takes main over */
}

static void mig_main(void *arg)
{
	(void)arg;
	mig_main_fiber = sim_core_fiber();
	sim_core_start(1, mig_core1, NULL);
	sim_point(SIM_POINT_YIELD);
	sim_core_switch(mig_parker, false); /* core 0 runs the parker now */
	mig_resumed_on = sim_core_id();
	sim_finish();
}

static void test_migrate(void)
{
	void *stack = malloc(USER_STACK_BYTES);
	mig_parker = sim_fiber_init(stack, USER_STACK_BYTES, mig_parker_main, NULL);
	mig_parked = false;
	sim_config_t cfg = config(2, &rr_strategy);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, mig_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(mig_resumed_on, 1);
	sim_result_free(&r);
	sim_fiber_release(mig_parker);
	free(stack);
}

/* ------------------------------------------------ timers and idling */

static uint64_t timer_woke_at;
static void timer_main(void *arg)
{
	(void)arg;
	sim_timer_set(1000000, 3);
	sim_core_idle(); /* every core idle, a timer armed: time jumps */
	timer_woke_at = sim_time_ns();
	EXPECT(irq_calls == 0); /* flag still off */
	EXPECT(!sim_irq_enabled());
	sim_irq_set_enabled(true);
	EXPECT(irq_calls == 1 && irq_last_mask == 8u);
	/* An armed timer that is cancelled does not fire. */
	sim_timer_set(2000000, 3);
	sim_timer_set(UINT64_MAX, 3);
	sim_core_idle(); /* nothing armed: deadlock */
	irq_script_bad = __LINE__;
	sim_finish();
}

static void test_timer_jump(void)
{
	irq_calls = 0;
	irq_script_bad = 0;
	timer_woke_at = 0;
	sim_config_t cfg = config(1, NULL);
	cfg.irq_handler = count_irq;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, timer_main, NULL, &r), SIM_FAIL_DEADLOCK);
	CHECK_EQ_U64(timer_woke_at, 1000000);
	CHECK_EQ_U64(irq_script_bad, 0);
	CHECK(strcmp(r.message, "every core idle, no timer armed") == 0);
	CHECK_EQ_U64(r.steps, 2);
	CHECK_EQ_U64(r.time_ns, 1000100);
	sim_result_free(&r);
}

/* Timers on several idle cores: time jumps to each earliest deadline. */
static uint64_t multi_woke[4];
static void timer_core(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	sim_timer_set(1000000 * (5 - me), 0);
	sim_core_idle();
	multi_woke[me] = sim_time_ns();
	sim_irq_set_enabled(true); /* take the pending tick (no handler: dropped) */
	for (;;)
		sim_core_idle();
}
static void multi_timer_main(void *arg)
{
	(void)arg;
	for (unsigned c = 1; c < 4; c++)
		sim_core_start(c, timer_core, (void *)(uintptr_t)c);
	for (;;)
		sim_core_idle();
}
static bool idle_ok(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	(void)msg;
	(void)cap;
	return true;
}
static void test_multi_timer(void)
{
	memset(multi_woke, 0, sizeof multi_woke);
	sim_config_t cfg = config(4, &rr_strategy);
	cfg.on_all_idle = idle_ok;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, multi_timer_main, NULL, &r), SIM_OK);
	CHECK_EQ_U64(multi_woke[3], 2000000);
	CHECK_EQ_U64(multi_woke[2], 3000000);
	CHECK_EQ_U64(multi_woke[1], 4000000);
	sim_result_free(&r);
}

/* -------------------------------------------------------- deadlocks */

static void idle_forever(void *arg)
{
	(void)arg;
	sim_point(SIM_POINT_LOCK);
	sim_core_idle();
	sim_finish();
}

static bool idle_chain(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	snprintf(msg, cap, "thread 1 waits for mutex A held by thread 2\nthread 2 waits");
	return false;
}

static void test_deadlock(void)
{
	sim_config_t cfg = config(1, NULL);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, idle_forever, NULL, &r), SIM_FAIL_DEADLOCK);
	CHECK(strcmp(r.message, "every core idle, no timer armed") == 0);
	sim_result_free(&r);

	cfg.on_all_idle = idle_chain;
	CHECK_EQ_U64(sim_run(&cfg, idle_forever, NULL, &r), SIM_FAIL_DEADLOCK);
	CHECK(strcmp(r.message, "thread 1 waits for mutex A held by thread 2 thread 2 waits") == 0);
	sim_result_free(&r);

	cfg.on_all_idle = idle_ok;
	CHECK_EQ_U64(sim_run(&cfg, idle_forever, NULL, &r), SIM_OK);
	CHECK_EQ_U64(r.message[0], 0);
	sim_result_free(&r);
}

/* ------------------------------------------------- budget and oracle */

static void spin_main(void *arg)
{
	(void)arg;
	for (;;)
		sim_point(SIM_POINT_ATOMIC);
}

static uint64_t oracle_calls;
static bool oracle(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	oracle_calls++;
	if (oracle_calls < 6)
		return true;
	snprintf(msg, cap, "invariant broken at step %llu", (unsigned long long)oracle_calls * 10);
	return false;
}

static void test_budget_oracle(void)
{
	sim_config_t cfg = config(1, NULL);
	cfg.step_budget = 1000;
	cfg.record_step_hashes = true;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, spin_main, NULL, &r), SIM_FAIL_BUDGET);
	CHECK_EQ_U64(r.steps, 1000);
	CHECK(strstr(r.message, "budget") != NULL);
	CHECK(r.step_hashes != NULL && r.step_hashes[999] == r.final_hash);
	sim_result_free(&r);

	oracle_calls = 0;
	cfg.step_budget = 0;
	cfg.on_step = oracle;
	cfg.check_every = 10;
	CHECK_EQ_U64(sim_run(&cfg, spin_main, NULL, &r), SIM_FAIL_ORACLE);
	CHECK_EQ_U64(r.steps, 60);
	CHECK_EQ_U64(oracle_calls, 6);
	CHECK(strcmp(r.message, "invariant broken at step 60") == 0);
	sim_result_free(&r);
}

/* --------------------------------------- sim_fail from a secondary core */

static void failing_core(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 5; i++)
		sim_point(SIM_POINT_YIELD);
	sim_fail(SIM_FAIL_ASSERT, "core %u says no\n(second line)", sim_core_id());
}

static void fail_main(void *arg)
{
	(void)arg;
	for (unsigned c = 1; c < 4; c++)
		sim_core_start(c, c == 3 ? failing_core : parked, NULL);
	for (;;)
		sim_point(SIM_POINT_YIELD);
}

static void test_fail_secondary(void)
{
	sim_config_t cfg = config(4, &rr_strategy);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, fail_main, NULL, &r), SIM_FAIL_ASSERT);
	CHECK(strcmp(r.message, "core 3 says no (second line)") == 0);
	sim_result_free(&r);
}

/* ------------------------------------------------ spin-wait defaults */

static volatile int spin_flag, spun_out;
static void spin_waiter(void *arg)
{
	(void)arg;
	for (unsigned i = 0; spin_flag && i < 100000; i++)
		sim_point(SIM_POINT_SPIN);
	spun_out = 1;
	sim_core_idle();
	for (;;)
		sim_core_idle();
}
static void spin_default_main(void *arg)
{
	(void)arg;
	spin_flag = 1;
	spun_out = 0;
	sim_core_start(1, spin_waiter, NULL);
	for (unsigned i = 0; i < 3; i++)
		sim_point(SIM_POINT_YIELD);
	spin_flag = 0;
	sim_point(SIM_POINT_UNLOCK);
	/* Core 0 now spins itself until core 1 got out: with no strategy the
	 * default at a spin point is another ready core, so this ends. */
	for (unsigned i = 0; !spun_out && i < 100000; i++)
		sim_point(SIM_POINT_SPIN);
	if (!spun_out)
		sim_fail(SIM_FAIL_ORACLE, "spinner never ran");
	sim_finish();
}

static void test_spin_default(void)
{
	sim_config_t cfg = config(2, NULL);
	cfg.step_budget = 10000;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, spin_default_main, NULL, &r), SIM_OK);
	CHECK(spun_out == 1);
	CHECK(r.steps < 100);
	sim_result_free(&r);
}

/* ------------------------- switches the code under test gets wrong */

static sim_fiber_t *core0_fiber;
static void steals_core0(void *arg)
{
	(void)arg;
	sim_point(SIM_POINT_SWITCH);
	sim_core_switch(core0_fiber, false); /* core 0 is running it: a bug */
	for (;;)
		sim_point(SIM_POINT_YIELD);
}
static void switch_bug_main(void *arg)
{
	unsigned variant = (unsigned)(uintptr_t)arg;
	core0_fiber = sim_core_fiber();
	if (variant == 0) {
		sim_core_start(1, steals_core0, NULL);
		for (;;)
			sim_point(SIM_POINT_YIELD);
	}
	sim_core_switch(core0_fiber, false); /* to itself */
}

/* A kernel that runs one context on two cores, or switches to itself, fails
 * the run with a message; the engine does not abort the process. */
static void test_switch_bugs(void)
{
	sim_config_t cfg = config(2, &rr_strategy);
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, switch_bug_main, (void *)(uintptr_t)0, &r), SIM_FAIL_ASSERT);
	CHECK(strstr(r.message, "core 1: context switch to a context core 0 is running") != NULL);
	sim_result_free(&r);
	CHECK_EQ_U64(sim_run(&cfg, switch_bug_main, (void *)(uintptr_t)1, &r), SIM_FAIL_ASSERT);
	CHECK(strstr(r.message, "core 0: context switch to the running context") != NULL);
	sim_result_free(&r);
}

/* ---------------------------------------- returning entries, the log */

static void returns_early(void *arg)
{
	(void)arg;
	sim_point(SIM_POINT_YIELD);
}
static void returning_main(void *arg)
{
	(void)arg;
	sim_core_start(1, returns_early, NULL);
	for (unsigned i = 0; i < 10; i++)
		sim_point(SIM_POINT_YIELD);
	sim_log("main %s %d", "returns", 42);
	/* main_fn returning ends the run as sim_finish */
}

static void test_returning_and_log(void)
{
	sim_config_t cfg = config(2, &rr_strategy);
	cfg.log = true;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, returning_main, NULL, &r), SIM_OK);
	CHECK(r.log != NULL && r.log_len == strlen(r.log));
	CHECK(r.log != NULL && strstr(r.log, " 0: main returns 42\n") != NULL);
	sim_result_free(&r);

	cfg.log = false;
	CHECK_EQ_U64(sim_run(&cfg, returning_main, NULL, &r), SIM_OK);
	CHECK(r.log == NULL);
	sim_result_free(&r);

	/* Every core halted or idle: the run is over (deadlock by default). */
	cfg.cores = 1;
	cfg.strategy = NULL;
	CHECK_EQ_U64(sim_run(&cfg, idle_forever, NULL, &r), SIM_FAIL_DEADLOCK);
	sim_result_free(&r);
}

/* Lots of lines: the log grows. */
static void chatty_main(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 2000; i++) {
		sim_point(SIM_POINT_YIELD);
		sim_log("line %u with some text to make it longer than short", i);
	}
	sim_finish();
}
static void test_log_grows(void)
{
	sim_config_t cfg = config(1, NULL);
	cfg.log = true;
	sim_result_t r;
	CHECK_EQ_U64(sim_run(&cfg, chatty_main, NULL, &r), SIM_OK);
	unsigned lines = 0;
	for (size_t i = 0; i < r.log_len; i++)
		lines += r.log[i] == '\n';
	CHECK_EQ_U64(lines, 2000);
	CHECK(strstr(r.log, "2000 200000 0: line 1999 with") != NULL);
	sim_result_free(&r);
}

/* -------------------------------- same seed, same run; 1000 repeated runs */

static unsigned mix_counter;
static void mixer(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < 30; i++) {
		mix_counter = mix_counter * 31 + me; /* order-dependent */
		sim_hash_mix(mix_counter);
		if (sim_decide_fault(me))
			sim_point(SIM_POINT_LOCK);
		sim_point(SIM_POINT_ATOMIC);
	}
	for (;;)
		sim_core_idle();
}
static void mixer_main(void *arg)
{
	(void)arg;
	for (unsigned c = 1; c < sim_core_count(); c++)
		sim_core_start(c, mixer, (void *)(uintptr_t)c);
	sim_irq_set_enabled(true);
	sim_timer_set(2000, 1);
	mixer((void *)(uintptr_t)0);
}
static void nop_irq(void *ctx, unsigned core, unsigned mask)
{
	(void)ctx;
	(void)core;
	(void)mask;
	sim_hash_mix(mask);
}

static void test_same_seed(void)
{
	struct rnd_state st_a, st_b;
	sim_strategy_t a, b;
	sim_config_t cfg = config(4, NULL);
	cfg.record_step_hashes = true;
	cfg.on_all_idle = idle_ok;
	cfg.irq_handler = nop_irq;
	sim_result_t ra, rb;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		rnd_make(&a, &st_a, seed);
		rnd_make(&b, &st_b, seed);
		cfg.strategy = &a;
		mix_counter = 0;
		CHECK_EQ_U64(sim_run(&cfg, mixer_main, NULL, &ra), SIM_OK);
		cfg.strategy = &b;
		mix_counter = 0;
		CHECK_EQ_U64(sim_run(&cfg, mixer_main, NULL, &rb), SIM_OK);
		CHECK_EQ_U64(ra.steps, rb.steps);
		CHECK_EQ_U64(ra.final_hash, rb.final_hash);
		CHECK(ra.steps > 0 && memcmp(ra.step_hashes, rb.step_hashes, ra.steps * 8) == 0);
		CHECK_EQ_U64(ra.decisions.count, rb.decisions.count);
		unsigned same = ra.decisions.count == rb.decisions.count;
		for (size_t i = 0; same && i < ra.decisions.count; i++)
			same = ra.decisions.decisions[i].kind == rb.decisions.decisions[i].kind &&
			       ra.decisions.decisions[i].value == rb.decisions.decisions[i].value;
		CHECK(same);
		sim_result_free(&rb);
		/* Another seed takes another path. */
		rnd_make(&b, &st_b, seed + 1000);
		cfg.strategy = &b;
		mix_counter = 0;
		CHECK_EQ_U64(sim_run(&cfg, mixer_main, NULL, &rb), SIM_OK);
		CHECK(ra.final_hash != rb.final_hash);
		sim_result_free(&ra);
		sim_result_free(&rb);
	}
}

#define REPEAT_RUNS 1000u
static void test_repeat(void)
{
	struct rnd_state st;
	sim_strategy_t s;
	sim_config_t cfg = config(4, NULL);
	cfg.on_all_idle = idle_ok;
	cfg.irq_handler = nop_irq;
	cfg.log = true;
	unsigned ok = 0;
	for (unsigned i = 0; i < REPEAT_RUNS; i++) {
		rnd_make(&s, &st, i);
		cfg.strategy = &s;
		cfg.record_step_hashes = (i % 2) == 0;
		sim_result_t r;
		mix_counter = 0;
		ok += sim_run(&cfg, mixer_main, NULL, &r) == SIM_OK;
		sim_result_free(&r);
	}
	CHECK_EQ_U64(ok, REPEAT_RUNS);
}

/* -------------------------------------------------------- outside a run */

static void test_outside(void)
{
	CHECK(!sim_running());
	sim_point(SIM_POINT_LOCK);
	sim_core_idle();
	CHECK_EQ_U64(sim_core_id(), 0);
	CHECK_EQ_U64(sim_core_count(), 1);
	CHECK_EQ_U64(sim_time_ns(), 0);
	CHECK(!sim_decide_fault(1));
	CHECK_EQ_U64(sim_decide_value(10), 0);
	CHECK(!sim_core_start(1, parked, NULL));
	CHECK(sim_core_fiber() == NULL);
	CHECK(!sim_irq_enabled());
	CHECK(!sim_irq_set_enabled(true));
	CHECK(sim_irq_enabled());
	CHECK(sim_irq_set_enabled(false));
	CHECK(!sim_irq_enabled());
	sim_irq_raise(0, 1);
	sim_timer_set(100, 0);
	sim_hash_mix(1);
	sim_log("nothing %d", 1);
}

int main(void)
{
	test_outside();
	test_cores();
	test_decisions();
	test_fault_value();
	test_default_fixed();
	test_irq();
	test_irq_wakes_idle();
	test_event_timer();
	test_preempt();
	test_migrate();
	test_timer_jump();
	test_multi_timer();
	test_deadlock();
	test_budget_oracle();
	test_fail_secondary();
	test_switch_bugs();
	test_spin_default();
	test_returning_and_log();
	test_log_grows();
	test_same_seed();
	test_repeat();
	test_outside();
	return check_report();
}
