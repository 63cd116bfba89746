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

#include "harness.h"
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

static const char *const usage_text =
	"usage: weft list [--bugs]\n"
	"       weft run WORKLOAD --cores N --seed S [--strategy random|pct:D] [--trace FILE] [--log]\n"
	"                [--steps MAX]\n"
	"       weft explore WORKLOAD --cores N (--runs K | --time 60s) [--shard I/N]\n"
	"                    [--strategy random|pct:D] [--seed S] [--out DIR] [--steps MAX]\n"
	"       weft replay TRACE [--log] [--strict]\n"
	"       weft shrink TRACE -o SMALL.trace [--budget REPLAYS]\n"
	"\n"
	"Each run boots a fresh kernel on N simulated cores and judges it with every\n"
	"oracle: kernel assertions, k_sched_check between steps, deadlock (wait-for\n"
	"chain), starvation, the step budget (--steps, default 4000000), leaks and\n"
	"the workload's own end check. explore tries seeds S, S+1, ... (shard I/N\n"
	"takes every N-th), stops at the first failure and writes its trace (in DIR).\n"
	"WORKLOAD may also be a bug program of `weft list --bugs` (bug/NAME, each\n"
	"meant to fail, or bug/NAME-twin, its fixed twin, meant to hold).\n"
	"replay runs a trace's decisions in this build, whichever build recorded it\n"
	"(--strict: refuse a trace recorded by another build), says where the run\n"
	"stopped fitting the recording if the code changed it, and whether the\n"
	"recorded failure happened again or is gone. shrink looks for the same\n"
	"failure with fewer preemptions and context switches, then fewer decisions,\n"
	"then a shorter log, until nothing improves or --budget replays are spent\n"
	"(Ctrl-C stops it and writes the best trace so far).\n"
	"Exit codes: 0 all held, 1 a failure was found, 2 bad usage or input.\n";

/* How the user called us (weft, or a planted-bug variant): the commands we
 * print for them to paste use the same name. */
static const char *prog = "weft";

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("weft: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (weft --help for usage)\n", stderr);
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

static double parse_seconds(const char *text)
{
	if (!text)
		usage_error("--time needs a value such as 60s");
	char *end;
	double v = strtod(text, &end);
	double scale = 1;
	if (*end == 's' && end[1] == '\0')
		scale = 1;
	else if (*end == 'm' && end[1] == '\0')
		scale = 60;
	else if (*end != '\0')
		usage_error("--time takes seconds such as 60s or 5m, not '%s'", text);
	if (!(v > 0) || v * scale > 7 * 24 * 3600.0)
		usage_error("--time must be positive and at most a week, not '%s'", text);
	return v * scale;
}

struct cli {
	const char *workload;
	const char *trace_path;
	const char *out_path;
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
		if (!strcmp(a, "--strict")) {
			c->strict = true;
			continue;
		}
		if (!v)
			usage_error("%s needs a value", a);
		i++;
		if (!strcmp(a, "--cores")) {
			c->cores = (unsigned)parse_u64(a, v, 1, SIM_CORES_MAX);
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
		} else if (!strcmp(a, "--trace") || !strcmp(a, "-o") || !strcmp(a, "--out")) {
			if (strlen(v) >= WEFT_PATH_MAX)
				usage_error("%s: path too long", a);
			if (!strcmp(a, "--out"))
				c->out_path = v;
			else
				c->trace_path = v;
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
static bool save_run_trace(const char *path, const struct k_workload *w, unsigned cores,
			   uint64_t seed, const char *strategy, sim_result_t *r)
{
	sim_trace_t t = r->decisions; /* borrow the decision array */
	t.version = SIM_TRACE_VERSION;
	fill_trace_header(&t, w, cores, seed, strategy, r);
	char err[256];
	if (sim_trace_save(&t, path, err, sizeof err) != 0) {
		fprintf(stderr, "weft: cannot write trace %s: %s\n", path, err);
		return false;
	}
	return true;
}

static void print_failure(const struct k_workload *w, const struct weft_run_options *o,
			  const sim_result_t *r, const char *trace_path)
{
	printf("weft: FAIL (%s) %s\n", outcome_name(r->outcome), r->message);
	printf("  workload %s, cores %u, strategy %s, seed %" PRIu64 ", step %" PRIu64
	       ", virtual time %" PRIu64 " ns\n",
	       weft_workload_name(w), o->cores, o->strategy, o->seed, r->steps, r->time_ns);
	if (trace_path)
		printf("  trace:  %s\n  replay: %s replay %s --log\n  shrink: %s shrink %s -o small.trace\n",
		       trace_path, prog, trace_path, prog, trace_path);
	printf("  rerun:  %s run %s --cores %u --seed %" PRIu64 " --strategy %s", prog,
	       weft_workload_name(w), o->cores, o->seed, o->strategy);
	if (o->step_budget)
		printf(" --steps %" PRIu64, o->step_budget);
	printf("\n");
}

/* --------------------------------------------------------- event log */

/* The engine logs "<step> <virtual ns> <core>: <kind> <a> <b>" for each
 * kernel event (bsp_trace_event); this is what each kind's two words mean
 * (kernel/sched's sched_trace calls). T0 is a core's idle context. */
static const struct {
	const char *kind;
	const char *text; /* %1 and %2 stand for a and b */
} log_kinds[] = {
	{"switch", "switch T%1 -> T%2"},
	{"start", "T%1 created, ready on core %2"},
	{"wake", "T%1 woken, ready on core %2"},
	{"block", "T%1 blocks on object #%2"},
	{"sleep", "T%1 sleeps (timer on core %2)"},
	{"timeout", "T%1 timed out (core %2)"},
	{"yield", "T%1 yields on core %2"},
	{"preempt", "T%1 preempted on core %2"},
	{"tick", "tick: slice of T%1 over on core %2"},
	{"ipi", "IPI core %1 -> core %2"},
	{"steal", "T%1 stolen from core %2"},
	{"migrate", "T%1 moves to core %2"},
	{"lock", "mutex #%1 locked by T%2"},
	{"unlock", "mutex #%1 unlocked by T%2"},
	{"prio", "T%1 effective priority now %2"},
	{"exit", "T%1 exits with code %2"},
	{"kick", "T%1 stopped by a kill (core %2)"},
	{"kill", "process P%1 killed (%2 threads live)"},
	{"proc_exit", "process P%1 exits with code %2"},
	{"proc_reap", "process P%1 reaped"},
};

static void render_log_line(const char *line, size_t len, FILE *out)
{
	unsigned long long step, ns;
	unsigned core;
	char kind[32];
	unsigned long a, b;
	char buf[256];
	if (len >= sizeof buf) {
		fwrite(line, 1, len, out);
		fputc('\n', out);
		return;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	int n = sscanf(buf, "%llu %llu %u: %31s %lu %lu", &step, &ns, &core, kind, &a, &b);
	const char *text = NULL;
	for (size_t i = 0; n == 6 && i < sizeof log_kinds / sizeof log_kinds[0]; i++)
		if (strcmp(kind, log_kinds[i].kind) == 0)
			text = log_kinds[i].text;
	if (!text) {
		fprintf(out, "%s\n", buf);
		return;
	}
	/* Exit codes are int32 carried in a word. */
	bool code = strstr(text, "code %2") != NULL;
	fprintf(out, "step %7llu  %9.3f us  core %2u  ", step, (double)ns / 1000.0, core);
	for (const char *p = text; *p; p++) {
		if (p[0] == '%' && (p[1] == '1' || p[1] == '2')) {
			unsigned long v = p[1] == '1' ? a : b;
			if (p[1] == '2' && code)
				fprintf(out, "%d", (int)(int32_t)(uint32_t)v);
			else
				fprintf(out, "%lu", v);
			p++;
			continue;
		}
		fputc(*p, out);
	}
	fputc('\n', out);
}

/* Print the event log of a run, one readable line per event. */
static void print_log(const char *log, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (log[i] != '\n')
			continue;
		render_log_line(log + start, i - start, stdout);
		start = i + 1;
	}
	if (start < len)
		render_log_line(log + start, len - start, stdout);
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
	char path[WEFT_PATH_MAX]; /* "" : no trace wanted */
} crash;

static void crash_arm(const struct k_workload *w, const struct weft_run_options *o, sim_result_t *r,
		      const char *path)
{
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
	bool saved = crash.path[0] && save_run_trace(crash.path, crash.w, crash.o->cores,
						     crash.o->seed, crash.o->strategy, r);
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
}

static int cmd_run(int argc, char **argv)
{
	struct cli c = {.strategy = "random"};
	const struct k_workload *w = need_workload(argc > 2 ? argv[2] : NULL);
	parse_flags(&c, argc, argv, 3, " --cores --seed --strategy --trace --log --steps ");
	if (!c.cores_set)
		usage_error("run needs --cores N");
	if (!c.seed_set)
		usage_error("run needs --seed S");
	struct weft_run_options o;
	run_options(&o, &c);
	sim_result_t r;
	crash_arm(w, &o, &r, c.trace_path);
	enum sim_outcome out = weft_run_once(w, &o, &r, NULL, 0);
	crash_disarm();
	if (c.log && r.log)
		print_log(r.log, r.log_len);
	bool saved = c.trace_path && save_run_trace(c.trace_path, w, o.cores, o.seed, o.strategy, &r);
	if (out == SIM_OK) {
		printf("weft: ok: %s, cores %u, strategy %s, seed %" PRIu64 ", %" PRIu64
		       " steps, %zu decisions, final hash %016" PRIx64 "\n",
		       weft_workload_name(w), o.cores, o.strategy, o.seed, r.steps,
		       r.decisions.count, r.final_hash);
	} else {
		print_failure(w, &o, &r, saved ? c.trace_path : NULL);
	}
	sim_result_free(&r);
	if (c.trace_path && !saved)
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

static void hash_set_add(struct hash_set *s, uint64_t h)
{
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	if (s->count * 2 >= s->cap) {
		if (s->cap >= WEFT_DISTINCT_MAX)
			return; /* saturated: the figure stays a lower bound */
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return;
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
}

/* The workload's name as a file name: a bug program's "bug/x" becomes
 * "bug_x", so the trace lands in DIR and not in a folder that may not exist. */
static void file_stem(char *out, size_t cap, const char *name)
{
	size_t i = 0;
	for (; name[i] && i + 1 < cap; i++)
		out[i] = name[i] == '/' ? '_' : name[i];
	if (cap)
		out[i < cap ? i : cap - 1] = '\0';
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

static int cmd_explore(int argc, char **argv)
{
	struct cli c = {.strategy = "random", .shard_i = 1, .shard_n = 1};
	const struct k_workload *w = need_workload(argc > 2 ? argv[2] : NULL);
	parse_flags(&c, argc, argv, 3,
		    " --cores --seed --strategy --runs --time --shard --out --steps ");
	if (!c.cores_set)
		usage_error("explore needs --cores N");
	if (!c.runs && !(c.time_s > 0))
		usage_error("explore needs --runs K or --time 60s");
	bool tty = isatty(STDOUT_FILENO);
	struct hash_set distinct = {0};
	double start = host_seconds(), last_draw = 0;
	uint64_t runs = 0, steps_total = 0, preemptions_total = 0;
	uint32_t contexts_max = 0;
	int rc = WEFT_EXIT_OK;
	for (uint64_t i = 0; c.runs ? i < c.runs : true; i++) {
		if (c.time_s > 0 && host_seconds() - start >= c.time_s)
			break;
		struct weft_run_options o;
		run_options(&o, &c);
		/* Shard I/N takes every N-th seed: shards never overlap. */
		o.seed = c.seed + i * c.shard_n + (c.shard_i - 1);
		sim_result_t r;
		char path[WEFT_PATH_MAX], stem[SIM_TRACE_NAME_MAX];
		file_stem(stem, sizeof stem, weft_workload_name(w));
		snprintf(path, sizeof path, "%s%s%s-c%u-s%" PRIu64 ".trace",
			 c.out_path ? c.out_path : "", c.out_path ? "/" : "", stem, o.cores, o.seed);
		/* Thousands of runs: what the kernel prints (the self-tests' lines)
		 * is shown only for the failing one. */
		o.quiet_console = true;
		crash_arm(w, &o, &r, path);
		enum sim_outcome out = weft_run_once(w, &o, &r, NULL, 0);
		crash_disarm();
		runs++;
		steps_total += r.steps;
		preemptions_total += r.preemptions;
		if (r.contexts > contexts_max)
			contexts_max = r.contexts;
		hash_set_add(&distinct, r.final_hash);
		if (out != SIM_OK) {
			bool saved = save_run_trace(path, w, o.cores, o.seed, o.strategy, &r);
			if (tty)
				printf("\n");
			if (weft_run_console()[0])
				printf("console of the failing run (its end):\n%s\n", weft_run_console());
			printf("weft: explore found a failure after %" PRIu64 " runs\n", runs);
			print_failure(w, &o, &r, saved ? path : NULL);
			sim_result_free(&r);
			rc = WEFT_EXIT_FAILURE;
			break;
		}
		sim_result_free(&r);
		double now = host_seconds();
		if (tty && now - last_draw > 0.25) {
			last_draw = now;
			printf("\rexplore %s: %" PRIu64 " runs, %.0f runs/s, %zu distinct schedules, 0 failures ",
			       weft_workload_name(w), runs, runs / (now - start + 1e-9), distinct.count);
			fflush(stdout);
		}
	}
	double elapsed = host_seconds() - start;
	if (tty && rc == WEFT_EXIT_OK)
		printf("\n");
	/* The summary stays the last line (scripts read it). */
	printf("  contexts: %u at most (threads and idle loops), %.1f preemptions/run\n",
	       contexts_max, runs ? (double)preemptions_total / (double)runs : 0.0);
	print_pct_bound(w, &c, contexts_max);
	printf("explore %s: cores %u, strategy %s, shard %u/%u, %" PRIu64 " runs, %.0f runs/s, "
	       "%zu distinct schedules, %" PRIu64 " steps/run, %s\n",
	       weft_workload_name(w), c.cores, c.strategy, c.shard_i, c.shard_n, runs,
	       runs / (elapsed + 1e-9), distinct.count, runs ? steps_total / runs : 0,
	       rc == WEFT_EXIT_OK ? "0 failures" : "1 failure");
	free(distinct.slots);
	return rc;
}

/* ------------------------------------------------------- replay, shrink */

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
	o.replay = t;
	o.log = log;
	return weft_run_once(w, &o, r, note, cap);
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
	parse_flags(&c, argc, argv, 3, " --log --strict ");
	sim_trace_t t;
	const struct k_workload *w = load_trace(argc > 2 ? argv[2] : NULL, c.strict, &t);
	sim_result_t r;
	char note[SIM_MESSAGE_MAX];
	struct weft_run_options shown;
	memset(&shown, 0, sizeof shown);
	shown.cores = t.cores;
	shown.seed = t.seed;
	snprintf(shown.strategy, sizeof shown.strategy, "%s", t.strategy);
	crash_arm(w, &shown, &r, NULL);
	enum sim_outcome out = replay_once(w, &t, c.log, 0, &r, note, sizeof note);
	crash_disarm();
	if (c.log && r.log)
		print_log(r.log, r.log_len);
	printf("replay %s: cores %u, %zu decisions, outcome %s, final hash %016" PRIx64 "\n",
	       t.scenario, t.cores, t.count, outcome_name(out), r.final_hash);
	if (note[0])
		printf("%s\n", note);
	replay_verdict(&t, out, &r, replay_same_stream(&t, &r, note));
	if (out != SIM_OK)
		printf("weft: FAIL (%s) %s\n", outcome_name(out), r.message);
	sim_result_free(&r);
	sim_trace_free(&t);
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

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');
		prog = slash ? slash + 1 : argv[0];
	}
	if (argc < 2)
		usage_error("which command? (list, run, explore, replay, shrink)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return WEFT_EXIT_OK;
	}
	const char *cmd = argv[1];
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
	usage_error("unknown command '%s'", cmd);
}
