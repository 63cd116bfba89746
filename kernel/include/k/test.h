/*
 * k/test.h — kernel self-tests, beside the code they test, run on every
 * target by one runner.
 *
 *     K_TEST(mutex_timeout) {
 *             k_mutex_t *m;
 *             K_TEST_CHECK(k_mutex_create(&m, "m") == 0);
 *             ...
 *     }
 *
 * Each K_TEST registers a descriptor in the linker section `weft_tests` (the
 * same mechanism as static modules and workloads: __start_/__stop_ symbols,
 * weak so a build without tests links). Tests run one after the other in a
 * kernel thread of a booted kernel (k/sched.h), on whatever cores it has; a
 * test that needs more cores calls K_TEST_SKIP. A test must leave nothing
 * behind (join its threads, destroy its objects).
 *
 * K_TEST_CHECK counts a failure and goes on; a broken kernel invariant still
 * panics (K_ASSERT) and ends the run.
 */
#ifndef K_TEST_H
#define K_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/section.h>

struct k_test {
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
};

/* The descriptor goes into the section `weft_tests` (k/section.h: one
 * collection mechanism for tests, workloads and modules). */
#define K_TEST(ident)                                                              \
	static void k_test_fn_##ident(void);                                       \
	const struct k_test k_test_desc_##ident K_SECTION_ITEM(weft_tests) =       \
		{#ident, k_test_fn_##ident, __FILE__, __LINE__};                   \
	static void k_test_fn_##ident(void)

/* The section's two forms (k/section.h): __start_/__stop_weft_tests, and
 * weft_tests_table[] generated from the K_TEST lines of the kernel's sources
 * in link order (weft_descriptor_table, cmake/weft.cmake) where the object
 * format has no usable section (wasm). */
K_SECTION_DECLARE(weft_tests, struct k_test);

/* Record a failed check of the running test (file, line, expression printed
 * on the console). Use through the macros. */
void k_test_fail(const char *file, int line, const char *expr);
/* Mark the running test skipped (why: static string) — call then return. */
void k_test_skip(const char *why);

#define K_TEST_CHECK(cond)                                                          \
	do {                                                                       \
		if (!(cond))                                                       \
			k_test_fail(__FILE__, __LINE__, #cond);                    \
	} while (0)

#define K_TEST_SKIP(why)                                                           \
	do {                                                                       \
		k_test_skip(why);                                                  \
		return;                                                            \
	} while (0)

struct k_test_result {
	unsigned passed;
	unsigned failed;
	unsigned skipped;
};

/* Run every registered test whose name starts with `prefix` (NULL or "": all)
 * in section order, one line per test and a last line "N passed, N failed"
 * (", N skipped" when any) on bsp_console_write. Thread context of a booted
 * kernel. Fills *out if not NULL; returns the number failed. */
unsigned k_test_run(const char *prefix, struct k_test_result *out);
/* k_test_run(NULL, NULL). */
unsigned k_test_run_all(void);
/* Registered tests: the generated table's order when the build links one,
 * else section order (the two agree; the wasm build's ctest checks it). */
size_t k_test_count(void);
const struct k_test *k_test_at(size_t index);

#endif /* K_TEST_H */
