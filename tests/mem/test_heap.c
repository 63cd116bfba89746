/*
 * test_heap.c — the general heap: sizes, alignment, realloc, growth from
 * frames and return of whole chunks, accounting, bounded steps, misuse.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mem_test.h"

#define MiB (1024u * 1024u)

static void fill(void *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7u);
}

static int same(const void *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != (uint8_t)(seed + i * 7u))
			return 0;
	return 1;
}

static void test_basic(void)
{
	CHECK_EQ_U64(mem_boot1(4 * MiB), 0);
	size_t tables = mem_table_frames();
	void *p[64];
	for (unsigned i = 0; i < 64; i++) {
		size_t n = 1u + i * 37u;
		p[i] = k_mem_alloc(n, K_MEM_OWNER_KERNEL);
		CHECK(p[i] != NULL);
		CHECK(((uintptr_t)p[i] & (K_MEM_ALIGN - 1u)) == 0);
		CHECK(k_mem_usable_bytes(p[i]) >= n);
		if (K_MEM_DEBUG)
			CHECK_EQ_U64(k_mem_usable_bytes(p[i]), n);
		fill(p[i], n, i);
	}
	k_mem_check();
	for (unsigned i = 0; i < 64; i++)
		CHECK(same(p[i], 1u + i * 37u, i));
	for (unsigned i = 0; i < 64; i += 2)
		k_mem_free(p[i]);
	k_mem_check();
	for (unsigned i = 1; i < 64; i += 2)
		k_mem_free(p[i]);
	k_mem_free(NULL);
	void *z = k_mem_alloc(0, 0);
	CHECK(z != NULL);
	k_mem_free(z);
	mem_expect_empty(tables);
}

static void test_zalloc_and_owner(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	uint8_t *z = k_mem_zalloc(300, 5);
	CHECK(z != NULL);
	int zero = 1;
	for (int i = 0; i < 300; i++)
		zero &= z[i] == 0;
	CHECK(zero);
	CHECK_EQ_U64(k_mem_owner_of(z), 5);
	struct k_mem_owner_stats os;
	CHECK_EQ_U64(k_mem_owner_stats(5, &os), 0);
	CHECK(os.used_bytes >= 300 && os.blocks == 1);
	CHECK_EQ_U64(os.peak_bytes, os.used_bytes);
	size_t first = os.used_bytes;
	void *y = k_mem_alloc(5000, 5);
	CHECK_EQ_U64(k_mem_owner_stats(5, &os), 0);
	CHECK(os.used_bytes > first + 5000 && os.blocks == 2);
	k_mem_free(y);
	CHECK_EQ_U64(k_mem_owner_stats(5, &os), 0);
	CHECK_EQ_U64(os.used_bytes, first);
	CHECK(os.peak_bytes > first + 5000);
	CHECK_EQ_U64(k_mem_owner_stats(6, &os), 0);
	CHECK_EQ_U64(os.used_bytes, 0);
	CHECK_EQ_U64(k_mem_owner_stats(K_MEM_OWNERS_MAX, &os), (uint64_t)-K_EINVAL);
	k_mem_free(z);
	k_mem_check();
}

static void test_aligned(void)
{
	CHECK_EQ_U64(mem_boot1(4 * MiB), 0);
	size_t tables = mem_table_frames();
	void *p[40];
	unsigned n = 0;
	for (size_t align = 1; align <= K_PAGE_BYTES; align *= 2) {
		for (size_t size = 1; size < 3000; size += 1499) {
			void *q = k_mem_alloc_aligned(size, align, 3);
			CHECK(q != NULL);
			CHECK(((uintptr_t)q & (align - 1u)) == 0);
			CHECK(((uintptr_t)q & (K_MEM_ALIGN - 1u)) == 0);
			fill(q, size, (unsigned)size);
			p[n++] = q;
			k_mem_check();
		}
	}
	CHECK(k_mem_alloc_aligned(8, 3, 0) == NULL);
	CHECK(k_mem_alloc_aligned(8, K_PAGE_BYTES * 2, 0) == NULL);
	CHECK(k_mem_alloc_aligned(8, 0, 0) == NULL);
	for (unsigned i = 0; i < n; i++)
		k_mem_free(p[i]);
	mem_expect_empty(tables);
}

static void test_realloc(void)
{
	CHECK_EQ_U64(mem_boot1(4 * MiB), 0);
	size_t tables = mem_table_frames();
	uint8_t *p = k_mem_realloc(NULL, 100, 7);
	CHECK(p != NULL && k_mem_owner_of(p) == 7);
	fill(p, 100, 1);
	/* shrink in place */
	uint8_t *q = k_mem_realloc(p, 40, 0);
	CHECK(q == p && same(q, 40, 1));
	/* grow in place: the block after is free */
	q = k_mem_realloc(q, 400, 0);
	CHECK(q == p && same(q, 40, 1));
	fill(q, 400, 2);
	/* block a neighbour, then grow: moves, keeps content and owner */
	void *wall = k_mem_alloc(16, 0);
	uint8_t *r = k_mem_realloc(q, 9000, 0);
	CHECK(r != NULL && same(r, 400, 2));
	CHECK_EQ_U64(k_mem_owner_of(r), 7);
	k_mem_check();
	/* too big: NULL, the block is untouched */
	CHECK(k_mem_realloc(r, SIZE_MAX / 2, 0) == NULL);
	CHECK(same(r, 400, 2));
	/* fault injected: NULL, untouched */
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, 1, false);
	CHECK(k_mem_realloc(r, 20000, 0) == NULL);
	CHECK(same(r, 400, 2));
	/* size 0 frees */
	CHECK(k_mem_realloc(r, 0, 0) == NULL);
	k_mem_free(wall);
	mem_expect_empty(tables);
}

/* The heap takes chunks of frames when it runs out and gives back every
 * chunk that becomes wholly free but one (the spare, until a trim). Chunks
 * grow with the heap (1/16 of it), so the spare is a small part of it. */
static void test_growth_and_return(void)
{
	CHECK_EQ_U64(mem_boot1(8 * MiB), 0);
	size_t tables = mem_table_frames();
	enum { N = 200 };
	void *p[N];
	for (unsigned i = 0; i < N; i++) {
		p[i] = k_mem_alloc(20000, 1);
		CHECK(p[i] != NULL);
	}
	struct k_mem_stats s;
	k_mem_stats(&s);
	CHECK(s.heap_bytes >= (size_t)N * 20000);
	CHECK(s.heap_bytes < (size_t)N * 20000 * 5 / 4);
	size_t grown = s.heap_bytes;
	for (unsigned i = 0; i < N; i++)
		k_mem_free(p[i]);
	k_mem_check();
	k_mem_stats(&s);
	CHECK(s.heap_bytes > 0u && s.heap_bytes <= grown / 8u); /* one chunk stays: the spare */
	CHECK_EQ_U64(k_mem_trim() * K_PAGE_BYTES, s.heap_bytes);
	k_mem_stats(&s);
	CHECK_EQ_U64(s.heap_bytes, 0);
	/* A block bigger than any growth step gets its own chunk. */
	void *big = k_mem_alloc(3 * MiB, 1);
	CHECK(big != NULL);
	k_mem_free(big);
	mem_expect_empty(tables);
}

/* A chunk grown for a request serves the same request again once it is the
 * spare: alloc/free of one big block, over and over, grows the heap once. */
static void test_spare_serves_same_request(void)
{
	CHECK_EQ_U64(mem_boot1(4 * MiB), 0);
	size_t tables = mem_table_frames();
	struct k_mem_stats s;
	size_t first = 0;
	for (unsigned size = 100 * 1024; size <= 300 * 1024; size += 50 * 1024) {
		for (unsigned i = 0; i < 20; i++) {
			void *p = k_mem_alloc(size, 1);
			CHECK(p != NULL);
			k_mem_stats(&s);
			if (i == 0)
				first = s.heap_bytes;
			CHECK_EQ_U64(s.heap_bytes, first); /* no chunk taken after the first */
			k_mem_free(p);
		}
		k_mem_trim();
	}
	k_mem_check();
	mem_expect_empty(tables);
}

/* The spare chunk the heap keeps never makes a frame allocation fail:
 * primary memory has the heap give it back when no run fits. */
static void test_spare_given_back(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	size_t tables = mem_table_frames();
	void *big = k_mem_alloc(300 * 1024, 1);
	CHECK(big != NULL);
	k_mem_free(big);
	k_mem_check();
	struct k_mem_stats s;
	k_mem_stats(&s);
	CHECK(s.heap_bytes >= 300u * 1024u); /* kept: the spare */
	size_t want = s.frames_free + s.heap_bytes / K_PAGE_BYTES;
	CHECK_EQ_U64(s.frames_largest_free_run, s.frames_free); /* the spare splits nothing */
	void *run = k_frames_alloc(want, 2);
	CHECK(run != NULL);
	k_mem_check();
	k_mem_stats(&s);
	CHECK_EQ_U64(s.heap_bytes, 0);
	CHECK_EQ_U64(s.frames_free, 0);
	k_frames_free(run, want);
	mem_expect_empty(tables);
}

static void test_oom(void)
{
	CHECK_EQ_U64(mem_boot1(256 * 1024), 0);
	size_t tables = mem_table_frames();
	void *p[1000];
	unsigned n = 0;
	while (n < 1000 && (p[n] = k_mem_alloc(1000, 2)) != NULL)
		n++;
	CHECK(n > 100 && n < 1000);
	k_mem_check();
	CHECK(k_mem_alloc(1u << 20, 2) == NULL);
	CHECK(k_mem_alloc(SIZE_MAX, 2) == NULL);
	CHECK(k_mem_alloc_aligned(SIZE_MAX - 64, 64, 2) == NULL);
	k_mem_check();
	struct k_mem_stats s;
	k_mem_stats(&s);
	CHECK(s.heap_largest_free_bytes < 1000 + 64);
	for (unsigned i = 0; i < n; i++)
		k_mem_free(p[i]);
	/* injected faults: NULL without touching anything */
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, 1, true);
	CHECK(k_mem_alloc(8, 0) == NULL);
	CHECK(k_mem_zalloc(8, 0) == NULL);
	CHECK(k_mem_alloc_aligned(8, 64, 0) == NULL);
	CHECK(k_frames_alloc(1, 0) == NULL);
	CHECK(k_cache_create("x", 8, 0) == NULL);
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, 0, false);
	mem_expect_empty(tables);
}

/* The bound is counted, not timed: the most list/bitmap steps of one
 * operation is the same for a small and a large heap. */
static uint32_t steps_for(size_t heap_bytes)
{
	CHECK_EQ_U64(mem_boot1(heap_bytes), 0);
	void *p[512] = {0};
	uint32_t x = 12345;
	size_t limit = heap_bytes / 64;
	for (unsigned i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		unsigned k = (x >> 8) % 512;
		if (p[k]) {
			k_mem_free(p[k]);
			p[k] = NULL;
		} else {
			p[k] = k_mem_alloc(16 + (x >> 12) % limit, 0);
		}
	}
	for (unsigned k = 0; k < 512; k++)
		k_mem_free(p[k]);
	k_mem_check();
	return k_mem_steps_max();
}

static void test_steps_bounded(void)
{
	uint32_t small = steps_for(256 * 1024);
	uint32_t large = steps_for(64 * MiB);
	CHECK(small > 0 && small <= 16);
	CHECK(large > 0 && large <= 16);
	k_mem_steps_reset();
	CHECK_EQ_U64(k_mem_steps_max(), 0);
}

static void test_regions(void)
{
	/* several regions, odd sizes and alignment */
	size_t sizes[4] = {100 * 1024 + 17, 3 * K_PAGE_BYTES + 5, 1 * MiB + 3, 77};
	CHECK_EQ_U64(mem_boot(4, sizes, 13), 0);
	size_t tables = mem_table_frames();
	struct k_mem_stats s;
	k_mem_stats(&s);
	CHECK(s.frames_total > 200 && s.frames_total < (100 * 1024 + 1 * MiB + 3 * K_PAGE_BYTES) / K_PAGE_BYTES);
	void *p[8];
	for (int i = 0; i < 8; i++)
		CHECK((p[i] = k_mem_alloc(60000, 0)) != NULL);
	for (int i = 0; i < 8; i++)
		k_mem_free(p[i]);
	mem_expect_empty(tables);
	/* a region too small for one frame and its table */
	size_t tiny = K_PAGE_BYTES + 10;
	CHECK_EQ_U64(mem_boot(1, &tiny, 1), (uint64_t)-K_ENOMEM);
}

static void test_misuse(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	char *p = k_mem_alloc(64, 0);
	k_mem_free(p);
	EXPECT_PANIC(k_mem_free(p), "double free");

	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(64, 0);
	char *q = k_mem_alloc(64, 0);
	k_mem_free(p);
	k_mem_free(q); /* merged with p: p's header now lies inside a free block */
	EXPECT_PANIC(k_mem_free(q), "double free");

	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	char local[32];
	EXPECT_PANIC(k_mem_free(local + 16), "never gave");
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	void *host = malloc(64);
	EXPECT_PANIC(k_mem_free(host), "never gave");
	free(host);
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(256, 0);
	EXPECT_PANIC(k_mem_free(p + 3), "never gave");
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(256, 0);
	memset(p + 16, 0x5a, 64); /* a fake header inside a live block */
	EXPECT_PANIC(k_mem_free(p + 32), "never gave");
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	EXPECT_PANIC(k_mem_alloc(8, K_MEM_OWNERS_MAX), "bad owner");

	if (K_MEM_DEBUG) {
		CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
		p = k_mem_alloc(40, 0);
		p[40] = 1; /* one byte past the end */
		EXPECT_PANIC(k_mem_free(p), "past the end");
		CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
		p = k_mem_alloc(40, 0);
		p[45] = 1;
		EXPECT_PANIC(k_mem_check(), "past the end");
		CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
		p = k_mem_alloc(40, 0);
		p[41] = 1;
		EXPECT_PANIC(k_mem_realloc(p, 4000, 0), "past the end");
	}
	/* the message names the block */
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(64, 0);
	k_mem_free(p);
	char want[32];
	snprintf(want, sizeof want, "%016" PRIxPTR, (uintptr_t)p);
	EXPECT_PANIC(k_mem_free(p), want);
	/* a corrupted heap is reported by the checker */
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(64, 0);
	((uintptr_t *)p)[-1] ^= 0x100; /* its size */
	EXPECT_PANIC(k_mem_check(), "k_mem_check");
}

int main(void)
{
	test_basic();
	test_zalloc_and_owner();
	test_aligned();
	test_realloc();
	test_growth_and_return();
	test_spare_given_back();
	test_spare_serves_same_request();
	test_oom();
	test_steps_bounded();
	test_regions();
	test_misuse();
	bsp_sim_teardown();
	return check_report();
}
