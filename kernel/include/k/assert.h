/*
 * k/assert.h — assertions. K_ASSERT is on in every build: a broken belief ends
 * in bsp_panic with file, line and the failed expression. Use it for what
 * cannot happen; what can happen returns a negative K_E* code instead.
 */
#ifndef K_ASSERT_H
#define K_ASSERT_H

#include <bsp.h>

#define K_ASSERT(cond)                                                        \
	do {                                                                  \
		if (__builtin_expect(!(cond), 0))                             \
			bsp_panic(__FILE__, __LINE__, "assertion failed: " #cond); \
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
