/*
 * test_cache.c — per-core object caches: objects, alignment, magazines
 * refilling and flushing, slabs coming and going, destroy, accounting, misuse.
 */
#include <stdint.h>

#include "mem_test.h"

static void test_objects(void)
{
	CHECK_EQ_U64(mem_boot1(4u << 20), 0);
	size_t tables = mem_table_frames();
	k_cache_t *c = k_cache_create("thread", 200, 0);
	CHECK(c != NULL);
	CHECK_EQ_U64(k_cache_object_bytes(c), 200);
	enum { N = 500 };
	static uint8_t *p[N];
	for (unsigned i = 0; i < N; i++) {
		p[i] = k_cache_alloc(c, i % 3);
		CHECK(p[i] != NULL);
		CHECK(((uintptr_t)p[i] & (K_MEM_ALIGN - 1)) == 0);
		memset(p[i], (int)i, 200);
	}
	k_mem_check();
	for (unsigned i = 0; i < N; i++)
		for (unsigned j = 0; j < 200; j += 50)
			CHECK_EQ_U64(p[i][j], (uint8_t)i);
	struct k_mem_owner_stats os;
	k_mem_owner_stats(1, &os);
	CHECK(os.cache_bytes >= 167 * 200 && os.cache_bytes == os.used_bytes);
	CHECK_EQ_U64(os.blocks, 167);
	CHECK_EQ_U64(k_cache_destroy(c), (uint64_t)-K_EBUSY);
	for (unsigned i = 0; i < N; i += 2)
		k_cache_free(c, p[i]);
	k_mem_check();
	for (unsigned i = 1; i < N; i += 2)
		k_cache_free(c, p[i]);
	k_cache_free(c, NULL);
	k_mem_check();
	k_mem_owner_stats(1, &os);
	CHECK_EQ_U64(os.used_bytes, 0);
	CHECK_EQ_U64(k_cache_destroy(c), 0);
	CHECK_EQ_U64(k_cache_destroy(NULL), (uint64_t)-K_EINVAL);
	mem_expect_empty(tables);
}

static void test_shapes(void)
{
	CHECK_EQ_U64(mem_boot1(4u << 20), 0);
	size_t tables = mem_table_frames();
	k_cache_t *cs[8];
	unsigned n = 0;
	size_t shapes[][2] = {{1, 0}, {8, 8}, {24, 64}, {100, 128}, {K_PAGE_BYTES / 4, 0},
			      {K_PAGE_BYTES / 8, K_PAGE_BYTES / 4}, {40, 1}};
	for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		k_cache_t *c = k_cache_create("shape", shapes[s][0], shapes[s][1]);
		CHECK(c != NULL);
		cs[n++] = c;
		void *o[40];
		for (int i = 0; i < 40; i++) {
			o[i] = k_cache_alloc(c, 0);
			CHECK(o[i] != NULL);
			if (shapes[s][1])
				CHECK(((uintptr_t)o[i] & (shapes[s][1] - 1)) == 0);
			memset(o[i], 0x77, shapes[s][0]);
		}
		k_mem_check();
		for (int i = 0; i < 40; i++)
			k_cache_free(c, o[i]);
	}
	CHECK(k_cache_create("bad", 0, 0) == NULL);
	CHECK(k_cache_create("bad", K_PAGE_BYTES, 0) == NULL);
	CHECK(k_cache_create("bad", 8, 3) == NULL);
	CHECK(k_cache_create("bad", 8, K_PAGE_BYTES) == NULL);
	k_mem_check();
	CHECK(k_mem_trim() > 0);
	while (n > 0)
		CHECK_EQ_U64(k_cache_destroy(cs[--n]), 0);
	mem_expect_empty(tables);
}

static void test_oom(void)
{
	CHECK_EQ_U64(mem_boot1(32 * K_PAGE_BYTES), 0);
	size_t tables = mem_table_frames();
	k_cache_t *c = k_cache_create("big", K_PAGE_BYTES / 4, 0);
	CHECK(c != NULL);
	static void *o[400];
	unsigned n = 0;
	while (n < 400 && (o[n] = k_cache_alloc(c, 0)) != NULL)
		n++;
	CHECK(n > 10 && n < 400);
	k_mem_check();
	while (n > 0)
		k_cache_free(c, o[--n]);
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, 1, false);
	CHECK(k_cache_alloc(c, 0) == NULL);
	void *one = k_cache_alloc(c, 0);
	CHECK(one != NULL);
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, 0, false);
	CHECK_EQ_U64(k_cache_destroy(c), (uint64_t)-K_EBUSY);
	k_mem_check();
	k_cache_free(c, one);
	CHECK_EQ_U64(k_cache_destroy(c), 0);
	mem_expect_empty(tables);
}

static void test_misuse(void)
{
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	k_cache_t *c = k_cache_create("a", 64, 0);
	k_cache_t *d = k_cache_create("b", 64, 0);
	uint8_t *o = k_cache_alloc(c, 0);
	k_cache_free(c, o);
	EXPECT_PANIC(k_cache_free(c, o), "double free");

	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	d = k_cache_create("b", 64, 0);
	o = k_cache_alloc(c, 0);
	EXPECT_PANIC(k_cache_free(d, o), "not from this cache");
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	o = k_cache_alloc(c, 0);
	EXPECT_PANIC(k_cache_free(c, o + 8), "not from this cache");
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	void *h = k_mem_alloc(64, 0);
	EXPECT_PANIC(k_cache_free(c, h), "not from this cache");
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	char local[16] = {0};
	EXPECT_PANIC(k_cache_free(c, local), "not from this cache");
	EXPECT_PANIC(k_cache_alloc((k_cache_t *)local, 0), "not a cache");
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	EXPECT_PANIC(k_cache_alloc(c, K_MEM_OWNERS_MAX), "bad owner");
	if (K_MEM_DEBUG) {
		CHECK_EQ_U64(mem_boot1(1u << 20), 0);
		c = k_cache_create("a", 60, 0);
		o = k_cache_alloc(c, 0);
		o[60] = 0;
		EXPECT_PANIC(k_cache_free(c, o), "past the end");
		CHECK_EQ_U64(mem_boot1(1u << 20), 0);
		c = k_cache_create("a", 60, 0);
		o = k_cache_alloc(c, 0);
		o[61] = 0;
		EXPECT_PANIC(k_mem_check(), "past the end");
	}
	/* header of a live object overwritten (underrun of the one before) */
	CHECK_EQ_U64(mem_boot1(1u << 20), 0);
	c = k_cache_create("a", 64, 0);
	o = k_cache_alloc(c, 0);
	((uintptr_t *)o)[-1] = 0;
	EXPECT_PANIC(k_cache_free(c, o), "header damaged");
	(void)d;
}

int main(void)
{
	test_objects();
	test_shapes();
	test_oom();
	test_misuse();
	bsp_sim_teardown();
	return check_report();
}
