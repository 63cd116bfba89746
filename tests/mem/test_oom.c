/*
 * test_oom.c — out of memory at every allocation call, the SQLite way: for
 * N = 1, 2, ... the N-th allocation fails (once, then again with every later
 * one failing too) until the scenario runs to its end. After each run the
 * checker is clean and, once the scenario has undone its own work, nothing
 * is leaked: every owner holds nothing and every frame is back.
 */
#include <stdint.h>

#include "mem_test.h"

enum { HEAP_N = 24, OBJ_N = 40 };

struct scene {
	void *heap[HEAP_N];
	size_t heap_bytes[HEAP_N];
	void *frames;
	k_cache_t *cache;
	void *obj[OBJ_N];
};

static void scene_undo(struct scene *s)
{
	k_mem_check();
	for (unsigned i = 0; i < OBJ_N; i++)
		if (s->obj[i])
			k_cache_free(s->cache, s->obj[i]);
	if (s->cache)
		CHECK_EQ_U64(k_cache_destroy(s->cache), 0);
	for (unsigned i = 0; i < HEAP_N; i++)
		k_mem_free(s->heap[i]);
	k_frames_free(s->frames, 3);
	memset(s, 0, sizeof *s);
}

/* The scenario: every kind of allocation, growth, realloc that moves and
 * that stays. Returns 1 if it ran to the end, 0 if an allocation failed
 * (after undoing its work). */
static int scene_run(struct scene *s)
{
	memset(s, 0, sizeof *s);
	if (!(s->cache = k_cache_create("oom", 72, 0)))
		goto fail;
	for (unsigned i = 0; i < OBJ_N; i++) {
		if (!(s->obj[i] = k_cache_alloc(s->cache, i % 4)))
			goto fail;
		memset(s->obj[i], 0x3c, 72);
	}
	for (unsigned i = 0; i < HEAP_N; i++) {
		size_t n = (i % 6 == 5) ? 70000 + i : 16 + i * 131;
		void *p = (i % 4 == 3) ? k_mem_alloc_aligned(n, 256, 1) : (i % 7 == 6) ? k_mem_zalloc(n, 2)
											 : k_mem_alloc(n, 3);
		if (!p)
			goto fail;
		memset(p, (int)i, n);
		s->heap[i] = p;
		s->heap_bytes[i] = n;
	}
	if (!(s->frames = k_frames_alloc(3, 5)))
		goto fail;
	for (unsigned i = 0; i < OBJ_N; i += 2) {
		k_cache_free(s->cache, s->obj[i]);
		s->obj[i] = NULL;
	}
	for (unsigned i = 0; i < HEAP_N; i += 3) {
		size_t n = s->heap_bytes[i] * 3 + 5000;
		void *q = k_mem_realloc(s->heap[i], n, 0);
		if (!q)
			goto fail; /* the old block is still s->heap[i] */
		for (size_t j = 0; j < s->heap_bytes[i]; j++)
			if (((uint8_t *)q)[j] != (uint8_t)i) {
				CHECK(!"realloc kept the contents");
				break;
			}
		s->heap[i] = q;
		s->heap_bytes[i] = n;
	}
	for (unsigned i = 0; i < OBJ_N; i += 2)
		if (!(s->obj[i] = k_cache_alloc(s->cache, 0)))
			goto fail;
	scene_undo(s);
	return 1;
fail:
	scene_undo(s);
	return 0;
}

static void oom_loop(size_t region_bytes, bool persist)
{
	struct scene s;
	uint64_t n;
	unsigned failures = 0;
	for (n = 1; n < 10000; n++) {
		CHECK_EQ_U64(mem_boot1(region_bytes), 0);
		size_t tables = mem_table_frames();
		bsp_sim_fail_nth(BSP_FAULT_ALLOC, n, persist);
		int done = scene_run(&s);
		uint64_t calls = bsp_sim_fault_calls(BSP_FAULT_ALLOC);
		bsp_sim_fail_nth(BSP_FAULT_ALLOC, 0, false);
		mem_expect_empty(tables);
		if (calls < n) { /* the N-th call never came: the scenario is whole */
			CHECK(done);
			break;
		}
		CHECK(!done || !persist || calls == n);
		failures += !done;
	}
	CHECK(n > 50 && n < 10000);
	CHECK(failures > 50);
	printf("oom loop (%zu bytes, %s): %u runs failed an allocation, run %u completed\n",
	       region_bytes, persist ? "persist" : "once", failures, (unsigned)n);
}

/* Real exhaustion, not injected: the scenario on a region too small for it
 * fails cleanly and leaves nothing behind. */
static void real_oom(void)
{
	struct scene s;
	for (size_t kib = 48; kib <= 2048; kib *= 2) {
		CHECK_EQ_U64(mem_boot1(kib * 1024), 0);
		size_t tables = mem_table_frames();
		int done = scene_run(&s);
		mem_expect_empty(tables);
		if (kib >= 2048)
			CHECK(done);
	}
}

int main(void)
{
	oom_loop(4u << 20, false);
	oom_loop(4u << 20, true);
	oom_loop(512u << 10, false);
	real_oom();
	bsp_sim_teardown();
	return check_report();
}
