/*
 * test_selftest.c — boot the kernel on the simulator and run its K_TEST
 * self-tests, at a given core count, for seeds 1..S of the random strategy.
 * Oracles: the run ends SIM_OK (no K_ASSERT, no deadlock, no budget), every
 * self-test passes, k_sched_check holds between steps, and after shutdown no
 * process memory is left.
 *
 *   sched_selftest --cores N [--seeds S] [--first-seed F] [--prefix NAME]
 *                  [--check-every K] [--verbose]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sched_oracles.h"

#include <k/mem.h>
#include <k/sched.h>
#include <k/test.h>

#define REGION_BYTES (64u << 20)
#define STEP_BUDGET 200000000u

static struct {
	const char *prefix;
	struct k_test_result result;
	int boot_rc;
	bool main_done;
	size_t leaked_bytes;   /* process owners' bytes after shutdown */
	unsigned threads_total;
} run;

static void kernel_main(void *arg)
{
	(void)arg;
	k_test_run(run.prefix, &run.result);
	struct k_sched_stats st;
	k_sched_stats(&st);
	run.threads_total = st.threads_total;
	run.main_done = true;
}

static void sim_main(void *arg)
{
	(void)arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	run.boot_rc = k_boot(&bc);
	struct k_mem_stats ms;
	k_mem_stats(&ms);
	run.leaked_bytes = 0;
	for (unsigned i = 1; i < K_MEM_OWNERS_MAX; i++)
		run.leaked_bytes += ms.owner[i].used_bytes;
}

static void usage(void)
{
	fprintf(stderr, "usage: sched_selftest --cores N [--seeds S] [--first-seed F] "
			"[--prefix NAME] [--check-every K] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned cores = 1, seeds = 1;
	uint64_t first_seed = 1, check_every = 1;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--verbose")) {
			verbose = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--cores"))
			cores = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--seeds"))
			seeds = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--first-seed"))
			first_seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--prefix"))
			run.prefix = v;
		else if (!strcmp(a, "--check-every"))
			check_every = strtoull(v, NULL, 10);
		else
			usage();
	}
	if (cores < 1 || cores > SIM_CORES_MAX || seeds < 1)
		usage();

	for (uint64_t seed = first_seed; seed < first_seed + seeds; seed++) {
		struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
		bsp_sim_setup(&opt);
		bsp_sim_console_capture(!verbose);
		memset(&run.result, 0, sizeof run.result);
		run.boot_rc = -1;
		run.main_done = false;
		run.leaked_bytes = 0;
		sim_strategy_t strat;
		sim_strategy_storage_t storage;
		sim_strategy_random(&strat, &storage, seed, 0);
		sim_config_t cfg = {
			.cores = cores,
			.strategy = &strat,
			.step_budget = STEP_BUDGET,
			.on_step = sched_oracle_step,
			.check_every = check_every,
			.on_all_idle = sched_oracle_all_idle,
		};
		sim_result_t res;
		enum sim_outcome outcome = bsp_sim_run(&cfg, sim_main, NULL, &res);
		bool ok = outcome == SIM_OK && run.boot_rc == 0 && run.main_done &&
			  run.result.failed == 0 && run.result.passed > 0 && run.leaked_bytes == 0;
		printf("cores %u seed %" PRIu64 ": %s — %u passed, %u failed, %u skipped; "
		       "%u threads, %" PRIu64 " steps, %" PRIu64 " ns virtual%s%s\n",
		       cores, seed, ok ? "ok" : "FAILED", run.result.passed, run.result.failed,
		       run.result.skipped, run.threads_total, res.steps, res.time_ns,
		       outcome != SIM_OK ? "; " : "", outcome != SIM_OK ? res.message : "");
		if (!ok && !verbose)
			fputs(bsp_sim_console(), stdout);
		CHECK(outcome == SIM_OK);
		CHECK(run.boot_rc == 0);
		CHECK(run.main_done);
		CHECK(run.result.failed == 0);
		CHECK(run.result.passed > 0);
		CHECK_EQ_U64(run.leaked_bytes, 0);
		sim_result_free(&res);
		bsp_sim_teardown();
	}
	return check_report();
}
