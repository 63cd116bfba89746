/*
 * bench_suspend.c — the one-core suspend/resume round on the simulator.
 *
 * case resume-suspend: on one simulated core, a thread resumes a more urgent
 *   thread that suspends itself again at once (k_thread_resume's direct
 *   switch, then k_thread_suspend of self): two context switches a round.
 * baseline sem-handoff: the same two switches through a semaphore: the
 *   thread gives a semaphore the more urgent thread waits on (its wake-up
 *   preempts the giver through the IPI path), which takes it again.
 * Metrics, each from the difference between runs of 2R and R rounds (so boot
 *   and shutdown cancel out): ns_per_round (host time, median of REPS),
 *   points_per_round (engine scheduling points: BSP crossings — exact, the
 *   same every run) and switches_per_round (k_sched_stats).
 * Host time is read here only: the benchmark is outside the simulated world.
 *
 * Output: JSON lines on stdout (DESIGN.md). --smoke: tiny counts, for ctest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>
#include <k/workload.h>

#include "bench_util.h"
#include "harness.h"

#define REPS 5u
#define ROUNDS_FULL 20000u
#define ROUNDS_SMOKE 64u
#define BENCH_STACK_BYTES (16u * 1024u)
#define BENCH_REGION_BYTES (2u << 20)

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_suspend: %s: %s\n", what, detail);
	exit(1);
}

static struct {
	unsigned rounds;
	bool use_sem;
	k_sem_t *sem;
	unsigned done;       /* rounds the urgent thread completed */
	uint64_t switches;
	int error;
} bs;

static void bs_note(int rc)
{
	if (rc < 0 && bs.error == 0)
		bs.error = rc;
}

static void bs_urgent(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < bs.rounds; i++) {
		if (bs.use_sem)
			bs_note(k_sem_take(bs.sem, K_FOREVER));
		else
			bs_note(k_thread_suspend(k_thread_self()));
		bs.done++;
	}
}

static int bs_main(void)
{
	bs.done = 0;
	bs.error = 0;
	bs.sem = NULL;
	bs_note(k_sem_create(&bs.sem, "handoff", 0, 1));
	k_thread_t *self = k_thread_self();
	unsigned prio = k_thread_priority_get(self);
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "urgent";
	a.priority = prio + 1u;
	a.stack_bytes = BENCH_STACK_BYTES;
	k_thread_t *t = NULL;
	bs_note(k_thread_create(&t, bs_urgent, NULL, &a));
	if (bs.error)
		return bs.error;
	/* It ran at once and waits (suspended or on the semaphore). */
	for (unsigned i = 0; i < bs.rounds; i++) {
		if (bs.use_sem)
			bs_note(k_sem_give(bs.sem));
		else
			bs_note(k_thread_resume(t));
	}
	bs_note(k_thread_join(t, K_FOREVER, NULL));
	bs_note(k_sem_destroy(bs.sem));
	struct k_sched_stats st;
	k_sched_stats(&st);
	bs.switches = st.switches;
	return bs.error;
}

static int bs_check(char *msg, size_t cap)
{
	if (bs.done != bs.rounds) {
		snprintf(msg, cap, "urgent thread did %u of %u rounds", bs.done, bs.rounds);
		return -1;
	}
	return 0;
}

static const struct k_workload bs_workload = {"bench-suspend", "resume/suspend rounds", bs_main,
					      bs_check, 0};

struct run_cost {
	double ns;
	double steps;
	double switches;
};

static struct run_cost run_once(bool use_sem, unsigned rounds)
{
	bs.use_sem = use_sem;
	bs.rounds = rounds;
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.cores = 1;
	o.seed = 1;
	o.region_bytes = BENCH_REGION_BYTES;
	snprintf(o.strategy, sizeof o.strategy, "random");
	sim_result_t r;
	double t0 = now_ns();
	enum sim_outcome out = weft_run_once(&bs_workload, &o, &r, NULL, 0);
	double t1 = now_ns();
	if (out != SIM_OK)
		die("run failed", r.message);
	struct run_cost c = {t1 - t0, (double)r.steps, (double)bs.switches};
	sim_result_free(&r);
	return c;
}

/* Per round, from the difference between 2R and R rounds. */
static struct run_cost per_round(bool use_sem, unsigned rounds, unsigned reps)
{
	double a_ns[REPS], b_ns[REPS];
	struct run_cost a = {0, 0, 0}, b = {0, 0, 0};
	for (unsigned rep = 0; rep < reps; rep++) {
		a = run_once(use_sem, rounds);
		b = run_once(use_sem, 2u * rounds);
		a_ns[rep] = a.ns;
		b_ns[rep] = b.ns;
	}
	double extra = median_difference(a_ns, b_ns, reps);
	struct run_cost c = {extra / rounds, (b.steps - a.steps) / rounds,
			     (b.switches - a.switches) / rounds};
	return c;
}

static void print_line(const char *c, const char *metric, double v, const char *unit,
		       const char *baseline, double b)
{
	bench_print_line("suspend", c, metric, v, unit, baseline, b);
}

int main(int argc, char **argv)
{
	bool smoke = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			smoke = true;
		} else {
			fprintf(stderr, "usage: bench_suspend [--smoke]\n");
			return 2;
		}
	}
	unsigned rounds = smoke ? ROUNDS_SMOKE : ROUNDS_FULL;
	unsigned reps = smoke ? 1u : REPS;
	(void)run_once(false, rounds / 8u + 1u); /* warm up */
	struct run_cost sem = per_round(true, rounds, reps);
	struct run_cost sus = per_round(false, rounds, reps);
	print_line("resume-suspend", "ns_per_round", sus.ns, "ns", "sem-handoff", sem.ns);
	print_line("resume-suspend", "points_per_round", sus.steps, "points", "sem-handoff", sem.steps);
	print_line("resume-suspend", "switches_per_round", sus.switches, "switches", "sem-handoff",
		   sem.switches);
	return 0;
}
