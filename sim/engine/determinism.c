/*
 * determinism.c — the determinism self-check: run the same thing twice and
 * name the first step where the two runs part.
 *
 * `run` must build its config with record_step_hashes set (the hashes are
 * what is compared); strategy_a and strategy_b must be two sources of the
 * same decisions (e.g. two random strategies with one seed). Without step
 * hashes the check still compares steps, decisions, outcome and final hash,
 * and says that the step hashes were missing.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

/* First step whose hash differs, or -1 if the hashes agree on every step. */
static int64_t first_step_difference(const sim_result_t *a, const sim_result_t *b)
{
	uint64_t n = a->steps < b->steps ? a->steps : b->steps;
	if (a->step_hashes && b->step_hashes)
		for (uint64_t i = 0; i < n; i++)
			if (a->step_hashes[i] != b->step_hashes[i])
				return (int64_t)i;
	if (a->steps != b->steps)
		return (int64_t)n;
	return -1;
}

static void describe(const sim_result_t *a, const sim_result_t *b, int64_t step,
		     char *msg, size_t cap)
{
	int64_t decision = sim_trace_first_difference(&a->decisions, &b->decisions);
	char decision_text[96] = "the decisions agree";
	if (decision >= 0)
		snprintf(decision_text, sizeof decision_text, "first differing decision %lld",
			 (long long)decision);
	const bool hashed = a->step_hashes && b->step_hashes;
	if (hashed && step >= 0 && (uint64_t)step < a->steps && (uint64_t)step < b->steps)
		snprintf(msg, cap,
			 "not deterministic: runs part at step %lld (hash %016llx vs %016llx); %s",
			 (long long)step, (unsigned long long)a->step_hashes[step],
			 (unsigned long long)b->step_hashes[step], decision_text);
	else if (step >= 0)
		snprintf(msg, cap,
			 "not deterministic: one run took %llu steps, the other %llu "
			 "(they agree up to step %lld)%s; %s",
			 (unsigned long long)a->steps, (unsigned long long)b->steps, (long long)step,
			 hashed ? "" : " (step hashes not recorded)", decision_text);
	else
		snprintf(msg, cap,
			 "not deterministic: same %llu steps%s, but %s "
			 "(outcome %d vs %d, final hash %016llx vs %016llx)",
			 (unsigned long long)a->steps, hashed ? " and step hashes" : "",
			 decision_text, (int)a->outcome, (int)b->outcome,
			 (unsigned long long)a->final_hash, (unsigned long long)b->final_hash);
}

int64_t sim_check_determinism(sim_run_fn run, void *ctx, sim_strategy_t *strategy_a,
			      sim_strategy_t *strategy_b, char *msg, size_t cap)
{
	char scratch[SIM_MESSAGE_MAX];
	if (!msg || cap == 0) {
		msg = scratch;
		cap = sizeof scratch;
	}
	sim_result_t a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	run(ctx, strategy_a, &a);
	run(ctx, strategy_b, &b);

	int64_t step = first_step_difference(&a, &b);
	int64_t decision = sim_trace_first_difference(&a.decisions, &b.decisions);
	bool same_end = a.outcome == b.outcome && a.final_hash == b.final_hash;
	int64_t verdict = step;
	if (step >= 0 || decision >= 0 || !same_end) {
		/* Parted somewhere the step hashes did not show: blame the last
		 * step, the earliest one that can hold the difference. */
		if (verdict < 0)
			verdict = a.steps ? (int64_t)a.steps - 1 : 0;
		describe(&a, &b, step, msg, cap);
	} else {
		snprintf(msg, cap, "deterministic: %llu steps, %zu decisions, final hash %016llx%s",
			 (unsigned long long)a.steps, a.decisions.count,
			 (unsigned long long)a.final_hash,
			 a.step_hashes ? "" : " (step hashes not recorded: only the end compared)");
	}
	sim_result_free(&a);
	sim_result_free(&b);
	return verdict;
}
