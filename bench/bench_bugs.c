/*
 * bench_bugs.c — the bug benchmark: how many schedules each exploration
 * strategy needs to find each bug of stress/bugs/, and whether each fixed
 * twin stays clean.
 *
 * For every bug program, every strategy (random, pct:1, pct:2, pct:3) and
 * every core count (1, 2, 4): SEEDS independent explorations, each running
 * schedules seed_base(j), seed_base(j)+1, ... (as `weft explore --seed
 * seed_base(j)` would) until the first failure or CAP schedules. Printed:
 *   schedules_to_failure_median  the median over the explorations of the
 *                                number of schedules up to and including
 *                                the first failing one; CAP+1 when more
 *                                than half found nothing ("found_within_cap"
 *                                false). found_seeds says how many found it.
 *   twin_failures                failing schedules of the twin among
 *                                TWIN_RUNS (seeds 0..TWIN_RUNS-1); 0 = clean.
 * Once more than half the explorations of a setting reached CAP the median
 * is known to be above CAP and the rest are skipped (found_seeds then counts
 * the explorations run). A schedule that took no decision at all was the
 * only schedule the setting has (one core before time is a decision): every
 * seed would replay it, so one exploration of one schedule decides the
 * setting ("schedules_distinct_max":1).
 *
 * In process: the harness's weft_run_once, the same run `weft explore` makes
 * (fresh kernel, every oracle). Host time is read only for the summary on
 * stderr.
 *
 * --quick (ctest's bench-smoke entry in the release preset, a few seconds):
 * 3 explorations, CAP 1000, 50 twin schedules, cores 1 and 2. Exit 1 if a
 * twin failed, a bug was not found within CAP at 2 cores by any strategy, or
 * a bug that can happen on one core was not found at 1 core: a regression
 * test. --smoke (the same entry in the sanitizer presets, where
 * a schedule costs ~30 times more): 1 exploration, CAP 1000, 20 twin
 * schedules, 2 cores, strategies in the order random, pct:3, pct:2, pct:1
 * up to the first that finds the bug; the same exit rule.
 * Full run: exit 1 only if a twin failed (the targets are for the report).
 * --only NAME: one program. --cores LIST, --seeds N, --cap N, --twin-runs N.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/workload.h>

#include "bench_util.h"
#include "harness.h"

#define BB_STRATEGIES 5u
#define BB_CORES_MAX 8u
#define BB_SEEDS_MAX 100u
#define BB_CAP_MAX 1000000u
/* Explorations are independent: their seed ranges never overlap while the
 * cap stays below this stride. */
#define BB_SEED_STRIDE (1ull << 32)

static const char *const strategies[BB_STRATEGIES] = {"random", "pct:1", "pct:2", "pct:3",
						     "feedback"};
#define BB_FEEDBACK 4u /* index of the feedback-guided strategy (feedback.c) */
/* --smoke's order: the strategies likeliest to find a bug first. */
static const unsigned smoke_order[BB_STRATEGIES] = {0, 3, 2, 1, 4};

/* One exploration's state for the feedback strategy (large: static). */
static struct weft_feedback bb_feedback;

struct bb_options {
	unsigned seeds;
	uint64_t cap;
	uint64_t twin_runs;
	unsigned cores[BB_CORES_MAX];
	unsigned cores_count;
	const char *only;
	bool quick; /* --quick or --smoke: exit 1 on a bug missed at 2 cores */
	bool smoke; /* stop at the first strategy that finds the bug */
	bool mem_points; /* also every setting with memory points (races build) */
};

/* One setting's way of running: a strategy, memory points on or off. */
struct bb_mode {
	unsigned strategy; /* index in strategies[] */
	bool mem;
};

static _Noreturn void usage(const char *what)
{
	fprintf(stderr, "bench_bugs: %s (usage: bench_bugs [--quick] [--mem-points] [--only NAME] "
			"[--cores 1,2,4] [--seeds N] [--cap N] [--twin-runs N])\n", what);
	exit(2);
}

static uint64_t parse_count(const char *flag, const char *v, uint64_t max)
{
	if (!v)
		usage("a flag needs a value");
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end || end == v || v[0] == '-' || n == 0 || n > max) {
		fprintf(stderr, "bench_bugs: %s takes 1..%" PRIu64 ", not '%s'\n", flag, max, v);
		exit(2);
	}
	return n;
}

static void parse_cores(struct bb_options *o, const char *v)
{
	if (!v)
		usage("--cores needs a list such as 1,2,4");
	o->cores_count = 0;
	const char *p = v;
	for (unsigned i = 0; i < BB_CORES_MAX && *p; i++) {
		char *end;
		unsigned long c = strtoul(p, &end, 10);
		if (end == p || c < 1 || c > SIM_CORES_MAX || (*end && *end != ','))
			usage("--cores takes a list of core counts such as 1,2,4");
		o->cores[o->cores_count++] = (unsigned)c;
		p = *end ? end + 1 : end;
	}
	if (*p || o->cores_count == 0)
		usage("--cores takes at most 8 core counts");
}

static void parse_args(struct bb_options *o, int argc, char **argv)
{
	*o = (struct bb_options){.seeds = 20, .cap = 10000, .twin_runs = 1000,
				 .cores = {1, 2, 4}, .cores_count = 3};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--smoke")) {
			o->quick = o->smoke = true;
			o->seeds = 1;
			o->cap = 1000;
			o->twin_runs = 20;
			o->cores[0] = 2;
			o->cores_count = 1;
			continue;
		}
		if (!strcmp(a, "--mem-points")) {
			if (!sim_mem_available())
				usage("--mem-points needs the races build (cmake --preset races)");
			o->mem_points = true;
			continue;
		}
		if (!strcmp(a, "--quick")) {
			o->quick = true;
			o->seeds = 3;
			o->cap = 1000;
			o->twin_runs = 50;
			o->cores[0] = 1;
			o->cores[1] = 2;
			o->cores_count = 2;
			continue;
		}
		i++;
		if (!strcmp(a, "--only") && v)
			o->only = v;
		else if (!strcmp(a, "--cores"))
			parse_cores(o, v);
		else if (!strcmp(a, "--seeds"))
			o->seeds = (unsigned)parse_count(a, v, BB_SEEDS_MAX);
		else if (!strcmp(a, "--cap"))
			o->cap = parse_count(a, v, BB_CAP_MAX);
		else if (!strcmp(a, "--twin-runs"))
			o->twin_runs = parse_count(a, v, BB_CAP_MAX);
		else
			usage("unknown argument");
	}
}

/* One schedule: the seed's (random, pct), or the feedback exploration's
 * next input (bb_feedback, seeded by the caller). Returns true if it
 * failed; *decisions gets how many decisions it took. */
static bool bb_fails(const struct k_workload *w, unsigned cores, struct bb_mode m,
		     uint64_t seed, size_t *decisions, uint64_t *runs_total)
{
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.cores = cores;
	o.seed = seed;
	o.mem_points = m.mem;
	o.quiet_console = true;
	snprintf(o.strategy, sizeof o.strategy, "%s", m.strategy == BB_FEEDBACK ? "random" : strategies[m.strategy]);
	if (m.strategy == BB_FEEDBACK) {
		weft_feedback_next(&bb_feedback);
		o.bytes = bb_feedback.input;
		o.bytes_len = bb_feedback.input_len;
		o.features = true;
	}
	sim_result_t r;
	enum sim_outcome out = weft_run_once(w, &o, &r, NULL, 0);
	if (m.strategy == BB_FEEDBACK)
		(void)weft_feedback_result(&bb_feedback);
	*decisions = r.decisions.count;
	sim_result_free(&r);
	(*runs_total)++;
	return out != SIM_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct bb_setting {
	uint64_t median;      /* cap + 1: not found within cap (median) */
	unsigned found;       /* explorations that found it */
	unsigned explored;    /* explorations run (early stop) */
	bool single_schedule; /* the setting has one schedule */
};

/* SEEDS explorations of the bug w under one strategy and core count. */
static struct bb_setting bb_explore(const struct k_workload *w, unsigned cores,
				    struct bb_mode m, const struct bb_options *o,
				    uint64_t *runs_total)
{
	uint64_t counts[BB_SEEDS_MAX];
	struct bb_setting s = {0};
	unsigned capped = 0;
	for (unsigned j = 0; j < o->seeds; j++) {
		uint64_t n = o->cap + 1u;
		weft_feedback_free(&bb_feedback);
		weft_feedback_init(&bb_feedback, (uint64_t)j * BB_SEED_STRIDE);
		for (uint64_t i = 0; i < o->cap; i++) {
			size_t decisions = 0;
			bool failed = bb_fails(w, cores, m, (uint64_t)j * BB_SEED_STRIDE + i,
					       &decisions, runs_total);
			if (failed) {
				n = i + 1u;
				break;
			}
			if (decisions == 0) {
				/* No decision: every seed replays this one schedule. */
				s.single_schedule = true;
				break;
			}
		}
		counts[s.explored++] = n;
		if (n <= o->cap)
			s.found++;
		else
			capped++;
		if (s.single_schedule) {
			/* Every exploration is this one: fill them in. */
			for (; s.explored < o->seeds; s.explored++) {
				counts[s.explored] = n;
				if (n <= o->cap)
					s.found++;
			}
			break;
		}
		if (capped * 2u > o->seeds)
			break; /* the median is above the cap whatever the rest do */
	}
	if (s.explored > o->seeds || s.found > s.explored)
		abort(); /* a counting bug of this file */
	/* Explorations skipped by the early stop count as not found. */
	for (unsigned j = s.explored; j < o->seeds; j++)
		counts[j] = o->cap + 1u;
	qsort(counts, o->seeds, sizeof counts[0], cmp_u64);
	s.median = counts[(o->seeds - 1u) / 2u];
	return s;
}

static uint64_t bb_twin(const struct k_workload *twin, unsigned cores, struct bb_mode m,
			const struct bb_options *o, uint64_t *runs_total)
{
	uint64_t failures = 0;
	weft_feedback_free(&bb_feedback);
	weft_feedback_init(&bb_feedback, 0);
	for (uint64_t i = 0; i < o->twin_runs; i++) {
		size_t decisions = 0;
		if (bb_fails(twin, cores, m, i, &decisions, runs_total))
			failures++;
		if (decisions == 0)
			break; /* its only schedule, tried */
	}
	return failures;
}

static void print_line(const struct k_bug_program *b, struct bb_mode m, unsigned cores,
		       const char *metric, uint64_t value, const char *unit, const char *extra)
{
	const char *name = b->workload.name + 4; /* past "bug/" */
	printf("{\"bench\":\"bugs\",\"case\":\"%s\",\"strategy\":\"%s\",\"mem_points\":%s,"
	       "\"cores\":%u,\"metric\":\"%s\",\"value\":%" PRIu64 ",\"unit\":\"%s\","
	       "\"kind\":\"%s\",\"threads\":%u,\"one_core\":%s,\"plain\":%s%s}\n",
	       name, strategies[m.strategy], m.mem ? "true" : "false", cores, metric, value, unit,
	       b->kind, b->threads, b->one_core ? "true" : "false", b->plain ? "true" : "false",
	       extra);
	fflush(stdout);
}

struct bb_totals {
	unsigned programs, twin_failed, missed_at_2, missed_at_1;
	uint64_t runs;
};

/* Whether a setting is run. --smoke leaves plain programs without memory
 * points out. --quick keeps the new columns cheap: feedback
 * at 2 cores only; memory points on an ordinary program random and pct:3 at
 * 2 cores only; a plain program without memory points (found only with
 * them: the full run shows it) random at 2 cores only. */
static bool bb_mode_wanted(const struct k_bug_program *b, struct bb_mode m, unsigned cores,
			   const struct bb_options *o)
{
	if (m.mem && !o->mem_points)
		return false;
	/* --smoke (sanitizer presets, no memory points there): a plain program
	 * cannot be found without them; its exploration would only burn the
	 * cap five times over, at ~30 times the cost of a release schedule. */
	if (o->smoke && b->plain && !m.mem)
		return false;
	if (!o->quick || o->smoke)
		return true;
	if (m.strategy == BB_FEEDBACK && cores != 2)
		return false;
	if (b->plain && !m.mem)
		return m.strategy == 0 && cores == 2;
	if (!b->plain && m.mem)
		return (m.strategy == 0 || m.strategy == 3) && cores == 2;
	return true;
}

/* A setting where the bug is meant to be found (--quick's exit rule): a
 * plain program only with memory points. */
static bool bb_mode_expected(const struct k_bug_program *b, struct bb_mode m)
{
	return !b->plain || m.mem;
}

/* One setting of one program: the exploration line and the twin line.
 * Returns true if the bug was found within the cap. */
static bool bb_setting_run(const struct k_bug_program *b, const struct k_workload *twin,
			   unsigned cores, struct bb_mode m, const struct bb_options *o,
			   struct bb_totals *t)
{
	struct bb_setting r = bb_explore(&b->workload, cores, m, o, &t->runs);
	char extra[256];
	snprintf(extra, sizeof extra,
		 ",\"seeds\":%u,\"found_seeds\":%u,\"explored_seeds\":%u,"
		 "\"cap\":%" PRIu64 ",\"found_within_cap\":%s%s",
		 o->seeds, r.found, r.explored, o->cap, r.median <= o->cap ? "true" : "false",
		 r.single_schedule ? ",\"schedules_distinct_max\":1" : "");
	print_line(b, m, cores, "schedules_to_failure_median", r.median, "schedules", extra);
	uint64_t tf = bb_twin(twin, cores, m, o, &t->runs);
	snprintf(extra, sizeof extra, ",\"twin_runs\":%" PRIu64 ",\"clean\":%s", o->twin_runs,
		 tf == 0 ? "true" : "false");
	print_line(b, m, cores, "twin_failures", tf, "schedules", extra);
	if (tf) {
		t->twin_failed++;
		fprintf(stderr, "bench_bugs: twin of %s failed %" PRIu64 " of %" PRIu64
			" schedules (%s%s, %u cores)\n", b->workload.name, tf, o->twin_runs,
			strategies[m.strategy], m.mem ? "+mem" : "", cores);
	}
	return r.median <= o->cap;
}

static void bb_program(const struct k_bug_program *b, const struct k_workload *twin,
		       const struct bb_options *o, struct bb_totals *t)
{
	bool found_at_2 = false, tried_2 = false, found_at_1 = false, tried_1 = false;
	for (unsigned c = 0; c < o->cores_count; c++) {
		unsigned cores = o->cores[c];
		bool found_here = false;
		for (unsigned mem = 0; mem < 2u; mem++) {
			for (unsigned k = 0; k < BB_STRATEGIES && !(o->smoke && found_here); k++) {
				struct bb_mode m = {o->smoke ? smoke_order[k] : k, mem == 1u};
				if (!bb_mode_wanted(b, m, cores, o))
					continue;
				bool found = bb_setting_run(b, twin, cores, m, o, t);
				if (!bb_mode_expected(b, m))
					continue;
				found_here |= found;
				tried_1 |= cores == 1;
				found_at_1 |= cores == 1 && found;
				tried_2 |= cores == 2;
				found_at_2 |= cores == 2 && found;
			}
		}
	}
	if (tried_1 && b->one_core && !found_at_1) {
		t->missed_at_1++;
		fprintf(stderr, "bench_bugs: %s (a one-core bug) not found within %" PRIu64
			" schedules at 1 core by any strategy\n", b->workload.name, o->cap);
	}
	if (tried_2 && !found_at_2) {
		t->missed_at_2++;
		fprintf(stderr, "bench_bugs: %s not found within %" PRIu64
			" schedules at 2 cores by any strategy\n", b->workload.name, o->cap);
	}
}

int main(int argc, char **argv)
{
	struct bb_options o;
	parse_args(&o, argc, argv);
	double start = now_ns();
	struct bb_totals t = {0};
	size_t n = weft_bug_count();
	for (size_t i = 0; i < n; i++) {
		const struct k_bug_program *b = weft_bug_at(i);
		if (b->twin || (o.only && strcmp(b->workload.name + 4, o.only) != 0))
			continue;
		char twin_name[SIM_TRACE_NAME_MAX];
		snprintf(twin_name, sizeof twin_name, "%s-twin", b->workload.name);
		const struct k_workload *twin = weft_workload_find(twin_name);
		if (!twin) {
			fprintf(stderr, "bench_bugs: %s has no twin\n", b->workload.name);
			return 2;
		}
		t.programs++;
		bb_program(b, twin, &o, &t);
	}
	weft_feedback_free(&bb_feedback);
	if (o.only && t.programs == 0)
		usage("no bug program by that name (weft list --bugs)");
	fprintf(stderr, "bench_bugs: %u programs, %" PRIu64 " schedules in %.1f s; %u twins failed, "
		"%u bugs not found at 2 cores, %u one-core bugs not found at 1 core%s\n", t.programs,
		t.runs, (now_ns() - start) / 1e9, t.twin_failed, t.missed_at_2, t.missed_at_1,
		o.mem_points ? "" : " (plain-access programs judged only with --mem-points)");
	if (t.twin_failed || (o.quick && (t.missed_at_2 || t.missed_at_1)))
		return 1;
	return 0;
}
