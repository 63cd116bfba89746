/*
 * k/assert.h — assertions. K_ASSERT is on in every build: a broken belief ends
 * in bsp_panic with file, line and the failed expression. Use it for what
 * cannot happen; what can happen returns a negative K_E* code instead.
 */
#ifndef K_ASSERT_H
#define K_ASSERT_H

#include <bsp.h>

/* K_ASSERT_TEXT (a plain constant, 1 unless the build says 0): whether a
 * failed assertion's message carries the expression's text. A flash-tight
 * image sets it to 0 and keeps file and line (enough for addr2line-free
 * reading of the source); the expression strings are a fifth of the
 * kernel's flash on Cortex-M4F. */
#ifndef K_ASSERT_TEXT
#define K_ASSERT_TEXT 1
#endif

#define K_ASSERT(cond)                                                        \
	do {                                                                  \
		if (__builtin_expect(!(cond), 0))                             \
			bsp_panic(__FILE__, __LINE__,                         \
				  K_ASSERT_TEXT ? "assertion failed: " #cond  \
						: "assertion failed");        \
	} while (0)

#define K_ASSERT_MSG(cond, msg)                                               \
	do {                                                                  \
		if (__builtin_expect(!(cond), 0))                             \
			bsp_panic(__FILE__, __LINE__, (msg));                 \
	} while (0)

#define K_PANIC(msg) bsp_panic(__FILE__, __LINE__, (msg))

/* Compile-time relation between constants. */
#define K_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#endif /* K_ASSERT_H */
