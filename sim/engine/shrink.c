/*
 * shrink.c — delta debugging over a decision stream.
 *
 * Two passes, repeated while either makes progress and tests remain:
 *  1. removal (ddmin-style): remove chunks of size count/2, count/4, ... 1,
 *     from the end toward the start (later decisions matter least and
 *     removing them keeps the earlier ones aligned with the run); a chunk
 *     whose removal still fails is gone for good. The size-1 round repeats
 *     until nothing more can go, so the result is 1-minimal when the test
 *     budget allows: no single decision can be removed.
 *  2. simplification: replace each remaining decision, from the start, by
 *     SIM_DECISION_DEFAULT (what the engine does with no strategy).
 * No randomness: the same trace and predicate give the same calls and result.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct shrinker {
	sim_trace_t *t;             /* the smallest failing stream so far */
	sim_trace_t candidate;      /* header of t, decisions in scratch */
	sim_decision_t *scratch;
	sim_shrink_pred still_fails;
	void *ctx;
	size_t tests, max_tests;
} shrinker_t;

static bool budget_left(const shrinker_t *sh)
{
	return sh->tests < sh->max_tests;
}

/* Test candidate.decisions[0..count); on success it becomes the current t. */
static bool try_candidate(shrinker_t *sh, size_t count)
{
	sh->candidate.count = count;
	sh->tests++;
	if (!sh->still_fails(sh->ctx, &sh->candidate))
		return false;
	memcpy(sh->t->decisions, sh->scratch, count * sizeof *sh->scratch);
	sh->t->count = count;
	return true;
}

/* Removes [start, start+len) if the rest still fails. */
static bool try_remove(shrinker_t *sh, size_t start, size_t len)
{
	const sim_trace_t *t = sh->t;
	memcpy(sh->scratch, t->decisions, start * sizeof *sh->scratch);
	memcpy(sh->scratch + start, t->decisions + start + len,
	       (t->count - start - len) * sizeof *sh->scratch);
	return try_candidate(sh, t->count - len);
}

/* One round at chunk size `chunk`, from the end. Returns whether anything
 * was removed. */
static bool remove_round(shrinker_t *sh, size_t chunk)
{
	bool removed = false;
	size_t end = sh->t->count;
	while (end > 0 && budget_left(sh)) {
		size_t start = end > chunk ? end - chunk : 0;
		if (try_remove(sh, start, end - start))
			removed = true;
		end = start;
	}
	return removed;
}

static bool removal_pass(shrinker_t *sh)
{
	bool progress = false;
	size_t chunk = sh->t->count / 2;
	if (chunk < 1)
		chunk = 1;
	while (sh->t->count > 0 && budget_left(sh)) {
		bool removed = remove_round(sh, chunk);
		progress |= removed;
		if (chunk > 1)
			chunk /= 2;
		else if (!removed)
			break;
		if (chunk > sh->t->count)
			chunk = sh->t->count > 1 ? sh->t->count / 2 : 1;
	}
	return progress;
}

static bool simplify_pass(shrinker_t *sh)
{
	bool progress = false;
	for (size_t i = 0; i < sh->t->count && budget_left(sh); i++) {
		if (sh->t->decisions[i].value == SIM_DECISION_DEFAULT)
			continue;
		memcpy(sh->scratch, sh->t->decisions, sh->t->count * sizeof *sh->scratch);
		sh->scratch[i].value = SIM_DECISION_DEFAULT;
		progress |= try_candidate(sh, sh->t->count);
	}
	return progress;
}

size_t sim_shrink(sim_trace_t *t, sim_shrink_pred still_fails, void *ctx, size_t max_tests)
{
	if (!t || !still_fails || max_tests == 0)
		return 0;
	shrinker_t sh = {.t = t, .candidate = *t, .still_fails = still_fails, .ctx = ctx,
			 .max_tests = max_tests};
	sh.scratch = malloc((t->count ? t->count : 1) * sizeof *sh.scratch);
	if (!sh.scratch)
		return 0;
	sh.candidate.decisions = sh.scratch;
	sh.candidate.capacity = t->count;

	/* The empty stream first: many failures need no decision at all. */
	if (t->count > 0)
		try_candidate(&sh, 0);
	/* Each outer round either shrinks the count or defaults a decision:
	 * at most count*2 rounds make progress; the budget ends it sooner. */
	while (budget_left(&sh)) {
		bool progress = removal_pass(&sh);
		progress |= simplify_pass(&sh);
		if (!progress)
			break;
	}
	free(sh.scratch);
	return sh.tests;
}
