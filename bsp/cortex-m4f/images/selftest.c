/*
 * selftest.c — the self-test image: boot the kernel on the board's one core
 * and run every registered K_TEST whose name starts with the command line
 * (QEMU -append; empty: all), in a kernel thread. Exit code 0 when none
 * failed and at least one ran, else 1. The runner prints one line per test
 * and "N passed, N failed[, N skipped]"; a test that needs more cores skips
 * itself with the reason and is counted as skipped.
 */
#include <k/mem.h>
#include <k/sched.h>
#include <k/test.h>

#include "bsp_m4f.h"

/* The runner's thread: the tests' own frames are shallow, but some keep
 * arrays of handles on the stack. */
#define SELFTEST_MAIN_STACK_BYTES (16u * 1024u)

static struct k_test_result selftest_result;
static const char *selftest_prefix;

static void selftest_thread(void *arg)
{
	(void)arg;
	(void)k_test_run(selftest_prefix, &selftest_result);
}

int m4f_main(const char *cmdline)
{
	selftest_prefix = (cmdline && cmdline[0] != '\0') ? cmdline : NULL;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = selftest_thread;
	bc.main_stack_bytes = SELFTEST_MAIN_STACK_BYTES;
	int rc = k_boot(&bc);
	if (rc < 0) {
		m4f_puts("selftest: k_boot failed\n");
		return 1;
	}
	(void)k_mem_check();
	if (selftest_result.passed + selftest_result.skipped == 0u) {
		m4f_puts("selftest: no test matched\n");
		return 1;
	}
	return selftest_result.failed == 0u ? 0 : 1;
}
