/*
 * fuzz_harness.h — what every fuzz target shares around its runs: the
 * schedule drawn from the input, and the per-process counts a benchmark
 * reads. Built without coverage (fuzz/CMakeLists.txt): nothing here is
 * code under test, so none of it may reward an input.
 *
 * The machine itself is shared one level down: every target boots its
 * kernel through bsp_sim_setup (directly, or through weft_run_once), which
 * reuses the previous run's host memory and fiber stacks (bsp_sim.h), so a
 * new target gets the cheap per-input reset without any trick of its own.
 */
#ifndef WEFT_FUZZ_HARNESS_H
#define WEFT_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

/* Decisions from the input bytes, then (once they are spent) from a PRNG
 * seeded by a hash of the whole input: deterministic from the input alone.
 * In a run without timing decisions (pass timing_decisions as the run's
 * sim_config_t has it), a core at a spin point is never picked again: the
 * choice is among the other cores (fuzz_harness.c says why). */
struct weft_fuzz_schedule {
	const uint8_t *data;
	size_t size, pos;
	sim_rng_t rng;
	bool skip_spinner;
};
/* Fill *s (named `name`) to draw from f over data[0..size). */
void weft_fuzz_schedule_init(sim_strategy_t *s, struct weft_fuzz_schedule *f, const char *name,
			     const uint8_t *data, size_t size, bool timing_decisions);

/* Count one finished run (its simulated steps). With WEFT_FUZZ_STATS set in
 * the environment, the process prints at exit one line on stderr:
 *   weft_fuzz_stats: runs=N steps=S
 * (bench/bench_fuzz reads it for the mean steps per input). */
void weft_fuzz_count_run(const sim_result_t *r);

#endif /* WEFT_FUZZ_HARNESS_H */
