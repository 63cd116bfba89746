/*
 * test_static_modules.c — the static modules of modules/samples/ boot on
 * the simulator in level-then-name order, finish in reverse, a failed init
 * is skipped and reported, and the two modules that share the global names
 * `counter` and `helper` each use their own; for several seeds and core
 * counts.
 *
 *   loader_static --cores N [--seeds S] [--table] [--required]
 *
 * --table: this binary also links the generated table (weft_modules_table):
 * the kernel then boots from the table, and the test first proves that the
 * linker's section and the table give the same boot order.
 * --required: the binary links the required module `must` whose init fails:
 * the boot stops before main, k_boot returns -K_EIO, the started modules are
 * finished in reverse.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sample_log.h"
#include "sched/sched_oracles.h"

#include <k/mem.h>
#include <k/module.h>
#include <k/sched.h>

#define REGION_BYTES (8u << 20)
#define STEP_BUDGET 10000000u

static int boot_rc;
static int status_failing, status_alpha, status_nosuch; /* seen by main */

static void kernel_main(void *arg)
{
	(void)arg;
	sample_note("main");
	status_failing = k_module_status("failing");
	status_alpha = k_module_status("alpha");
	status_nosuch = k_module_status("nosuch");
}

static void sim_main(void *arg)
{
	(void)arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	boot_rc = k_boot(&bc);
}

static void usage(void)
{
	fprintf(stderr, "usage: loader_static --cores N [--seeds S] [--table] [--required]\n");
	exit(2);
}

/* Both forms linked: the same boot order, descriptor by descriptor. */
static void check_forms_agree(void)
{
	struct k_section linker = K_SECTION_REF_LINKER(weft_modules);
	struct k_section table = K_SECTION_REF_TABLE(weft_modules);
	const struct k_module *a[K_MODULES_MAX], *b[K_MODULES_MAX];
	int na = k_module_boot_order(&linker, a, K_MODULES_MAX);
	int nb = k_module_boot_order(&table, b, K_MODULES_MAX);
	CHECK(na > 0);
	CHECK_EQ_U64((uint64_t)na, (uint64_t)nb);
	bool same = na == nb && na > 0;
	for (int i = 0; same && i < na; i++)
		same = a[i] == b[i];
	CHECK(same);
	printf("boot order, section and generated table (%d modules): %s\n", na,
	       same ? "same" : "DIFFERENT");
	for (int i = 0; i < na && i < nb; i++)
		printf("  %d: %s (level %u) | %s\n", i, a[i]->name, a[i]->level, b[i]->name);
	/* The link order itself differs from the boot order (else the test
	 * could not tell the two apart). */
	bool link_is_boot = true;
	for (int i = 0; link_is_boot && i < na; i++)
		link_is_boot = k_section_at(&linker, (size_t)i) == a[i];
	CHECK(!link_is_boot);
}

static void check_required_run(void)
{
	static const char *const want[] = {"init zeta", "init beta",  "init alpha", "init mid",
					   "init must", "fini mid",   "fini alpha", "fini beta",
					   "fini zeta"};
	size_t n = sizeof want / sizeof want[0];
	CHECK_EQ_U64(sample_log_count(), n);
	for (size_t i = 0; i < n && i < sample_log_count(); i++) {
		if (strcmp(sample_log_at(i), want[i]) != 0)
			printf("  event %zu: expected '%s', got '%s'\n", i, want[i], sample_log_at(i));
		CHECK(strcmp(sample_log_at(i), want[i]) == 0);
	}
	CHECK(boot_rc == -K_EIO);
	CHECK(strstr(bsp_sim_console(), "module must: init failed -K_EIO, required: boot stops") != NULL);
	CHECK(k_module_status("must") == -K_ENOENT); /* no record once the boot ended */
}

static void check_normal_run(bool twins)
{
	char msg[256] = "";
	int rc = sample_log_check(twins, msg, sizeof msg);
	if (rc != 0)
		printf("  %s\n", msg);
	CHECK(rc == 0);
	CHECK(boot_rc == 0);
	CHECK(strstr(bsp_sim_console(), "module failing: init failed -K_EIO, boot goes on without it") != NULL);
	CHECK(status_failing == -K_EIO);
	CHECK(status_alpha == 1); /* running while main ran */
	CHECK(status_nosuch == -K_ENOENT);
	CHECK(k_module_status("alpha") == -K_ENOENT); /* no record once the boot ended */
}

int main(int argc, char **argv)
{
	unsigned cores = 1, seeds = 1;
	bool table = false, required = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--table"))
			table = true;
		else if (!strcmp(argv[i], "--required"))
			required = true;
		else if (!strcmp(argv[i], "--cores") && i + 1 < argc)
			cores = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (cores < 1 || cores > SIM_CORES_MAX || seeds < 1)
		usage();
	struct k_section linked = K_SECTION_REF(weft_modules);
	CHECK(k_section_from_table(&linked) == table);
	if (table)
		check_forms_agree();
	bool twins = k_module_count() >= 7u;
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
		bsp_sim_setup(&opt);
		bsp_sim_console_capture(true);
		sample_log_reset();
		boot_rc = 1;
		status_failing = status_alpha = status_nosuch = 1;
		sim_strategy_t strat;
		sim_strategy_storage_t storage;
		sim_strategy_random(&strat, &storage, seed, 0);
		sim_config_t cfg = {.cores = cores, .strategy = &strat, .step_budget = STEP_BUDGET,
				    .on_step = sched_oracle_step, .check_every = 1,
				    .on_all_idle = sched_oracle_all_idle};
		sim_result_t res;
		enum sim_outcome outcome = bsp_sim_run(&cfg, sim_main, NULL, &res);
		CHECK(outcome == SIM_OK);
		unsigned before = check_failed_count;
		if (required)
			check_required_run();
		else
			check_normal_run(twins);
		printf("cores %u seed %" PRIu64 ": %zu events, %s%s\n", cores, seed,
		       sample_log_count(), check_failed_count == before ? "as expected" : "WRONG",
		       twins ? " (twins linked)" : "");
		if (check_failed_count != before)
			fputs(bsp_sim_console(), stdout);
		sim_result_free(&res);
		bsp_sim_teardown();
	}
	return check_report();
}
