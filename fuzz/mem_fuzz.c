/*
 * mem_fuzz.c — the memory manager against a shadow model, on simulated cores.
 *
 * Input: byte 0 picks the number of cores (1-4) and the regions' misalignment;
 * then 3-byte ops: [kind:3 core:2 -:3] [slot] [arg]. Each core runs, in input
 * order, the ops addressed to it, all cores at once on the simulator; the
 * schedule is drawn from the same input bytes (sim_strategy_bytes). Ops:
 * alloc, aligned alloc, zalloc, realloc, free (of whatever a slot holds,
 * wherever it was allocated: cross-core frees), cache alloc (three caches),
 * frames alloc. The schedule (weft_fuzz_schedule, fuzz_harness.h): one input
 * byte per decision, then (once the bytes are spent) a PRNG seeded from the
 * input; a core spinning on a held lock is never picked again, so it cannot
 * starve the holder nor spend steps re-reading the lock. The shadow model
 * keeps every live block with a fill pattern:
 * no two live blocks overlap, alignment is honoured, contents survive
 * realloc, k_mem_check() is clean after every op that called the memory
 * manager (check_after_op says which checks are skipped and why), and at
 * the end, after a full check, everything is returned (every owner at zero,
 * every frame back after a trim). A fresh k_mem_init per input: nothing
 * carries over.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "fuzz_harness.h"
#include "sim_assert.h"
#include <k/mem.h>

#define SLOTS 64u
#define OPS_MAX 200u
#define CACHES 3u

/* The reference builds (bench/bench_fuzz_mem.c, docs/fuzzing.md "The
 * ceiling"): MEM_FUZZ_DIRECT=1 runs the same input's ops in input order on
 * one core, straight from LLVMFuzzerTestOneInput in the adapter's direct
 * mode (no simulator: no steps, no fibers, no schedule), with the same
 * shadow model and end checks; MEM_FUZZ_DIRECT_CHECKS=0 also leaves out
 * k_mem_check after each op. They measure what any design of this target
 * that keeps the per-op oracle could reach; they are not fuzz targets. */
#ifndef MEM_FUZZ_DIRECT
#define MEM_FUZZ_DIRECT 0
#endif
#ifndef MEM_FUZZ_DIRECT_CHECKS
#define MEM_FUZZ_DIRECT_CHECKS 1
#endif
_Static_assert(MEM_FUZZ_DIRECT || MEM_FUZZ_DIRECT_CHECKS, "the fuzz target checks after every op");

enum op_kind { OP_ALLOC, OP_ALIGNED, OP_ZALLOC, OP_REALLOC, OP_FREE, OP_CACHE, OP_FRAMES, OP_FREE2 };
enum slot_kind { SLOT_EMPTY, SLOT_HEAP, SLOT_CACHE, SLOT_FRAMES, SLOT_BUSY };

struct slot {
	uint8_t *p;
	size_t bytes;
	unsigned kind;  /* enum slot_kind */
	unsigned cache; /* SLOT_CACHE: which cache */
	uint8_t seed;   /* fill pattern */
};

static const size_t cache_bytes[CACHES] = {24, 100, 1000};

static struct {
	bsp_spinlock_t lock; /* guards slot[], generation */
	struct slot slot[SLOTS];
	uint8_t generation;
	const uint8_t *ops;
	size_t op_count;
	unsigned cores;
	k_cache_t *cache[CACHES];
	size_t tables;
	bsp_atomic_t finished;
	/* Memory-manager calls begun and done by every core, and the done
	 * count a finished k_mem_check certified (check_after_op). Plain
	 * counters: the simulator runs one core at a time on one host thread,
	 * and they are the harness's bookkeeping, not the kernel's state. */
	uint64_t calls_begun, calls_done, calls_checked;
} fz;

/* Per process, for WEFT_FUZZ_STATS (docs/fuzzing.md): checks after ops
 * made (of them, with every other core stopped: k_mem_check_stopped) and
 * skipped by check_after_op. */
static struct {
	bool registered;
	uint64_t run, stopped, skipped;
} checks;

static void checks_print(void)
{
	fprintf(stderr, "mem_fuzz_checks: run=%llu stopped=%llu skipped=%llu\n", (unsigned long long)checks.run,
		(unsigned long long)checks.stopped, (unsigned long long)checks.skipped);
}

#define FUZZ_FAIL(...)                                                \
	do {                                                          \
		fprintf(stderr, "mem_fuzz: " __VA_ARGS__);            \
		fprintf(stderr, "\n");                                \
		abort();                                              \
	} while (0)

/* Fill patterns: byte i of a block with seed s is pattern[s + i], where
 * pattern[j] = 31 * j mod 256 (period 256), so every block shows where its
 * bytes belong. memcpy/memcmp keep the harness cheaper than the kernel. */
#define PATTERN_MAX (256u + 256u * 1024u)
static uint8_t pattern[PATTERN_MAX];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	if (pattern[1] == 0)
		for (size_t j = 0; j < PATTERN_MAX; j++)
			pattern[j] = (uint8_t)(j * 31u);
	if (n > PATTERN_MAX - 256u)
		FUZZ_FAIL("block of %zu bytes longer than the pattern", n);
	memcpy(p, pattern + seed, n);
}

static void verify(const uint8_t *p, size_t n, uint8_t seed, const char *what)
{
	if (memcmp(p, pattern + seed, n) != 0)
		FUZZ_FAIL("%s: %zu-byte block %p changed", what, n, (const void *)p);
}

/* Every byte of a zalloc'd block is zero. memcmp against zeros, not a
 * byte loop: this target's own code is instrumented for coverage, and a
 * compare per byte of a 252 KiB block is the oracle's cost, not the kernel's. */
#define ZERO_CHUNK_BYTES 4096u
static const uint8_t zeros[ZERO_CHUNK_BYTES];

static void verify_zero(const uint8_t *p, size_t n)
{
	for (size_t at = 0; at < n; at += ZERO_CHUNK_BYTES) {
		size_t len = n - at < ZERO_CHUNK_BYTES ? n - at : ZERO_CHUNK_BYTES;
		if (memcmp(p + at, zeros, len) != 0)
			FUZZ_FAIL("zalloc block %p+%zu not zero within bytes %zu..%zu", (const void *)p, n,
				  at, at + len);
	}
}

static size_t arg_size(uint8_t arg)
{
	/* 1..63 bytes, then up to 1 KiB, 64 KiB, 252 KiB (bigger than a chunk) */
	return (size_t)(arg & 0x3Fu) << ((arg >> 6) * 4u) | 1u;
}

static void lock(bsp_irq_state_t *s)
{
	*s = bsp_irq_save();
	bsp_spin_lock(&fz.lock);
}

static void unlock(bsp_irq_state_t s)
{
	bsp_spin_unlock(&fz.lock);
	bsp_irq_restore(s);
}

/* Caller holds fz.lock. A new block must not overlap any live one. */
static void check_no_overlap(const uint8_t *p, size_t n)
{
	for (unsigned i = 0; i < SLOTS; i++) {
		const struct slot *s = &fz.slot[i];
		if (s->kind == SLOT_EMPTY || s->kind == SLOT_BUSY)
			continue;
		if (p < s->p + s->bytes && s->p < p + n)
			FUZZ_FAIL("block %p+%zu overlaps live block %p+%zu", (const void *)p, n, (const void *)s->p,
				  s->bytes);
	}
}

/* Take slot k for this core's op: its old content is returned in *old and
 * the slot is BUSY until put back. */
static bool take(unsigned k, struct slot *old)
{
	bsp_irq_state_t s;
	lock(&s);
	bool ok = fz.slot[k].kind != SLOT_BUSY;
	if (ok) {
		*old = fz.slot[k];
		fz.slot[k].kind = SLOT_BUSY;
	}
	unlock(s);
	return ok;
}

static void put(unsigned k, struct slot v)
{
	bsp_irq_state_t s;
	lock(&s);
	if (v.kind != SLOT_EMPTY) {
		check_no_overlap(v.p, v.bytes);
		v.seed = fz.generation++;
		fill(v.p, v.bytes, v.seed);
	}
	fz.slot[k] = v;
	unlock(s);
}

/* Bracket every memory-manager call that may change its state. */
static void call_begin(void)
{
	SIM_ASSERT(fz.calls_begun >= fz.calls_done);
	fz.calls_begun++;
	SIM_ASSERT(fz.calls_begun - fz.calls_done <= BSP_CORES_MAX); /* one per core at most */
}

static void call_end(void)
{
	SIM_ASSERT(fz.calls_begun > fz.calls_done);
	fz.calls_done++;
}

static void release(struct slot *v)
{
	if (v->kind == SLOT_HEAP || v->kind == SLOT_CACHE || v->kind == SLOT_FRAMES)
		call_begin();
	switch (v->kind) {
	case SLOT_HEAP:
		verify(v->p, v->bytes, v->seed, "free");
		k_mem_free(v->p);
		break;
	case SLOT_CACHE:
		verify(v->p, v->bytes, v->seed, "cache free");
		k_cache_free(fz.cache[v->cache], v->p);
		break;
	case SLOT_FRAMES:
		verify(v->p, v->bytes, v->seed, "frames free");
		k_frames_free(v->p, v->bytes / K_PAGE_BYTES);
		break;
	default:
		v->kind = SLOT_EMPTY;
		return; /* nothing held: no call made */
	}
	call_end();
	v->kind = SLOT_EMPTY;
}

static void check_align(const void *p, size_t align)
{
	if (((uintptr_t)p & (align - 1u)) != 0u)
		FUZZ_FAIL("block %p not aligned to %zu", p, align);
}

static void do_op(const uint8_t *op)
{
	unsigned kind = op[0] & 7u, k = op[1] % SLOTS;
	uint8_t arg = op[2];
	k_mem_owner_t owner = (k_mem_owner_t)(op[1] >> 6);
	struct slot v;
	if (!take(k, &v))
		return; /* another core is on this slot right now */
	if (kind == OP_REALLOC && v.kind == SLOT_HEAP) {
		size_t n = arg_size(arg);
		verify(v.p, v.bytes, v.seed, "before realloc");
		call_begin();
		uint8_t *q = k_mem_realloc(v.p, n, owner);
		call_end();
		if (q != NULL) {
			check_align(q, K_MEM_ALIGN);
			verify(q, n < v.bytes ? n : v.bytes, v.seed, "realloc");
			v.p = q;
			v.bytes = n;
		}
		put(k, v);
		return;
	}
	release(&v);
	uint8_t *p = NULL;
	size_t n = arg_size(arg), align = K_MEM_ALIGN;
	bool calls = kind != OP_FREE && kind != OP_FREE2 && kind != OP_REALLOC;
	if (calls)
		call_begin();
	switch (kind) {
	case OP_ALLOC:
		p = k_mem_alloc(n, owner);
		break;
	case OP_ALIGNED:
		align = (size_t)1u << (arg % 13u);
		n = (size_t)(op[1] & 0x3Fu) * 37u + 1u;
		p = k_mem_alloc_aligned(n, align, owner);
		if (align < K_MEM_ALIGN)
			align = K_MEM_ALIGN;
		break;
	case OP_ZALLOC:
		p = k_mem_zalloc(n, owner);
		if (p != NULL)
			verify_zero(p, n);
		break;
	case OP_CACHE:
		v.cache = arg % CACHES;
		n = cache_bytes[v.cache];
		p = k_cache_alloc(fz.cache[v.cache], owner);
		break;
	case OP_FRAMES:
		n = (1u + arg % 4u) * K_PAGE_BYTES;
		align = K_PAGE_BYTES;
		p = k_frames_alloc(n / K_PAGE_BYTES, owner);
		break;
	default: /* OP_FREE, OP_FREE2, OP_REALLOC of a non-heap slot: freed above */
		break;
	}
	if (calls)
		call_end();
	if (p != NULL) {
		check_align(p, align);
		v.p = p;
		v.bytes = n;
		v.kind = kind == OP_CACHE ? SLOT_CACHE : kind == OP_FRAMES ? SLOT_FRAMES : SLOT_HEAP;
	}
	put(k, v);
}

/* No memory-manager call is under way on any core (the counts say so), so
 * every other core is stopped outside the manager, and k_mem_check_stopped
 * walks the same state k_mem_check would, without its lock points: on the
 * simulator nothing else runs until the walk ends (interrupts go off first,
 * which is no scheduling point, and the one point, interrupts back on,
 * comes after the walk). Checked on both sides. */
static void check_stopped(void)
{
	uint64_t begun = fz.calls_begun;
	SIM_ASSERT(begun == fz.calls_done);
	k_mem_check_stopped();
	checks.stopped++;
	SIM_ASSERT(fz.calls_begun == begun);
}

/* k_mem_check after an op, unless the memory manager cannot have changed
 * since a check that already walked it: no call in flight and none done
 * since a finished check that began with none in flight (an op that found
 * its slot busy or freed an empty one, or another core's check that ran
 * after this core's call). Such a check would walk the same state again;
 * skipping it also drops its lock points, which are the oracle's, not the
 * kernel's. A check certifies only what was done, with nothing half-way,
 * when it began; boot_main's full checks at the end always run. With no
 * call under way the check is k_mem_check_stopped (check_stopped); with
 * another core inside the manager it is k_mem_check, which waits for that
 * core's locks. */
static void check_after_op(void)
{
	if (!MEM_FUZZ_DIRECT_CHECKS) {
		checks.skipped++;
		return;
	}
	bool quiet = fz.calls_begun == fz.calls_done;
	if (quiet && fz.calls_done == fz.calls_checked) {
		checks.skipped++;
		return;
	}
	uint64_t done = fz.calls_done;
	if (quiet)
		check_stopped();
	else
		k_mem_check();
	checks.run++;
	if (quiet && done > fz.calls_checked)
		fz.calls_checked = done;
	SIM_ASSERT(fz.calls_checked <= fz.calls_done);
}

static void core_share(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (size_t i = 0; i < fz.op_count; i++) {
		const uint8_t *op = fz.ops + 3u * i;
		if (((op[0] >> 3) & 3u) % fz.cores != me)
			continue;
		do_op(op);
		check_after_op();
	}
	bsp_atomic_fetch_add(&fz.finished, 1);
}

static void boot_main(void *arg)
{
	(void)arg;
	call_begin(); /* the boot's calls: the first op's check walks their result */
	if (k_mem_init() != 0)
		FUZZ_FAIL("k_mem_init failed");
	struct k_mem_stats st;
	k_mem_stats(&st);
	fz.tables = st.frames_total - st.frames_free;
	for (unsigned c = 0; c < CACHES; c++)
		if ((fz.cache[c] = k_cache_create("fuzz", cache_bytes[c], 0)) == NULL)
			FUZZ_FAIL("k_cache_create failed");
	call_end();
	for (unsigned c = 1; c < fz.cores; c++)
		if (bsp_core_start(c, core_share, (void *)(uintptr_t)c) != 0)
			FUZZ_FAIL("bsp_core_start failed");
	core_share((void *)(uintptr_t)0);
	while (bsp_atomic_load(&fz.finished) < fz.cores)
		;
	for (unsigned k = 0; k < SLOTS; k++)
		release(&fz.slot[k]);
	for (unsigned c = 0; c < CACHES; c++)
		if (k_cache_destroy(fz.cache[c]) != 0)
			FUZZ_FAIL("k_cache_destroy: cache %u still busy", c);
	k_mem_check();
	k_mem_trim();
	k_mem_check();
	k_mem_stats(&st);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
		if (st.owner[o].used_bytes != 0)
			FUZZ_FAIL("owner %u still holds %zu bytes", o, st.owner[o].used_bytes);
	if (st.frames_free + fz.tables != st.frames_total || st.heap_bytes != 0 || st.cache_frames != 0)
		FUZZ_FAIL("memory not returned: %zu of %zu frames free", st.frames_free, st.frames_total);
}

/* The simulated machine's regions for this input (sizes and misalignment
 * drawn from byte 0), handed to the adapter. */
static void setup_regions(uint8_t byte0)
{
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = 2;
	o.region_bytes[0] = 768u * 1024u + (byte0 >> 2) * 97u;
	o.region_bytes[1] = 96u * 1024u + 1u;
	o.region_misalign = (byte0 >> 4) * 3u;
	bsp_sim_setup(&o);
}

/* Reference build: every op on core 0, in input order, no simulator. */
static void run_direct(void)
{
	SIM_ASSERT(MEM_FUZZ_DIRECT && bsp_core_count() == 1u);
	fz.cores = 1;
	boot_main(NULL);
	SIM_ASSERT(bsp_atomic_load(&fz.finished) == 1u);
}

static void run_simulated(const uint8_t *data, size_t size)
{
	sim_strategy_t strategy;
	struct weft_fuzz_schedule sched;
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	weft_fuzz_schedule_init(&strategy, &sched, "mem-fuzz", data, size, cfg.timing_decisions);
	cfg.cores = fz.cores;
	cfg.strategy = &strategy;
	cfg.step_budget = 20u * 1000u * 1000u;
	sim_result_t r;
	enum sim_outcome out = bsp_sim_run(&cfg, boot_main, NULL, &r);
	if (out != SIM_OK) {
		fprintf(stderr, "mem_fuzz: run failed (%d): %s\n", (int)out, r.message);
		abort();
	}
	weft_fuzz_count_run(&r);
	sim_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	memset(&fz, 0, sizeof fz);
	bsp_spin_init(&fz.lock);
	fz.cores = 1u + (data[0] & 3u);
	fz.ops = data + 1;
	fz.op_count = (size - 1) / 3u;
	if (fz.op_count > OPS_MAX)
		fz.op_count = OPS_MAX;
	setup_regions(data[0]);
	if (MEM_FUZZ_DIRECT)
		run_direct();
	else
		run_simulated(data, size);
	if (!checks.registered) {
		checks.registered = true;
		if (getenv("WEFT_FUZZ_STATS") != NULL)
			atexit(checks_print);
	}
	return 0;
}
