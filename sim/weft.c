/*
 * weft.c — the command line users live in: list, run, explore, replay, shrink.
 *
 * Exit codes (DESIGN.md): 0 everything held; 1 a failure was found (an
 * oracle, an assertion, a deadlock); 2 bad usage or bad input, with one clear
 * line on stderr.
 *
 * Host time appears only in explore's --time limit and its progress line:
 * neither changes what any run does.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <k/workload.h>

#include "campaign.h"
#include "harness.h"
#include "help.h"
#include "jobs.h"
#include "nightly.h"
#include "run_report.h"
#include "story.h"
#include "timeline.h"
#include "sim_assert.h"

#define WEFT_EXIT_OK 0
#define WEFT_EXIT_FAILURE 1
#define WEFT_EXIT_USAGE 2
#define WEFT_PATH_MAX 1024u
/* Shrinking runs to a fixpoint; this is only the bound on it (a person
 * waits for a shrink: about an hour of replays at the slowest workload). */
#define WEFT_SHRINK_REPLAYS_MAX 1000000u
#define WEFT_DISTINCT_MAX (1u << 20)
#define WEFT_SHRINK_STEPS_SLACK 10000u

/* The binary as the commands we print name it (campaign_prog: runs as
 * pasted from the repository root). */
#define prog campaign_prog()

/* 1 in weft-kcheck (sim/CMakeLists.txt): its kernel carries the load/store
 * hooks and its workloads do not, so --never-rule judges the kernel alone. */
#ifndef WEFT_KCHECK
#define WEFT_KCHECK 0
#endif

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("weft: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (weft help for usage)\n", stderr);
	va_end(ap);
	exit(WEFT_EXIT_USAGE);
}

static const char *outcome_name(enum sim_outcome o)
{
	switch (o) {
	case SIM_OK: return "ok";
	case SIM_FAIL_ASSERT: return "assertion";
	case SIM_FAIL_DEADLOCK: return "deadlock";
	case SIM_FAIL_BUDGET: return "step budget (livelock or starvation)";
	case SIM_FAIL_ORACLE: return "oracle";
	}
	return "unknown";
}

/* ------------------------------------------------------------ arguments */

static uint64_t parse_u64(const char *flag, const char *text, uint64_t min, uint64_t max)
{
	if (!text)
		usage_error("%s needs a value", flag);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max)
		usage_error("%s takes a whole number from %" PRIu64 " to %" PRIu64 ", not '%s'",
			    flag, min, max, text);
	return v;
}

/* --cores: 1..weft_cores_max(). A build with fewer cores than the engine
 * (weft-board: the board's BSP_CORES_MAX 1) says why it refuses more. */
static unsigned parse_cores(const char *flag, const char *text)
{
	uint64_t v = parse_u64(flag, text, 1, SIM_CORES_MAX);
	unsigned max = weft_cores_max();
	SIM_ASSERT(max >= 1 && max <= SIM_CORES_MAX);
	if (v > max)
		usage_error("%s %s: this weft's kernel is built for at most %u core%s (BSP_CORES_MAX, "
			    "the board's configuration)", flag, text, max, max == 1 ? "" : "s");
	SIM_ASSERT(v >= 1 && v <= max);
	return (unsigned)v;
}

static double parse_seconds(const char *text)
{
	double seconds = 0;
	if (!text)
		usage_error("--time needs a value such as 60s, 15m or 8h");
	if (!campaign_parse_duration(text, &seconds))
		usage_error("--time takes a positive duration of at most a week: 90, 90s, 15m or 8h, not '%s'",
			    text);
	return seconds;
}

struct cli {
	const char *workload;
	const char *trace_path;
	const char *out_path;
	const char *report_path; /* explore --report: JSON lines (run_report.h) */
	const char *focus;     /* --focus THREAD|OBJECT (implies --log) */
	const char *html_path; /* replay --html */
	const char *module_path; /* run --module: a dynamic module to load first */
	unsigned cores;
	bool cores_set;
	uint64_t seed;
	bool seed_set;
	char strategy[WEFT_STRATEGY_MAX];
	bool log;
	uint64_t runs;
	double time_s;
	unsigned shard_i, shard_n;
	uint64_t step_budget;
	unsigned jobs;
	size_t mem_bytes; /* --mem; 0: sized from cores and workload */
	bool mem_points;
	bool never_rule;
	bool strict;          /* replay: refuse a trace from another build */
	uint64_t budget;      /* shrink: replays at most (0: to a fixpoint) */
};

static void parse_flags(struct cli *c, int argc, char **argv, int first, const char *allowed)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char key[32];
		snprintf(key, sizeof key, " %s ", a);
		if (a[0] != '-' || !strstr(allowed, key))
			usage_error("unexpected argument '%s'", a);
		if (!strcmp(a, "--log")) {
			c->log = true;
			continue;
		}
		if (!strcmp(a, "--mem-points")) {
			if (!sim_mem_available())
				usage_error("--mem-points needs the races build (cmake --preset races): "
					    "this weft has no instrumented code");
			c->mem_points = true;
			continue;
		}
		if (!strcmp(a, "--never-rule")) {
			if (!WEFT_KCHECK || !sim_mem_available())
				usage_error("--never-rule needs weft-kcheck of the races build "
					    "(cmake --preset races): this weft's kernel has no hooks");
			c->never_rule = true;
			continue;
		}
		if (!strcmp(a, "--strict")) {
			c->strict = true;
			continue;
		}
		if (!v)
			usage_error("%s needs a value", a);
		i++;
		if (!strcmp(a, "--cores")) {
			c->cores = parse_cores(a, v);
			c->cores_set = true;
		} else if (!strcmp(a, "--seed")) {
			c->seed = parse_u64(a, v, 0, UINT64_MAX);
			c->seed_set = true;
		} else if (!strcmp(a, "--strategy")) {
			char err[160];
			unsigned d;
			uint64_t k;
			if (!weft_strategy_parse(v, &d, &k, err, sizeof err))
				usage_error("%s", err);
			snprintf(c->strategy, sizeof c->strategy, "%s", v);
		} else if (!strcmp(a, "--focus")) {
			if (!v[0] || strlen(v) >= WEFT_STORY_TEXT_MAX)
				usage_error("--focus takes a thread (T2, or its name) or an object (sem#3, or its name)");
			c->focus = v;
			c->log = true;
		} else if (!strcmp(a, "--module")) {
			if (strlen(v) >= WEFT_PATH_MAX || !v[0])
				usage_error("--module: path empty or too long");
			c->module_path = v;
		} else if (!strcmp(a, "--html")) {
			if (strlen(v) >= WEFT_PATH_MAX || !v[0])
				usage_error("--html: path empty or too long");
			c->html_path = v;
		} else if (!strcmp(a, "--report")) {
			if (strlen(v) >= WEFT_PATH_MAX || !v[0])
				usage_error("--report: path empty or too long");
			c->report_path = v;
		} else if (!strcmp(a, "--trace") || !strcmp(a, "-o") || !strcmp(a, "--out")) {
			if (strlen(v) >= WEFT_PATH_MAX)
				usage_error("%s: path too long", a);
			if (!strcmp(a, "--out"))
				c->out_path = v;
			else
				c->trace_path = v;
		} else if (!strcmp(a, "--jobs")) {
			c->jobs = (unsigned)parse_u64(a, v, 1, CAMPAIGN_JOBS_MAX);
		} else if (!strcmp(a, "--mem")) {
			if (!campaign_parse_bytes(v, WEFT_MEM_MIN_BYTES, WEFT_MEM_MAX_BYTES, &c->mem_bytes))
				usage_error("--mem takes bytes from %u to %u (K and M suffixes), not '%s'",
					    WEFT_MEM_MIN_BYTES, WEFT_MEM_MAX_BYTES, v);
		} else if (!strcmp(a, "--runs")) {
			c->runs = parse_u64(a, v, 1, UINT64_MAX / 2);
		} else if (!strcmp(a, "--time")) {
			c->time_s = parse_seconds(v);
		} else if (!strcmp(a, "--budget")) {
			c->budget = parse_u64(a, v, 1, WEFT_SHRINK_REPLAYS_MAX);
		} else if (!strcmp(a, "--steps")) {
			c->step_budget = parse_u64(a, v, 1000, UINT64_MAX / 2);
		} else if (!strcmp(a, "--shard")) {
			unsigned si, sn;
			char tail;
			if (sscanf(v, "%u/%u%c", &si, &sn, &tail) != 2 || sn == 0 || si == 0 || si > sn)
				usage_error("--shard takes I/N with 1 <= I <= N, not '%s'", v);
			c->shard_i = si;
			c->shard_n = sn;
		}
	}
}

static const struct k_workload *need_workload(const char *name)
{
	if (!name || name[0] == '-')
		usage_error("which workload? (weft list shows them)");
	const struct k_workload *w = weft_workload_find(name);
	if (!w)
		usage_error("unknown workload '%s' (weft list shows them)", name);
	return w;
}

/* ----------------------------------------------------------- reporting */

static void fill_trace_header(sim_trace_t *t, const struct k_workload *w, unsigned cores,
			      uint64_t seed, const char *strategy, const sim_result_t *r)
{
	snprintf(t->build_id, sizeof t->build_id, "%s", weft_build_id());
	snprintf(t->scenario, sizeof t->scenario, "%s", weft_workload_name(w));
	snprintf(t->strategy, sizeof t->strategy, "%s", strategy);
	t->cores = cores;
	t->seed = seed;
	t->outcome = (uint32_t)r->outcome;
	t->final_hash = r->final_hash;
}

/* Save the decisions of r as a trace. Returns false (message printed). */
static bool save_run_trace(const char *path, const struct k_workload *w,
			   const struct weft_run_options *o, sim_result_t *r)
{
	sim_trace_t t = r->decisions; /* borrow the decision array */
	t.version = SIM_TRACE_VERSION;
	/* Memory points change which points a run has: the trace says so, and
	 * replay turns them on again. */
	char strategy[SIM_TRACE_NAME_MAX];
	const char *parts[3] = {o->strategy, o->mem_points ? WEFT_MEM_SUFFIX : "",
				o->never_rule ? WEFT_NEVER_SUFFIX : ""};
	size_t n = 0;
	for (unsigned i = 0; i < 3u; i++) {
		size_t m = strlen(parts[i]);
		/* Strategy strings are short (pct:D:K at most ~24): a suffix always fits. */
		SIM_ASSERT(n + m < sizeof strategy);
		memcpy(strategy + n, parts[i], m);
		n += m;
	}
	strategy[n] = '\0';
	fill_trace_header(&t, w, o->cores, o->seed, strategy, r);
	char err[256];
	if (sim_trace_save(&t, path, err, sizeof err) != 0) {
		fprintf(stderr, "weft: cannot write trace %s: %s\n", path, err);
		return false;
	}
	return true;
}

/* Save r's decisions in DIR under a name made of the run and the trace's
 * content (campaign_trace_name), so no run overwrites another's. The name
 * goes to path[cap]. Returns false (message printed). */
static bool save_campaign_trace(const char *dir, const struct k_workload *w,
				const struct weft_run_options *o, sim_result_t *r, char *path, size_t cap)
{
	sim_trace_t t = r->decisions; /* borrow the decision array */
	t.version = SIM_TRACE_VERSION;
	fill_trace_header(&t, w, o->cores, o->seed, o->strategy, r);
	campaign_trace_name(path, cap, dir, weft_workload_name(w), o->cores, o->strategy, o->seed,
			    campaign_trace_hash(&t));
	return save_run_trace(path, w, o, r);
}

/* Every distinct never-rule violation of the last run, one a line. */
static void print_never_reports(void)
{
	for (uint32_t i = 0; i < SIM_NEVER_REPORTS_MAX && sim_never_report(i); i++)
		printf("  %s\n", sim_never_report(i));
	if (sim_never_reports() > SIM_NEVER_REPORTS_MAX)
		printf("  ... %" PRIu32 " more\n", sim_never_reports() - SIM_NEVER_REPORTS_MAX);
}

static void print_failure(const struct k_workload *w, const struct weft_run_options *o,
			  const sim_result_t *r, const char *trace_path)
{
	printf("weft: FAIL (%s) %s\n", outcome_name(r->outcome), r->message);
	if (o->never_rule)
		print_never_reports();
	printf("  workload %s, cores %u, strategy %s, seed %" PRIu64 ", step %" PRIu64
	       ", virtual time %" PRIu64 " ns\n",
	       weft_workload_name(w), o->cores, o->strategy, o->seed, r->steps, r->time_ns);
	if (trace_path) {
		char shown[WEFT_PATH_MAX];
		campaign_path_shown(trace_path, shown, sizeof shown);
		printf("  trace:  %s\n  replay: %s replay %s --log\n  shrink: %s shrink %s -o small.trace\n"
		       "  timeline: %s replay %s --html timeline.html\n",
		       shown, prog, shown, prog, shown, prog, shown);
	}
	printf("  rerun:  %s run %s --cores %u --seed %" PRIu64 " --strategy %s", prog,
	       weft_workload_name(w), o->cores, o->seed, o->strategy);
	if (o->step_budget)
		printf(" --steps %" PRIu64, o->step_budget);
	if (o->region_bytes)
		printf(" --mem %zu", o->region_bytes);
	if (o->mem_points)
		printf(" --mem-points");
	if (o->never_rule)
		printf(" --never-rule");
	printf("\n");
}

/* --------------------------------------------------------- event log */

/* Print the event log of a run as a story (story.c): names, source lines,
 * repeats collapsed, narrowed to --focus. Returns false (message printed)
 * when --focus names nothing of this run. */
static bool print_log(const char *log, size_t len, const char *focus)
{
	struct story *s = story_parse(log, len);
	if (!s)
		return false;
	char err[256];
	bool ok = !focus || story_focus_set(s, focus, err, sizeof err);
	if (ok)
		story_print(s, stdout);
	else
		fprintf(stderr, "weft: %s\n", err);
	story_free(s);
	return ok;
}

/* ------------------------------------------------------------ crashes */

/* A bug in the code under test may also crash the host process (an engine
 * assertion when the kernel runs one context on two cores, a wild write):
 * then the run in progress is still a finding. Its decisions so far are in
 * the result the engine fills, so the handler saves them as the trace and
 * ends with exit code 1, as for any failure. Best effort: the process is
 * dying anyway. */
static struct {
	bool armed;
	const struct k_workload *w;
	const struct weft_run_options *o;
	sim_result_t *r;
	char path[WEFT_PATH_MAX]; /* "" : no trace wanted (or named in dir) */
	char dir[WEFT_PATH_MAX];  /* "" : none; else a campaign's trace folder */
} crash;

static void crash_arm(const struct k_workload *w, const struct weft_run_options *o, sim_result_t *r,
		      const char *path, const char *dir)
{
	snprintf(crash.dir, sizeof crash.dir, "%s", dir ? dir : "");
	crash.w = w;
	crash.o = o;
	crash.r = r;
	snprintf(crash.path, sizeof crash.path, "%s", path ? path : "");
	crash.armed = true;
}

static void crash_disarm(void)
{
	crash.armed = false;
}

static void on_crash(int sig)
{
	if (!crash.armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	crash.armed = false;
	sim_result_t *r = crash.r;
	r->outcome = SIM_FAIL_ASSERT;
	snprintf(r->message, sizeof r->message,
		 "crash: signal %d inside the run (see the engine or sanitizer message above)", sig);
	bool saved = crash.path[0] && save_run_trace(crash.path, crash.w, crash.o, r);
	if (crash.dir[0])
		saved = save_campaign_trace(crash.dir, crash.w, crash.o, r, crash.path, sizeof crash.path);
	fflush(stdout);
	print_failure(crash.w, crash.o, r, saved ? crash.path : NULL);
	fflush(stdout);
	_exit(WEFT_EXIT_FAILURE);
}

static void crash_install(void)
{
	static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_crash;
		sa.sa_flags = SA_NODEFER | SA_RESETHAND;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* --------------------------------------------------------------- list */

/* --bugs: the bug programs of stress/bugs/ (never part of `list` or the
 * campaign: each bug is meant to fail). */
static int cmd_list_bugs(void)
{
	size_t n = weft_bug_count();
	for (size_t i = 0; i < n; i++) {
		const struct k_bug_program *b = weft_bug_at(i);
		printf("%-34s %-30s threads %-2u %s  %s\n", b->workload.name, b->kind, b->threads,
		       b->one_core ? "one-core " : "multicore", b->twin ? "twin" : "bug");
	}
	return WEFT_EXIT_OK;
}

static int cmd_list(void)
{
	size_t n = weft_workload_count();
	for (size_t i = 0; i < n; i++) {
		const struct k_workload *w = weft_workload_at(i);
		printf("%-14s %s\n", weft_workload_name(w), weft_workload_summary(w));
	}
	return WEFT_EXIT_OK;
}

/* ---------------------------------------------------------------- run */

static void run_options(struct weft_run_options *o, const struct cli *c)
{
	memset(o, 0, sizeof *o);
	o->cores = c->cores;
	o->seed = c->seed;
	snprintf(o->strategy, sizeof o->strategy, "%s", c->strategy);
	o->log = c->log;
	o->step_budget = c->step_budget;
	o->region_bytes = c->mem_bytes;
	o->mem_points = c->mem_points;
	o->never_rule = c->never_rule;
	if (c->never_rule && c->cores > SIM_NEVER_CORES_MAX)
		usage_error("--never-rule checks at most %u cores", SIM_NEVER_CORES_MAX);
}

/* --module PATH: the file's bytes (heap, kept for the process's life), or
 * exit 2 with one line. The loader judges the contents in the run. */
static void module_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		usage_error("--module %s: cannot open it", path);
	uint8_t *bytes = malloc(WEFT_MODULE_BYTES_MAX + 1u);
	if (!bytes)
		usage_error("--module %s: no memory to read it", path);
	size_t n = fread(bytes, 1, WEFT_MODULE_BYTES_MAX + 1u, f);
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed || n == 0 || n > WEFT_MODULE_BYTES_MAX)
		usage_error("--module %s: unreadable, empty or larger than %u bytes", path,
			    WEFT_MODULE_BYTES_MAX);
	weft_module_set(bytes, n, path);
}

static int cmd_run(int argc, char **argv)
{
	struct cli c = {.strategy = "random"};
	const struct k_workload *w = need_workload(argc > 2 ? argv[2] : NULL);
	parse_flags(&c, argc, argv, 3,
		    " --cores --seed --strategy --trace --log --focus --steps --mem --mem-points --never-rule --module ");
	if (!c.cores_set)
		usage_error("run needs --cores N");
	if (c.module_path)
		module_read(c.module_path);
	if (!c.seed_set)
		usage_error("run needs --seed S");
	char err[256];
	if (c.trace_path && !campaign_file_writable(c.trace_path, err, sizeof err))
		usage_error("--trace %s", err);
	struct weft_run_options o;
	run_options(&o, &c);
	sim_result_t r;
	crash_arm(w, &o, &r, c.trace_path, NULL);
	enum sim_outcome out = weft_run_once(w, &o, &r, NULL, 0);
	crash_disarm();
	if (c.module_path && weft_module_refusal()) {
		/* The input was bad, not the kernel: one line, exit 2. */
		fprintf(stderr, "weft: --module %s: refused by the loader: %s\n", c.module_path,
			weft_module_refusal());
		sim_result_free(&r);
		return WEFT_EXIT_USAGE;
	}
	if (c.module_path && out == SIM_OK)
		printf("weft: --module %s: loaded before the workload, unloaded after its check\n",
		       c.module_path);
	bool focus_ok = true;
	if (c.log && r.log)
		focus_ok = print_log(r.log, r.log_len, c.focus);
	bool saved = c.trace_path && save_run_trace(c.trace_path, w, &o, &r);
	if (out == SIM_OK) {
		printf("weft: ok: %s, cores %u, strategy %s, seed %" PRIu64 ", %" PRIu64
		       " steps, %zu decisions, final hash %016" PRIx64 "\n",
		       weft_workload_name(w), o.cores, o.strategy, o.seed, r.steps,
		       r.decisions.count, r.final_hash);
	} else {
		print_failure(w, &o, &r, saved ? c.trace_path : NULL);
	}
	sim_result_free(&r);
	if ((c.trace_path && !saved) || !focus_ok)
		return WEFT_EXIT_USAGE;
	return out == SIM_OK ? WEFT_EXIT_OK : WEFT_EXIT_FAILURE;
}

/* ------------------------------------------------------------ explore */

static double host_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Open-addressing set of final state hashes. The hash covers the whole run
 * (every step, core and kernel event), so it counts distinct schedules: a
 * campaign that repeats itself shows it here. */
struct hash_set {
	uint64_t *slots;
	size_t cap;
	size_t count;
};

/* Add h; false once the set is full (WEFT_DISTINCT_MAX slots): from then
 * on the count is a lower bound. */
static bool hash_set_add(struct hash_set *s, uint64_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (s->count * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *slots = s->cap >= WEFT_DISTINCT_MAX ? NULL : calloc(cap, sizeof *slots);
		if (!slots) {
			/* Full: still exact for hashes already in it. */
			size_t j = h & (s->cap - 1);
			for (size_t n = 0; n < s->cap && s->slots[j]; n++, j = (j + 1) & (s->cap - 1))
				if (s->slots[j] == h)
					return true;
			return false;
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i])
				continue;
			size_t j = s->slots[i] & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t j = h & (s->cap - 1);
	while (s->slots[j] && s->slots[j] != h)
		j = (j + 1) & (s->cap - 1);
	if (!s->slots[j]) {
		s->slots[j] = h;
		s->count++;
	}
	return true;
}

/* PCT's guarantee in the terms of the paper: n threads (every context the
 * strategy ranks, idle loops included), k points (its change-point range),
 * depth d: a bug of depth d is hit with probability >= 1/(n k^(d-1)) per
 * run. */
static void print_pct_bound(const struct k_workload *w, const struct cli *c, uint32_t contexts)
{
	unsigned depth;
	uint64_t given;
	char err[160];
	if (!weft_strategy_parse(c->strategy, &depth, &given, err, sizeof err) || depth == 0)
		return;
	uint64_t k = weft_pct_steps(w, c->cores, c->strategy);
	printf("  pct: depth %u over n = %u threads and k = %" PRIu64 " points%s: "
	       "bound 1/(n*k^(d-1)) = %.3g per run\n",
	       depth, contexts, k, given ? "" : " (measured run length)",
	       sim_pct_bound(contexts, k, depth));
}

/* One campaign: its settings and what its runs have shown so far. */
struct explore {
	const struct k_workload *w;
	const struct cli *c;
	double start;
	char dir[WEFT_PATH_MAX];
	struct hash_set distinct;
	bool distinct_saturated;
	uint64_t runs, steps_total, preemptions_total;
	uint32_t contexts_max;
	uint64_t digest;      /* sum of each run's mixed (seed, outcome, hash): order-free */
	uint64_t seed_lo, seed_hi;
	struct run_report report; /* --report; report.f NULL without it */
};

/* Shard I/N takes every N-th seed: shards never overlap. */
static uint64_t explore_seed(const struct cli *c, uint64_t index)
{
	return c->seed + index * c->shard_n + (c->shard_i - 1);
}

/* One run of the campaign (no trace, console kept quiet); false when the
 * time is up. */
static bool explore_run_index(void *ctx, uint64_t index, struct jobs_record *rec)
{
	struct explore *e = ctx;
	if (e->c->time_s > 0 && host_seconds() - e->start >= e->c->time_s)
		return false;
	struct weft_run_options o;
	run_options(&o, e->c);
	o.seed = explore_seed(e->c, index);
	o.quiet_console = true; /* shown only for a failing run */
	sim_result_t r;
	crash_arm(e->w, &o, &r, NULL, e->dir);
	enum sim_outcome out = weft_run_once(e->w, &o, &r, NULL, 0);
	crash_disarm();
	*rec = (struct jobs_record){.index = index, .final_hash = r.final_hash, .steps = r.steps,
				    .preemptions = r.preemptions, .outcome = (uint32_t)out,
				    .contexts = r.contexts};
	sim_result_free(&r);
	return true;
}

static void explore_commit(void *ctx, const struct jobs_record *r)
{
	struct explore *e = ctx;
	uint64_t seed = explore_seed(e->c, r->index);
	e->runs++;
	e->steps_total += r->steps;
	e->preemptions_total += r->preemptions;
	if (r->contexts > e->contexts_max)
		e->contexts_max = r->contexts;
	if (!hash_set_add(&e->distinct, r->final_hash))
		e->distinct_saturated = true;
	e->digest += sim_hash64(sim_hash64(sim_hash64(0x5eedull, seed), r->outcome), r->final_hash);
	if (e->runs == 1 || seed < e->seed_lo)
		e->seed_lo = seed;
	if (e->runs == 1 || seed > e->seed_hi)
		e->seed_hi = seed;
	struct run_report_run run = {
		.seed = seed, .final_hash = r->final_hash, .steps = r->steps, .preemptions = r->preemptions,
		.outcome = r->outcome == JOBS_OUTCOME_CRASH ? "crash" : outcome_name((enum sim_outcome)r->outcome)};
	run_report_run(&e->report, &run);
}

static void explore_progress(struct explore *e, double *last_draw)
{
	double now = host_seconds();
	if (now - *last_draw <= 0.25)
		return;
	*last_draw = now;
	printf("\rexplore %s: %" PRIu64 " runs, %.0f runs/s, %zu distinct schedules, 0 failures ",
	       weft_workload_name(e->w), e->runs, e->runs / (now - e->start + 1e-9), e->distinct.count);
	fflush(stdout);
}

/* One worker, in this process: runs until the limit, the time, a failure
 * or SIGINT. */
static void explore_inline(struct explore *e, struct jobs_outcome *jo, bool tty)
{
	double last_draw = 0;
	uint64_t limit = e->c->runs ? e->c->runs : UINT64_MAX;
	memset(jo, 0, sizeof *jo);
	uint64_t i = 0;
	for (; i < limit; i++) {
		if (campaign_interrupted()) {
			jo->interrupted = true;
			break;
		}
		struct jobs_record rec;
		if (!explore_run_index(e, i, &rec))
			break;
		explore_commit(e, &rec);
		if (rec.outcome != SIM_OK) {
			jo->failed = true;
			jo->fail_index = i;
			break;
		}
		if (tty)
			explore_progress(e, &last_draw);
	}
	jo->resume_index = jo->failed ? i + 1 : i;
}

/* The failing run again, in this process (the same seed gives the same
 * run): its trace, named by its content, and the report. */
static void explore_report_failure(struct explore *e, uint64_t index)
{
	struct weft_run_options o;
	run_options(&o, e->c);
	o.seed = explore_seed(e->c, index);
	o.quiet_console = true;
	sim_result_t r;
	crash_arm(e->w, &o, &r, NULL, e->dir);
	(void)weft_run_once(e->w, &o, &r, NULL, 0);
	crash_disarm();
	char path[WEFT_PATH_MAX];
	bool saved = save_campaign_trace(e->dir, e->w, &o, &r, path, sizeof path);
	if (e->report.f) {
		char shown[WEFT_PATH_MAX];
		if (saved)
			campaign_path_shown(path, shown, sizeof shown);
		struct run_report_run run = {.seed = o.seed, .final_hash = r.final_hash, .steps = r.steps,
					     .preemptions = r.preemptions, .outcome = outcome_name(r.outcome)};
		run_report_failure(&e->report, &run, r.message, saved ? shown : NULL);
	}
	if (weft_run_console()[0])
		printf("console of the failing run (its end):\n%s\n", weft_run_console());
	printf("weft: explore found a failure after %" PRIu64 " runs\n", e->runs);
	print_failure(e->w, &o, &r, saved ? path : NULL);
	sim_result_free(&r);
}

/* How to go on from where an interrupted campaign stopped. */
static void explore_resume_hint(const struct explore *e, uint64_t resume_index)
{
	const struct cli *c = e->c;
	printf("explore: interrupted after %" PRIu64 " runs; last seed tried %" PRIu64 "\n", e->runs,
	       e->seed_hi);
	printf("  resume: %s explore %s --cores %u --strategy %s --seed %" PRIu64, prog,
	       weft_workload_name(e->w), c->cores, c->strategy, c->seed + resume_index * c->shard_n);
	if (c->shard_n > 1)
		printf(" --shard %u/%u", c->shard_i, c->shard_n);
	if (c->runs)
		printf(" --runs %" PRIu64, c->runs > resume_index ? c->runs - resume_index : 1);
	else
		printf(" --time %.0fs", c->time_s);
	if (c->jobs > 1)
		printf(" --jobs %u", c->jobs);
	if (c->out_path)
		printf(" --out %s", c->out_path);
	printf("\n");
}

static void explore_summary(struct explore *e, bool failed)
{
	const struct cli *c = e->c;
	double elapsed = host_seconds() - e->start;
	printf("  contexts: %u at most (threads and idle loops), %.1f preemptions/run\n", e->contexts_max,
	       e->runs ? (double)e->preemptions_total / (double)e->runs : 0.0);
	print_pct_bound(e->w, c, e->contexts_max);
	printf("  verdicts: seeds %" PRIu64 "..%" PRIu64 ", digest %016" PRIx64
	       " (the same for any --jobs)%s\n",
	       e->seed_lo, e->seed_hi, e->digest,
	       e->distinct_saturated ? "; distinct schedules is a lower bound (the set is full)" : "");
	/* The summary stays the last line (scripts read it). */
	printf("explore %s: cores %u, strategy %s%s%s, shard %u/%u, jobs %u, %" PRIu64 " runs, %.0f runs/s, "
	       "%zu distinct schedules, %" PRIu64 " steps/run, %s\n",
	       weft_workload_name(e->w), c->cores, c->strategy, c->mem_points ? WEFT_MEM_SUFFIX : "",
	       c->never_rule ? WEFT_NEVER_SUFFIX : "", c->shard_i, c->shard_n,
	       c->jobs ? c->jobs : 1u, e->runs, e->runs / (elapsed + 1e-9), e->distinct.count,
	       e->runs ? e->steps_total / e->runs : 0, failed ? "1 failure" : "0 failures");
}

static int cmd_explore(int argc, char **argv)
{
	struct cli c = {.strategy = "random", .shard_i = 1, .shard_n = 1, .jobs = 1};
	const struct k_workload *w = need_workload(argc > 2 ? argv[2] : NULL);
	parse_flags(&c, argc, argv, 3,
		    " --cores --seed --strategy --runs --time --shard --out --report --steps --jobs --mem --mem-points --never-rule ");
	if (!c.cores_set)
		usage_error("explore needs --cores N");
	if (!c.runs && !(c.time_s > 0))
		usage_error("explore needs --runs K or --time D (90s, 15m, 8h)");
	struct explore e = {.w = w, .c = &c};
	char err[WEFT_PATH_MAX + 64];
	if (c.out_path)
		snprintf(e.dir, sizeof e.dir, "%s", c.out_path);
	else
		campaign_default_dir(e.dir, sizeof e.dir);
	/* Before any run: a campaign must not find out at its failure that
	 * it cannot keep the trace. */
	if (!campaign_dir_ready(e.dir, err, sizeof err))
		usage_error("--out: %s", err);
	e.report = (struct run_report){.workload = weft_workload_name(w), .strategy = c.strategy,
				       .cores = c.cores, .shard_i = c.shard_i, .shard_n = c.shard_n};
	if (c.report_path && !run_report_open(&e.report, c.report_path, err, sizeof err))
		usage_error("--report: %s", err);
	campaign_sigint_install();
	bool tty = isatty(STDOUT_FILENO);
	e.start = host_seconds();
	struct jobs_outcome jo;
	if (c.jobs > 1) {
		if (!jobs_explore(c.jobs, c.runs ? c.runs : UINT64_MAX, explore_run_index, &e,
				  explore_commit, &e, &jo, err, sizeof err)) {
			fprintf(stderr, "weft: %s\n", err);
			free(e.distinct.slots);
			return WEFT_EXIT_USAGE;
		}
	} else {
		explore_inline(&e, &jo, tty);
	}
	if (tty)
		printf("\n");
	if (jo.failed)
		explore_report_failure(&e, jo.fail_index);
	else if (jo.interrupted)
		explore_resume_hint(&e, jo.resume_index);
	explore_summary(&e, jo.failed);
	run_report_summary(&e.report, e.runs, e.distinct.count, jo.failed ? 1u : 0u, e.seed_lo,
			   e.seed_hi, e.digest);
	free(e.distinct.slots);
	if (!run_report_close(&e.report, err, sizeof err)) {
		fprintf(stderr, "weft: --report: %s\n", err);
		return WEFT_EXIT_USAGE;
	}
	return jo.failed ? WEFT_EXIT_FAILURE : WEFT_EXIT_OK;
}

/* ------------------------------------------------------- replay, shrink */

/* Does the strategy label end in suffix? Then cut it off (if cut). */
static bool label_suffix(char *label, size_t cap, const char *suffix, bool cut)
{
	size_t n = strnlen(label, cap), m = strlen(suffix);
	if (n < m || memcmp(label + n - m, suffix, m) != 0)
		return false;
	if (cut)
		label[n - m] = '\0';
	return true;
}

/* The trace was recorded with --mem-points ("random+mem", "random+mem+never"). */
static bool trace_mem_points(const sim_trace_t *t)
{
	char label[SIM_TRACE_NAME_MAX];
	snprintf(label, sizeof label, "%s", t->strategy);
	(void)label_suffix(label, sizeof label, WEFT_NEVER_SUFFIX, true);
	return label_suffix(label, sizeof label, WEFT_MEM_SUFFIX, false);
}

/* The trace was recorded with --never-rule. */
static bool trace_never_rule(const sim_trace_t *t)
{
	char label[SIM_TRACE_NAME_MAX];
	snprintf(label, sizeof label, "%s", t->strategy);
	return label_suffix(label, sizeof label, WEFT_NEVER_SUFFIX, false);
}

/* Load a trace. A trace recorded by another build is replayed by its
 * decision stream (its fit record says where the run stops fitting), with a
 * warning; `strict` refuses it instead (CI that must replay the very binary). */
static const struct k_workload *load_trace(const char *path, bool strict, sim_trace_t *t)
{
	char err[256];
	if (!path || path[0] == '-')
		usage_error("which trace file?");
	sim_trace_init(t);
	if (sim_trace_load(path, NULL, t, err, sizeof err) != 0) {
		fprintf(stderr, "weft: %s: %s\n", path, err);
		exit(WEFT_EXIT_USAGE);
	}
	if (t->cores > weft_cores_max()) {
		fprintf(stderr, "weft: %s: recorded at %u cores; this weft's kernel is built for at most "
			"%u (BSP_CORES_MAX, the board's configuration)\n", path, t->cores, weft_cores_max());
		sim_trace_free(t);
		exit(WEFT_EXIT_USAGE);
	}
	bool foreign = strcmp(t->build_id, weft_build_id()) != 0;
	if (foreign && strict) {
		fprintf(stderr, "weft: %s: recorded by another build (trace %s, this build %s); "
			"--strict refuses it\n", path, t->build_id[0] ? t->build_id : "(none)",
			weft_build_id());
		sim_trace_free(t);
		exit(WEFT_EXIT_USAGE);
	}
	const struct k_workload *w = weft_workload_find(t->scenario);
	if (!w) {
		fprintf(stderr, "weft: %s: workload '%s' is not in this build\n", path, t->scenario);
		sim_trace_free(t);
		exit(WEFT_EXIT_USAGE);
	}
	SIM_ASSERT(t->cores >= 1 && t->cores <= SIM_CORES_MAX); /* the decoder checked */
	if (foreign && t->fit_every)
		fprintf(stderr, "weft: warning: %s was recorded by another build (%s); replaying "
			"its decisions where this build reaches the same points\n", path,
			t->build_id[0] ? t->build_id : "(none)");
	else if (foreign)
		fprintf(stderr, "weft: warning: %s was recorded by another build (%s) in format %u, "
			"which has no fit record: a changed run is seen only where a decision "
			"does not fit\n", path, t->build_id[0] ? t->build_id : "(none)",
			(unsigned)t->version);
	if ((trace_mem_points(t) || trace_never_rule(t)) && !sim_mem_available()) {
		fprintf(stderr, "weft: %s: recorded with --mem-points; this weft has no memory points "
				"(replay it with the races build)\n", path);
		exit(WEFT_EXIT_USAGE);
	}
	return w;
}

static enum sim_outcome replay_once(const struct k_workload *w, const sim_trace_t *t, bool log,
				    uint64_t step_budget, sim_result_t *r, char *note, size_t cap)
{
	struct weft_run_options o;
	memset(&o, 0, sizeof o);
	o.step_budget = step_budget;
	o.cores = t->cores;
	o.seed = t->seed;
	snprintf(o.strategy, sizeof o.strategy, "%s", t->strategy);
	o.mem_points = trace_mem_points(t);
	o.never_rule = trace_never_rule(t);
	/* The label only: replay takes the trace's decisions. */
	(void)label_suffix(o.strategy, sizeof o.strategy, WEFT_NEVER_SUFFIX, true);
	(void)label_suffix(o.strategy, sizeof o.strategy, WEFT_MEM_SUFFIX, true);
	o.replay = t;
	o.log = log;
	return weft_run_once(w, &o, r, note, cap);
}

/* Open --html's file before the run, so a bad path costs nothing. */
static FILE *html_open(const char *path)
{
	if (!path)
		return NULL;
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "weft: --html %s: cannot write there: %s\n", path, strerror(errno));
		exit(WEFT_EXIT_USAGE);
	}
	return f;
}

/* The timeline page of a replayed run (timeline.c). Returns false (message
 * printed) if it could not be written. */
static bool html_write(FILE *f, const char *path, const sim_trace_t *t, enum sim_outcome out,
		       const sim_result_t *r)
{
	struct story *s = r->log ? story_parse(r->log, r->log_len) : NULL;
	struct timeline_run run = {
		.workload = t->scenario, .cores = t->cores, .strategy = t->strategy, .seed = t->seed,
		.failed = out != SIM_OK, .outcome = outcome_name(out), .message = r->message,
		.steps = r->steps,
	};
	bool ok = s && timeline_write(s, &run, f);
	story_free(s);
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "weft: could not write the timeline %s\n", path);
	else
		printf("timeline: %s (open it in a browser; hover a mark for its event and source line)\n",
		       path);
	return ok;
}

/* The run took the recorded decisions at the recorded points, all of them
 * (the fit record's identity; without one, the same decisions). */
static bool replay_same_stream(const sim_trace_t *t, const sim_result_t *r, const char *note)
{
	if (note[0] || r->decisions.count != t->count)
		return false;
	if (t->fit_every)
		return r->decisions.points_hash == t->points_hash;
	return sim_trace_first_difference(t, &r->decisions) < 0;
}

/* What the replay shows about the recorded failure, one line. */
static void replay_verdict(const sim_trace_t *t, enum sim_outcome out, const sim_result_t *r,
			   bool same_stream)
{
	SIM_ASSERT(t->outcome <= SIM_FAIL_ORACLE); /* the decoder checked */
	enum sim_outcome recorded = (enum sim_outcome)t->outcome;
	/* Exactly: every decision at its recorded point, nothing left over. */
	if (same_stream)
		SIM_ASSERT(r->decisions.count == t->count);
	if (same_stream && out == recorded && r->final_hash == t->final_hash) {
		printf("replay: reproduced the recorded run exactly\n");
		return;
	}
	if (same_stream)
		printf("replay: the same decisions at the same points, but the run differs from "
		       "the recording (recorded hash %016" PRIx64 ")\n", t->final_hash);
	else if (r->decisions.count != t->count)
		printf("replay: this run took %zu decisions, the recording %zu\n",
		       r->decisions.count, t->count);
	if (recorded != SIM_OK && out == SIM_OK)
		printf("replay: the failure is gone: the recording ended in %s, this build runs "
		       "the schedule to a clean end\n", outcome_name(recorded));
	else if (recorded != SIM_OK && out == recorded)
		printf("replay: the recorded failure (%s) happened again\n", outcome_name(out));
	else if (recorded != SIM_OK)
		printf("replay: fails differently from the recording (recorded %s)\n",
		       outcome_name(recorded));
	else if (out != SIM_OK)
		printf("replay: this build fails where the recording ended clean\n");
	else
		printf("replay: ends clean, as the recording did\n");
}

static int cmd_replay(int argc, char **argv)
{
	struct cli c = {.strategy = "random"};
	parse_flags(&c, argc, argv, 3, " --log --focus --html --strict ");
	sim_trace_t t;
	const struct k_workload *w = load_trace(argc > 2 ? argv[2] : NULL, c.strict, &t);
	FILE *html = html_open(c.html_path);
	sim_result_t r;
	char note[SIM_MESSAGE_MAX];
	struct weft_run_options shown;
	memset(&shown, 0, sizeof shown);
	shown.cores = t.cores;
	shown.seed = t.seed;
	snprintf(shown.strategy, sizeof shown.strategy, "%s", t.strategy);
	crash_arm(w, &shown, &r, NULL, NULL);
	enum sim_outcome out = replay_once(w, &t, c.log || html, 0, &r, note, sizeof note);
	crash_disarm();
	bool shown_ok = true;
	if (c.log && r.log)
		shown_ok = print_log(r.log, r.log_len, c.focus);
	if (html)
		shown_ok = html_write(html, c.html_path, &t, out, &r) && shown_ok;
	printf("replay %s: cores %u, %zu decisions, outcome %s, final hash %016" PRIx64 "\n",
	       t.scenario, t.cores, t.count, outcome_name(out), r.final_hash);
	if (note[0])
		printf("%s\n", note);
	replay_verdict(&t, out, &r, replay_same_stream(&t, &r, note));
	if (out != SIM_OK)
		printf("weft: FAIL (%s) %s\n", outcome_name(out), r.message);
	sim_result_free(&r);
	sim_trace_free(&t);
	if (!shown_ok)
		return WEFT_EXIT_USAGE;
	return out == SIM_OK ? WEFT_EXIT_OK : WEFT_EXIT_FAILURE;
}

/* The failure's identity for shrinking: its outcome and its message with
 * every run of digits folded, so that "at step 812" and "at step 90" count
 * as the same assertion while another assertion does not — except thread
 * and object names (T3, #2, 'ping'), kept as they are: the shrunk trace must
 * fail in the same thread, on the same object. */
static void failure_signature(enum sim_outcome o, const char *msg, char *sig, size_t cap)
{
	SIM_ASSERT(cap > 16);
	size_t n = (size_t)snprintf(sig, cap, "%d:", (int)o);
	bool keep = false; /* right after T or #: a name, digits stay */
	for (const char *p = msg; *p && n + 1 < cap; p++) {
		bool digit = *p >= '0' && *p <= '9';
		if (!digit)
			keep = *p == 'T' || *p == '#';
		if (digit && !keep) {
			if (sig[n - 1] != '@')
				sig[n++] = '@';
			continue;
		}
		sig[n++] = *p;
	}
	SIM_ASSERT(n < cap);
	sig[n] = '\0';
}

/* One replay in a child process, so that a candidate which crashes the
 * process (see on_crash) only counts as "another failure" and the shrink
 * goes on. The child's stderr is muted when `quiet`. What a person reads of
 * the run comes back too: preemptions, switches, log lines. */
#define WEFT_OUTCOME_CRASH 100
struct isolated_result {
	int outcome; /* enum sim_outcome, or WEFT_OUTCOME_CRASH */
	uint64_t steps;
	uint64_t final_hash;
	uint64_t preemptions;
	uint64_t switches;  /* "switch" events of the log */
	uint64_t log_lines;
	char message[SIM_MESSAGE_MAX];
};

static void isolated_fill(struct isolated_result *out, enum sim_outcome o, const sim_result_t *r)
{
	out->outcome = (int)o;
	out->steps = r->steps;
	out->final_hash = r->final_hash;
	out->preemptions = r->preemptions;
	out->switches = 0;
	out->log_lines = 0;
	for (size_t i = 0; r->log && i < r->log_len; i++) {
		if (r->log[i] != '\n')
			continue;
		out->log_lines++;
	}
	for (const char *p = r->log; p && (p = strstr(p, ": switch ")) != NULL; p++)
		out->switches++;
	SIM_ASSERT(out->switches <= out->log_lines + 1); /* one per line at most */
	SIM_ASSERT(r->log != NULL || out->log_lines == 0);
	snprintf(out->message, sizeof out->message, "%s", r->message);
}

static void isolated_replay(const struct k_workload *w, const sim_trace_t *t, uint64_t budget,
			    bool quiet, struct isolated_result *res)
{
	memset(res, 0, sizeof *res);
	res->outcome = WEFT_OUTCOME_CRASH;
	int fds[2];
	fflush(stdout);
	fflush(stderr);
	pid_t pid = pipe(fds) == 0 ? fork() : -1;
	if (pid == 0) {
		close(fds[0]);
		signal(SIGABRT, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		sim_result_t r;
		struct isolated_result out;
		memset(&out, 0, sizeof out);
		enum sim_outcome o = replay_once(w, t, true, budget, &r, NULL, 0);
		isolated_fill(&out, o, &r);
		ssize_t n = write(fds[1], &out, sizeof out);
		_exit(n == (ssize_t)sizeof out ? 0 : 3);
	}
	if (pid < 0) {
		/* No process to spare: replay here, unprotected. */
		sim_result_t r;
		enum sim_outcome o = replay_once(w, t, true, budget, &r, NULL, 0);
		isolated_fill(res, o, &r);
		sim_result_free(&r);
		return;
	}
	close(fds[1]);
	struct isolated_result got;
	size_t have = 0;
	while (have < sizeof got) {
		ssize_t n = read(fds[0], (char *)&got + have, sizeof got - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	if (have == sizeof got && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*res = got;
		return;
	}
	snprintf(res->message, sizeof res->message,
		 "crash: the replay killed the process (%s %d)",
		 WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status)
									  : WEXITSTATUS(status));
}

/* What a person must read, most important first: preemptions and context
 * switches, then decisions they chose (non-default), then log lines. */
struct shrink_cost {
	uint64_t switches; /* preemptions + context switches */
	uint64_t choices;  /* non-default decisions */
	uint64_t log_lines;
	uint64_t count;    /* decisions, defaults included */
};

static struct shrink_cost shrink_cost_of(const sim_trace_t *t, const struct isolated_result *res)
{
	struct shrink_cost c = {.switches = res->preemptions + res->switches,
				.log_lines = res->log_lines, .count = t->count};
	for (size_t i = 0; i < t->count; i++)
		c.choices += t->decisions[i].value != SIM_DECISION_DEFAULT;
	SIM_ASSERT(c.choices <= c.count);
	SIM_ASSERT(c.switches >= res->switches); /* no wrap */
	return c;
}

static bool shrink_cost_less(const struct shrink_cost *a, const struct shrink_cost *b)
{
	if (a->switches != b->switches)
		return a->switches < b->switches;
	if (a->choices != b->choices)
		return a->choices < b->choices;
	if (a->log_lines != b->log_lines)
		return a->log_lines < b->log_lines;
	return a->count < b->count;
}

struct shrink_ctx {
	const struct k_workload *w;
	const sim_trace_t *original;
	char signature[SIM_MESSAGE_MAX + 16];
	uint64_t step_budget; /* per candidate */
	size_t tests;
	struct shrink_cost first, best;
	bool tty;             /* stderr is a terminal: live progress */
};

static volatile sig_atomic_t shrink_stop;

static void on_shrink_interrupt(int sig)
{
	(void)sig;
	shrink_stop = 1;
}

static void shrink_progress(const struct shrink_ctx *ctx, size_t trying)
{
	if (!ctx->tty)
		return;
	fprintf(stderr,
		"\rshrink: replays done %zu, trying %zu decisions; best: %" PRIu64
		" preemptions+switches, %" PRIu64 " decisions chosen, %" PRIu64 " log lines   ",
		ctx->tests, trying, ctx->best.switches, ctx->best.choices, ctx->best.log_lines);
	fflush(stderr);
}

/* Accept a candidate only if it fails the same way (same outcome, same
 * message but for step counts and such, same thread), reads no longer than
 * the original, and costs less than the best so far. */
static bool shrink_still_fails(void *ctxp, const sim_trace_t *candidate)
{
	struct shrink_ctx *ctx = ctxp;
	if (shrink_stop)
		return false;
	sim_trace_t t = *candidate;
	t.cores = ctx->original->cores;
	t.seed = ctx->original->seed;
	struct isolated_result res;
	isolated_replay(ctx->w, &t, ctx->step_budget, true, &res);
	ctx->tests++;
	char sig[SIM_MESSAGE_MAX + 16];
	failure_signature((enum sim_outcome)res.outcome, res.message, sig, sizeof sig);
	bool same = res.outcome != SIM_OK && strcmp(sig, ctx->signature) == 0;
	struct shrink_cost cost = shrink_cost_of(&t, &res);
	bool better = same && cost.log_lines <= ctx->first.log_lines &&
		      shrink_cost_less(&cost, &ctx->best);
	if (better)
		ctx->best = cost;
	if (better)
		SIM_ASSERT(same && ctx->best.log_lines <= ctx->first.log_lines);
	shrink_progress(ctx, candidate->count);
	return better;
}

/* -o must be writable before an hour of replays, not after: open it now
 * (a file made only for this check is removed again). */
static void shrink_check_output(const char *path)
{
	bool existed = access(path, F_OK) == 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0) {
		fprintf(stderr, "weft: cannot write %s: %s\n", path, strerror(errno));
		exit(WEFT_EXIT_USAGE);
	}
	close(fd);
	if (!existed)
		unlink(path);
}

/* The shrunk stream, recorded again as a run: an exact trace with its fit
 * record (its defaults made explicit), whose replay says "reproduced". A
 * candidate that crashes the process is kept as it is. */
static bool shrink_rerecord(const struct k_workload *w, sim_trace_t *t,
			    const struct isolated_result *res)
{
	t->outcome = res->outcome == WEFT_OUTCOME_CRASH ? SIM_FAIL_ASSERT : (uint32_t)res->outcome;
	t->final_hash = res->final_hash;
	snprintf(t->build_id, sizeof t->build_id, "%s", weft_build_id());
	t->version = SIM_TRACE_VERSION;
	if (res->outcome == WEFT_OUTCOME_CRASH)
		return true;
	sim_result_t r;
	enum sim_outcome out = replay_once(w, t, false, 0, &r, NULL, 0);
	if (out != (enum sim_outcome)res->outcome || r.final_hash != res->final_hash) {
		sim_result_free(&r);
		return false; /* not deterministic: an engine bug, said by the caller */
	}
	sim_trace_t recorded = r.decisions; /* take the recorded stream over */
	sim_trace_init(&r.decisions);
	sim_result_free(&r);
	/* Where the shrunk stream left the choice to the default (a default
	 * marker, or past its end), the recording says so too: a person sees
	 * which decisions matter, and the replay is the same (one recorded
	 * decision per choice, so positions line up). */
	for (size_t i = 0; i < recorded.count; i++)
		if (i >= t->count || t->decisions[i].value == SIM_DECISION_DEFAULT)
			recorded.decisions[i].value = SIM_DECISION_DEFAULT;
	sim_trace_free(t);
	recorded.version = SIM_TRACE_VERSION;
	snprintf(recorded.build_id, sizeof recorded.build_id, "%s", weft_build_id());
	memcpy(recorded.scenario, t->scenario, sizeof recorded.scenario);
	memcpy(recorded.strategy, t->strategy, sizeof recorded.strategy);
	recorded.cores = t->cores;
	recorded.seed = t->seed;
	recorded.outcome = (uint32_t)out;
	recorded.final_hash = res->final_hash;
	*t = recorded;
	/* The written trace must replay as recorded: check it once. */
	char note[SIM_MESSAGE_MAX];
	out = replay_once(w, t, false, 0, &r, note, sizeof note);
	bool exact = replay_same_stream(t, &r, note) && out == (enum sim_outcome)t->outcome &&
		     r.final_hash == t->final_hash;
	sim_result_free(&r);
	return exact;
}

/* "name a -> b", or "name a (unchanged)": an arrow only where it moved. */
static void shrink_report_field(const char *name, uint64_t before, uint64_t after,
				const char *end)
{
	SIM_ASSERT(name != NULL && end != NULL);
	if (before != after)
		printf(" %s %" PRIu64 " -> %" PRIu64 "%s", name, before, after, end);
	else
		printf(" %s %" PRIu64 " (unchanged)%s", name, before, end);
}

static void shrink_report(const struct shrink_ctx *ctx, sim_shrink_status_t st)
{
	if (ctx->tty)
		fputc('\n', stderr);
	if (st.end == SIM_SHRINK_FIXPOINT)
		printf("shrink: reached a fixpoint after %zu replays (no candidate reads easier)\n",
		       st.tests);
	else if (st.end == SIM_SHRINK_STOPPED)
		printf("shrink: interrupted after %zu replays; writing the best trace so far\n",
		       st.tests);
	else
		printf("shrink: stopped at the budget of %zu replays (raise --budget, or shrink "
		       "the result again, to go further)\n", st.tests);
	const struct shrink_cost *a = &ctx->first, *b = &ctx->best;
	if (!shrink_cost_less(b, a)) {
		printf("shrink: nothing easier to read fails the same way: %" PRIu64
		       " preemptions+switches, %" PRIu64 " decisions chosen, %" PRIu64
		       " log lines\n", a->switches, a->choices, a->log_lines);
		return;
	}
	printf("shrink:");
	shrink_report_field("preemptions+switches", a->switches, b->switches, ",");
	shrink_report_field("decisions chosen", a->choices, b->choices, ",");
	shrink_report_field("log lines", a->log_lines, b->log_lines, "\n");
}

static int cmd_shrink(int argc, char **argv)
{
	struct cli c = {.strategy = "random"};
	parse_flags(&c, argc, argv, 3, " -o --budget ");
	if (!c.trace_path)
		usage_error("shrink needs -o SMALL.trace");
	sim_trace_t t;
	const struct k_workload *w = load_trace(argc > 2 ? argv[2] : NULL, false, &t);
	shrink_check_output(c.trace_path);
	struct isolated_result res;
	isolated_replay(w, &t, 0, false, &res);
	if (res.outcome == SIM_OK) {
		fprintf(stderr, "weft: %s does not fail when replayed: nothing to shrink\n", argv[2]);
		sim_trace_free(&t);
		return WEFT_EXIT_USAGE;
	}
	/* A candidate with decisions removed falls back to the default (keep
	 * the current core) when its stream runs out, which can spin one core
	 * for the whole step budget. A failure that needs many times the steps
	 * of the original is not the one being shrunk: cut such candidates
	 * short. (A livelock is shrunk with the full budget.) */
	uint64_t budget = res.outcome == SIM_FAIL_BUDGET || res.outcome == WEFT_OUTCOME_CRASH
				  ? 0
				  : 4u * res.steps + WEFT_SHRINK_STEPS_SLACK;
	struct shrink_ctx ctx = {.w = w, .original = &t, .step_budget = budget,
				 .tty = isatty(STDERR_FILENO) != 0};
	failure_signature((enum sim_outcome)res.outcome, res.message, ctx.signature,
			  sizeof ctx.signature);
	ctx.first = shrink_cost_of(&t, &res);
	ctx.best = ctx.first;
	printf("shrink: %s fails with %s: %s\n", t.scenario,
	       res.outcome == WEFT_OUTCOME_CRASH ? "a crash" : outcome_name((enum sim_outcome)res.outcome),
	       res.message);
	fflush(stdout);
	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_shrink_interrupt;
	sigaction(SIGINT, &sa, &old_sa);
	sim_shrink_status_t st = sim_shrink_until(&t, shrink_still_fails, &ctx,
						  c.budget ? c.budget : WEFT_SHRINK_REPLAYS_MAX,
						  &shrink_stop);
	/* The best only ever improves, and never reads longer. */
	SIM_ASSERT(!shrink_cost_less(&ctx.first, &ctx.best));
	SIM_ASSERT(ctx.best.log_lines <= ctx.first.log_lines);
	shrink_report(&ctx, st);
	/* The best stream again, unmuted: it must still fail the same way. */
	isolated_replay(w, &t, 0, false, &res);
	sigaction(SIGINT, &old_sa, NULL);
	char sig[SIM_MESSAGE_MAX + 16];
	failure_signature((enum sim_outcome)res.outcome, res.message, sig, sizeof sig);
	if (res.outcome == SIM_OK || strcmp(sig, ctx.signature) != 0 ||
	    !shrink_rerecord(w, &t, &res)) {
		printf("weft: the shrunk trace no longer fails the same way (%s): not written; "
		       "the replay is not deterministic, an engine bug\n", res.message);
		sim_trace_free(&t);
		return WEFT_EXIT_FAILURE;
	}
	char err[256];
	int rc = WEFT_EXIT_OK;
	if (sim_trace_save(&t, c.trace_path, err, sizeof err) != 0) {
		fprintf(stderr, "weft: cannot write %s: %s\n", c.trace_path, err);
		rc = WEFT_EXIT_USAGE;
	} else {
		printf("shrink: wrote %s (%zu decisions); it still fails the same way: %s\n",
		       c.trace_path, t.count, res.message);
		printf("shrink: see it with: %s replay %s --log\n", prog, c.trace_path);
	}
	sim_trace_free(&t);
	return rc;
}

/* The identity of this build and of what its traces carry. */
static int cmd_version(int argc)
{
	if (argc != 2)
		usage_error("--version takes no arguments");
	printf("weft %s\n", prog);
	printf("  build id:     %s\n", weft_build_id());
	printf("  trace format: version %u (reads versions 1..%u)\n", SIM_TRACE_VERSION, SIM_TRACE_VERSION);
	printf("  cores:        1..%u\n", weft_cores_max());
	return WEFT_EXIT_OK;
}

int main(int argc, char **argv)
{
	campaign_paths_init(argc > 0 ? argv[0] : NULL);
	if (argc < 2)
		usage_error("which command? (list, run, explore, replay, shrink, campaign, help)");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		if (argc > 3)
			usage_error("help takes one command at most");
		if (!weft_help(argc == 3 && !strcmp(cmd, "help") ? argv[2] : NULL, stdout))
			usage_error("no command '%s' to help with", argv[2]);
		return WEFT_EXIT_OK;
	}
	if (!strcmp(cmd, "--version"))
		return cmd_version(argc);
	/* `weft COMMAND --help` (or -h) anywhere after the command. */
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			if (!weft_help(cmd, stdout))
				usage_error("unknown command '%s'", cmd);
			return WEFT_EXIT_OK;
		}
	}
	crash_install();
	if (!strcmp(cmd, "list")) {
		if (argc == 3 && !strcmp(argv[2], "--bugs"))
			return cmd_list_bugs();
		return argc == 2 ? cmd_list() : (usage_error("list takes no arguments but --bugs"), 0);
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc, argv);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc, argv);
	if (!strcmp(cmd, "shrink"))
		return cmd_shrink(argc, argv);
	if (!strcmp(cmd, "campaign"))
		return weft_campaign(argc, argv);
	usage_error("unknown command '%s'", cmd);
}
