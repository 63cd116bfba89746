/*
 * demo.c — engine_demo: the simulator engine's own demo campaign (what
 * `make run` runs until the kernel exists).
 *
 * It hunts a planted race — two cores each do `tmp = counter; point;
 * counter = tmp + 1` RACE_ITERATIONS times, and the last one to finish checks
 * counter == 2 * RACE_ITERATIONS — with `random` and `pct` (depth 2 and 3)
 * over seeds 1..K, prints a table per strategy, shrinks the first failure
 * and writes it as a trace that `engine_demo --replay FILE` replays.
 *
 * Exit codes: 0 the campaign ran (finding the race is the expected outcome)
 * or a replay held; 1 a replay reproduced a failure; 2 bad usage or a trace
 * that cannot be read, with one clear line on stderr.
 *
 * Host time is read only for the runs/s figure and the progress line: it
 * never reaches a run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

#define DEMO_EXIT_OK 0
#define DEMO_EXIT_FAILURE 1
#define DEMO_EXIT_USAGE 2

#define RACE_ITERATIONS 20u
#define RACE_STEPS_ESTIMATE (2u * RACE_ITERATIONS + 2u)
#define RACE_CORES 2u
#define RACE_BOOT_STACK_BYTES (64u * 1024u)
#define RACE_STEP_BUDGET 100000u
#define RACE_SCENARIO "planted-race"

#define DEMO_RUNS_DEFAULT 1000u
#define DEMO_RUNS_MAX 1000000000u
#define DEMO_SHRINK_TESTS_MAX 4000u
#define DEMO_PATH_MAX 4096u
#define DEMO_PROGRESS_EVERY 64u      /* runs between looks at the clock */
#define DEMO_PROGRESS_SECONDS 0.1     /* between progress line redraws */

static const char usage_text[] =
	"usage: engine_demo [--runs K] [--trace FILE]   hunt the planted race (K runs per strategy,\n"
	"                                               default 1000) and write the shrunk failure\n"
	"       engine_demo --replay FILE               replay a trace of the planted race\n";

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("engine_demo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (engine_demo --help for usage)\n", stderr);
	va_end(ap);
	exit(DEMO_EXIT_USAGE);
}

/* ------------------------------------------------------- the planted race */

static struct {
	uint64_t counter;
	unsigned finished;
} race;

static void race_worker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < RACE_ITERATIONS; i++) {
		uint64_t tmp = race.counter;
		sim_point(SIM_POINT_YIELD);
		race.counter = tmp + 1;
		sim_hash_mix(race.counter);
	}
	race.finished++;
	if (race.finished == RACE_CORES) {
		if (race.counter != RACE_CORES * RACE_ITERATIONS)
			sim_fail(SIM_FAIL_ORACLE, "planted race: counter is %" PRIu64 ", expected %u",
				 race.counter, RACE_CORES * RACE_ITERATIONS);
		sim_finish();
	}
	if (sim_core_id() != 0)
		return; /* halts this core; the other one ends the run */
	for (;;)
		sim_core_idle(); /* main must not return: that ends the run */
}

static void race_main(void *arg)
{
	memset(&race, 0, sizeof race);
	sim_core_start(1, race_worker, arg);
	race_worker(arg);
}

static enum sim_outcome race_run(sim_strategy_t *s, sim_result_t *out)
{
	sim_config_t cfg = {.cores = RACE_CORES, .strategy = s, .step_budget = RACE_STEP_BUDGET,
			    .boot_stack_bytes = RACE_BOOT_STACK_BYTES};
	return sim_run(&cfg, race_main, NULL, out);
}

static const char *outcome_name(unsigned o)
{
	switch (o) {
	case SIM_OK: return "ok";
	case SIM_FAIL_ASSERT: return "assertion";
	case SIM_FAIL_DEADLOCK: return "deadlock";
	case SIM_FAIL_BUDGET: return "step budget";
	case SIM_FAIL_ORACLE: return "oracle";
	}
	return "unknown";
}

/* ------------------------------------------------------------ campaign */

typedef struct hunt {
	const char *label;     /* "random", "pct:2" */
	unsigned depth;        /* 0 for random */
	uint64_t runs;
	uint64_t failures;
	uint64_t first_seed;   /* 0: none */
	double seconds;
	sim_trace_t first;     /* the first failing run's decisions */
} hunt_t;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void keep_trace(hunt_t *h, uint64_t seed, const sim_result_t *r)
{
	sim_trace_t *t = &h->first;
	sim_trace_init(t);
	for (size_t i = 0; i < r->decisions.count; i++)
		if (!sim_trace_push(t, r->decisions.decisions[i].kind,
				    r->decisions.decisions[i].value))
			break;
	snprintf(t->build_id, sizeof t->build_id, "%s", sim_build_id());
	snprintf(t->scenario, sizeof t->scenario, "%s", RACE_SCENARIO);
	snprintf(t->strategy, sizeof t->strategy, "%s", h->label);
	t->cores = RACE_CORES;
	t->seed = seed;
	t->outcome = r->outcome;
	t->final_hash = r->final_hash;
}

static void progress(const hunt_t *h, uint64_t total)
{
	printf("\r  %-7s %10" PRIu64 "/%" PRIu64 " runs, %" PRIu64 " failures", h->label, h->runs,
	       total, h->failures);
	if (h->first_seed)
		printf(", first at seed %" PRIu64, h->first_seed);
	printf("\033[K");
	fflush(stdout);
}

static void run_hunt(hunt_t *h, uint64_t total, bool tty)
{
	double start = now_seconds(), drawn = 0;
	for (uint64_t seed = 1; seed <= total; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		if (h->depth == 0)
			sim_strategy_random(&s, &st, seed, 0);
		else
			sim_strategy_pct(&s, &st, seed, h->depth, RACE_STEPS_ESTIMATE);
		sim_result_t r;
		enum sim_outcome o = race_run(&s, &r);
		h->runs++;
		if (o != SIM_OK) {
			h->failures++;
			if (!h->first_seed) {
				h->first_seed = seed;
				keep_trace(h, seed, &r);
			}
		}
		sim_result_free(&r);
		if (tty && (seed % DEMO_PROGRESS_EVERY == 0 || seed == total)) {
			double now = now_seconds();
			if (now - drawn >= DEMO_PROGRESS_SECONDS || seed == total) {
				progress(h, total);
				drawn = now;
			}
		}
	}
	h->seconds = now_seconds() - start;
	if (tty)
		printf("\r\033[K");
}

static void print_table(const hunt_t *hunts, unsigned count)
{
	printf("%-8s %10s %12s %10s %12s  %s\n", "strategy", "runs", "first fail", "failures",
	       "runs/s", "PCT bound per run");
	for (unsigned i = 0; i < count; i++) {
		const hunt_t *h = &hunts[i];
		char first[32] = "none";
		if (h->first_seed)
			snprintf(first, sizeof first, "seed %" PRIu64, h->first_seed);
		char bound[64] = "-";
		if (h->depth)
			snprintf(bound, sizeof bound, "%.3g (n=%u, k=%u, d=%u)",
				 sim_pct_bound(RACE_CORES, RACE_STEPS_ESTIMATE, h->depth), RACE_CORES,
				 RACE_STEPS_ESTIMATE, h->depth);
		double rate = h->seconds > 0 ? (double)h->runs / h->seconds : 0.0;
		printf("%-8s %10" PRIu64 " %12s %10" PRIu64 " %12.0f  %s\n", h->label, h->runs, first,
		       h->failures, rate, bound);
	}
}

/* ------------------------------------------------------------ replay */

static enum sim_outcome replay_run(const sim_trace_t *t, sim_result_t *r, uint32_t *divergences,
				   char *note, size_t note_cap)
{
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_replay(&s, &st, t);
	enum sim_outcome o = race_run(&s, r);
	*divergences = st.divergences;
	if (note)
		snprintf(note, note_cap, "%s", st.note);
	return o;
}

static bool still_fails(void *ctx, const sim_trace_t *candidate)
{
	const unsigned *outcome = ctx;
	sim_result_t r;
	uint32_t divergences;
	enum sim_outcome o = replay_run(candidate, &r, &divergences, NULL, 0);
	sim_result_free(&r);
	return (unsigned)o == *outcome;
}

static int cmd_replay(const char *argv0, const char *path)
{
	sim_trace_t t;
	char err[SIM_MESSAGE_MAX + DEMO_PATH_MAX];
	if (sim_trace_load(path, sim_build_id(), &t, err, sizeof err) != 0) {
		fprintf(stderr, "engine_demo: %s\n", err);
		return DEMO_EXIT_USAGE;
	}
	if (strcmp(t.scenario, RACE_SCENARIO) != 0 || t.cores != RACE_CORES) {
		fprintf(stderr, "engine_demo: %s is a trace of '%s' on %u cores, not of '%s' on %u\n",
			path, t.scenario, (unsigned)t.cores, RACE_SCENARIO, RACE_CORES);
		sim_trace_free(&t);
		return DEMO_EXIT_USAGE;
	}
	sim_result_t r;
	uint32_t divergences;
	char note[SIM_MESSAGE_MAX];
	enum sim_outcome o = replay_run(&t, &r, &divergences, note, sizeof note);
	printf("replay %s: %s on %u cores, %zu decisions (recorded by %s, seed %" PRIu64 ")\n",
	       path, t.scenario, (unsigned)t.cores, t.count, t.strategy, t.seed);
	printf("outcome: %s%s%s\n", outcome_name(o), r.message[0] ? ": " : "", r.message);
	if (divergences)
		printf("%u decisions did not fit (took defaults); first: %s\n", divergences, note);
	if ((unsigned)o == t.outcome && r.final_hash == t.final_hash)
		printf("replay: reproduced the recorded run exactly (final hash %016" PRIx64 ")\n",
		       r.final_hash);
	else
		printf("replay: differs from the recording (recorded %s, hash %016" PRIx64
		       "; now hash %016" PRIx64 ")\n",
		       outcome_name(t.outcome), t.final_hash, r.final_hash);
	(void)argv0;
	sim_result_free(&r);
	sim_trace_free(&t);
	return o == SIM_OK ? DEMO_EXIT_OK : DEMO_EXIT_FAILURE;
}

/* Shrink the first failure found and write it to trace_path. */
static void shrink_and_save(const char *argv0, hunt_t *hunts, unsigned count,
			    const char *trace_path)
{
	hunt_t *h = NULL;
	for (unsigned i = 0; i < count && !h; i++)
		if (hunts[i].first_seed)
			h = &hunts[i];
	if (!h) {
		printf("\nno failure found: nothing to shrink\n");
		return;
	}
	sim_trace_t *t = &h->first;
	size_t before = t->count;
	unsigned outcome = t->outcome;
	size_t tests = sim_shrink(t, still_fails, &outcome, DEMO_SHRINK_TESTS_MAX);
	/* Record the shrunk run's own outcome and hash, so replay matches. */
	sim_result_t r;
	uint32_t divergences;
	enum sim_outcome o = replay_run(t, &r, &divergences, NULL, 0);
	t->outcome = o;
	t->final_hash = r.final_hash;
	printf("\nshrink: first failure (%s, seed %" PRIu64 "): %zu -> %zu decision%s in %zu "
	       "replays\n",
	       h->label, t->seed, before, t->count, t->count == 1 ? "" : "s", tests);
	printf("  shrunk run: %s%s%s\n", outcome_name(o), r.message[0] ? ": " : "", r.message);
	sim_result_free(&r);
	char err[SIM_MESSAGE_MAX + DEMO_PATH_MAX];
	if (sim_trace_save(t, trace_path, err, sizeof err) != 0) {
		fprintf(stderr, "engine_demo: %s\n", err);
		return;
	}
	printf("  trace:  %s\n  replay: %s --replay %s\n", trace_path, argv0, trace_path);
}

/* Default trace path: next to the executable (the build tree), never in
 * the source tree. */
static void default_trace_path(const char *argv0, char *out, size_t cap)
{
	const char *slash = strrchr(argv0, '/');
	if (slash)
		snprintf(out, cap, "%.*s/planted-race.trace", (int)(slash - argv0), argv0);
	else
		snprintf(out, cap, "planted-race.trace");
}

static uint64_t parse_runs(const char *text)
{
	if (!text)
		usage_error("--runs needs a value");
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < 1 || v > DEMO_RUNS_MAX)
		usage_error("--runs takes a whole number from 1 to %u, not '%s'", DEMO_RUNS_MAX, text);
	return v;
}

int main(int argc, char **argv)
{
	const char *argv0 = argc > 0 ? argv[0] : "engine_demo";
	uint64_t runs = DEMO_RUNS_DEFAULT;
	const char *trace_path = NULL, *replay_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return DEMO_EXIT_OK;
		} else if (!strcmp(argv[i], "--runs")) {
			runs = parse_runs(i + 1 < argc ? argv[++i] : NULL);
		} else if (!strcmp(argv[i], "--trace")) {
			if (i + 1 >= argc)
				usage_error("--trace needs a file name");
			trace_path = argv[++i];
		} else if (!strcmp(argv[i], "--replay")) {
			if (i + 1 >= argc)
				usage_error("--replay needs a trace file");
			replay_path = argv[++i];
		} else {
			usage_error("unknown argument '%s'", argv[i]);
		}
	}
	if (replay_path)
		return cmd_replay(argv0, replay_path);

	char path[DEMO_PATH_MAX];
	if (!trace_path) {
		default_trace_path(argv0, path, sizeof path);
		trace_path = path;
	}
	bool tty = isatty(STDOUT_FILENO) == 1;
	printf("engine demo: planted race (%u cores, %u racy increments each, ~%u points per run)\n"
	       "hunting with random and pct, seeds 1..%" PRIu64 " each\n\n",
	       RACE_CORES, RACE_ITERATIONS, RACE_STEPS_ESTIMATE, runs);
	fflush(stdout);
	hunt_t hunts[] = {
		{.label = "random", .depth = 0},
		{.label = "pct:2", .depth = 2},
		{.label = "pct:3", .depth = 3},
	};
	const unsigned count = sizeof hunts / sizeof hunts[0];
	for (unsigned i = 0; i < count; i++)
		run_hunt(&hunts[i], runs, tty);
	print_table(hunts, count);
	shrink_and_save(argv0, hunts, count, trace_path);
	for (unsigned i = 0; i < count; i++)
		if (hunts[i].first_seed)
			sim_trace_free(&hunts[i].first);
	return DEMO_EXIT_OK;
}
