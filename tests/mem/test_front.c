/*
 * test_front.c — the heap's per-core front cache: reuse, owners and their
 * peaks, misuse of a cached block, out of memory with blocks cached, trim.
 */
#include <stdint.h>

#include "mem_test.h"

#define MiB (1024u * 1024u)

static size_t owner_used(k_mem_owner_t o, size_t *peak, size_t *blocks)
{
	struct k_mem_owner_stats os;
	CHECK_EQ_U64(k_mem_owner_stats(o, &os), 0);
	if (peak)
		*peak = os.peak_bytes;
	if (blocks)
		*blocks = os.blocks;
	return os.used_bytes;
}

/* A freed small block comes back to the next request of its size, and the
 * accounting says nobody holds it while it rests. */
static void test_reuse(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	size_t tables = mem_table_frames();
	void *p = k_mem_alloc(64, 1);
	CHECK(p != NULL);
	size_t used = owner_used(1, NULL, NULL);
	CHECK(used >= 64);
	k_mem_free(p);
	k_mem_check();
	CHECK_EQ_U64(owner_used(1, NULL, NULL), 0);
	void *q = k_mem_alloc(60, 1); /* the same block size */
	CHECK(q == p);
	CHECK_EQ_U64(owner_used(1, NULL, NULL), used);
	k_mem_check();
	k_mem_free(q);
	mem_expect_empty(tables);
}

/* A cached block handed to another owner is re-charged. */
static void test_hand_over(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	size_t tables = mem_table_frames();
	void *p = k_mem_alloc(100, 1);
	k_mem_free(p);
	void *q = k_mem_alloc(100, 2);
	CHECK(q == p);
	CHECK_EQ_U64(k_mem_owner_of(q), 2);
	size_t blocks = 0;
	CHECK_EQ_U64(owner_used(1, NULL, NULL), 0);
	CHECK(owner_used(2, NULL, &blocks) >= 100);
	CHECK_EQ_U64(blocks, 1);
	k_mem_check();
	k_mem_free(q);
	CHECK_EQ_U64(owner_used(2, NULL, NULL), 0);
	mem_expect_empty(tables);
}

/* Reusing cached blocks does not count twice toward an owner's peak (one
 * core: the peak is exact). */
static void test_peak(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	size_t tables = mem_table_frames();
	void *p[10];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10; i++)
			CHECK((p[i] = k_mem_alloc(64, 3)) != NULL);
		size_t peak = 0, used = owner_used(3, &peak, NULL);
		CHECK_EQ_U64(peak, used);
		for (int i = 0; i < 10; i++)
			k_mem_free(p[i]);
		CHECK_EQ_U64(owner_used(3, &peak, NULL), 0);
		CHECK_EQ_U64(peak, used);
		k_mem_check();
	}
	mem_expect_empty(tables);
}

static void test_misuse(void)
{
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	char *p = k_mem_alloc(48, 0);
	k_mem_free(p); /* rests in the front cache */
	EXPECT_PANIC(k_mem_free(p), "double free");
	/* a panic leaves its locks held: a fresh boot for each */
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(48, 0);
	k_mem_free(p);
	EXPECT_PANIC(k_mem_realloc(p, 100, 0), "double free");
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(48, 0);
	k_mem_free(p);
	EXPECT_PANIC(k_mem_usable_bytes(p), "double free");
	/* the list link of a cached block overwritten: caught when taken */
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(48, 0);
	k_mem_free(p);
	memset(p, 0x77, 16);
	EXPECT_PANIC(k_mem_alloc(48, 0), "cached block damaged");
	if (K_MEM_DEBUG) {
		/* a write into a cached block past its list words */
		CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
		p = k_mem_alloc(100, 0);
		k_mem_free(p);
		p[60] = 1;
		EXPECT_PANIC(k_mem_check(), "freed (cached) block");
	}
	/* a block in no list that says it is cached */
	CHECK_EQ_U64(mem_boot1(1 * MiB), 0);
	p = k_mem_alloc(48, 0);
	void *q = k_mem_alloc(48, 0);
	k_mem_free(p);
	uintptr_t key = ((uintptr_t *)p)[1] ^ ((uintptr_t)p - sizeof(uintptr_t)); /* p's mark, unkeyed */
	memcpy(q, p, 3 * sizeof(uintptr_t)); /* q's payload forged from p's */
	((uintptr_t *)q)[1] = ((uintptr_t)q - sizeof(uintptr_t)) ^ key; /* the mark, for q's address */
	EXPECT_PANIC(k_mem_check(), "k_mem_check");
}

/* Out of memory: a request fails only once the front cache has been given
 * back, so memory resting in it still serves other sizes. */
static void test_oom_flushes(void)
{
	CHECK_EQ_U64(mem_boot1(512 * 1024), 0);
	size_t tables = mem_table_frames();
	enum { N = 4000 };
	static void *p[N];
	unsigned n = 0;
	while (n < N && (p[n] = k_mem_alloc(200, 0)) != NULL)
		n++;
	CHECK(n > 500 && n < N);
	for (unsigned i = 0; i < n; i++)
		k_mem_free(p[i]);
	k_mem_check();
	unsigned m = 0;
	while (m < N && (p[m] = k_mem_alloc(3000, 0)) != NULL)
		m++;
	CHECK((size_t)m * 3000u > (size_t)n * 200u * 8u / 10u);
	k_mem_check();
	for (unsigned i = 0; i < m; i++)
		k_mem_free(p[i]);
	mem_expect_empty(tables);
}

int main(void)
{
	test_reuse();
	test_hand_over();
	test_peak();
	test_misuse();
	test_oom_flushes();
	bsp_sim_teardown();
	return check_report();
}
