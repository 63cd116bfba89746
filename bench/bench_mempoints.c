/*
 * bench_mempoints.c — what --mem-points costs: schedules per second of every
 * workload with and without memory-access points, in the same run.
 *
 * For each workload (weft list order) at CORES cores: REPS rounds, each
 * running RUNS schedules (random strategy, seeds 0..RUNS-1) without memory
 * points and then the same seeds with them, timed separately; the figures
 * are the medians over the rounds. The shared-word calibration (a few runs
 * per workload, once per process: shared_words.c) is done before the first
 * timed round, as a campaign pays it once. Also printed per workload: the
 * points a run makes with and without (steps) and the memory points among
 * them, exact counts from seed 0.
 *
 * Races build only (the workloads must be instrumented). The clock is the
 * process's CPU time (CLOCK_PROCESS_CPUTIME_ID): the benchmark is
 * single-threaded host code, and on a machine shared with builds the wall
 * clock measures the neighbours. Host time is read here only.
 * Output: JSON lines (DESIGN.md); --smoke: 1 round of 2 schedules, for ctest.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <k/workload.h>

#include "bench_util.h"
#include "harness.h"

#define MP_REPS_FULL 5u
#define MP_RUNS_FULL 60u
#define MP_REPS_MAX 16u
#define MP_CORES 2u

static uint64_t mp_steps;      /* of the last run */
static uint64_t mp_mem_points; /* of the last run */

/* RUNS schedules; returns their host seconds. Exits 1 on a failing run: a
 * workload must hold with or without memory points. */
static double mp_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double mp_batch(const struct k_workload *w, bool mem, unsigned runs)
{
	double start = mp_cpu_ns();
	for (unsigned s = 0; s < runs; s++) {
		struct weft_run_options o;
		memset(&o, 0, sizeof o);
		o.cores = MP_CORES;
		o.seed = s;
		o.mem_points = mem;
		o.quiet_console = true;
		snprintf(o.strategy, sizeof o.strategy, "random");
		sim_result_t r;
		enum sim_outcome out = weft_run_once(w, &o, &r, NULL, 0);
		if (s == 0) {
			sim_mem_stats_t st;
			sim_mem_stats(&st);
			mp_steps = r.steps;
			mp_mem_points = st.points;
		}
		if (out != SIM_OK) {
			fprintf(stderr, "bench_mempoints: %s failed (seed %u%s): %s\n", w->name, s,
				mem ? ", --mem-points" : "", r.message);
			exit(1);
		}
		sim_result_free(&r);
	}
	return (mp_cpu_ns() - start) / 1e9;
}

static void mp_workload(const struct k_workload *w, unsigned reps, unsigned runs)
{
	if (reps > MP_REPS_MAX || runs == 0)
		abort(); /* a bug of this file */
	size_t shared = 0;
	(void)weft_shared_words(w, MP_CORES, &shared); /* calibration, untimed */
	double with[MP_REPS_MAX], without[MP_REPS_MAX];
	uint64_t steps_without = 0, steps_with = 0, mem_points = 0;
	for (unsigned i = 0; i < reps; i++) {
		without[i] = runs / mp_batch(w, false, runs);
		steps_without = mp_steps;
		with[i] = runs / mp_batch(w, true, runs);
		steps_with = mp_steps;
		mem_points = mp_mem_points;
	}
	double v = median(with, reps), b = median(without, reps);
	printf("{\"bench\":\"mempoints\",\"case\":\"%s\",\"metric\":\"schedules_per_s\",\"value\":%.1f,"
	       "\"unit\":\"schedules/s\",\"baseline\":\"no-mem-points\",\"baseline_value\":%.1f,"
	       "\"ratio\":%.3f,\"cores\":%u,\"runs\":%u,\"reps\":%u,\"shared_words\":%zu,"
	       "\"steps_per_run\":%" PRIu64 ",\"steps_per_run_baseline\":%" PRIu64
	       ",\"mem_points_per_run\":%" PRIu64 "}\n",
	       w->name, v, b, v / b, MP_CORES, runs, reps, shared, steps_with, steps_without,
	       mem_points);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	bool smoke = argc == 2 && strcmp(argv[1], "--smoke") == 0;
	if (argc > 2 || (argc == 2 && !smoke)) {
		fprintf(stderr, "bench_mempoints: usage: bench_mempoints [--smoke]\n");
		return 2;
	}
	if (!sim_mem_available()) {
		fprintf(stderr, "bench_mempoints: needs the races build (cmake --preset races)\n");
		return 2;
	}
	unsigned reps = smoke ? 1u : MP_REPS_FULL, runs = smoke ? 2u : MP_RUNS_FULL;
	for (size_t i = 0; i < weft_workload_count(); i++)
		mp_workload(weft_workload_at(i), reps, runs);
	return 0;
}
