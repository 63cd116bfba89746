/*
 * bench_fuzz_mem.c — how fast mem_fuzz could run at best: its throughput
 * build beside two references that run the same inputs' operations with
 * the same oracles but no simulator (fuzz preset; docs/fuzzing.md "The
 * ceiling of mem_fuzz").
 *
 * Binaries (all coverage-instrumented, -O2, no sanitizer, libFuzzer):
 *   fuzz/mem_fuzz_fast                  the target: simulated cores, a schedule
 *                                       from the input, k_mem_check after ops
 *   fuzz/mem_fuzz_direct_fast           the same ops in input order on one host
 *                                       thread (no engine, no fibers, one core),
 *                                       k_mem_check after every op
 *   fuzz/mem_fuzz_direct_nocheck_fast   the same without the per-op check
 * (every one keeps the shadow model, the debug fills and the end checks). So
 * the checked reference is what any design that keeps the per-op oracle
 * could reach on this machine, and the unchecked one what is left if the
 * checker cost nothing.
 *
 * One measurement: `bin -runs=0 -seed=1 corpus/mem` (the directory given
 * --copies times: libFuzzer runs each copy, so start-up weighs less), the
 * child's CPU time (user + sys: another process's time on a shared machine
 * is not counted) minus a run over an empty folder, divided by the
 * executions libFuzzer reports. Each repetition runs every binary in turn,
 * so all three are measured in the same minutes; medians of --reps. JSON
 * lines on stdout; ratio = value / baseline.
 *
 * Usage: bench_fuzz_mem [--smoke] [--reps N] [--copies N]
 * Exit: 0 measured; 1 a binary failed or printed no result; 2 bad usage.
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

#define REPS_DEFAULT 5u
#define REPS_MAX 51u
#define COPIES_DEFAULT 4u
#define COPIES_MAX 16u
#define PATH_MAX_BYTES 4096u
#define ARGS_MAX (4u + COPIES_MAX + 1u)

enum which { SIM, DIRECT, NOCHECK, BINARIES };
static const char *const binary_name[BINARIES] = {"mem_fuzz_fast", "mem_fuzz_direct_fast",
						  "mem_fuzz_direct_nocheck_fast"};
static const char *const case_name[BINARIES] = {"mem-sim", "mem-direct-checked", "mem-direct-unchecked"};

struct child {
	double cpu_s;        /* user + sys */
	unsigned long execs; /* libFuzzer's "#N ... DONE" (0: none printed) */
	int status;
};

static void on_line(const char *line, void *ctx)
{
	struct child *r = ctx;
	unsigned long e = 0;
	if (line[0] == '#' && strstr(line, "DONE") && sscanf(line + 1, "%lu", &e) == 1)
		r->execs = e;
}

/* Run `bin -runs=0 -seed=1 dir...` (dir `copies` times); parse its DONE line. */
static bool run_child(const char *bin, const char *dir, unsigned copies, struct child *r)
{
	char *argv[ARGS_MAX];
	unsigned n = 0;
	memset(r, 0, sizeof *r);
	argv[n++] = (char *)bin;
	argv[n++] = "-runs=0";
	argv[n++] = "-seed=1";
	for (unsigned i = 0; i < copies && n < ARGS_MAX - 1u; i++)
		argv[n++] = (char *)dir;
	argv[n] = NULL;
	return bench_child_run(argv, false, on_line, r, &r->status, &r->cpu_s);
}

/* One repetition of one binary: CPU seconds over the corpus and over nothing. */
static bool measure_once(const char *bin, const char *corpus, const char *empty, unsigned copies,
			 double *full_s, double *empty_s, unsigned long *execs)
{
	struct child r;
	if (!run_child(bin, empty, 1, &r)) {
		fprintf(stderr, "bench_fuzz_mem: %s on the empty folder failed (status %d)\n", bin, r.status);
		return false;
	}
	*empty_s = r.cpu_s;
	if (!run_child(bin, corpus, copies, &r) || r.execs == 0) {
		fprintf(stderr, "bench_fuzz_mem: %s over %s failed or printed no DONE line (status %d)\n", bin,
			corpus, r.status);
		return false;
	}
	*full_s = r.cpu_s;
	*execs = r.execs;
	return true;
}

static int usage(const char *why)
{
	fprintf(stderr, "bench_fuzz_mem: %s; usage: bench_fuzz_mem [--smoke] [--reps 1..%u] [--copies 1..%u]\n",
		why, REPS_MAX, COPIES_MAX);
	return 2;
}

static bool parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	if (errno || *end || end == s || n < 1 || n > max)
		return false;
	*out = (unsigned)n;
	return true;
}

int main(int argc, char **argv)
{
	unsigned reps = REPS_DEFAULT, copies = COPIES_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			reps = 1;
			copies = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			if (!parse_count(argv[++i], REPS_MAX, &reps))
				return usage("--reps takes 1..51");
		} else if (!strcmp(argv[i], "--copies") && i + 1 < argc) {
			if (!parse_count(argv[++i], COPIES_MAX, &copies))
				return usage("--copies takes 1..16");
		} else {
			return usage("unknown argument");
		}
	}
	char bin[BINARIES][PATH_MAX_BYTES];
	const char *corpus = WEFT_CORPUS_DIR "/mem", *empty = WEFT_FUZZ_BIN_DIR "/bench-empty-corpus";
	if (mkdir(empty, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_fuzz_mem: cannot create %s\n", empty);
		return 1;
	}
	for (unsigned b = 0; b < BINARIES; b++)
		snprintf(bin[b], sizeof bin[b], "%s/%s", WEFT_FUZZ_BIN_DIR, binary_name[b]);
	double full[BINARIES][REPS_MAX], none[BINARIES][REPS_MAX], rate[BINARIES];
	unsigned long execs[BINARIES] = {0};
	for (unsigned i = 0; i < reps; i++) /* the binaries interleaved: the same minutes */
		for (unsigned b = 0; b < BINARIES; b++)
			if (!measure_once(bin[b], corpus, empty, copies, &full[b][i], &none[b][i], &execs[b]))
				return 1;
	for (unsigned b = 0; b < BINARIES; b++) {
		if (execs[b] != execs[SIM]) {
			fprintf(stderr, "bench_fuzz_mem: %s ran %lu inputs, %s %lu\n", binary_name[b], execs[b],
				binary_name[SIM], execs[SIM]);
			return 1;
		}
		double cost = median_difference(none[b], full[b], reps);
		rate[b] = cost > 0 ? (double)execs[b] / cost : 0;
	}
	bench_print_line("fuzz_mem", case_name[SIM], "exec_per_cpu_s", rate[SIM], "exec/s", NULL, 0);
	bench_print_line("fuzz_mem", case_name[DIRECT], "exec_per_cpu_s", rate[DIRECT], "exec/s", case_name[SIM],
			 rate[SIM]);
	bench_print_line("fuzz_mem", case_name[NOCHECK], "exec_per_cpu_s", rate[NOCHECK], "exec/s",
			 case_name[SIM], rate[SIM]);
	bench_print_line("fuzz_mem", "mem-direct-unchecked-vs-checked", "exec_per_cpu_s", rate[NOCHECK], "exec/s",
			 case_name[DIRECT], rate[DIRECT]);
	bench_print_line("fuzz_mem", "mem-sim", "us_per_input", rate[SIM] > 0 ? 1e6 / rate[SIM] : 0, "us", NULL, 0);
	bench_print_line("fuzz_mem", "mem-direct-checked", "us_per_input", rate[DIRECT] > 0 ? 1e6 / rate[DIRECT] : 0,
			 "us", NULL, 0);
	bench_print_line("fuzz_mem", "mem-direct-unchecked", "us_per_input",
			 rate[NOCHECK] > 0 ? 1e6 / rate[NOCHECK] : 0, "us", NULL, 0);
	return 0;
}
