/*
 * jobs.h — `explore --jobs J`: J worker processes share a campaign's run
 * indices (worker j takes j, j+J, j+2J, ...) and report each run's verdict
 * to the parent over a pipe. Deterministic in what counts: the parent
 * keeps exactly the runs one worker would have made — every index up to
 * the first failing one (lowest index), none past it — whatever order the
 * workers finish in, so the seeds tried and their verdicts are the same as
 * with one worker.
 */
#ifndef WEFT_JOBS_H
#define WEFT_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One run's verdict. outcome: enum sim_outcome, or JOBS_OUTCOME_CRASH for a
 * worker that died inside the run. */
#define JOBS_OUTCOME_CRASH 100u
struct jobs_record {
	uint64_t index;
	uint64_t final_hash;
	uint64_t steps;
	uint64_t preemptions;
	uint32_t outcome;
	uint32_t contexts;
};

/* Run index `index` and fill *out; return false to stop before running it
 * (time is up). Called in the worker processes. */
typedef bool (*jobs_run_fn)(void *ctx, uint64_t index, struct jobs_record *out);
/* A run that counts (called in the parent, in no particular order). */
typedef void (*jobs_commit_fn)(void *ctx, const struct jobs_record *r);

struct jobs_outcome {
	bool failed;
	uint64_t fail_index;    /* the lowest failing index, when failed */
	bool interrupted;       /* SIGINT (campaign_interrupted) stopped it */
	uint64_t resume_index;  /* lowest index no worker ran (when stopped early) */
};

/* Run indices [0, limit) with `jobs` workers (2..CAMPAIGN_JOBS_MAX). Returns
 * false (message in err) if the workers could not be started. */
bool jobs_explore(unsigned jobs, uint64_t limit, jobs_run_fn run, void *run_ctx,
		  jobs_commit_fn commit, void *commit_ctx, struct jobs_outcome *out, char *err,
		  size_t cap);

#endif /* WEFT_JOBS_H */
