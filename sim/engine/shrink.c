/*
 * shrink.c — delta debugging over a decision stream.
 *
 * A schedule is fragile: removing one decision shifts every later one onto
 * other points, so the run after it is a different run. The passes are
 * ordered from those that keep the rest aligned to those that do not:
 *  1. the empty stream (many failures need no decision at all);
 *  2. truncation: binary search for the shortest failing prefix (the replay
 *     takes the default once the stream runs out);
 *  3. defaulting in chunks: replace chunks of size count/2, count/4, ... 1 by
 *     SIM_DECISION_DEFAULT ("keep running the current core") in place, so
 *     what remains non-default are the preemptions the failure needs;
 *  4. removal (ddmin-style) of chunks, from the end toward the start, and
 *     simplification of single decisions, repeated while they make progress
 *     and the test budget lasts;
 *  5. trailing defaults are dropped without a test: running out of decisions
 *     and a default decision schedule the same way.
 * The predicate judges each candidate (the CLI accepts only one that fails
 * the same way and is easier to read: fewer preemptions and switches, then
 * decisions, then log lines), so passes 2-4 each keep what it accepts.
 * Passes 3-4 repeat until a whole round accepts nothing (a fixpoint), the
 * budget of predicate calls is spent, or the caller's stop flag is raised.
 * No randomness: the same trace and predicate give the same calls and result.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

typedef struct shrinker {
	sim_trace_t *t;             /* the smallest failing stream so far */
	sim_trace_t candidate;      /* header of t, decisions in scratch */
	sim_decision_t *scratch;
	sim_shrink_pred still_fails;
	void *ctx;
	size_t tests, max_tests;
	const volatile int *stop;   /* nonzero: stop now (Ctrl-C) */
} shrinker_t;

static bool budget_left(const shrinker_t *sh)
{
	if (sh->stop && *sh->stop)
		return false;
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

/* Shortest failing prefix by bisection: prefixes of length <= lo are not
 * known to fail, the current t (length hi) fails. */
static void truncate_pass(shrinker_t *sh)
{
	size_t lo = 0, hi = sh->t->count;
	while (hi - lo > 1 && budget_left(sh)) {
		size_t mid = lo + (hi - lo) / 2;
		memcpy(sh->scratch, sh->t->decisions, mid * sizeof *sh->scratch);
		if (try_candidate(sh, mid))
			hi = mid;
		else
			lo = mid;
	}
}

static bool chunk_has_choice(const sim_trace_t *t, size_t start, size_t len)
{
	for (size_t i = start; i < start + len; i++)
		if (t->decisions[i].value != SIM_DECISION_DEFAULT)
			return true;
	return false;
}

static bool default_pass(shrinker_t *sh)
{
	bool progress = false;
	for (size_t chunk = sh->t->count / 2; chunk >= 1 && budget_left(sh); chunk /= 2) {
		for (size_t start = 0; start < sh->t->count && budget_left(sh); start += chunk) {
			size_t len = start + chunk <= sh->t->count ? chunk : sh->t->count - start;
			if (!chunk_has_choice(sh->t, start, len))
				continue;
			memcpy(sh->scratch, sh->t->decisions, sh->t->count * sizeof *sh->scratch);
			for (size_t i = start; i < start + len; i++)
				sh->scratch[i].value = SIM_DECISION_DEFAULT;
			progress |= try_candidate(sh, sh->t->count);
		}
	}
	return progress;
}

static void drop_trailing_defaults(sim_trace_t *t)
{
	while (t->count > 0 && t->decisions[t->count - 1].value == SIM_DECISION_DEFAULT)
		t->count--;
}

size_t sim_shrink(sim_trace_t *t, sim_shrink_pred still_fails, void *ctx, size_t max_tests)
{
	return sim_shrink_until(t, still_fails, ctx, max_tests, NULL).tests;
}

sim_shrink_status_t sim_shrink_until(sim_trace_t *t, sim_shrink_pred still_fails, void *ctx,
				     size_t max_tests, const volatile int *stop)
{
	sim_shrink_status_t status = {.tests = 0, .end = SIM_SHRINK_BUDGET};
	if (!t || !still_fails || max_tests == 0)
		return status;
	/* Candidates are edited streams: they carry no fit record, so replay
	 * consumes them leniently (sim_strategy_replay). */
	sim_trace_fit_clear(t);
	shrinker_t sh = {.t = t, .candidate = *t, .still_fails = still_fails, .ctx = ctx,
			 .max_tests = max_tests, .stop = stop};
	sh.scratch = malloc((t->count ? t->count : 1) * sizeof *sh.scratch);
	if (!sh.scratch)
		return status;
	sh.candidate.decisions = sh.scratch;
	sh.candidate.capacity = t->count;
	bool fixpoint = false;

	/* The empty stream first: many failures need no decision at all. */
	if (t->count > 0 && !try_candidate(&sh, 0)) {
		truncate_pass(&sh);
		default_pass(&sh);
	}
	/* Each outer round either shrinks the count or defaults a decision:
	 * at most count*2 rounds make progress; the budget ends it sooner. */
	while (budget_left(&sh)) {
		bool progress = removal_pass(&sh);
		progress |= simplify_pass(&sh);
		if (!progress && budget_left(&sh)) {
			fixpoint = true; /* a whole round, none of it cut short */
			break;
		}
	}
	drop_trailing_defaults(t);
	free(sh.scratch);
	SIM_ASSERT(sh.tests <= max_tests);
	status.tests = sh.tests;
	status.end = fixpoint ? SIM_SHRINK_FIXPOINT
		     : (stop && *stop) ? SIM_SHRINK_STOPPED : SIM_SHRINK_BUDGET;
	return status;
}
