/*
 * planted_race.h — toy workloads for the engine's integration tests (one
 * copy per test executable: everything is static).
 *
 * The planted race: two cores each do `tmp = counter; point; counter =
 * tmp + 1` race_iterations times; the core that finishes last checks that
 * counter == 2 * iterations and fails the run SIM_FAIL_ORACLE otherwise.
 * Under the default schedule (keep running the current core) it passes.
 *
 * The mixed workload: `cores` cores each draw values and faults from the
 * decision stream, update shared state across points, and mix it into the
 * state hash: a multi-core run whose every decision matters to the hash.
 */
#ifndef WEFT_TEST_PLANTED_RACE_H
#define WEFT_TEST_PLANTED_RACE_H

#include <string.h>

#include "sim.h"

/* Each test uses some of these helpers. */
#define RACE_MAYBE_UNUSED __attribute__((unused))

#define RACE_ITERATIONS 20u
#define RACE_STEPS_ESTIMATE (2u * RACE_ITERATIONS + 2u)
#define RACE_BOOT_STACK_BYTES (64u * 1024u)
#define RACE_STEP_BUDGET 100000u

RACE_MAYBE_UNUSED static struct race_state {
	uint64_t counter;
	unsigned finished;
} race;

RACE_MAYBE_UNUSED static void race_worker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < RACE_ITERATIONS; i++) {
		uint64_t tmp = race.counter;
		sim_point(SIM_POINT_YIELD);
		race.counter = tmp + 1;
		sim_hash_mix(race.counter);
	}
	race.finished++;
	if (race.finished == 2) {
		if (race.counter != 2ull * RACE_ITERATIONS)
			sim_fail(SIM_FAIL_ORACLE, "planted race: counter is %llu, expected %llu",
				 (unsigned long long)race.counter, 2ull * RACE_ITERATIONS);
		sim_finish();
	}
	if (sim_core_id() != 0)
		return; /* halts this core; the other one ends the run */
	for (;;)
		sim_core_idle(); /* main must not return: that would end the run */
}

RACE_MAYBE_UNUSED static void race_main(void *arg)
{
	memset(&race, 0, sizeof race);
	sim_core_start(1, race_worker, arg);
	race_worker(arg);
}

RACE_MAYBE_UNUSED static enum sim_outcome race_run(sim_strategy_t *s, bool step_hashes, sim_result_t *out)
{
	sim_config_t cfg = {.cores = 2, .strategy = s, .step_budget = RACE_STEP_BUDGET,
			    .boot_stack_bytes = RACE_BOOT_STACK_BYTES,
			    .record_step_hashes = step_hashes};
	return sim_run(&cfg, race_main, NULL, out);
}

/* ------------------------------------------------------------ mixed */

#define MIXED_ITERATIONS 30u

RACE_MAYBE_UNUSED static struct mixed_state {
	unsigned cores;
	unsigned finished;
	uint64_t shared;
	uint64_t faults;
	uint64_t leak_step;  /* step at which `leak` was mixed in, if it was */
	bool leak;           /* mix a counter that survives runs (nondeterminism) */
} mixed;

RACE_MAYBE_UNUSED static uint64_t mixed_leaking_counter; /* never reset: differs run to run */

RACE_MAYBE_UNUSED static void mixed_worker(void *arg)
{
	(void)arg;
	unsigned me = sim_core_id();
	for (unsigned i = 0; i < MIXED_ITERATIONS; i++) {
		uint32_t v = sim_decide_value(5 + me);
		if (sim_decide_fault(me))
			mixed.faults++;
		uint64_t seen = mixed.shared;
		sim_point(i % 3 == 0 ? SIM_POINT_LOCK : SIM_POINT_ATOMIC);
		mixed.shared = seen * 31 + v + me;
		sim_hash_mix(mixed.shared);
		if (mixed.leak && me == 0 && i == 7) {
			mixed.leak_step = sim_time_ns() / 100; /* steps so far: cost 100 ns */
			sim_hash_mix(++mixed_leaking_counter);
		}
		sim_point(SIM_POINT_UNLOCK);
	}
	mixed.finished++;
	if (mixed.finished == mixed.cores)
		sim_finish();
	if (me != 0)
		return;
	for (;;)
		sim_core_idle();
}

RACE_MAYBE_UNUSED static void mixed_main(void *arg)
{
	(void)arg;
	for (unsigned c = 1; c < mixed.cores; c++)
		sim_core_start(c, mixed_worker, NULL);
	mixed_worker(NULL);
}

RACE_MAYBE_UNUSED static enum sim_outcome mixed_run(unsigned cores, bool leak, sim_strategy_t *s,
				  bool step_hashes, sim_result_t *out)
{
	memset(&mixed, 0, sizeof mixed);
	mixed.cores = cores;
	mixed.leak = leak;
	sim_config_t cfg = {.cores = cores, .strategy = s, .step_budget = RACE_STEP_BUDGET,
			    .boot_stack_bytes = RACE_BOOT_STACK_BYTES,
			    .record_step_hashes = step_hashes};
	return sim_run(&cfg, mixed_main, NULL, out);
}

#endif /* WEFT_TEST_PLANTED_RACE_H */
