/*
 * bench_sched.c — what the real scheduler costs on the simulator.
 *
 * cores-1, cores-4, cores-16: a fresh kernel on N simulated cores, two
 * threads pinned to each core yielding to each other, so every yield is a
 * kernel thread switch.
 *   ns_per_switch  host ns / kernel context switches, from the difference
 *                  between runs of 2Y yields per thread and runs of Y (so
 *                  boot and shutdown cancel out; Y = 16000 / cores);
 *   ns_per_point   host ns / engine steps, the same way (a kernel scheduling
 *                  point, with everything the kernel does between points),
 *                  against the baseline `engine-point`: the engine's bare
 *                  sim_point on N cores (a seeded random strategy, as in
 *                  bench_engine), measured right before in the same process.
 * pingpong: schedules_per_s — whole `weft explore` schedules of the pingpong
 *   workload at 2 cores (fresh kernel, boot to end check, every oracle on),
 *   seeds 0, 1, 2, ...; pingpong-check16: the same with k_sched_check every
 *   16 steps instead of every step (what the invariant check costs).
 * Each figure is the median of REPS repetitions. Host time is read here
 * only: the benchmark is outside the simulated world.
 *
 * Output: JSON lines on stdout (DESIGN.md). --smoke: tiny counts, for ctest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <k/sched.h>
#include <k/thread.h>
#include <k/workload.h>

#include "bench_util.h"
#include "engine_points.h"
#include "harness.h"

#define REPS 5u
/* Yields per thread = budget / cores, so every case makes about the same
 * number of switches (2 threads per core). */
#define YIELDS_BUDGET_FULL 16000u
#define YIELDS_BUDGET_SMOKE 256u
#define POINTS_FULL 400000u
#define POINTS_SMOKE 2000u
#define SCHEDULES_FULL 4000u
#define SCHEDULES_SMOKE 20u
#define ENGINE_STACK_BYTES (64u * 1024u)
#define BENCH_STACK_BYTES (16u * 1024u)
#define BENCH_REGION_BYTES (2u << 20) /* 32 threads at 16 cores */
#define SEED 0x5eed5eedull
#define SPARSE_CHECK_EVERY 16u

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_sched: %s: %s\n", what, detail);
	exit(1);
}

/* --------------------------------------------- kernel switches (workload) */

static struct {
	unsigned yields;
	uint64_t switches; /* k_sched_stats at the end of main */
} sw;

static void sw_yielder(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < sw.yields; i++)
		k_thread_yield();
}

static int sw_main(void)
{
	unsigned cores = k_sched_cores();
	k_thread_t *t[2u * SIM_CORES_MAX];
	/* Above every yielder while creating them, so each pair is complete
	 * before either member runs; join then gives the core away. */
	int rc = k_thread_priority_set(k_thread_self(), K_PRIO_MAX);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < 2u * cores; i++) {
		struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
		a.name = "yielder";
		a.affinity = K_CPUMASK_CORE(i % cores);
		a.stack_bytes = BENCH_STACK_BYTES;
		if ((rc = k_thread_create(&t[i], sw_yielder, NULL, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < 2u * cores; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	struct k_sched_stats st;
	k_sched_stats(&st);
	sw.switches = st.switches;
	return 0;
}

static int sw_check(char *msg, size_t cap)
{
	(void)msg;
	(void)cap;
	return 0;
}

static const struct k_workload sw_workload = {"bench-switch", "yielders", sw_main, sw_check, 0};

struct run_cost {
	double ns;
	double switches;
	double steps;
};

/* One run of the yielders. */
static struct run_cost kernel_run_once(unsigned cores, unsigned yields)
{
	sw.yields = yields;
	sw.switches = 0;
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.cores = cores;
	o.seed = SEED;
	o.region_bytes = BENCH_REGION_BYTES;
	snprintf(o.strategy, sizeof o.strategy, "random");
	sim_result_t r;
	double t0 = now_ns();
	enum sim_outcome out = weft_run_once(&sw_workload, &o, &r, NULL, 0);
	double t1 = now_ns();
	if (out != SIM_OK)
		die("switch run failed", r.message);
	if (sw.switches == 0 || r.steps == 0)
		die("switch run", "no switches counted");
	struct run_cost c = {t1 - t0, (double)sw.switches, (double)r.steps};
	sim_result_free(&r);
	return c;
}

/* Host ns per switch and per point, boot and shutdown excluded: the
 * difference between the median time of runs with 2Y yields per thread and
 * that of runs with Y (the counts are the same every run: deterministic).
 * Medians first, then the difference: one preempted run on a busy host
 * cannot make it negative. */
static void kernel_cost(unsigned cores, unsigned yields, unsigned reps, double *per_switch,
			double *per_point)
{
	double a_ns[REPS], b_ns[REPS];
	struct run_cost a = {0, 0, 0}, b = {0, 0, 0};
	for (unsigned rep = 0; rep < reps; rep++) {
		a = kernel_run_once(cores, yields);
		b = kernel_run_once(cores, 2u * yields);
		a_ns[rep] = a.ns;
		b_ns[rep] = b.ns;
	}
	if (b.switches <= a.switches || b.steps <= a.steps)
		die("switch run", "more yields gave no more switches");
	double extra_ns = median_difference(a_ns, b_ns, reps);
	*per_switch = extra_ns / (b.switches - a.switches);
	*per_point = extra_ns / (b.steps - a.steps);
}

/* ------------------------------------------- bare engine points (baseline) */

static double engine_point_ns(unsigned cores, unsigned points)
{
	sim_result_t r;
	double t0 = now_ns();
	enum sim_outcome o = engine_points_run(cores, points, ENGINE_STACK_BYTES, SEED, &r);
	double t1 = now_ns();
	if (o != SIM_OK)
		die("engine run failed", r.message);
	sim_result_free(&r);
	return (t1 - t0) / (double)points;
}

/* ------------------------------------------------------ pingpong schedules */

static double schedules_per_s(const struct k_workload *w, unsigned schedules, uint64_t check_every)
{
	double t0 = now_ns();
	for (unsigned i = 0; i < schedules; i++) {
		struct weft_run_options o;
		memset(&o, 0, sizeof o);
		o.cores = 2;
		o.seed = i;
		o.check_every = check_every;
		snprintf(o.strategy, sizeof o.strategy, "random");
		sim_result_t r;
		if (weft_run_once(w, &o, &r, NULL, 0) != SIM_OK)
			die("pingpong schedule failed", r.message);
		sim_result_free(&r);
	}
	double t1 = now_ns();
	return (double)schedules * 1e9 / (t1 - t0);
}

/* ------------------------------------------------------------------ output */

static void print_line(const char *c, const char *metric, double v, const char *unit,
		       const char *baseline, double b)
{
	bench_print_line("sched", c, metric, v, unit, baseline, b);
}

int main(int argc, char **argv)
{
	bool smoke = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			smoke = true;
		} else {
			fprintf(stderr, "usage: bench_sched [--smoke]\n");
			return 2;
		}
	}
	unsigned yields_budget = smoke ? YIELDS_BUDGET_SMOKE : YIELDS_BUDGET_FULL;
	unsigned points = smoke ? POINTS_SMOKE : POINTS_FULL;
	unsigned schedules = smoke ? SCHEDULES_SMOKE : SCHEDULES_FULL;
	unsigned reps = smoke ? 1u : REPS;
	const struct k_workload *pingpong = weft_workload_find("pingpong");
	if (!pingpong)
		die("setup", "the pingpong workload is not linked in");

	static const unsigned cases[] = {1, 4, 16};
	enum { CASES = sizeof cases / sizeof cases[0] };
	/* Warm up caches and the allocator once. */
	double ignored_a, ignored_b;
	kernel_cost(4, yields_budget / 16u + 1u, 1, &ignored_a, &ignored_b);
	(void)engine_point_ns(4, points / 4u + 1u);

	for (unsigned c = 0; c < CASES; c++) {
		double per_switch, per_point, base[REPS];
		for (unsigned rep = 0; rep < reps; rep++)
			base[rep] = engine_point_ns(cases[c], points);
		kernel_cost(cases[c], yields_budget / cases[c], reps, &per_switch, &per_point);
		char name[24];
		snprintf(name, sizeof name, "cores-%u", cases[c]);
		print_line(name, "ns_per_switch", per_switch, "ns", NULL, 0);
		print_line(name, "ns_per_point", per_point, "ns", "engine-point", median(base, reps));
	}
	/* As `weft explore` runs them (k_sched_check at every step), and — to
	 * show what the invariant check costs — with it every 16 steps. */
	double sps[REPS], sparse[REPS];
	(void)schedules_per_s(pingpong, schedules / 10u + 1u, 0);
	for (unsigned rep = 0; rep < reps; rep++) {
		sps[rep] = schedules_per_s(pingpong, schedules, 0);
		sparse[rep] = schedules_per_s(pingpong, schedules, SPARSE_CHECK_EVERY);
	}
	print_line("pingpong", "schedules_per_s", median(sps, reps), "schedules/s", NULL, 0);
	print_line("pingpong-check16", "schedules_per_s", median(sparse, reps), "schedules/s", NULL,
		   0);
	return 0;
}
