/*
 * mem_internal.h — what the memory manager's files share; not a public API.
 *
 * Locks, in the order they nest (outermost first; never take one while
 * holding a later one; several core locks only in ascending core id):
 *   caches_lock          the list of caches                (cache.c)
 *   mem_cores[c].lock    core c's magazines, heap front cache and counters
 *                        (cache.c, heap.c)
 *   cache->lock          one cache's depot: slabs, counts  (cache.c)
 *   mem_lock             frames, heap, owner accounting    (frames.c, heap.c, owner.c)
 * Every lock is taken with interrupts off (mem_enter/mem_leave, or
 * bsp_spin_lock_irqsave).
 */
#ifndef K_MEM_INTERNAL_H
#define K_MEM_INTERNAL_H

#include <bsp.h>
#include <k/assert.h>
#include <k/errno.h>
#include <k/mem.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_WORD ((uintptr_t)sizeof(uintptr_t))
#define MEM_GRAIN ((uintptr_t)K_MEM_ALIGN)

#define MEM_JUNK_FREE 0xDDu  /* freed memory (debug) */
#define MEM_JUNK_GUARD 0xA5u /* guard bytes past a block's end (debug) */

K_STATIC_ASSERT((WEFT_PAGE_BYTES & (WEFT_PAGE_BYTES - 1)) == 0, "page size is a power of two");
K_STATIC_ASSERT(WEFT_PAGE_BYTES >= 256, "page size at least 256 bytes");
K_STATIC_ASSERT(K_MEM_OWNERS_MAX >= 2u, "an owner slot for the kernel and at least one process");
K_STATIC_ASSERT(K_MEM_OWNERS_MAX <= 64u, "owner slot fits 6 header bits");

static inline uintptr_t mem_align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1u) & ~(a - 1u);
}

static inline uintptr_t mem_align_down(uintptr_t v, uintptr_t a)
{
	return v & ~(a - 1u);
}

static inline bool mem_is_pow2(uintptr_t v)
{
	return v != 0u && (v & (v - 1u)) == 0u;
}

/* Byte loops of our own: the kernel links no libc. */
void mem_fill(void *p, unsigned char byte, size_t n);
void mem_copy(void *dst, const void *src, size_t n);
/* True if every byte of [p, p+n) is `byte`. */
bool mem_all(const void *p, unsigned char byte, size_t n);

/* Panic with "<what> <hex addr>" (the message names the block). The check
 * stays in every build; with K_ASSERT_TEXT 0 (a flash-tight image,
 * k/assert.h) `what` is K_PANIC_WORD, the string K_PANIC uses too, and
 * file (the memory manager's file that checked), line and address say
 * which check. */
_Noreturn void mem_panic(const char *file, int line, const char *what, uintptr_t addr);
#define MEM_TEXT(what) (K_ASSERT_TEXT ? (what) : K_PANIC_WORD)
#define MEM_ASSERT(cond, what, addr)                                                  \
	do {                                                                          \
		if (__builtin_expect(!(cond), 0))                                     \
			mem_panic(K_ASSERT_FILE, __LINE__, MEM_TEXT(what), (uintptr_t)(addr)); \
	} while (0)

#define MEM_OWNER_VALID(o) ((o) < K_MEM_OWNERS_MAX)

/* Inlining of the heap's paths. 1 (the default, every speed build): the
 * hot paths are forced inline into each entry point and the rare ones kept
 * out of line, as the RTOS figures were measured. 0 (a size build, -Os):
 * the compiler chooses; the forced copies of the TLSF list code are about
 * 2.6 KB of a minimal Cortex-M4F image. The same code either way. */
#ifndef K_CONFIG_MEM_INLINE
#define K_CONFIG_MEM_INLINE 1
#endif
#if K_CONFIG_MEM_INLINE
#define HEAP_INLINE __attribute__((always_inline))
#define HEAP_OUTLINE __attribute__((noinline))
#else
#define HEAP_INLINE
#define HEAP_OUTLINE
#endif

/* A build for size (-Os: the compiler's __OPTIMIZE_SIZE__, not a target's
 * macro): where the memory manager keeps two copies of one step for speed,
 * one serves (the same blocks, the same answers). */
#ifdef __OPTIMIZE_SIZE__
#define MEM_SIZE_LEAN 1
#else
#define MEM_SIZE_LEAN 0
#endif

/* Interrupts off + the calling core's id, stable until mem_leave. */
typedef struct mem_ctx {
	bsp_irq_state_t irq;
	unsigned core;
} mem_ctx_t;
static inline mem_ctx_t mem_enter(void)
{
	mem_ctx_t ctx;
	ctx.irq = bsp_irq_save();
	ctx.core = BSP_CORES_MAX == 1u ? 0u : bsp_core_id(); /* folded on one core */
	return ctx;
}
static inline void mem_leave(mem_ctx_t ctx)
{
	bsp_irq_restore(ctx.irq);
}

/* ------------------------------------------------------------ the mem lock */

extern bsp_spinlock_t mem_lock;

/* ------------------------------------------------------------ the checker */

/* True inside k_mem_check_stopped (mem.c): the walkers take no lock. */
bool mem_check_stopped(void);
/* For the walkers' assertions: the calling core holds lock, or runs
 * k_mem_check_stopped, whose caller promised that no other core is in the
 * memory manager. */
static inline bool mem_check_holds(const bsp_spinlock_t *lock)
{
	return mem_check_stopped() || bsp_spin_held(lock);
}

/* ------------------------------------------------------- per-core state */

/* TLSF geometry shared by heap.c and the front cache below: SL_COUNT second
 * level lists per power of two; classes below 2^HEAP_FL_SHIFT bytes are
 * exact multiples of the grain. */
/* A build sets K_CONFIG_MEM_HEAP_SL_LOG2 (3..5): fewer second-level lists
 * make a smaller index (FL levels * 2^SL_LOG2 list heads) and coarser
 * classes (a block is up to 1/2^SL_LOG2 bigger than asked for); the
 * simulator and hosted builds keep 5. */
#ifndef K_CONFIG_MEM_HEAP_SL_LOG2
#define K_CONFIG_MEM_HEAP_SL_LOG2 5u
#endif
#define HEAP_SL_LOG2 ((unsigned)(K_CONFIG_MEM_HEAP_SL_LOG2))
K_STATIC_ASSERT(HEAP_SL_LOG2 >= 3u && HEAP_SL_LOG2 <= 5u, "second-level bitmap fits 32 bits, classes at least 8 per level");
#define HEAP_SL_COUNT (1u << HEAP_SL_LOG2)
#define HEAP_ALIGN_LOG2 (sizeof(uintptr_t) == 8u ? 4u : 3u)
#define HEAP_FL_SHIFT (HEAP_SL_LOG2 + HEAP_ALIGN_LOG2)

/* The heap's front cache: per core, per TLSF class of the first
 * FRONT_FL_COUNT first levels, a LIFO list of freed blocks threaded through
 * their payloads. Two levels are the exact classes (one block size each,
 * blocks below 2^(HEAP_FL_SHIFT + 1): 1 KiB on 64-bit, 512 B on 32-bit),
 * which the hot paths index by size alone. Bigger blocks would pin more
 * memory against coalescing than their reuse saves (the fragmentation
 * trace's overhead rises past 1.15). */
/* A build sets K_CONFIG_MEM_HEAP_FRONT 0 to leave the front cache out (the
 * board: one core, where the cache saves no lock and costs about 1 KB of
 * flash): every k_mem_alloc/k_mem_free then goes to TLSF under mem_lock,
 * nothing ever rests in a cache, and the code of its lists, flush, retry
 * and hand-over folds away. The simulator and hosted builds keep 1. */
#ifndef K_CONFIG_MEM_HEAP_FRONT
#define K_CONFIG_MEM_HEAP_FRONT 1
#endif
#define HEAP_FRONT ((K_CONFIG_MEM_HEAP_FRONT) != 0)
#define FRONT_FL_COUNT 2u
#define FRONT_CLASSES (FRONT_FL_COUNT * HEAP_SL_COUNT)
/* Most blocks one class list holds (a class's list empties or fills, and
 * the call falls through to TLSF, about once in FRONT_DEPTH_MAX calls of a
 * random alloc/free walk). */
#define FRONT_DEPTH_MAX 48u
/* Most bytes (whole blocks) one core's front cache holds: cached blocks
 * also keep their neighbours from coalescing (fragmentation). */
#define FRONT_CORE_BYTES_MAX (8u * K_PAGE_BYTES)

/* Laid out so that one call touches three cache lines of it: the byte
 * total, its class's entry, its owner's entry (entries of 16 and 32 bytes
 * from 64-byte boundaries; struct mem_core arrays start on a frame). */
struct heap_front_class {
	uintptr_t head;  /* first cached block (header address), 0 = none */
	uintptr_t count; /* blocks on the list, <= FRONT_DEPTH_MAX */
};
struct heap_front_owner {
	/* Minus the bytes / blocks of cached blocks whose header names this
	 * owner (they stay charged in `owners` until reused or flushed), so
	 * owners + the sum over cores is what each owner holds. */
	intptr_t bytes;
	intptr_t blocks;
	/* Highest `bytes` since the owner's last owner_sync_locked (peaks). */
	intptr_t high;
	intptr_t unused; /* a power-of-two stride */
};
struct heap_front {
	size_t bytes; /* whole sizes of the cached blocks, <= FRONT_CORE_BYTES_MAX */
	_Alignas(64) struct heap_front_class cls[FRONT_CLASSES];
	_Alignas(64) struct heap_front_owner own[K_MEM_OWNERS_MAX];
};

/* One per core, in frames taken at boot (cache.c). A core's entry is touched
 * by whoever holds its lock: normally that core (interrupts off); a thread
 * that read its core id and then migrated before locking works on the old
 * core's entry, which is just as correct since it holds the lock; k_mem_trim,
 * k_mem_check and k_mem_stats lock every core in turn. The lock is therefore
 * uncontended on the hot path but visible to the simulator. */
struct mem_core {
	bsp_spinlock_t lock;
	unsigned id;
	/* object caches (cache.c): wrapping, charges - releases on this core */
	uintptr_t owner_bytes[K_MEM_OWNERS_MAX];
	uintptr_t owner_objects[K_MEM_OWNERS_MAX];
	struct heap_front front; /* heap.c */
};

/* Fixed after cache_init (read without a lock). */
extern struct mem_core *mem_cores;
extern unsigned mem_core_count;

/* One core (bsp_core_count() == 1 at boot: the sim's direct mode, m4f,
 * wasm): nobody else can touch memory-manager state, so turning interrupts
 * off is all the exclusion the heap and frame paths need; they skip the core
 * lock and mem_lock (mem_core_lock, mem_lock_take). The other paths (stats,
 * check, trim, object caches) take the locks anyway, which is harmless: on
 * one core with interrupts off nothing runs between. With several cores
 * every lock is taken as documented at the top of this file. */
static inline bool mem_one_core(void)
{
	/* A one-core build (BSP_CORES_MAX == 1: the board) knows it at compile
	 * time, so the many-core lock paths fold away; the simulator's builds
	 * still decide at boot, exactly as before. */
	K_ASSERT(BSP_CORES_MAX > 1u || mem_core_count <= 1u);
	return BSP_CORES_MAX == 1u || mem_core_count == 1u;
}

/* Several cores: the calling core's entry, locked, interrupts off (mem.c). */
struct mem_core *mem_core_lock_many(bsp_irq_state_t *irq);

/* Interrupts off and the calling core's entry, locked (unless one core). */
static inline struct mem_core *mem_core_lock(bsp_irq_state_t *irq)
{
	if (mem_one_core()) {
		*irq = bsp_irq_save();
		return &mem_cores[0];
	}
	return mem_core_lock_many(irq);
}
static inline void mem_core_unlock(struct mem_core *core, bsp_irq_state_t irq)
{
	if (mem_one_core())
		bsp_irq_restore(irq);
	else
		bsp_spin_unlock_irqrestore(&core->lock, irq);
}
static inline bool mem_core_held(const struct mem_core *core)
{
	return mem_one_core() ? !bsp_irq_enabled() : bsp_spin_held(&core->lock);
}
/* mem_lock, inside a mem_core_lock section (interrupts already off). */
static inline void mem_lock_take(void)
{
	if (!mem_one_core())
		bsp_spin_lock(&mem_lock);
}
static inline void mem_lock_drop(void)
{
	if (!mem_one_core())
		bsp_spin_unlock(&mem_lock);
}
static inline bool mem_lock_held(void)
{
	return mem_one_core() ? !bsp_irq_enabled() : bsp_spin_held(&mem_lock);
}

/* --------------------------------------------------------------- frames.c */

enum frame_kind {
	FRAME_FREE = 0,
	FRAME_RAW = 1,  /* k_frames_alloc, charged to its owner */
	FRAME_HEAP = 2, /* a heap chunk */
	FRAME_SLAB = 3, /* a cache slab */
	FRAME_META = 4, /* the memory manager's own tables */
	FRAME_KINDS = 5,
};

struct frame_desc {
	uint32_t run;   /* head: run length; later frames: distance to head; free: 0 */
	uint16_t owner; /* head: owner charged (FRAME_RAW), else 0 */
	uint8_t kind;   /* enum frame_kind, the same in every frame of a run */
	uint8_t head;   /* 1 on the first frame of a run */
};

struct frame_region {
	uintptr_t base; /* first frame, page-aligned */
	size_t bytes;   /* frames * K_PAGE_BYTES (the lookups' bound) */
	size_t frames;
	struct frame_desc *desc; /* [frames], in the region's first pages */
	size_t free_hint; /* no free frame below this index (mem_lock) */
};

/* The regions: fixed once frames_init returns (read without a lock). */
K_STATIC_ASSERT(K_MEM_REGIONS_MAX >= 1u, "a frame table holds at least one region");
struct frames_map {
	struct frame_region region[K_MEM_REGIONS_MAX];
	size_t region_count;
};
extern struct frames_map frames_map;

/* The region holding p, or NULL: frames_region_lookup. A speed build
 * (K_CONFIG_MEM_INLINE 1) inlines the scan at each use; a size build calls
 * frames.c's one copy (frames_region_find) instead of one per file. */
static inline const struct frame_region *frames_region_scan(uintptr_t p)
{
	const struct frame_region *first = &frames_map.region[0]; /* the usual case, without a loop */
	if (p - first->base < first->bytes)
		return first;
	for (size_t ri = 1; ri < frames_map.region_count; ri++) {
		const struct frame_region *r = &frames_map.region[ri];
		if (p - r->base < r->bytes) /* p >= base: else it wraps */
			return r;
	}
	return NULL;
}

const struct frame_region *frames_region_find(uintptr_t p);

static inline const struct frame_region *frames_region_lookup(uintptr_t p)
{
	return K_CONFIG_MEM_INLINE ? frames_region_scan(p) : frames_region_find(p);
}

/* Run holding address p: its kind (FRAME_FREE if p is in no run), first
 * frame and length. Returns false if p is in no region. Caller holds
 * mem_lock, or holds memory in the run: a live run's descriptors never
 * change until it is freed, and whoever holds part of it got it through a
 * lock taken after the run was made. */
static inline bool frames_lookup(uintptr_t p, enum frame_kind *kind, uintptr_t *run_base,
				 size_t *run_frames)
{
	const struct frame_region *r = frames_region_lookup(p);
	if (r == NULL)
		return false;
	size_t i = (p - r->base) / K_PAGE_BYTES;
	const struct frame_desc *d = &r->desc[i];
	*kind = (enum frame_kind)d->kind;
	if (d->kind == FRAME_FREE) {
		*run_base = r->base + i * K_PAGE_BYTES;
		*run_frames = 1;
		return true;
	}
	size_t head = d->head ? i : i - d->run;
	*run_base = r->base + head * K_PAGE_BYTES;
	*run_frames = r->desc[head].run;
	return true;
}

int frames_init(void);
/* Caller holds mem_lock. A run of `count` frames whose first frame is aligned
 * to align_frames (a power of two) frames, or NULL. No fault injection.
 * frames_take_locked searches the free frames only. frames_alloc_locked,
 * when that fails, has the heap give back its spare chunk (if wholly free
 * and enough to matter) and searches once more, so the one chunk the heap
 * keeps against churn never makes a frame allocation fail; blocks resting
 * in front caches can still pin their chunks (flushing them needs the core
 * locks, outside mem_lock). The caller of frames_alloc_locked must not be in
 * the middle of a heap operation with a free block off the lists (heap_grow
 * calls it only after list_take found nothing). */
void *frames_take_locked(size_t count, size_t align_frames, enum frame_kind kind, k_mem_owner_t owner);
void *frames_alloc_locked(size_t count, size_t align_frames, enum frame_kind kind,
			  k_mem_owner_t owner);
/* Caller holds mem_lock. p/count must be exactly a run of `kind`. */
void frames_free_locked(void *p, size_t count, enum frame_kind kind);
/* Caller holds mem_lock. */
size_t frames_free_count(void);
size_t frames_total_count(void);
size_t frames_largest_free_run(void);
size_t frames_peak_used(void);
/* Caller holds mem_lock. Verify every frame table; returns items checked.
 * kind_frames[k] receives how many frames are of kind k; RAW runs are
 * added to owner_bytes/owner_blocks. */
size_t frames_check(size_t kind_frames[FRAME_KINDS], size_t owner_bytes[K_MEM_OWNERS_MAX],
		    size_t owner_blocks[K_MEM_OWNERS_MAX]);

/* ----------------------------------------------------------------- heap.c */

void heap_init(void);
/* Caller holds mem_lock. */
void heap_stats_locked(struct k_mem_stats *out);
/* Verify every chunk, block and list; adds heap frames to *heap_frames and
 * every allocated block to owner_bytes/owner_blocks; returns items checked. */
size_t heap_check_locked(size_t *heap_frames, size_t owner_bytes[K_MEM_OWNERS_MAX],
			 size_t owner_blocks[K_MEM_OWNERS_MAX]);
size_t heap_trim_locked(void);
/* Caller holds mem_lock. The spare chunk's frames if it is wholly free, else
 * 0 (O(1)); heap_release_spare_locked gives it back and returns its frames. */
size_t heap_spare_frames_locked(void);
size_t heap_release_spare_locked(void);
/* Heap alloc/free for other memory-manager files (cache structs): caller
 * holds nothing; charged to the kernel; no fault injection. */
void *heap_alloc_internal(size_t bytes);
void heap_free_internal(void *p);
/* Caller holds nothing. A heap block of bytes aligned to align (a power of
 * two up to K_PAGE_BYTES), charged to owner, or NULL; no fault injection. */
void *heap_alloc_for(size_t bytes, size_t align, k_mem_owner_t owner);
/* Caller holds core's lock and mem_lock. Give every block of core's front
 * cache back to the heap. */
void heap_front_flush_locked(struct mem_core *core);
/* Caller holds no lock. Empty every core's front cache, one core at a time. */
void heap_front_flush_all(void);
/* Caller holds every core lock and mem_lock. Verify every front cache: each
 * listed block is an allocated heap block of its class marked as cached (and on one list only),
 * counts and per-owner sums agree. Adds the cached blocks to *listed (the
 * heap walk must find exactly that many marked blocks); returns items
 * checked. */
size_t heap_front_check_locked(size_t *listed);

/* ---------------------------------------------------------------- owner.c */

void owner_init(void);

/* Guarded by mem_lock. With several cores, a power-of-two stride (four
 * words) from a 64-byte boundary: one owner, one cache line. A one-core
 * build has no other core to share a line with, so its entries are three
 * words, packed (static RAM: 64 bytes less with 16 owners on the board). */
#define OWNER_COUNT_ALIGN (BSP_CORES_MAX > 1u ? 4u * sizeof(size_t) : sizeof(size_t))
#define OWNER_COUNTS_ALIGN (BSP_CORES_MAX > 1u ? 64u : sizeof(size_t))
struct owner_count {
	_Alignas(OWNER_COUNT_ALIGN) size_t used_bytes;
	size_t peak_bytes;
	size_t blocks;
};
K_STATIC_ASSERT(BSP_CORES_MAX == 1u || sizeof(struct owner_count) == 4u * sizeof(size_t),
		"several cores: the same four-word stride as before");
struct owner_counts {
	_Alignas(OWNER_COUNTS_ALIGN) struct owner_count o[K_MEM_OWNERS_MAX];
};
extern struct owner_counts owners;

/* Caller holds core's lock and mem_lock. Fold core's front-cache high-water
 * of owner into the peak: what the owner held at its highest since the last
 * sync was owners.used_bytes (unchanged since: every change syncs first) plus
 * that high-water. Exact on one core; with several cores, blocks of the owner
 * sitting in other cores' caches are not subtracted. */
static inline void owner_sync_locked(struct mem_core *core, k_mem_owner_t owner)
{
	if (!HEAP_FRONT) /* nothing is ever cached: the charge is the peak's */
		return;
	struct heap_front *f = &core->front;
	size_t high = owners.o[owner].used_bytes + (size_t)f->own[owner].high;
	if (high > owners.o[owner].peak_bytes)
		owners.o[owner].peak_bytes = high;
	f->own[owner].high = f->own[owner].bytes;
}

/* Caller holds core's lock and mem_lock, owner valid. Charge (+) or release (-) bytes. */
static inline void owner_charge_locked(struct mem_core *core, k_mem_owner_t owner, size_t bytes)
{
	if (K_MEM_DEBUG) /* on every allocation: debug builds only */
		K_ASSERT(mem_core_held(core) && mem_lock_held());
	owner_sync_locked(core, owner);
	size_t cached = (size_t)-core->front.own[owner].bytes;
	owners.o[owner].used_bytes += bytes;
	owners.o[owner].blocks++;
	if (owners.o[owner].used_bytes - cached > owners.o[owner].peak_bytes)
		owners.o[owner].peak_bytes = owners.o[owner].used_bytes - cached;
}

static inline void owner_release_locked(struct mem_core *core, k_mem_owner_t owner, size_t bytes)
{
	if (K_MEM_DEBUG) /* on every free: debug builds only */
		K_ASSERT(mem_core_held(core) && mem_lock_held());
	/* Debug builds only: on the free path of every block (k_mem_check
	 * recounts these in every build). */
	if (K_MEM_DEBUG && (owners.o[owner].used_bytes < bytes || owners.o[owner].blocks == 0u))
		mem_panic(K_ASSERT_FILE, __LINE__, "k_mem: owner accounting underflow for owner", owner);
	owner_sync_locked(core, owner);
	owners.o[owner].used_bytes -= bytes;
	owners.o[owner].blocks--;
}
/* Caller holds every core lock and mem_lock. Copy heap+frame counters into
 * out[], net of blocks resting in front caches (peaks synced first). */
void owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX]);
/* Caller holds every core lock and mem_lock: heap+frame owner counters equal
 * the recount (which includes blocks resting in front caches). */
void owner_check_locked(const size_t expect_bytes[K_MEM_OWNERS_MAX],
			const size_t expect_blocks[K_MEM_OWNERS_MAX]);


/* ---------------------------------------------------------------- cache.c */

/* Boot: forget every cache and the per-core table. */
void cache_reset(void);
/* Boot: the per-core table (from frames) and an empty cache list. */
int cache_init(void);
/* Caller holds no lock. Empty every magazine, free every empty slab; returns
 * frames given back. */
size_t cache_trim(void);
/* Take / drop caches_lock and every core lock (ascending core id): nothing
 * in any cache moves meanwhile. Caller has interrupts off (mem_enter); a
 * build without slabs (K_CONFIG_MEM_CACHE_SLABS=0, one core) takes no lock,
 * since that is then the whole exclusion. */
void caches_lock_all(void);
void caches_unlock_all(void);
/* Caller holds caches_lock_all. Add cache bytes/objects per owner into out[]
 * and slab frames into *frames. */
void cache_owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX], size_t *frames);
/* Caller holds caches_lock_all, not mem_lock (or runs k_mem_check_stopped).
 * Verify every cache; adds slab frames and the manager's own table frames;
 * returns items checked. */
size_t cache_check_locked(size_t *slab_frames, size_t *meta_frames);

#endif /* K_MEM_INTERNAL_H */
