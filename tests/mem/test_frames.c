/*
 * test_frames.c — primary memory: frames carved from several regions of any
 * alignment and size, runs of contiguous frames, ownership, misuse.
 */
#include <stdint.h>

#include "mem_test.h"

static void test_carving(void)
{
	/* Odd sizes and a base misaligned by 13 bytes: only whole pages count. */
	size_t sizes[3] = {10 * K_PAGE_BYTES + 100, 3 * K_PAGE_BYTES - 1, 1000 * K_PAGE_BYTES};
	CHECK_EQ_U64(mem_boot(3, sizes, 13), 0);
	struct k_mem_stats s;
	k_mem_stats(&s);
	/* per region: pages lose one to misalignment, then the table's pages */
	CHECK(s.frames_total >= 8 + 1 + 990 && s.frames_total <= 10 + 2 + 1000);
	k_mem_check();
}

static void test_runs(void)
{
	size_t sizes[2] = {64 * K_PAGE_BYTES, 256 * K_PAGE_BYTES};
	CHECK_EQ_U64(mem_boot(2, sizes, 0), 0);
	size_t tables = mem_table_frames();
	struct k_mem_stats s;
	k_mem_stats(&s);
	size_t total = s.frames_total, free0 = s.frames_free;
	uint8_t *a = k_frames_alloc(1, 3);
	uint8_t *b = k_frames_alloc(40, 3);
	uint8_t *c = k_frames_alloc(100, 4);
	CHECK(a && b && c);
	CHECK(((uintptr_t)a & (K_PAGE_BYTES - 1)) == 0);
	CHECK(((uintptr_t)b & (K_PAGE_BYTES - 1)) == 0);
	CHECK(((uintptr_t)c & (K_PAGE_BYTES - 1)) == 0);
	memset(b, 0x11, 40 * K_PAGE_BYTES); /* the whole run is ours */
	memset(c, 0x22, 100 * K_PAGE_BYTES);
	memset(a, 0x33, K_PAGE_BYTES);
	k_mem_check();
	struct k_mem_owner_stats os;
	k_mem_owner_stats(3, &os);
	CHECK_EQ_U64(os.used_bytes, 41 * K_PAGE_BYTES);
	CHECK_EQ_U64(os.blocks, 2);
	k_mem_owner_stats(4, &os);
	CHECK_EQ_U64(os.used_bytes, 100 * K_PAGE_BYTES);
	k_mem_stats(&s);
	CHECK_EQ_U64(s.frames_free, free0 - 141);
	CHECK_EQ_U64(s.frames_peak_used, total - free0 + 141);
	/* a run longer than the largest free run fails; the largest fits */
	CHECK(k_frames_alloc(s.frames_largest_free_run + 1, 0) == NULL);
	void *d = k_frames_alloc(s.frames_largest_free_run, 0);
	CHECK(d != NULL);
	k_frames_free(d, s.frames_largest_free_run);
	CHECK(k_frames_alloc(0, 0) == NULL);
	CHECK(k_frames_alloc(SIZE_MAX, 0) == NULL);
	k_frames_free(b, 40);
	/* a hole of 40 frames: a run of 40 fits back there, first fit */
	void *e = k_frames_alloc(40, 5);
	CHECK(e == b);
	k_frames_free(e, 40);
	k_frames_free(a, 1);
	k_frames_free(c, 100);
	k_frames_free(NULL, 3);
	mem_expect_empty(tables);
	k_mem_stats(&s);
	CHECK_EQ_U64(s.frames_free, free0);
}

static void test_exhaust(void)
{
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	size_t tables = mem_table_frames();
	void *f[64];
	unsigned n = 0;
	while (n < 64 && (f[n] = k_frames_alloc(1, 0)) != NULL)
		n++;
	CHECK(n >= 60 && n < 64);
	CHECK(k_mem_alloc(16, 0) == NULL); /* the heap cannot grow either */
	k_mem_check();
	while (n > 0)
		k_frames_free(f[--n], 1);
	mem_expect_empty(tables);
}

static void test_misuse(void)
{
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	uint8_t *a = k_frames_alloc(4, 0);
	EXPECT_PANIC(k_frames_free(a, 3), "count differs");
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	a = k_frames_alloc(4, 0);
	EXPECT_PANIC(k_frames_free(a + K_PAGE_BYTES, 3), "not the first frame");
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	a = k_frames_alloc(4, 0);
	k_frames_free(a, 4);
	EXPECT_PANIC(k_frames_free(a, 4), "not the first frame");
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	void *h = k_mem_alloc(100, 0);
	EXPECT_PANIC(k_frames_free((void *)((uintptr_t)h & ~(uintptr_t)(K_PAGE_BYTES - 1)), 1), "not the first frame");
	CHECK_EQ_U64(mem_boot1(64 * K_PAGE_BYTES), 0);
	EXPECT_PANIC(k_frames_alloc(1, 99), "bad owner");
}

int main(void)
{
	test_carving();
	test_runs();
	test_exhaust();
	test_misuse();
	bsp_sim_teardown();
	return check_report();
}
