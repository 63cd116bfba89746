/*
 * bench_fuzz.c — executions per second of the fuzz targets over their
 * committed corpus, as a campaign's single worker sees them (fuzz preset).
 *
 * For sched and mem, each build in the same run: throughput
 * (fuzz/<n>_fuzz_fast: coverage, -O2, no sanitizer), checking
 * (fuzz/<n>_fuzz: ASan+UBSan) and, with --previous DIR, the previous
 * approach's <n>_fuzz from DIR (bench/fuzz_previous.sh builds it). One
 * measurement: libFuzzer `-runs=0 -seed=1 corpus/<n>` runs every corpus
 * input once in one process; its CPU time (user+sys of the child, so a
 * loaded machine does not count another process's time) minus that of a
 * run over an empty folder (start-up, the empty input, exit), divided by the
 * executions libFuzzer reports. Median of --reps repetitions (default 5).
 * Plus the mean simulated steps per input (the targets count them,
 * fuzz_harness.h). JSON lines on stdout (DESIGN.md); ratio = value /
 * previous. --before DIR measures an earlier tree's two builds in the same
 * run (DIR/<n>_fuzz_fast and DIR/<n>_fuzz; `bench/fuzz_previous.sh COMMIT`
 * builds them): <n>-throughput-before and <n>-checking-before, and the
 * ratios <n>-throughput-vs-before, <n>-checking-vs-before. --smoke: one
 * repetition, for the ctest that keeps the output parsable (no figure
 * judged).
 *
 * Usage: bench_fuzz [--smoke] [--reps N] [--previous DIR] [--before DIR]
 * Exit: 0 measured; 1 a target failed or printed no result; 2 bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_child.h"
#include "bench_util.h"

#define BENCH_FUZZ_REPS_DEFAULT 5u
#define BENCH_FUZZ_REPS_MAX 51u
#define BENCH_FUZZ_PATH_MAX 4096u

struct fuzz_run {
	double cpu_s;         /* user + sys of the child */
	unsigned long execs;  /* libFuzzer's final "#N" (0: none printed) */
	unsigned long runs;   /* weft_fuzz_stats runs= (0: not printed) */
	unsigned long long steps;
	int status;
};

/* Parse one line of the child's output into *r. */
static void parse_line(const char *line, struct fuzz_run *r)
{
	unsigned long n = 0;
	unsigned long long s = 0;
	if (line[0] == '#' && strstr(line, "DONE") && sscanf(line + 1, "%lu", &n) == 1)
		r->execs = n;
	if (sscanf(line, "weft_fuzz_stats: runs=%lu steps=%llu", &n, &s) == 2) {
		r->runs = n;
		r->steps = s;
	}
}

static void on_line(const char *line, void *ctx)
{
	parse_line(line, ctx);
}

/* Run `bin -runs=0 -seed=1 input` with WEFT_FUZZ_STATS=1; output parsed. */
static bool run_child(const char *bin, const char *input, struct fuzz_run *r)
{
	memset(r, 0, sizeof *r);
	char *argv[] = { (char *)bin, "-runs=0", "-seed=1", (char *)input, NULL };
	return bench_child_run(argv, true, on_line, r, &r->status, &r->cpu_s);
}

struct measure {
	double exec_per_s;
	double steps_per_input; /* < 0: the binary does not count steps */
};

/* Median executions per CPU second of `bin` over `corpus`. */
static bool measure_binary(const char *bin, const char *corpus, unsigned reps, struct measure *m)
{
	double full[BENCH_FUZZ_REPS_MAX], empty[BENCH_FUZZ_REPS_MAX], execs = 0;
	struct fuzz_run r;
	m->steps_per_input = -1;
	/* An empty corpus folder: libFuzzer starts, runs the empty input, ends. */
	const char *none = WEFT_FUZZ_BIN_DIR "/bench-empty-corpus";
	if (mkdir(none, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_fuzz: cannot create %s\n", none);
		return false;
	}
	for (unsigned i = 0; i < reps; i++) {
		if (!run_child(bin, none, &r)) {
			fprintf(stderr, "bench_fuzz: %s on the empty input failed (status %d)\n", bin, r.status);
			return false;
		}
		empty[i] = r.cpu_s;
		if (!run_child(bin, corpus, &r) || r.execs == 0) {
			fprintf(stderr, "bench_fuzz: %s over %s failed or printed no DONE line (status %d)\n",
				bin, corpus, r.status);
			return false;
		}
		full[i] = r.cpu_s;
		execs = (double)r.execs;
		if (r.runs > 0)
			m->steps_per_input = (double)r.steps / (double)r.runs;
	}
	double cost = median_difference(empty, full, reps);
	m->exec_per_s = cost > 0 ? execs / cost : 0;
	return cost > 0;
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* DIR/<name>_fuzz<suffix> into path; false (and a line) if it is missing. */
static bool other_binary(char *path, size_t cap, const char *dir, const char *name,
			 const char *suffix)
{
	snprintf(path, cap, "%s/%s_fuzz%s", dir, name, suffix);
	if (is_executable(path))
		return true;
	fprintf(stderr, "bench_fuzz: no such fuzz target: %s\n", path);
	return false;
}

/* The earlier tree's two builds, each beside this tree's. */
static bool bench_before(const char *name, unsigned reps, const char *before,
			 const struct measure *mf, const struct measure *mc)
{
	char bf[BENCH_FUZZ_PATH_MAX], bc[BENCH_FUZZ_PATH_MAX], corpus[BENCH_FUZZ_PATH_MAX], c[64];
	struct measure mbf, mbc;
	snprintf(corpus, sizeof corpus, "%s/%s", WEFT_CORPUS_DIR, name);
	if (!other_binary(bf, sizeof bf, before, name, "_fast") ||
	    !other_binary(bc, sizeof bc, before, name, "") ||
	    !measure_binary(bf, corpus, reps, &mbf) || !measure_binary(bc, corpus, reps, &mbc))
		return false;
	snprintf(c, sizeof c, "%s-throughput-before", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mbf.exec_per_s, "exec/s", NULL, 0);
	snprintf(c, sizeof c, "%s-checking-before", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mbc.exec_per_s, "exec/s", NULL, 0);
	snprintf(c, sizeof c, "%s-throughput-vs-before", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mf->exec_per_s, "exec/s", "before", mbf.exec_per_s);
	snprintf(c, sizeof c, "%s-checking-vs-before", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mc->exec_per_s, "exec/s", "before", mbc.exec_per_s);
	return true;
}

static bool bench_target(const char *name, unsigned reps, const char *previous, const char *before)
{
	char corpus[BENCH_FUZZ_PATH_MAX], fast[BENCH_FUZZ_PATH_MAX], checking[BENCH_FUZZ_PATH_MAX],
		prev[BENCH_FUZZ_PATH_MAX], c[64];
	snprintf(corpus, sizeof corpus, "%s/%s", WEFT_CORPUS_DIR, name);
	snprintf(fast, sizeof fast, "%s/%s_fuzz_fast", WEFT_FUZZ_BIN_DIR, name);
	snprintf(checking, sizeof checking, "%s/%s_fuzz", WEFT_FUZZ_BIN_DIR, name);
	struct measure mf, mc, mp = {0, -1};
	bool have_prev = previous != NULL;
	if (have_prev) {
		snprintf(prev, sizeof prev, "%s/%s_fuzz", previous, name);
		if (!is_executable(prev)) {
			fprintf(stderr, "bench_fuzz: no previous target at %s\n", prev);
			return false;
		}
	}
	if (!measure_binary(fast, corpus, reps, &mf) || !measure_binary(checking, corpus, reps, &mc) ||
	    (have_prev && !measure_binary(prev, corpus, reps, &mp)))
		return false;
	const char *base = have_prev ? "previous" : NULL;
	snprintf(c, sizeof c, "%s-throughput", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mf.exec_per_s, "exec/s", base, mp.exec_per_s);
	snprintf(c, sizeof c, "%s-checking", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mc.exec_per_s, "exec/s", base, mp.exec_per_s);
	if (have_prev) {
		snprintf(c, sizeof c, "%s-previous", name);
		bench_print_line("fuzz", c, "exec_per_cpu_s", mp.exec_per_s, "exec/s", NULL, 0);
	}
	snprintf(c, sizeof c, "%s-throughput-vs-checking", name);
	bench_print_line("fuzz", c, "exec_per_cpu_s", mf.exec_per_s, "exec/s", "checking", mc.exec_per_s);
	snprintf(c, sizeof c, "%s", name);
	bench_print_line("fuzz", c, "steps_per_input", mf.steps_per_input, "steps", NULL, 0);
	if (before && !bench_before(name, reps, before, &mf, &mc))
		return false;
	fflush(stdout); /* a target's lines as soon as it is measured */
	return true;
}

static int usage(const char *why)
{
	fprintf(stderr, "bench_fuzz: %s; usage: bench_fuzz [--smoke] [--reps N] [--previous DIR] [--before DIR]\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned reps = BENCH_FUZZ_REPS_DEFAULT;
	const char *previous = NULL, *before = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			reps = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long n = strtoul(argv[++i], &end, 10);
			if (errno || *end || n < 1 || n > BENCH_FUZZ_REPS_MAX)
				return usage("--reps takes 1..51");
			reps = (unsigned)n;
		} else if (!strcmp(argv[i], "--previous") && i + 1 < argc) {
			previous = argv[++i];
		} else if (!strcmp(argv[i], "--before") && i + 1 < argc) {
			before = argv[++i];
		} else {
			return usage("unknown argument");
		}
	}
	static const char *const targets[] = {"sched", "mem"};
	for (unsigned t = 0; t < sizeof targets / sizeof targets[0]; t++)
		if (!bench_target(targets[t], reps, previous, before))
			return 1;
	return 0;
}
