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

struct k_test {
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
};

/* A build whose toolchain ignores `retain` (arm-none-eabi-gcc 12 warns that
 * it does) defines K_TEST_RETAIN empty and keeps the section in its linker
 * script instead. */
#if !defined(K_TEST_RETAIN) && defined(__has_attribute)
#if __has_attribute(retain)
#define K_TEST_RETAIN __attribute__((retain))
#endif
#endif
#ifndef K_TEST_RETAIN
#define K_TEST_RETAIN
#endif

/* The descriptor is a global (not static) with a unique name so wasm-ld keeps
 * it too; it is aligned to a pointer so the section is a plain array. */
#define K_TEST(ident)                                                              \
	static void k_test_fn_##ident(void);                                       \
	const struct k_test k_test_desc_##ident                                    \
		__attribute__((section("weft_tests"), used, aligned(sizeof(void *)))) \
		K_TEST_RETAIN = {#ident, k_test_fn_##ident, __FILE__, __LINE__};      \
	static void k_test_fn_##ident(void)

extern const struct k_test __start_weft_tests[] __attribute__((weak));
extern const struct k_test __stop_weft_tests[] __attribute__((weak));

/* The same list as a table the build generates from the K_TEST lines of the
 * kernel's sources, in link order (weft_descriptor_table, cmake/weft.cmake):
 * the form descriptor collection takes where the object format has no
 * usable section (wasm). A build that links the table gets its order from
 * it; any other build leaves these undefined (weak) and reads the section.
 * NULL-terminated; _count excludes the NULL. */
extern const struct k_test *const weft_tests_table[] __attribute__((weak));
extern const size_t weft_tests_table_count __attribute__((weak));

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
