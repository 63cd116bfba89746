/*
 * test_determinism.c — sim_check_determinism on a deterministic multi-core
 * workload (agrees), and on one that leaks a counter surviving across runs
 * into the state hash (names the first step where the runs part).
 */
#include <string.h>

#include "check.h"
#include "planted_race.h"

typedef struct det_ctx {
	unsigned cores;
	bool leak;
	uint64_t leak_steps[2]; /* mixed.leak_step of each run */
	unsigned runs;
} det_ctx_t;

static enum sim_outcome det_run(void *ctxp, sim_strategy_t *strategy, sim_result_t *out)
{
	det_ctx_t *ctx = ctxp;
	enum sim_outcome o = mixed_run(ctx->cores, ctx->leak, strategy, true, out);
	if (ctx->runs < 2)
		ctx->leak_steps[ctx->runs] = mixed.leak_step;
	ctx->runs++;
	return o;
}

static void test_deterministic(void)
{
	for (unsigned cores = 1; cores <= 8; cores *= 2) {
		for (uint64_t seed = 1; seed <= 5; seed++) {
			sim_strategy_t a, b;
			sim_strategy_storage_t sa, sb;
			sim_strategy_random(&a, &sa, seed, 50000);
			sim_strategy_random(&b, &sb, seed, 50000);
			det_ctx_t ctx = {.cores = cores};
			char msg[SIM_MESSAGE_MAX];
			int64_t step = sim_check_determinism(det_run, &ctx, &a, &b, msg, sizeof msg);
			CHECK_EQ_U64(step, (uint64_t)-1);
			CHECK(strncmp(msg, "deterministic:", 14) == 0);
			CHECK_EQ_U64(ctx.runs, 2);
		}
	}
	/* The same strategy object twice: begin() resets it. */
	sim_strategy_t p;
	sim_strategy_storage_t sp;
	sim_strategy_pct(&p, &sp, 9, 3, 200);
	det_ctx_t ctx = {.cores = 4};
	char msg[SIM_MESSAGE_MAX];
	CHECK_EQ_U64(sim_check_determinism(det_run, &ctx, &p, &p, msg, sizeof msg), (uint64_t)-1);
}

static void test_nondeterministic(void)
{
	sim_strategy_t a, b;
	sim_strategy_storage_t sa, sb;
	sim_strategy_random(&a, &sa, 3, 0);
	sim_strategy_random(&b, &sb, 3, 0);
	det_ctx_t ctx = {.cores = 4, .leak = true};
	char msg[SIM_MESSAGE_MAX];
	int64_t step = sim_check_determinism(det_run, &ctx, &a, &b, msg, sizeof msg);
	printf("leaking workload: %s\n", msg);
	/* The counter is mixed in after `leak_step` points: the hash recorded
	 * at the next point (0-based index leak_step) is the first to differ. */
	CHECK_EQ_U64(ctx.leak_steps[0], ctx.leak_steps[1]);
	CHECK(ctx.leak_steps[0] > 0);
	CHECK_EQ_U64(step, ctx.leak_steps[0]);
	char expect[64];
	snprintf(expect, sizeof expect, "runs part at step %llu", (unsigned long long)step);
	CHECK(strstr(msg, expect) != NULL);
	CHECK(strstr(msg, "the decisions agree") != NULL);

	/* Different seeds part at the first decision that differs. */
	sim_strategy_random(&b, &sb, 4, 0);
	ctx.leak = false;
	step = sim_check_determinism(det_run, &ctx, &a, &b, msg, sizeof msg);
	CHECK(step >= 0);
	CHECK(strstr(msg, "first differing decision") != NULL);
}

int main(void)
{
	test_deterministic();
	test_nondeterministic();
	return check_report();
}
