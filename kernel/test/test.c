/*
 * test.c — the self-test runner: every K_TEST descriptor in the `weft_tests`
 * section, in section order, one console line each, then
 * "N passed, N failed" (", N skipped"). The list comes from the section or,
 * in a build that links one (wasm), from the generated table (k/test.h).
 *
 * Failures may be recorded from any thread on any core (tests start helper
 * threads), so the counters are BSP atomics.
 */
#include <bsp.h>
#include <k/assert.h>
#include <k/decimal.h>
#include <k/test.h>

#define TEST_LINE_MAX 256u
#define TEST_COUNT_MAX 100000u

static bsp_atomic_t test_failures; /* checks failed in the running test */
static bsp_atomic_t test_skipped;  /* the running test called k_test_skip */

static void out(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && n < TEST_LINE_MAX)
		n++;
	bsp_console_write(s, n);
}

static void out_u(unsigned long long v)
{
	char digits[K_DECIMAL_U64_DIGITS_MAX];
	unsigned n = k_decimal_u64(v, digits);
	bsp_console_write(digits, n);
}

size_t k_test_count(void)
{
	struct k_section s = K_SECTION_REF(weft_tests);
	size_t n = k_section_count(&s);
	K_ASSERT(n <= TEST_COUNT_MAX);
	return n;
}

const struct k_test *k_test_at(size_t index)
{
	struct k_section s = K_SECTION_REF(weft_tests);
	const struct k_test *t = k_section_at(&s, index);
	K_ASSERT(t->name != NULL && t->fn != NULL);
	return t;
}

void k_test_fail(const char *file, int line, const char *expr)
{
	(void)bsp_atomic_fetch_add(&test_failures, 1);
	out("  check failed: ");
	out(file);
	out(":");
	out_u((unsigned long long)(line > 0 ? line : 0));
	out(": ");
	out(expr);
	out("\n");
}

void k_test_skip(const char *why)
{
	bsp_atomic_store(&test_skipped, 1);
	out("  skipped: ");
	out(why ? why : "");
	out("\n");
}

static bool has_prefix(const char *name, const char *prefix)
{
	if (!prefix)
		return true;
	for (size_t i = 0; prefix[i] != '\0'; i++) {
		K_ASSERT(i < TEST_LINE_MAX);
		if (name[i] != prefix[i])
			return false;
	}
	return true;
}

unsigned k_test_run(const char *prefix, struct k_test_result *result)
{
	struct k_test_result r = {0, 0, 0};
	size_t count = k_test_count();
	for (size_t i = 0; i < count; i++) {
		const struct k_test *t = k_test_at(i);
		if (!has_prefix(t->name, prefix))
			continue;
		bsp_atomic_store(&test_failures, 0);
		bsp_atomic_store(&test_skipped, 0);
		out("test ");
		out(t->name);
		out(" ...\n");
		t->fn();
		uintptr_t failed = bsp_atomic_load(&test_failures);
		bool skipped = bsp_atomic_load(&test_skipped) != 0;
		if (failed) {
			r.failed++;
			out("FAIL ");
		} else if (skipped) {
			r.skipped++;
			out("skip ");
		} else {
			r.passed++;
			out("ok   ");
		}
		out(t->name);
		out("\n");
	}
	out_u(r.passed);
	out(" passed, ");
	out_u(r.failed);
	out(" failed");
	if (r.skipped) {
		out(", ");
		out_u(r.skipped);
		out(" skipped");
	}
	out("\n");
	if (result)
		*result = r;
	return r.failed;
}

unsigned k_test_run_all(void)
{
	return k_test_run(NULL, NULL);
}
