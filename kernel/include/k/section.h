/*
 * k/section.h — descriptor collection, written once for every list the
 * kernel finds without knowing it in advance: self-tests (K_TEST), stress
 * workloads (K_WORKLOAD), bug programs, static modules (K_MODULE).
 *
 * Two forms of the same list:
 *  - the linker's: each descriptor is placed in the section SEC; on ELF the
 *    linker defines __start_SEC / __stop_SEC around it (declared weak here, so
 *    a build with no descriptor still links);
 *  - the build's: where the object format cannot collect a section (wasm),
 *    the build generates SEC_table[] (pointers, NULL-terminated) and
 *    SEC_table_count (cmake/gen-descriptor-table.cmake). A build that links a
 *    table gets the list from it; any other reads the section.
 *
 * A descriptor is a global (not static) with a unique name, so wasm-ld keeps
 * it and the generated table can name it; it is aligned to a pointer so the
 * section is a plain array of its type.
 *
 * Usage, for a list `weft_things` of `struct thing`:
 *     K_SECTION_DECLARE(weft_things, struct thing);          // in a header
 *     const struct thing t1 K_SECTION_ITEM(weft_things) = {...};
 *     struct k_section s = K_SECTION_REF(weft_things);
 *     for (size_t i = 0; i < k_section_count(&s); i++) use(k_section_at(&s, i));
 */
#ifndef K_SECTION_H
#define K_SECTION_H

#include <stdbool.h>
#include <stddef.h>

/* A build whose toolchain ignores `retain` (arm-none-eabi-gcc 12 warns that
 * it does) defines K_SECTION_RETAIN empty and keeps the sections in its
 * linker script instead (bsp/cortex-m4f/m4f.ld). ld.lld drops an unretained
 * section under --gc-sections. */
#if !defined(K_SECTION_RETAIN) && defined(__has_attribute)
#if __has_attribute(retain)
#define K_SECTION_RETAIN __attribute__((retain))
#endif
#endif
#ifndef K_SECTION_RETAIN
#define K_SECTION_RETAIN
#endif

/* The attributes that put one descriptor into section `sec`. */
#define K_SECTION_ITEM(sec)                                                        \
	__attribute__((section(#sec), used, aligned(sizeof(void *)))) K_SECTION_RETAIN

/* Both forms of the list `sec` of descriptors of type `type`. */
#define K_SECTION_DECLARE(sec, type)                                               \
	extern const type __start_##sec[] __attribute__((weak));                   \
	extern const type __stop_##sec[] __attribute__((weak));                    \
	extern const type *const sec##_table[] __attribute__((weak));              \
	extern const size_t sec##_table_count __attribute__((weak))

/* A list, seen through whichever form the build links. */
struct k_section {
	const char *name;            /* the section's name, for messages */
	const void *start;           /* __start_SEC or NULL */
	const void *stop;            /* __stop_SEC or NULL */
	size_t stride;               /* sizeof one descriptor */
	const void *const *table;    /* SEC_table or NULL */
	const size_t *table_count;   /* &SEC_table_count or NULL */
};

#define K_SECTION_REF(sec)                                                         \
	((struct k_section){#sec, __start_##sec, __stop_##sec, sizeof(__start_##sec[0]), \
			    (const void *const *)sec##_table, &sec##_table_count})

/* The same list read from the section only (NULL table), or from the table
 * only: the tests that compare the two forms use these. */
#define K_SECTION_REF_LINKER(sec)                                                  \
	((struct k_section){#sec, __start_##sec, __stop_##sec, sizeof(__start_##sec[0]), \
			    NULL, NULL})
#define K_SECTION_REF_TABLE(sec)                                                   \
	((struct k_section){#sec, NULL, NULL, sizeof(__start_##sec[0]),            \
			    (const void *const *)sec##_table, &sec##_table_count})

/* Longest list any form may hold: more is a broken section or table. */
#define K_SECTION_COUNT_MAX 100000u

/* The readers are inline: each caller builds its k_section from constants
 * (K_SECTION_REF), so the compiler folds the stride and the struct away and
 * keeps only the form's test and the walk: at -Os the core image is 71 B
 * smaller than with out-of-line readers and a k_section built on the stack.
 * They are the only code that walks __start_/__stop_ or a generated table:
 * K_TEST, K_WORKLOAD, K_MODULE and the object kinds all come through here. */
#include <k/assert.h>

/* True when s reads from the generated table. any context. */
static inline bool k_section_from_table(const struct k_section *s)
{
	K_ASSERT(s != NULL);
	K_ASSERT(s->stride > 0);
	return s->table != NULL && s->table_count != NULL;
}

/* Descriptors in s (0 when neither form is linked). Panics on a malformed
 * form (stop before start, a table whose NULL is not at _count). any. */
static inline size_t k_section_count(const struct k_section *s)
{
	if (k_section_from_table(s)) {
		size_t n = *s->table_count;
		K_ASSERT(n <= K_SECTION_COUNT_MAX);
		K_ASSERT(s->table[n] == NULL);
		return n;
	}
	if (s->start == NULL || s->stop == NULL)
		return 0;
	const char *a = s->start;
	const char *b = s->stop;
	K_ASSERT(b >= a);
	size_t bytes = (size_t)(b - a);
	K_ASSERT(bytes % s->stride == 0);
	K_ASSERT(bytes / s->stride <= K_SECTION_COUNT_MAX);
	return bytes / s->stride;
}

/* The index-th descriptor, in the form's order (link order). index <
 * k_section_count(s). any. */
static inline const void *k_section_at(const struct k_section *s, size_t index)
{
	K_ASSERT(index < k_section_count(s));
	const void *d = k_section_from_table(s) ? s->table[index]
						: (const char *)s->start + index * s->stride;
	K_ASSERT(d != NULL);
	return d;
}

#endif /* K_SECTION_H */
