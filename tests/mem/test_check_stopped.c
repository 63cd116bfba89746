/*
 * test_check_stopped.c — k_mem_check_stopped gives k_mem_check's verdicts
 * with fewer scheduling points.
 *
 * On 1 and 2 simulated cores, the main core builds a state with something
 * of every structure the checker walks (a live heap block, a block resting
 * in the front cache, a free TLSF block and the live block after it, a live
 * and a free cache object, a raw frame run; on 2 cores, core 1 leaves blocks
 * in its own front cache and objects in its own magazine), plants one
 * corruption of a kind the walk detects, and runs one of the two checkers
 * with every other core stopped. For every kind, both checkers must fail
 * the run with the same message (the same check, naming the same address);
 * with no corruption both must pass, count the same items, and the stopped
 * one must take fewer simulated steps (its walk takes no lock).
 */
#include <stdint.h>
#include <string.h>

#include "mem_test.h"

enum plant {
	PLANT_NONE,
	PLANT_HEAP_GUARD,   /* a byte past a live block's end (debug) */
	PLANT_HEAP_SIZE,    /* a live block's size bits */
	PLANT_FREE_LINK,    /* a free block's back link */
	PLANT_PREV_FREE,    /* the PREV_FREE bit of the block after a free one */
	PLANT_CACHED_WRITE, /* a write into a block resting in the front cache (debug) */
	PLANT_OBJ_GUARD,    /* a byte past a live cache object (debug) */
	PLANT_OBJ_HEADER,   /* a live object's header word */
	PLANT_MAG_OBJ,      /* the header of an object resting in a magazine */
	PLANT_FRAME_HEAD,   /* the head flag of the first frame run */
	PLANT_REMOTE_CACHED, /* a write into core 1's front cache (debug, 2 cores) */
	PLANTS
};

/* What each planted kind must make the checker say. */
static const char *const plant_needle[PLANTS] = {
	"", "past the end of block", "k_mem_check: bad block size", "back link broken", "PREV_FREE flag wrong",
	"freed (cached) block", "past the end of object", "object header damaged", "magazine object not free",
	"frame run without a head frame", "freed (cached) block",
};

/* Message room: the adapter's failure text plus the panic's. */
#define MESSAGE_MAX 512u

static struct {
	unsigned cores;
	enum plant plant;
	bool stopped;          /* which checker the run calls */
	bsp_atomic_t finished; /* core 1 done with its share */
	uint8_t *small, *cached, *big_free, *big_next, *obj, *obj_freed, *remote_cached;
	void *frames;
	k_cache_t *cache;
	size_t items;
	size_t tables;
} run;

/* Core 1: leave a block in its front cache and an object in its magazine. */
static void core1_share(void *arg)
{
	(void)arg;
	uint8_t *p = k_mem_alloc(100, 1);
	void *o = k_cache_alloc(run.cache, 1);
	CHECK(p != NULL && o != NULL);
	k_mem_free(p);
	k_cache_free(run.cache, o);
	run.remote_cached = p;
	bsp_atomic_fetch_add(&run.finished, 1);
}

static void build_state(void)
{
	run.small = k_mem_alloc(40, 0);
	run.cached = k_mem_alloc(100, 0);
	run.big_free = k_mem_alloc(3000, 0);
	run.big_next = k_mem_alloc(3000, 2);
	run.obj = k_cache_alloc(run.cache, 3);
	run.obj_freed = k_cache_alloc(run.cache, 3);
	run.frames = k_frames_alloc(2, 4);
	CHECK(run.small && run.cached && run.big_free && run.big_next && run.obj && run.obj_freed && run.frames);
	k_mem_free(run.cached);   /* an exact class: onto core 0's front cache */
	k_mem_free(run.big_free); /* above the exact classes: a TLSF free block */
	k_cache_free(run.cache, run.obj_freed);
}

/* The first frame of region 0 holds the manager's per-core table (the
 * first run frames_init hands out); its descriptor is the table's first. */
static void plant_frame_head(void)
{
	const struct bsp_mem_region *regions = NULL;
	CHECK(bsp_mem_regions(&regions) >= 1u);
	uintptr_t table = (regions[0].base + K_PAGE_BYTES - 1u) & ~(uintptr_t)(K_PAGE_BYTES - 1u);
	uint8_t *head = (uint8_t *)table + 7; /* struct frame_desc: run, owner, kind, head */
	CHECK(*head == 1u);
	*head = 0;
}

static void plant(enum plant kind)
{
	switch (kind) {
	case PLANT_HEAP_GUARD: run.small[41] = 1; break;
	case PLANT_HEAP_SIZE: ((uintptr_t *)run.small)[-1] ^= (uintptr_t)1u << 20; break; /* past its chunk */
	case PLANT_FREE_LINK: ((uintptr_t *)run.big_free)[1] ^= 0x40u; break;
	case PLANT_PREV_FREE: ((uintptr_t *)run.big_next)[-1] &= ~(uintptr_t)2u; break;
	case PLANT_CACHED_WRITE: run.cached[60] = 1; break;
	case PLANT_OBJ_GUARD: run.obj[61] = 0; break;
	case PLANT_OBJ_HEADER: ((uintptr_t *)run.obj)[-1] ^= 0x1000u; break;
	case PLANT_MAG_OBJ: ((uintptr_t *)run.obj_freed)[-1] ^= 0x1000u; break;
	case PLANT_FRAME_HEAD: plant_frame_head(); break;
	case PLANT_REMOTE_CACHED: run.remote_cached[60] = 1; break;
	default: break;
	}
}

static void release_state(void)
{
	k_mem_free(run.small);
	k_mem_free(run.big_next);
	k_cache_free(run.cache, run.obj);
	k_frames_free(run.frames, 2);
	CHECK_EQ_U64(k_cache_destroy(run.cache), 0);
	mem_expect_empty(run.tables);
}

static void boot_main(void *arg)
{
	(void)arg;
	CHECK_EQ_U64(k_mem_init(), 0);
	run.tables = mem_table_frames();
	run.cache = k_cache_create("plant", 60, 0);
	CHECK(run.cache != NULL);
	if (run.cores > 1) {
		CHECK_EQ_U64(bsp_core_start(1, core1_share, NULL), 0);
		while (bsp_atomic_load(&run.finished) < 1u)
			;
	}
	build_state(); /* core 1 is done: nobody else is in the manager */
	plant(run.plant);
	run.items = run.stopped ? k_mem_check_stopped() : k_mem_check();
	CHECK(run.plant == PLANT_NONE); /* a planted corruption never gets here */
	release_state();
}

/* One run; its outcome, the failure message (if any) and its steps. */
static enum sim_outcome one_run(unsigned cores, enum plant kind, bool stopped, char *message, uint64_t *steps)
{
	memset(&run, 0, sizeof run);
	run.cores = cores;
	run.plant = kind;
	run.stopped = stopped;
	CHECK_EQ_U64(mem_boot1(1u << 20), 0); /* the regions the run's k_mem_init carves */
	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	sim_strategy_random(&strategy, &storage, 7, 0);
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = cores;
	cfg.strategy = &strategy;
	cfg.step_budget = 1000u * 1000u;
	sim_result_t r;
	enum sim_outcome out = bsp_sim_run(&cfg, boot_main, NULL, &r);
	snprintf(message, MESSAGE_MAX, "%s", r.message);
	*steps = r.steps;
	sim_result_free(&r);
	return out;
}

/* From the panic's text on: the part both checkers must share (the
 * adapter's prefix names the step, which differs). */
static const char *panic_text(const char *message)
{
	const char *at = strstr(message, "k_mem_check");
	return at != NULL ? at : message;
}

static void compare(unsigned cores, enum plant kind)
{
	char locked[MESSAGE_MAX], stopped[MESSAGE_MAX];
	uint64_t locked_steps, stopped_steps;
	enum sim_outcome a = one_run(cores, kind, false, locked, &locked_steps);
	size_t locked_items = run.items;
	enum sim_outcome b = one_run(cores, kind, true, stopped, &stopped_steps);
	size_t stopped_items = run.items;
	if (kind == PLANT_NONE) {
		CHECK_EQ_U64(a, SIM_OK);
		CHECK_EQ_U64(b, SIM_OK);
		CHECK(locked_items > 0u);
		CHECK_EQ_U64(stopped_items, locked_items);
		CHECK(stopped_steps < locked_steps);
		printf("cores %u, clean: %zu items both; %llu steps with k_mem_check, %llu with k_mem_check_stopped\n",
		       cores, locked_items, (unsigned long long)locked_steps, (unsigned long long)stopped_steps);
		return;
	}
	CHECK_EQ_U64(a, SIM_FAIL_ASSERT);
	CHECK_EQ_U64(b, SIM_FAIL_ASSERT);
	CHECK(strstr(locked, plant_needle[kind]) != NULL);
	CHECK(strcmp(panic_text(locked), panic_text(stopped)) == 0);
	if (strstr(locked, plant_needle[kind]) == NULL || strcmp(panic_text(locked), panic_text(stopped)) != 0)
		fprintf(stderr, "plant %d, cores %u:\n  k_mem_check:         %s\n  k_mem_check_stopped: %s\n",
			(int)kind, cores, locked, stopped);
}

int main(void)
{
	for (unsigned cores = 1; cores <= 2; cores++) {
		for (int kind = 0; kind < PLANTS; kind++) {
			bool debug_only = kind == PLANT_HEAP_GUARD || kind == PLANT_CACHED_WRITE ||
					  kind == PLANT_OBJ_GUARD || kind == PLANT_REMOTE_CACHED;
			if ((debug_only && !K_MEM_DEBUG) || (kind == PLANT_REMOTE_CACHED && cores < 2))
				continue;
			compare(cores, (enum plant)kind);
		}
	}
	bsp_sim_release_memory();
	return check_report();
}
