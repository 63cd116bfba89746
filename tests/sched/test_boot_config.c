/*
 * test_boot_config.c — k_boot refuses a bad configuration with -K_EINVAL
 * before it touches anything (no memory init, no thread, no core taken),
 * and takes the limits themselves: the longest slice (K_SLICE_MAX_NS),
 * the most and least urgent main priority, every core. Each refusal is
 * followed by a good boot in the same simulator run, so a refusal that
 * left half a kernel behind fails the boot that comes after it.
 *
 *   sched_boot_config    (no arguments)
 */
#include <stdio.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sched_oracles.h"

#include <k/sched.h>
#include <k/thread.h>

#define REGION_BYTES (8u << 20)
#define STEP_BUDGET 2000000u
#define CORES 2u

static struct {
	struct k_boot_config bc;
	int refused_rc;      /* k_boot's answer to the bad configuration */
	unsigned cores_after_refusal;
	int boot_rc;         /* the good boot after it */
	unsigned main_runs;
	unsigned cores_seen; /* k_sched_cores() inside main */
} t;

static void kernel_main(void *arg)
{
	CHECK(arg == &t);
	t.main_runs++;
	t.cores_seen = k_sched_cores();
}

static void sim_main(void *arg)
{
	struct k_boot_config *bad = arg;
	t.refused_rc = bad ? k_boot(bad) : -K_EINVAL;
	if (!bad)
		(void)k_boot(NULL);
	t.cores_after_refusal = k_sched_cores();
	t.boot_rc = k_boot(&t.bc);
}

/* Refuse `bad` (NULL: k_boot(NULL)), then boot t.bc; both on CORES cores. */
static void run_case(const char *name, struct k_boot_config *bad, int want_refusal)
{
	t.refused_rc = 1;
	t.cores_after_refusal = ~0u;
	t.boot_rc = 1;
	t.main_runs = 0;
	t.cores_seen = 0;
	struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
	bsp_sim_setup(&opt);
	bsp_sim_console_capture(true);
	sim_config_t cfg = {
		.cores = CORES,
		.step_budget = STEP_BUDGET,
		.on_step = sched_oracle_step,
		.on_all_idle = sched_oracle_all_idle,
	};
	sim_result_t res;
	enum sim_outcome o = bsp_sim_run(&cfg, sim_main, bad, &res);
	if (o != SIM_OK || t.refused_rc != want_refusal || t.cores_after_refusal != 0 ||
	    t.boot_rc != 0 || t.main_runs != 1) {
		fprintf(stderr,
			"%s: outcome %d (%s), refusal %d (want %d), cores after it %u, "
			"boot %d, main ran %u times\n",
			name, (int)o, res.message, t.refused_rc, want_refusal,
			t.cores_after_refusal, t.boot_rc, t.main_runs);
		CHECK(false);
	} else {
		CHECK(true);
		printf("%s: refused %d, then booted\n", name, t.refused_rc);
	}
	sim_result_free(&res);
	bsp_sim_teardown();
}

static struct k_boot_config good(void)
{
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	bc.main_arg = &t;
	return bc;
}

int main(void)
{
	struct k_boot_config bad;

	t.bc = good();
	run_case("null config", NULL, -K_EINVAL);

	bad = good();
	bad.main = NULL;
	run_case("no main", &bad, -K_EINVAL);

	bad = good();
	bad.main_priority = K_PRIO_MAX + 1u;
	run_case("priority above K_PRIO_MAX", &bad, -K_EINVAL);

	bad = good();
	bad.slice_ns = K_SLICE_MAX_NS + 1u;
	run_case("slice above K_SLICE_MAX_NS", &bad, -K_EINVAL);

	bad = good();
	bad.slice_ns = UINT64_MAX;
	run_case("slice UINT64_MAX", &bad, -K_EINVAL);

	bad = good();
	bad.cores = CORES + 1u;
	run_case("more cores than the board", &bad, -K_EINVAL);

	/* The limits themselves are taken: the good boot uses each in turn. */
	t.bc = good();
	t.bc.slice_ns = K_SLICE_MAX_NS;
	t.bc.main_priority = K_PRIO_MAX;
	t.bc.cores = CORES;
	bad = good();
	bad.main = NULL;
	run_case("longest slice, K_PRIO_MAX, every core", &bad, -K_EINVAL);
	CHECK_EQ_U64(t.cores_seen, CORES);

	t.bc = good();
	t.bc.slice_ns = 1u;
	t.bc.main_priority = K_PRIO_MIN;
	t.bc.cores = 1u;
	run_case("1 ns slice, K_PRIO_MIN, one core", &bad, -K_EINVAL);
	CHECK_EQ_U64(t.cores_seen, 1u);

	return check_report();
}
