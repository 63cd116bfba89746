/*
 * mem_test.h — helpers shared by the memory manager's unit tests: boot a
 * fresh kernel memory manager on given regions, expect a panic, and check
 * that nothing leaked.
 */
#ifndef WEFT_MEM_TEST_H
#define WEFT_MEM_TEST_H

#include <setjmp.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include <k/errno.h>
#include <k/mem.h>

/* Boot on `count` regions of the given sizes, each misaligned by misalign. */
static inline int mem_boot(unsigned count, const size_t *sizes, size_t misalign)
{
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = count;
	for (unsigned i = 0; i < count; i++)
		o.region_bytes[i] = sizes[i];
	o.region_misalign = misalign;
	bsp_sim_setup(&o);
	return k_mem_init();
}

static inline int mem_boot1(size_t bytes)
{
	return mem_boot(1, &bytes, 0);
}

/* Run `stmt`, expecting it to panic with a message containing `needle`. */
#define EXPECT_PANIC(stmt, needle)                                                         \
	do {                                                                               \
		static jmp_buf expect_env_;                                                \
		volatile int expect_panicked_ = 0;                                         \
		bsp_sim_catch_panic(&expect_env_);                                         \
		if (setjmp(expect_env_) == 0) {                                            \
			stmt;                                                              \
		} else {                                                                   \
			expect_panicked_ = 1;                                              \
		}                                                                          \
		bsp_sim_catch_panic(NULL);                                                 \
		CHECK(expect_panicked_);                                                   \
		if (expect_panicked_ && !strstr(bsp_sim_last_panic(), (needle))) {        \
			fprintf(stderr, "panic message was: %s\n", bsp_sim_last_panic());  \
			CHECK(!"panic message names the misuse");                          \
		}                                                                          \
	} while (0)

/* Everything but the manager's own tables is back: no owner holds anything
 * and, after a trim, every frame but the tables is free. */
static inline void mem_expect_empty(size_t table_frames)
{
	struct k_mem_stats s;
	k_mem_check();
	k_mem_trim();
	k_mem_check();
	k_mem_stats(&s);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
		CHECK_EQ_U64(s.owner[o].used_bytes, 0);
	CHECK_EQ_U64(s.frames_free + table_frames, s.frames_total);
	CHECK_EQ_U64(s.heap_bytes, 0);
	CHECK_EQ_U64(s.cache_frames, 0);
}

/* Frames the manager keeps for itself right after boot. */
static inline size_t mem_table_frames(void)
{
	struct k_mem_stats s;
	k_mem_stats(&s);
	return s.frames_total - s.frames_free;
}

#endif /* WEFT_MEM_TEST_H */
