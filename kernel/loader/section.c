/*
 * section.c — reading a descriptor list (k/section.h) from the generated
 * table when the build links one, else from the linker's section. The only
 * code that walks __start_/__stop_ or a generated table: K_TEST, K_WORKLOAD
 * and K_MODULE all come through here.
 */
#include <k/assert.h>
#include <k/section.h>

bool k_section_from_table(const struct k_section *s)
{
	K_ASSERT(s != NULL);
	K_ASSERT(s->stride > 0);
	return s->table != NULL && s->table_count != NULL;
}

size_t k_section_count(const struct k_section *s)
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

const void *k_section_at(const struct k_section *s, size_t index)
{
	K_ASSERT(index < k_section_count(s));
	const void *d = k_section_from_table(s) ? s->table[index]
						: (const char *)s->start + index * s->stride;
	K_ASSERT(d != NULL);
	return d;
}
