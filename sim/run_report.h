/*
 * run_report.h — `weft explore --report FILE`: the campaign as JSON lines a
 * machine reads, one object per line:
 *
 *   {"kind":"run","workload":W,"cores":C,"strategy":S,"shard":"I/N","seed":N,
 *    "outcome":"ok"|"assertion"|...,"final_hash":"16 hex","steps":N,"preemptions":N}
 *   {"kind":"failure", the run's fields, "message":M,"trace":PATH}   (a failing run)
 *   {"kind":"summary","workload":W,"cores":C,"strategy":S,"shard":"I/N",
 *    "runs":N,"distinct":N,"failures":N,"seed_lo":N,"seed_hi":N,"digest":"16 hex"}
 *
 * A "run" line per run the campaign counts (in seed order with one worker,
 * in completion order with --jobs), the summary last. Seeds and the verdict
 * (outcome, final hash) of each run are what shard reports are compared and
 * merged on (scripts/merge-shards.py). Host time is not written: the same
 * campaign writes the same lines.
 */
#ifndef WEFT_RUN_REPORT_H
#define WEFT_RUN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What every line of one campaign shares. */
struct run_report {
	FILE *f;            /* NULL: no report asked for; every call does nothing */
	const char *workload;
	const char *strategy;
	unsigned cores;
	unsigned shard_i, shard_n;
	bool write_failed;  /* a write error: run_report_close says so */
};

/* One run's verdict. */
struct run_report_run {
	uint64_t seed;
	const char *outcome;
	uint64_t final_hash;
	uint64_t steps;
	uint64_t preemptions;
};

/* Open (truncate) PATH for the report. false with one line in err. */
bool run_report_open(struct run_report *r, const char *path, char *err, size_t cap);
void run_report_run(struct run_report *r, const struct run_report_run *run);
/* The failing run again, with its message and the trace it was saved to
 * (trace NULL: it could not be saved). */
void run_report_failure(struct run_report *r, const struct run_report_run *run,
			const char *message, const char *trace);
void run_report_summary(struct run_report *r, uint64_t runs, uint64_t distinct, uint64_t failures,
			uint64_t seed_lo, uint64_t seed_hi, uint64_t digest);
/* Close; false with one line in err when any write failed. */
bool run_report_close(struct run_report *r, char *err, size_t cap);

#endif
