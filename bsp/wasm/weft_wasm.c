/*
 * weft_wasm.c — the wasm image's main: boots the kernel on the wasm board
 * (bsp_wasm.c) and runs the self-tests or a workload, in node or in the page.
 *
 *   weft selftest [PREFIX] [--seed N]   every K_TEST (name starts with PREFIX)
 *   weft run WORKLOAD [--seed N] [--events]
 *   weft workloads [--seed N]           every workload, a fresh kernel each
 *   weft list                           workload names, one a line
 *   weft order                          the section and the generated tables agree
 *
 * Every command ends with "N passed, N failed" (", N skipped"); the exit
 * status is the verdict: 0 all held, 1 a failure, 2 bad usage (one line on
 * stderr). Descriptors come from the build-generated tables
 * (weft_descriptor_table): the form collection takes on wasm.
 *
 * Oracles, as on the simulator where one core has them: K_ASSERT (a panic
 * ends the run with status 1), the workload's end check, k_mem_check and no
 * memory left to any owner once every thread has exited, and the deadlock
 * report when the core has nothing left to wait for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/mem.h>
#include <k/sched.h>
#include <k/test.h>
#include <k/workload.h>

#include "bsp_wasm.h"

#define WEFT_WASM_REGION_BYTES (16u << 20)
/* The first kernel thread (the test runner or the workload's main). */
#define WEFT_WASM_MAIN_STACK_BYTES (64u << 10)
#define WEFT_WASM_MSG_MAX 512u
#define WEFT_WASM_DESCRIPTORS_MAX 10000u

static struct {
	const char *command;
	const char *arg;       /* PREFIX or WORKLOAD */
	uint64_t seed;
	bool events;
	const struct k_workload *workload;
	struct k_test_result tests;
	int main_rc;           /* workload main's return */
	int check_rc;          /* workload check's return */
	bool main_done;
	char msg[WEFT_WASM_MSG_MAX];
	unsigned passed;
	unsigned failed;
} run;

static void usage(const char *why)
{
	fprintf(stderr, "weft: %s (usage: weft selftest [PREFIX] | run WORKLOAD | workloads | list | order; "
			"options --seed N, --events)\n", why);
	bsp_wasm_exit(2);
}

static size_t workload_count(void)
{
	if (&weft_workloads_table_count == NULL)
		return 0; /* an image built without workloads */
	size_t n = weft_workloads_table_count;
	if (n > WEFT_WASM_DESCRIPTORS_MAX || weft_workloads_table[n] != NULL)
		usage("the generated workload table is damaged");
	return n;
}

static const struct k_workload *workload_find(const char *name)
{
	size_t n = workload_count();
	for (size_t i = 0; i < n; i++)
		if (strcmp(weft_workloads_table[i]->name, name) == 0)
			return weft_workloads_table[i];
	return NULL;
}

/* The summary line and the exit status of the whole command. */
static _Noreturn void finish(void)
{
	printf("%u passed, %u failed\n", run.passed, run.failed);
	fflush(stdout);
	bsp_wasm_exit(run.failed == 0u && run.passed > 0u ? 0 : 1);
}

/* bsp_panic already printed where: count the failure and end. */
static void on_panic(void)
{
	if (run.workload)
		printf("FAIL %s (seed %llu): kernel panic\n", run.workload->name,
		       (unsigned long long)run.seed);
	run.failed++;
	printf("%u passed, %u failed\n", run.passed, run.failed);
}

static void on_stuck(void)
{
	char report[WEFT_WASM_MSG_MAX];
	size_t blocked = k_sched_deadlock_report(report, sizeof report);
	printf("deadlock: the core has nothing to wait for; %zu thread(s) blocked: %s\n", blocked,
	       blocked ? report : "(none)");
}

static void boot_setup(void)
{
	struct bsp_wasm_options o = {
		.seed = run.seed,
		.region_bytes = WEFT_WASM_REGION_BYTES,
		.trace_to_js = run.events,
	};
	if (bsp_wasm_setup(&o) < 0) {
		printf("weft: the wasm heap cannot give %u bytes of kernel memory\n",
		       (unsigned)WEFT_WASM_REGION_BYTES);
		run.failed++;
		finish();
	}
}

/* After k_boot returned: every thread exited, so no owner holds memory. */
static bool memory_clean(char *msg, size_t cap)
{
	k_mem_check();
	struct k_mem_stats st;
	k_mem_stats(&st);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		if (st.owner[o].used_bytes != 0u) {
			snprintf(msg, cap, "leak: owner %u still holds %zu bytes in %zu blocks", o,
				 st.owner[o].used_bytes, st.owner[o].blocks);
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------- selftest */

static void selftest_thread(void *arg)
{
	(void)arg;
	(void)k_test_run(run.arg, &run.tests);
	run.main_done = true;
}

static _Noreturn void cmd_selftest(void)
{
	boot_setup();
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = selftest_thread;
	bc.main_stack_bytes = WEFT_WASM_MAIN_STACK_BYTES;
	int rc = k_boot(&bc);
	char msg[WEFT_WASM_MSG_MAX] = "";
	bool ok = rc == 0 && run.main_done && memory_clean(msg, sizeof msg);
	printf("selftest: one core, seed %llu, %llu points, %llu switches: %s%s%s\n",
	       (unsigned long long)run.seed, (unsigned long long)bsp_wasm_points(),
	       (unsigned long long)bsp_wasm_switches(), ok ? "kernel clean after the tests" : "FAILED",
	       ok ? "" : " — ", ok ? "" : (rc != 0 ? "k_boot failed" : msg));
	/* The closing line repeats k_test_run's, with a failed boot or leak
	 * check counted as one more failure: the exit status says the same. */
	unsigned failed = run.tests.failed + (ok ? 0u : 1u);
	printf("%u passed, %u failed", run.tests.passed, failed);
	if (run.tests.skipped)
		printf(", %u skipped", run.tests.skipped);
	printf("\n");
	fflush(stdout);
	bsp_wasm_exit(failed == 0u && run.tests.passed > 0u ? 0 : 1);
}

/* -------------------------------------------------------------- workloads */

static void workload_thread(void *arg)
{
	const struct k_workload *wl = arg;
	run.main_rc = wl->main();
	run.check_rc = run.main_rc < 0 ? 0 : wl->check(run.msg, sizeof run.msg);
	run.main_done = true;
}

/* One workload in a fresh kernel; counts and prints its verdict. */
static void workload_once(const struct k_workload *wl)
{
	run.workload = wl;
	run.main_done = false;
	run.main_rc = 0;
	run.check_rc = 0;
	run.msg[0] = '\0';
	boot_setup();
	printf("run %s: one core, seed %llu\n", wl->name, (unsigned long long)run.seed);
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = workload_thread;
	bc.main_arg = (void *)wl;
	bc.main_stack_bytes = WEFT_WASM_MAIN_STACK_BYTES;
	int rc = k_boot(&bc);
	char why[WEFT_WASM_MSG_MAX] = "";
	if (rc < 0)
		snprintf(why, sizeof why, "k_boot failed with error %d", rc);
	else if (!run.main_done)
		snprintf(why, sizeof why, "the workload's main thread never finished");
	else if (run.main_rc < 0)
		snprintf(why, sizeof why, "main failed with error %d", run.main_rc);
	else if (run.check_rc < 0)
		snprintf(why, sizeof why, "end check: %s", run.msg);
	else
		(void)memory_clean(why, sizeof why);
	if (why[0] == '\0') {
		run.passed++;
		printf("ok   %s (%llu points, %llu switches)\n", wl->name,
		       (unsigned long long)bsp_wasm_points(), (unsigned long long)bsp_wasm_switches());
	} else {
		run.failed++;
		printf("FAIL %s (seed %llu): %s\n", wl->name, (unsigned long long)run.seed, why);
	}
	run.workload = NULL;
}

static _Noreturn void cmd_run(void)
{
	if (!run.arg)
		usage("run needs a workload name");
	const struct k_workload *wl = workload_find(run.arg);
	if (!wl) {
		fprintf(stderr, "weft: no workload named '%s' (weft list)\n", run.arg);
		bsp_wasm_exit(2);
	}
	workload_once(wl);
	finish();
}

static _Noreturn void cmd_workloads(void)
{
	size_t n = workload_count();
	for (size_t i = 0; i < n; i++)
		workload_once(weft_workloads_table[i]);
	finish();
}

static _Noreturn void cmd_list(void)
{
	size_t n = workload_count();
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\n", weft_workloads_table[i]->name, weft_workloads_table[i]->summary);
	bsp_wasm_exit(0);
}

/* ------------------------------------------------------------------ order */

/* wasm-ld also defines __start_/__stop_ for the sections, since every
 * descriptor is a global: both lists exist here, and must be the same list
 * in the same order (the table is what the build uses; the section is what
 * every ELF target uses). */
static void order_compare(const char *what, size_t section_n, size_t table_n,
			  const void *const *table, const void *section, size_t stride)
{
	bool same = section_n == table_n && section_n > 0u;
	for (size_t i = 0; same && i < section_n; i++)
		same = table[i] == (const char *)section + i * stride;
	printf("%s %s: section %zu, table %zu descriptors, %s\n", same ? "ok  " : "FAIL", what,
	       section_n, table_n, same ? "same order" : "DIFFERENT");
	if (same)
		run.passed++;
	else
		run.failed++;
}

static _Noreturn void cmd_order(void)
{
	size_t ts = (__start_weft_tests && __stop_weft_tests)
			    ? (size_t)(__stop_weft_tests - __start_weft_tests) : 0u;
	order_compare("weft_tests", ts, k_test_count(), (const void *const *)weft_tests_table,
		      __start_weft_tests, sizeof(struct k_test));
	for (size_t i = 0; i < k_test_count() && i < ts; i++)
		if (k_test_at(i) != &__start_weft_tests[i])
			printf("  #%zu: table %s, section %s\n", i, k_test_at(i)->name,
			       __start_weft_tests[i].name);
	size_t ws = (__start_weft_workloads && __stop_weft_workloads)
			    ? (size_t)(__stop_weft_workloads - __start_weft_workloads) : 0u;
	order_compare("weft_workloads", ws, workload_count(),
		      (const void *const *)weft_workloads_table, __start_weft_workloads,
		      sizeof(struct k_workload));
	finish();
}

/* ------------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	if (argc < 2)
		usage("no command");
	run.command = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--events") == 0) {
			run.events = true;
		} else if (strcmp(a, "--seed") == 0) {
			char *end = NULL;
			if (i + 1 >= argc)
				usage("--seed needs a number");
			run.seed = strtoull(argv[++i], &end, 10);
			if (!end || *end != '\0')
				usage("--seed needs a number");
		} else if (a[0] == '-' || run.arg) {
			usage("unexpected argument");
		} else {
			run.arg = a;
		}
	}
	bsp_wasm_on_panic(on_panic);
	bsp_wasm_on_stuck(on_stuck);
	if (strcmp(run.command, "selftest") == 0)
		cmd_selftest();
	if (strcmp(run.command, "run") == 0)
		cmd_run();
	if (strcmp(run.command, "workloads") == 0)
		cmd_workloads();
	if (strcmp(run.command, "list") == 0)
		cmd_list();
	if (strcmp(run.command, "order") == 0)
		cmd_order();
	usage("unknown command");
}
