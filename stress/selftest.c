/*
 * selftest.c — the kernel's K_TEST self-tests as a workload, so they run
 * under `weft explore` with any seed, strategy and core count (and with
 * every harness oracle between steps), not only the few fixed seeds of the
 * sched_selftest unit test.
 *
 * Left out: self-tests whose checks hold only under a fair schedule (they
 * measure how work spreads over cores, which an adversarial strategy such as
 * PCT may legitimately starve). They still run in sched_selftest; the
 * promises behind them are watched under every schedule by the harness
 * (latency, starvation).
 * End check: no self-test failed. A test that needs more cores than the run
 * has skips itself; skips are not failures.
 */
#include <k/test.h>

#include "stress.h"

#define SELFTEST_MAX 4096u

static const char *const selftest_fair_only[] = {
	"affinity_honoured_and_idle_cores_pull", /* "busy threads spread over the cores" */
	/* "mostly alternates": with slice ends as decisions, a slice may end
	 * between every record and its yield. */
	"yield_alternates_equals",
};

static struct k_test_result st_result;

static bool st_starts_with(const char *s, const char *prefix)
{
	size_t i = 0;
	for (; prefix[i] && s[i] == prefix[i]; i++)
		;
	return prefix[i] == '\0';
}

static bool st_same(const char *a, const char *b)
{
	return st_starts_with(a, b) && st_starts_with(b, a);
}

static bool st_fair_only(const char *name)
{
	for (size_t i = 0; i < sizeof selftest_fair_only / sizeof selftest_fair_only[0]; i++)
		if (st_same(name, selftest_fair_only[i]))
			return true;
	return false;
}

/* k_test_run selects by prefix: a test whose name starts with the name of
 * one already run (e.g. mutex_priority_inheritance_chain) ran with it. */
static bool st_covered(size_t index)
{
	const char *name = k_test_at(index)->name;
	for (size_t j = 0; j < index; j++) {
		const char *earlier = k_test_at(j)->name;
		if (!st_fair_only(earlier) && st_starts_with(name, earlier))
			return true;
	}
	return false;
}

static int selftest_main(void)
{
	st_result = (struct k_test_result){0};
	size_t n = k_test_count();
	for (size_t i = 0; i < n && i < SELFTEST_MAX; i++) {
		const char *name = k_test_at(i)->name;
		if (st_fair_only(name) || st_covered(i))
			continue;
		struct k_test_result r = {0};
		(void)k_test_run(name, &r);
		st_result.passed += r.passed;
		st_result.failed += r.failed;
		st_result.skipped += r.skipped;
	}
	return 0;
}

static int selftest_check(char *msg, size_t cap)
{
	if (st_result.failed)
		return stress_fail2(msg, cap, "", st_result.failed, " self-tests failed (", st_result.passed,
				    " passed; the console names them: weft run selftest --log)");
	if (st_result.passed == 0)
		return stress_fail_text(msg, cap, "no self-test ran (none linked?)");
	return 0;
}

/* The self-tests use default-sized stacks (64 KiB) and up to a dozen threads
 * at once, and the memory tests take large blocks. */
#define SELFTEST_REGION_BYTES (8u << 20)

K_WORKLOAD_MEM(selftest, "selftest", "every kernel K_TEST self-test, under the schedule being explored",
	       selftest_main, selftest_check, SELFTEST_REGION_BYTES);
