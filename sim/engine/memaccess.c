/*
 * memaccess.c — plain memory accesses as scheduling points.
 *
 * In the races build, chosen code (the workloads, the bug programs, and in
 * one binary the kernel) is compiled with clang's load/store tracing; the
 * hooks (memaccess_hooks.c) call sim_mem_access before each access. The
 * engine then decides, deterministically, whether the word is shared
 * between contexts (threads) and, if it is and mem_points is on, makes the
 * access a scheduling point: another core may run between any two shared
 * accesses, as on hardware. Without this, code between two kernel calls runs
 * as one indivisible step and a race between plain accesses is never tried.
 *
 * Which words are shared: a word is shared once two contexts have touched
 * it in this run, or when the caller lists it as known shared
 * (sim_config_t.mem_shared: the harness learns that list from calibration
 * runs, a fixed function of binary, workload and cores, so a replay in
 * another process has the same points). The first access of a word by its
 * second context is a point already.
 *
 * Keys, never addresses: a word is named by its offset inside the executable
 * image or inside a range the adapter named (the kernel's memory regions),
 * tagged with which. The table is hashed by key and only ever searched by
 * key; the export sorts keys. Nothing depends on where the host put things.
 *
 * What is ignored: accesses outside a run or while the engine runs foreign
 * code (the adapter's between-step checks: sim_engine_mem_hold), the running
 * fiber's own stack (a thread's locals), and memory with no key (host heap,
 * the engine's own boot stacks and state: the engine is never instrumented).
 */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* The executable's bounds, from the linker (GNU ld and lld both define
 * them); weak so that a link without them keys nothing in the image. */
extern const char __executable_start[] __attribute__((weak));
extern const char _end[] __attribute__((weak));

#define MEM_WORD_SHIFT 3u
#define MEM_TAG_SHIFT 56u
#define MEM_TAG_IMAGE 1u /* ranges are tags 2.. */
#define MEM_TABLE_BITS 16u
/* Linear probing looks this far before taking the table as full. */
#define MEM_PROBES_MAX 64u

_Static_assert((1u << MEM_TABLE_BITS) == SIM_MEM_WORDS_MAX, "table size is a power of two");
_Static_assert(SIM_MEM_RANGES_MAX + MEM_TAG_IMAGE < 255u, "tags fit a byte");

struct mem_word {
	uint64_t key;
	uint32_t gen;   /* valid in the run whose generation this is */
	uint32_t owner; /* the first context that touched it */
	uint32_t writer;     /* the context that wrote it last (SIM_CONTEXT_NONE: none) */
	uint32_t write_site; /* where: code offset in the image */
	uint32_t never_clock; /* never-rule: the writing core's clock then (0: none) */
	uint32_t never_site;
	uint8_t never_core;
	uint8_t never_bytes; /* which bytes of the word that write wrote */
	bool shared;
};

bool sim_engine_features_on;
static uint8_t mem_features[SIM_FEATURE_BITS / 8u];

static struct {
	bool active;    /* this run hooks accesses (points or learn) */
	bool points;
	int hold;       /* > 0: foreign code inside the engine */
	uint32_t gen;
	const uint64_t *known;
	size_t known_count;
	struct {
		uintptr_t base;
		size_t bytes;
	} range[SIM_MEM_RANGES_MAX];
	sim_mem_stats_t stats;
	struct mem_word words[SIM_MEM_WORDS_MAX];
} mem;

void sim_mem_range(unsigned slot, const void *base, size_t bytes)
{
	SIM_ASSERT(slot < SIM_MEM_RANGES_MAX);
	SIM_ASSERT(bytes == 0 || base != NULL);
	mem.range[slot].base = (uintptr_t)base;
	mem.range[slot].bytes = bytes;
}

static uint64_t mem_make_key(unsigned tag, uintptr_t offset)
{
	SIM_ASSERT(tag >= MEM_TAG_IMAGE && tag < 255u);
	SIM_ASSERT((offset >> MEM_WORD_SHIFT) < (1ull << MEM_TAG_SHIFT));
	return ((uint64_t)tag << MEM_TAG_SHIFT) | (uint64_t)(offset >> MEM_WORD_SHIFT);
}

uint64_t sim_mem_key(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	for (unsigned s = 0; s < SIM_MEM_RANGES_MAX; s++) {
		uintptr_t base = mem.range[s].base;
		if (a >= base && a - base < mem.range[s].bytes)
			return mem_make_key(MEM_TAG_IMAGE + 1u + s, a - base);
	}
	uintptr_t lo = (uintptr_t)__executable_start, hi = (uintptr_t)_end;
	if (lo != 0 && a >= lo && a < hi)
		return mem_make_key(MEM_TAG_IMAGE, a - lo);
	return 0;
}

/* A thread's own locals are nobody else's business. */
static bool mem_own_stack(uintptr_t a)
{
	const char *lo;
	size_t bytes;
	sim_fiber_t *f = sim_engine.core[sim_engine.current].fiber;
	SIM_ASSERT(f != NULL);
	sim_fiber_stack(f, &lo, &bytes);
	return a >= (uintptr_t)lo && a - (uintptr_t)lo < bytes;
}

static bool mem_known(uint64_t key)
{
	size_t lo = 0, hi = mem.known_count;
	while (lo < hi) { /* binary search: log2(SIM_MEM_SHARED_MAX) rounds */
		size_t mid = lo + (hi - lo) / 2u;
		if (mem.known[mid] == key)
			return true;
		if (mem.known[mid] < key)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return false;
}

/* The word's entry, made on first sight; NULL when the table is full. */
static struct mem_word *mem_find(uint64_t key, uint32_t context)
{
	SIM_ASSERT(key != 0);
	uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> (64u - MEM_TABLE_BITS);
	for (unsigned probe = 0; probe < MEM_PROBES_MAX; probe++) {
		struct mem_word *w = &mem.words[(h + probe) & (SIM_MEM_WORDS_MAX - 1u)];
		if (w->gen == mem.gen && w->key == key)
			return w;
		if (w->gen != mem.gen) {
			*w = (struct mem_word){.key = key, .gen = mem.gen, .owner = context,
					       .writer = SIM_CONTEXT_NONE, .shared = mem_known(key)};
			mem.stats.words++;
			return w;
		}
	}
	return NULL;
}

void sim_engine_feature(uint64_t v)
{
	SIM_ASSERT(sim_engine_features_on);
	uint64_t h = engine_mix(0x243f6a8885a308d3ull, v);
	uint32_t bit = (uint32_t)(h >> 48); /* 16 bits */
	SIM_ASSERT(bit < SIM_FEATURE_BITS);
	mem_features[bit >> 3] |= (uint8_t)(1u << (bit & 7u));
}

/* The code offset of pc in the image: a site name that ASLR does not move. */
static uint32_t mem_site(const void *pc)
{
	uintptr_t lo = (uintptr_t)__executable_start;
	return lo != 0 && (uintptr_t)pc >= lo ? (uint32_t)((uintptr_t)pc - lo) : 0u;
}

/* Feedback: a word another context wrote, touched here, is a (write site,
 * access site) pair; a write makes this the word's last writer. */
static void mem_note_pair(struct mem_word *w, uint32_t context, bool write, const void *pc)
{
	SIM_ASSERT(w != NULL);
	SIM_ASSERT(sim_engine_features_on);
	uint32_t site = mem_site(pc);
	if (w->writer != SIM_CONTEXT_NONE && w->writer != context)
		sim_engine_feature(((uint64_t)w->write_site << 32) | site | ((uint64_t)write << 31));
	if (write) {
		w->writer = context;
		w->write_site = site;
	}
}

/* The bytes of its 8-byte word an access touches (word bases are 8-byte
 * aligned: the image, the regions); fields that share a word are told apart. */
static uint8_t mem_byte_mask(uintptr_t a, unsigned bytes)
{
	unsigned off = (unsigned)(a & 7u);
	unsigned n = bytes < 8u - off ? bytes : 8u - off;
	SIM_ASSERT(n >= 1u && n <= 8u);
	return (uint8_t)(((1u << n) - 1u) << off);
}

/* The never-rule: judge this access against the word's last write (when
 * their bytes overlap), then remember a write. May end the run. A write to
 * other bytes by another core replaces the record: a report may be missed
 * there, never invented. */
static void mem_never(struct mem_word *w, uint64_t key, uintptr_t a, unsigned bytes, bool write,
		      const void *pc)
{
	SIM_ASSERT(w != NULL && key != 0);
	SIM_ASSERT(sim_engine.current < SIM_NEVER_CORES_MAX);
	uint32_t site = mem_site(pc);
	uint8_t mask = mem_byte_mask(a, bytes);
	if (w->never_clock != 0 && (w->never_bytes & mask) != 0)
		sim_engine_never_check(key, write, site, w->never_core, w->never_clock, w->never_site);
	if (!write)
		return;
	uint32_t clock = sim_engine_never_clock();
	if (w->never_core == sim_engine.current && w->never_clock == clock)
		mask |= w->never_bytes; /* one core, no primitive between: one write */
	w->never_core = (uint8_t)sim_engine.current;
	w->never_clock = clock;
	w->never_site = site;
	w->never_bytes = mask;
}

void sim_mem_access(const void *a, unsigned bytes, bool write, const void *pc)
{
	if (!mem.active || mem.hold > 0 || !sim_engine.running)
		return;
	SIM_ASSERT(bytes >= 1u && bytes <= 16u);
	if (mem_own_stack((uintptr_t)a))
		return;
	uint64_t key = sim_mem_key(a);
	if (key == 0)
		return;
	mem.stats.accesses++;
	uint32_t context = sim_context_current();
	struct mem_word *w = mem_find(key, context);
	bool shared;
	if (w == NULL) {
		mem.stats.overflowed++;
		shared = true; /* full: a point too many, never a race unseen */
	} else {
		if (!w->shared && w->owner != context)
			w->shared = true;
		shared = w->shared;
		if (sim_engine_features_on)
			mem_note_pair(w, context, write, pc);
		if (sim_engine_never_on())
			mem_never(w, key, (uintptr_t)a, bytes, write, pc);
	}
	if (shared && mem.points) {
		mem.stats.points++;
		sim_point(SIM_POINT_MEM);
	}
}

void sim_engine_mem_begin(const sim_config_t *cfg)
{
	SIM_ASSERT(cfg != NULL);
	SIM_ASSERT(cfg->mem_shared_count <= SIM_MEM_SHARED_MAX);
	SIM_ASSERT(cfg->mem_shared_count == 0 || cfg->mem_shared != NULL);
	mem.points = cfg->mem_points;
	mem.active = cfg->mem_points || cfg->mem_learn || cfg->features || cfg->never_rule;
	sim_engine_features_on = cfg->features;
	if (cfg->features)
		memset(mem_features, 0, sizeof mem_features);
	mem.hold = 0;
	mem.known = cfg->mem_shared;
	mem.known_count = cfg->mem_shared_count;
	memset(&mem.stats, 0, sizeof mem.stats);
	/* A new generation empties the table without touching it; on the
	 * (2^32-run) wrap it is cleared for real. */
	if (++mem.gen == 0) {
		memset(mem.words, 0, sizeof mem.words);
		mem.gen = 1;
	}
}

void sim_engine_mem_hold(bool hold)
{
	mem.hold += hold ? 1 : -1;
	SIM_ASSERT(mem.hold >= 0);
}

static int mem_key_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

size_t sim_mem_shared_export(uint64_t *keys, size_t cap)
{
	SIM_ASSERT(keys != NULL || cap == 0);
	SIM_ASSERT(!sim_engine.running);
	size_t n = 0;
	for (size_t i = 0; i < SIM_MEM_WORDS_MAX && n < cap; i++) {
		const struct mem_word *w = &mem.words[i];
		if (w->gen == mem.gen && w->shared)
			keys[n++] = w->key;
	}
	qsort(keys, n, sizeof keys[0], mem_key_cmp);
	return n;
}

uint32_t sim_features_merge(uint8_t *seen)
{
	SIM_ASSERT(seen != NULL);
	SIM_ASSERT(!sim_engine.running);
	uint32_t fresh = 0;
	for (size_t i = 0; i < sizeof mem_features; i++) {
		uint8_t add = mem_features[i] & (uint8_t)~seen[i];
		fresh += (uint32_t)__builtin_popcount(add);
		seen[i] |= add;
	}
	return fresh;
}

void sim_mem_stats(sim_mem_stats_t *s)
{
	SIM_ASSERT(s != NULL);
	*s = mem.stats;
}

/* memaccess_hooks.c, linked only into a binary with instrumented code,
 * says true. */
__attribute__((weak)) bool sim_mem_available(void)
{
	return false;
}
