/*
 * test_race.c — the planted race (planted_race.h) is found by `random` and
 * by `pct` within 1,000 runs, and its failing trace shrinks to a handful of
 * decisions that replay to the same failure.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "planted_race.h"

#define HUNT_RUNS 1000u

/* First seed in 1..HUNT_RUNS whose run fails SIM_FAIL_ORACLE (0: none); the
 * failing run's decisions go to *trace. Counts every failure in *failures. */
static uint64_t hunt(const char *strategy, unsigned depth, unsigned *failures,
		     sim_trace_t *trace)
{
	uint64_t first = 0;
	*failures = 0;
	for (uint64_t seed = 1; seed <= HUNT_RUNS; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		if (!strcmp(strategy, "random"))
			sim_strategy_random(&s, &st, seed, 0);
		else
			sim_strategy_pct(&s, &st, seed, depth, RACE_STEPS_ESTIMATE);
		sim_result_t r;
		enum sim_outcome o = race_run(&s, false, &r);
		CHECK(o == SIM_OK || o == SIM_FAIL_ORACLE);
		if (o == SIM_FAIL_ORACLE) {
			(*failures)++;
			if (!first) {
				first = seed;
				CHECK(strstr(r.message, "planted race: counter is") != NULL);
				sim_trace_init(trace);
				for (size_t i = 0; i < r.decisions.count; i++)
					sim_trace_push(trace, r.decisions.decisions[i].kind,
						       r.decisions.decisions[i].value);
				trace->cores = 2;
				trace->seed = seed;
				trace->outcome = o;
				trace->final_hash = r.final_hash;
				snprintf(trace->scenario, sizeof trace->scenario, "planted-race");
				if (depth)
					snprintf(trace->strategy, sizeof trace->strategy, "%s:%u",
						 strategy, depth);
				else
					snprintf(trace->strategy, sizeof trace->strategy, "%s", strategy);
			}
		}
		sim_result_free(&r);
	}
	printf("%s (depth %u): first failure at seed %llu, %u of %u runs fail\n", strategy,
	       depth, (unsigned long long)first, *failures, HUNT_RUNS);
	return first;
}

static enum sim_outcome replay(const sim_trace_t *t, sim_result_t *r, uint32_t *divergences)
{
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_replay(&s, &st, t);
	enum sim_outcome o = race_run(&s, false, r);
	*divergences = st.divergences;
	return o;
}

static bool still_fails(void *ctx, const sim_trace_t *candidate)
{
	size_t *calls = ctx;
	(*calls)++;
	sim_result_t r;
	uint32_t divergences;
	enum sim_outcome o = replay(candidate, &r, &divergences);
	sim_result_free(&r);
	return o == SIM_FAIL_ORACLE;
}

static void test_default_schedule_passes(void)
{
	sim_result_t r;
	CHECK_EQ_U64(race_run(NULL, false, &r), SIM_OK);
	CHECK_EQ_U64(r.decisions.count, RACE_ITERATIONS); /* core 0's yields while core 1 waits */
	sim_result_free(&r);
}

static void test_hunt_and_shrink(void)
{
	sim_trace_t found[3];
	unsigned failures[3];
	uint64_t first_random = hunt("random", 0, &failures[0], &found[0]);
	uint64_t first_pct2 = hunt("pct", 2, &failures[1], &found[1]);
	uint64_t first_pct3 = hunt("pct", 3, &failures[2], &found[2]);
	CHECK(first_random >= 1 && first_random <= HUNT_RUNS);
	CHECK(first_pct2 >= 1 && first_pct2 <= HUNT_RUNS);
	CHECK(first_pct3 >= 1 && first_pct3 <= HUNT_RUNS);
	/* PCT's guarantee: at least 1 in n*k^(d-1) runs, per run. */
	CHECK(failures[1] >= (unsigned)(HUNT_RUNS * sim_pct_bound(2, RACE_STEPS_ESTIMATE, 2)));

	for (unsigned i = 0; i < 3; i++) {
		if (!(i == 0 ? first_random : i == 1 ? first_pct2 : first_pct3))
			continue;
		sim_trace_t *t = &found[i];
		size_t before = t->count, calls = 0;
		/* The recorded stream replays to the same failure, exactly. */
		sim_result_t r;
		uint32_t divergences;
		CHECK_EQ_U64(replay(t, &r, &divergences), SIM_FAIL_ORACLE);
		CHECK_EQ_U64(divergences, 0);
		CHECK_EQ_U64(r.final_hash, t->final_hash);
		sim_result_free(&r);


		size_t tests = sim_shrink(t, still_fails, &calls, 2000);
		CHECK_EQ_U64(tests, calls);
		printf("shrink %s: %zu -> %zu decisions in %zu replays\n", t->strategy, before,
		       t->count, tests);
		CHECK(t->count < before || before <= 1);
		/* One decision suffices: switch to core 1 at core 0's first
		 * yield (core 0 holds a stale counter); defaults do the rest. */
		CHECK_EQ_U64(t->count, 1);
		CHECK(t->count == 0 || (t->decisions[0].kind == SIM_DECIDE_CORE &&
					 t->decisions[0].value == 1));
		CHECK_EQ_U64(replay(t, &r, &divergences), SIM_FAIL_ORACLE);
		CHECK(strstr(r.message, "planted race: counter is") != NULL);
		sim_result_free(&r);

		/* The shrunk trace survives the file format. */
		uint8_t *data;
		size_t size;
		CHECK(sim_trace_encode(t, &data, &size));
		sim_trace_t back;
		char err[SIM_MESSAGE_MAX];
		CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), 0);
		CHECK_EQ_U64(replay(&back, &r, &divergences), SIM_FAIL_ORACLE);
		sim_result_free(&r);
		sim_trace_free(&back);
		free(data);
		sim_trace_free(t);
	}
}

int main(void)
{
	test_default_schedule_passes();
	test_hunt_and_shrink();
	return check_report();
}
