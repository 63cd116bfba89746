/*
 * run_report.c — the JSON-lines report of `weft explore --report` (the
 * format is in run_report.h).
 */
#include "run_report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim_assert.h"

/* A message is one line of a kernel assertion or oracle: bounded so a
 * runaway string cannot make a runaway line. */
#define RUN_REPORT_TEXT_MAX 512u

/* A JSON string: quotes, backslashes and control bytes escaped, cut at
 * RUN_REPORT_TEXT_MAX bytes. */
static void put_string(FILE *f, const char *s)
{
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(s != NULL);
	fputc('"', f);
	for (size_t i = 0; s[i] && i < RUN_REPORT_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20u || c == 0x7fu)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

bool run_report_open(struct run_report *r, const char *path, char *err, size_t cap)
{
	SIM_ASSERT(r != NULL && path != NULL);
	SIM_ASSERT(r->workload != NULL && r->strategy != NULL);
	r->f = fopen(path, "w");
	if (!r->f) {
		snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	r->write_failed = false;
	return true;
}

/* The fields every line starts with, after "kind". */
static void put_head(struct run_report *r, const char *kind)
{
	SIM_ASSERT(r->f != NULL);
	SIM_ASSERT(r->shard_i >= 1u && r->shard_i <= r->shard_n);
	fprintf(r->f, "{\"kind\":\"%s\",\"workload\":", kind);
	put_string(r->f, r->workload);
	fprintf(r->f, ",\"cores\":%u,\"strategy\":", r->cores);
	put_string(r->f, r->strategy);
	fprintf(r->f, ",\"shard\":\"%u/%u\"", r->shard_i, r->shard_n);
}

static void put_run(struct run_report *r, const struct run_report_run *run)
{
	SIM_ASSERT(run != NULL && run->outcome != NULL);
	fprintf(r->f, ",\"seed\":%" PRIu64 ",\"outcome\":", run->seed);
	put_string(r->f, run->outcome);
	fprintf(r->f, ",\"final_hash\":\"%016" PRIx64 "\",\"steps\":%" PRIu64 ",\"preemptions\":%" PRIu64,
		run->final_hash, run->steps, run->preemptions);
}

static void end_line(struct run_report *r)
{
	if (fputs("}\n", r->f) == EOF || ferror(r->f))
		r->write_failed = true;
}

void run_report_run(struct run_report *r, const struct run_report_run *run)
{
	if (!r->f)
		return;
	put_head(r, "run");
	put_run(r, run);
	end_line(r);
}

void run_report_failure(struct run_report *r, const struct run_report_run *run,
			const char *message, const char *trace)
{
	if (!r->f)
		return;
	put_head(r, "failure");
	put_run(r, run);
	fputs(",\"message\":", r->f);
	put_string(r->f, message ? message : "");
	fputs(",\"trace\":", r->f);
	if (trace)
		put_string(r->f, trace);
	else
		fputs("null", r->f);
	end_line(r);
}

void run_report_summary(struct run_report *r, uint64_t runs, uint64_t distinct, uint64_t failures,
			uint64_t seed_lo, uint64_t seed_hi, uint64_t digest)
{
	if (!r->f)
		return;
	SIM_ASSERT(distinct <= runs && failures <= runs);
	if (runs > 0)
		SIM_ASSERT(seed_lo <= seed_hi);
	put_head(r, "summary");
	fprintf(r->f,
		",\"runs\":%" PRIu64 ",\"distinct\":%" PRIu64 ",\"failures\":%" PRIu64
		",\"seed_lo\":%" PRIu64 ",\"seed_hi\":%" PRIu64 ",\"digest\":\"%016" PRIx64 "\"",
		runs, distinct, failures, seed_lo, seed_hi, digest);
	end_line(r);
}

bool run_report_close(struct run_report *r, char *err, size_t cap)
{
	if (!r->f)
		return true;
	bool ok = !r->write_failed && fflush(r->f) == 0 && !ferror(r->f);
	ok = (fclose(r->f) == 0) && ok;
	r->f = NULL;
	if (!ok)
		snprintf(err, cap, "writing the report failed: %s", strerror(errno));
	return ok;
}
