/*
 * cache_tests.c — the object caches as the board builds them (no slabs:
 * each object a heap block, K_CONFIG_MEM_CACHE_SLABS=0, kernel/mem/cache.c),
 * through the public API only: objects distinct, aligned and independent;
 * the owner's accounting (cache bytes, heap bytes, blocks) rises with each
 * object and comes back exactly; k_cache_destroy refuses while one is out;
 * k_mem_check agrees at every step. Registered as a K_TEST (m4f_cache).
 * The simulator's builds test their slabs in tests/mem/test_cache.c.
 */
#include <k/assert.h>
#include <k/errno.h>
#include <k/mem.h>
#include <k/test.h>

#define CACHE_TEST_OBJECTS 12u
#define CACHE_TEST_BYTES 44u  /* not a multiple of the alignment on purpose */
#define CACHE_TEST_ALIGN 64u  /* above the heap's grain: the aligned path */
#define CACHE_TEST_OWNER 1u   /* a process slot: its figures start at 0 */

K_STATIC_ASSERT(CACHE_TEST_OWNER < K_MEM_OWNERS_MAX, "the test's owner slot exists");

/* n objects of c for CACHE_TEST_OWNER into obj[], each filled with its index. */
static unsigned cache_fill(k_cache_t *c, unsigned char **obj, unsigned n, size_t align)
{
	unsigned got = 0;
	for (unsigned i = 0; i < n; i++) {
		obj[i] = k_cache_alloc(c, CACHE_TEST_OWNER);
		K_TEST_CHECK(obj[i] != NULL);
		if (obj[i] == NULL)
			break;
		K_TEST_CHECK((uintptr_t)obj[i] % align == 0u);
		for (unsigned k = 0; k < CACHE_TEST_BYTES; k++)
			obj[i][k] = (unsigned char)(i + 1u);
		got++;
	}
	return got;
}

/* One cache of the given alignment, end to end. */
static void cache_round(size_t align)
{
	struct k_mem_owner_stats before, during, after;
	K_TEST_CHECK(k_mem_owner_stats(CACHE_TEST_OWNER, &before) == 0);
	k_cache_t *c = k_cache_create("m4f_cache", CACHE_TEST_BYTES, align);
	K_TEST_CHECK(c != NULL);
	if (c == NULL)
		return;
	K_TEST_CHECK(k_cache_object_bytes(c) == CACHE_TEST_BYTES);
	unsigned char *obj[CACHE_TEST_OBJECTS];
	unsigned got = cache_fill(c, obj, CACHE_TEST_OBJECTS, align == 0u ? K_MEM_ALIGN : align);
	K_TEST_CHECK(got == CACHE_TEST_OBJECTS);
	K_TEST_CHECK(k_mem_check() > 0u);
	K_TEST_CHECK(k_mem_owner_stats(CACHE_TEST_OWNER, &during) == 0);
	K_TEST_CHECK(during.cache_bytes >= before.cache_bytes + got * CACHE_TEST_BYTES);
	K_TEST_CHECK(during.used_bytes >= before.used_bytes + got * CACHE_TEST_BYTES);
	K_TEST_CHECK(during.cache_bytes - before.cache_bytes <= during.used_bytes - before.used_bytes);
	K_TEST_CHECK(during.blocks == before.blocks + got);
	for (unsigned i = 0; i < got; i++)
		for (unsigned k = 0; k < CACHE_TEST_BYTES; k++)
			K_TEST_CHECK(obj[i][k] == (unsigned char)(i + 1u));
	K_TEST_CHECK(k_cache_destroy(c) == -K_EBUSY);
	for (unsigned i = 0; i + 1u < got; i++)
		k_cache_free(c, obj[i]);
	K_TEST_CHECK(k_cache_destroy(c) == -K_EBUSY); /* one is still out */
	if (got > 0u)
		k_cache_free(c, obj[got - 1u]);
	K_TEST_CHECK(k_mem_check() > 0u);
	K_TEST_CHECK(k_mem_owner_stats(CACHE_TEST_OWNER, &after) == 0);
	K_TEST_CHECK(after.used_bytes == before.used_bytes);
	K_TEST_CHECK(after.cache_bytes == before.cache_bytes);
	K_TEST_CHECK(after.blocks == before.blocks);
	K_TEST_CHECK(k_cache_destroy(c) == 0);
	K_TEST_CHECK(k_cache_destroy(NULL) == -K_EINVAL);
}

K_TEST(m4f_cache)
{
	K_TEST_CHECK(k_cache_create("bad", 0u, 0u) == NULL);
	K_TEST_CHECK(k_cache_create("bad", 16u, 3u) == NULL);
	cache_round(0u);
	cache_round(CACHE_TEST_ALIGN);
}
