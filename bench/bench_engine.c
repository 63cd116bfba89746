/*
 * bench_engine.c — what a scheduling point costs, against a bare fiber switch.
 *
 * Cases cores-1, cores-4, cores-16: every started core loops on sim_point and
 * a seeded random strategy picks the next core, so switches really happen
 * (with k cores about (k-1)/k of the points switch). The baseline, measured
 * in the same process, is one sim_fiber_switch between two fibers, sampled
 * before every case sample. Each figure is a median of REPS repetitions (the
 * baseline's of all its samples). Host time (clock_gettime) is used here
 * only: the benchmark is host code, outside the simulated world.
 *
 * Output: JSON lines on stdout (DESIGN.md). --smoke: tiny counts, for ctest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "engine_points.h"
#include "sim.h"

#define REPS 9u
#define POINTS_FULL 1000000u
#define POINTS_SMOKE 2000u
#define SWITCHES_FULL 1000000u
#define SWITCHES_SMOKE 2000u
#define STACK_BYTES (64u * 1024u)
#define SEED 0x5eed5eedull

/* ------------------------------------------------------ bare switch */

static _Alignas(64) unsigned char host_block[SIM_FIBER_HOST_BYTES];
static sim_fiber_t *host, *fa, *fb;
static unsigned switch_rounds;

static void bounce_a(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < switch_rounds; i++)
		sim_fiber_switch(fa, fb);
	sim_fiber_switch(NULL, host);
}

static void bounce_b(void *arg)
{
	(void)arg;
	for (;;)
		sim_fiber_switch(fb, fa);
}

static double bare_switch_ns(unsigned switches)
{
	void *sa = malloc(STACK_BYTES), *sb = malloc(STACK_BYTES);
	if (!sa || !sb) {
		fprintf(stderr, "bench_engine: out of memory\n");
		exit(1);
	}
	switch_rounds = switches / 2;
	fa = sim_fiber_init(sa, STACK_BYTES, bounce_a, NULL);
	fb = sim_fiber_init(sb, STACK_BYTES, bounce_b, NULL);
	double t0 = now_ns();
	sim_fiber_switch(host, fa);
	double t1 = now_ns();
	sim_fiber_release(fa);
	sim_fiber_release(fb);
	free(sa);
	free(sb);
	return (t1 - t0) / (2.0 * switch_rounds);
}

/* ----------------------------------------------------- points on cores */

static double point_ns(unsigned cores, unsigned points)
{
	sim_result_t r;
	double t0 = now_ns();
	enum sim_outcome o = engine_points_run(cores, points, STACK_BYTES, SEED, &r);
	double t1 = now_ns();
	if (o != SIM_OK || r.steps != points) {
		fprintf(stderr, "bench_engine: run failed (%d, %llu steps): %s\n", (int)o,
			(unsigned long long)r.steps, r.message);
		exit(1);
	}
	sim_result_free(&r);
	return (t1 - t0) / (double)points;
}

int main(int argc, char **argv)
{
	int smoke = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			smoke = 1;
		} else {
			fprintf(stderr, "usage: bench_engine [--smoke]\n");
			return 2;
		}
	}
	unsigned points = smoke ? POINTS_SMOKE : POINTS_FULL;
	unsigned switches = smoke ? SWITCHES_SMOKE : SWITCHES_FULL;
	static const unsigned cases[] = {1, 4, 16};
	enum { CASES = sizeof cases / sizeof cases[0] };

	host = sim_fiber_init_host(host_block, sizeof host_block);
	/* Warm up caches and the allocator once before measuring. */
	(void)bare_switch_ns(switches / 4 + 2);
	(void)point_ns(4, points / 4 + 1);

	/* The baseline is sampled right before every case sample, so both see
	 * the same machine load (this host is shared). */
	double bare[REPS * CASES], value[CASES][REPS];
	for (unsigned rep = 0; rep < REPS; rep++) {
		for (unsigned c = 0; c < CASES; c++) {
			bare[rep * CASES + c] = bare_switch_ns(switches);
			value[c][rep] = point_ns(cases[c], points);
		}
	}
	double base = median(bare, REPS * CASES);
	for (unsigned c = 0; c < CASES; c++) {
		double v = median(value[c], REPS);
		/* Round first so the printed ratio is the ratio of the printed values. */
		char vs[32], bs[32];
		snprintf(vs, sizeof vs, "%.3f", v);
		snprintf(bs, sizeof bs, "%.3f", base);
		double vr = strtod(vs, NULL), br = strtod(bs, NULL);
		printf("{\"bench\":\"engine\",\"case\":\"cores-%u\",\"metric\":\"ns_per_point\","
		       "\"value\":%s,\"unit\":\"ns\",\"baseline\":\"bare-switch\","
		       "\"baseline_value\":%s,\"ratio\":%.3f}\n",
		       cases[c], vs, bs, br > 0 ? vr / br : 0.0);
	}
	sim_fiber_release(host);
	return 0;
}
