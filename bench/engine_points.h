/*
 * engine_points.h — the engine's bare scheduling point, as a benchmark
 * workload: every core loops on sim_point under a seeded random strategy, so
 * switches really happen. bench_engine reports it; bench_sched uses it as
 * the baseline of a kernel scheduling point. Host code, one run at a time.
 */
#ifndef WEFT_BENCH_ENGINE_POINTS_H
#define WEFT_BENCH_ENGINE_POINTS_H

#include <string.h>

#include "sim.h"

static sim_rng_t engine_points_rng;
static uint64_t engine_points_seed;
static uint64_t engine_points_left;

static uint32_t engine_points_choose(sim_strategy_t *s, const sim_choice_t *c)
{
	(void)s;
	return (uint32_t)sim_rng_below(&engine_points_rng, c->n);
}

static void engine_points_begin(sim_strategy_t *s, unsigned cores)
{
	(void)s;
	sim_rng_seed(&engine_points_rng, engine_points_seed + cores);
}

static sim_strategy_t engine_points_strategy = {
	.name = "bench-random", .choose = engine_points_choose, .begin = engine_points_begin};

static void engine_points_spinner(void *arg)
{
	(void)arg;
	for (;;) {
		if (engine_points_left == 0)
			sim_finish();
		engine_points_left--;
		sim_point(SIM_POINT_YIELD);
	}
}

static void engine_points_main(void *arg)
{
	(void)arg;
	for (unsigned c = 1; c < sim_core_count(); c++)
		sim_core_start(c, engine_points_spinner, NULL);
	engine_points_spinner(NULL);
}

/* One run of `points` points over `cores` cores; the caller times it. */
static enum sim_outcome engine_points_run(unsigned cores, uint64_t points, size_t stack_bytes,
					  uint64_t seed, sim_result_t *r)
{
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = cores;
	cfg.strategy = &engine_points_strategy;
	cfg.boot_stack_bytes = stack_bytes;
	engine_points_seed = seed;
	engine_points_left = points;
	return sim_run(&cfg, engine_points_main, NULL, r);
}

#endif /* WEFT_BENCH_ENGINE_POINTS_H */
