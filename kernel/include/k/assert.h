/*
 * k/assert.h — assertions. A broken belief ends in bsp_panic with file, line
 * and the failed expression. Use it for what cannot happen; what can happen
 * returns a negative K_E* code instead (and stays checked in every build).
 *
 * K_CONFIG_ASSERT (a plain constant, 1 unless the build says 0): 1 checks
 * every K_ASSERT / K_ASSERT_MSG; 0 compiles them out of a shipped image.
 * Every simulator, fuzz and wasm build and every Cortex-M4F test image keep
 * 1, so each assertion is exercised wherever the kernel is verified; only
 * the board's shipped images (the RTOS benchmark, the size images) use 0.
 * At 0 the condition is still compiled, never evaluated: it must have no
 * side effect the code relies on (loop-bound counters used only by their
 * own assertion are fine). K_PANIC stays in every build.
 */
#ifndef K_ASSERT_H
#define K_ASSERT_H

#include <bsp.h>

/* K_ASSERT_TEXT (a plain constant, 1 unless the build says 0): whether a
 * failed assertion's message carries the expression's text, and a panic
 * (K_PANIC, the memory manager's always-on checks) its sentence. A
 * flash-tight image sets it to 0 and keeps file and line (enough for
 * addr2line-free reading of the source): every check and panic stays,
 * only the words go; the expression strings are a fifth of the kernel's
 * flash on Cortex-M4F. */
#ifndef K_ASSERT_TEXT
#define K_ASSERT_TEXT 1
#endif

/* K_ASSERT_FILE: the file a failed check names. With K_ASSERT_TEXT 0 it is
 * the file's base name (kernel/ has no two files of one name, so it still
 * says which file; the check itself and the line stay): the directory
 * prefixes were ~60 B of a flash-tight image. A compiler without
 * __FILE_NAME__ keeps the whole path. */
#if defined(__FILE_NAME__)
#define K_ASSERT_FILE (K_ASSERT_TEXT ? __FILE__ : __FILE_NAME__)
#else
#define K_ASSERT_FILE __FILE__
#endif

#ifndef K_CONFIG_ASSERT
#define K_CONFIG_ASSERT 1
#endif

/* At level 0, `K_CONFIG_ASSERT &&` folds the test to nothing while the
 * condition still type-checks and keeps its variables referenced. */
#define K_ASSERT(cond)                                                        \
	do {                                                                  \
		if (K_CONFIG_ASSERT && __builtin_expect(!(cond), 0))          \
			bsp_panic(K_ASSERT_FILE, __LINE__,                         \
				  K_ASSERT_TEXT ? "assertion failed: " #cond  \
						: "assertion failed");        \
	} while (0)

#define K_ASSERT_MSG(cond, msg)                                               \
	do {                                                                  \
		if (K_CONFIG_ASSERT && __builtin_expect(!(cond), 0))          \
			bsp_panic(K_ASSERT_FILE, __LINE__, (msg));                 \
	} while (0)

/* The one word a panic says when K_ASSERT_TEXT is 0 (K_PANIC and the
 * memory manager's checks share it, so the image stores it once). */
#define K_PANIC_WORD "panic"
#define K_PANIC(msg) bsp_panic(K_ASSERT_FILE, __LINE__, K_ASSERT_TEXT ? (msg) : K_PANIC_WORD)

/* Compile-time relation between constants. */
#define K_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#endif /* K_ASSERT_H */
