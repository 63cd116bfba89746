/*
 * boot.c — one run of a workload: set up host memory, pick the strategy,
 * boot a fresh kernel on the simulated cores, run the workload's main and end
 * check on the first kernel thread, and judge the run with the oracles:
 * K_ASSERT (a panic fails the run), k_sched_check between steps, a
 * starvation bound, the deadlock report when every core idles with threads
 * blocked, the step budget, a leak check after every thread has exited.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <k/mem.h>
#include <k/sched.h>
#include <k/workload.h>

#include "bsp_sim.h"
#include "harness.h"

/* Limits of one run. A workload that needs more is a workload to split. */
#define WEFT_STEP_BUDGET_DEFAULT 4000000u
#define WEFT_REGION_BYTES (4u << 20)
#define WEFT_REGION_SMALL_BYTES ((64u << 10) + 1000u)
#define WEFT_REGION_MISALIGN 24u
/* Longest a ready thread may wait for a core, in virtual ns, before the run
 * fails as starvation: 2000 default slices. */
#define WEFT_STARVATION_NS_MAX (2000u * K_SLICE_DEFAULT_NS)
#define WEFT_CHECK_MSG_MAX 256u

static void workload_thread(void *arg)
{
	const struct k_workload *w = arg;
	int rc = w->main();
	if (rc < 0)
		sim_fail(SIM_FAIL_ORACLE, "workload %s: main failed with error %d", w->name, rc);
	char msg[WEFT_CHECK_MSG_MAX] = "";
	if (w->check(msg, sizeof msg) < 0)
		sim_fail(SIM_FAIL_ORACLE, "workload %s: end check: %s", w->name, msg);
}

static void boot_main(void *arg)
{
	const struct k_workload *w = arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = workload_thread;
	bc.main_arg = (void *)w;
	int rc = k_boot(&bc);
	if (rc < 0)
		sim_fail(SIM_FAIL_ORACLE, "k_boot failed with error %d", rc);
	/* Every thread has exited and been freed: the kernel holds no memory
	 * for anybody, or something leaked. */
	k_mem_check();
	struct k_mem_stats st;
	k_mem_stats(&st);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		if (st.owner[o].used_bytes != 0)
			sim_fail(SIM_FAIL_ORACLE,
				 "leak: owner %u still holds %zu bytes in %zu blocks after every thread exited",
				 o, st.owner[o].used_bytes, st.owner[o].blocks);
	}
	sim_finish();
}

static bool on_step(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	if (k_sched_check(msg, cap) != 0)
		return false;
	uint64_t waited = k_sched_starvation_ns();
	if (waited > WEFT_STARVATION_NS_MAX) {
		snprintf(msg, cap, "starvation: a ready thread waited %" PRIu64 " ns for a core (bound %" PRIu64 ")",
			 waited, (uint64_t)WEFT_STARVATION_NS_MAX);
		return false;
	}
	return true;
}

static bool on_all_idle(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	if (k_sched_finished())
		return true;
	if (k_sched_deadlock_report(msg, cap) == 0)
		snprintf(msg, cap, "every core idle, no timer armed, threads left but none blocked");
	return false;
}

enum sim_outcome weft_run_once(const struct k_workload *w, const struct weft_run_options *opts,
			       sim_result_t *out, char *replay_note, size_t note_cap)
{
	struct bsp_sim_options mem = {
		.region_count = 2,
		.region_bytes = {WEFT_REGION_BYTES, WEFT_REGION_SMALL_BYTES},
		.region_misalign = WEFT_REGION_MISALIGN,
	};
	bsp_sim_setup(&mem);
	if (opts->fault_per_million)
		bsp_sim_fault_decisions(BSP_FAULT_ALLOC, true);

	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	memset(&storage, 0, sizeof storage);
	sim_strategy_t *s = &strategy;
	unsigned depth = 0;
	uint64_t steps = 0;
	char err[160];
	if (opts->replay) {
		sim_strategy_replay(s, &storage, opts->replay);
	} else if (!weft_strategy_parse(opts->strategy, &depth, &steps, err, sizeof err)) {
		/* The CLI parsed it already: reaching here is a harness bug. */
		fprintf(stderr, "weft: %s\n", err);
		s = NULL;
	} else if (depth > 0) {
		sim_strategy_pct(s, &storage, opts->seed, depth, steps);
	} else if (strcmp(opts->strategy, "default") == 0) {
		s = NULL;
	} else {
		sim_strategy_random(s, &storage, opts->seed, opts->fault_per_million);
	}

	sim_config_t cfg = {
		.cores = opts->cores,
		.strategy = s,
		.step_budget = opts->step_budget ? opts->step_budget : WEFT_STEP_BUDGET_DEFAULT,
		.record_step_hashes = opts->step_hashes,
		.log = opts->log,
		.on_all_idle = on_all_idle,
		.on_step = on_step,
		.check_every = 1,
	};
	enum sim_outcome o = bsp_sim_run(&cfg, boot_main, (void *)w, out);
	if (replay_note && note_cap)
		snprintf(replay_note, note_cap, "%s", opts->replay ? storage.note : "");
	bsp_sim_teardown();
	return o;
}
