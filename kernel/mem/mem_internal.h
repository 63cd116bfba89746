/*
 * mem_internal.h — what the memory manager's files share; not a public API.
 *
 * Locks, in the order they nest (outermost first; never take one while
 * holding a later one):
 *   caches_lock          the list of caches                (cache.c)
 *   mem_core[c].lock     core c's magazines and counters   (cache.c)
 *   cache->lock          one cache's depot: slabs, counts  (cache.c)
 *   mem_lock             frames, heap, owner accounting    (frames.c, heap.c, owner.c)
 * Every lock is taken with interrupts off (mem_enter/mem_leave).
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
K_STATIC_ASSERT(K_MEM_OWNERS_MAX == 64u, "owner slot fits 6 header bits");

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

/* Panic with "<what> <hex addr>" (the message names the block). */
_Noreturn void mem_panic(const char *file, int line, const char *what, uintptr_t addr);
#define MEM_ASSERT(cond, what, addr)                                                \
	do {                                                                        \
		if (__builtin_expect(!(cond), 0))                                   \
			mem_panic(__FILE__, __LINE__, (what), (uintptr_t)(addr));   \
	} while (0)

/* Interrupts off + the calling core's id, stable until mem_leave. */
typedef struct mem_ctx {
	bsp_irq_state_t irq;
	unsigned core;
} mem_ctx_t;
static inline mem_ctx_t mem_enter(void)
{
	mem_ctx_t ctx;
	ctx.irq = bsp_irq_save();
	ctx.core = bsp_core_id();
	return ctx;
}
static inline void mem_leave(mem_ctx_t ctx)
{
	bsp_irq_restore(ctx.irq);
}

/* ------------------------------------------------------------ the mem lock */

extern bsp_spinlock_t mem_lock;

/* --------------------------------------------------------------- frames.c */

enum frame_kind {
	FRAME_FREE = 0,
	FRAME_RAW = 1,  /* k_frames_alloc, charged to its owner */
	FRAME_HEAP = 2, /* a heap chunk */
	FRAME_SLAB = 3, /* a cache slab */
	FRAME_META = 4, /* the memory manager's own tables */
	FRAME_KINDS = 5,
};

int frames_init(void);
/* Caller holds mem_lock. A run of `count` frames whose first frame is aligned
 * to align_frames (a power of two) frames, or NULL. No fault injection. */
void *frames_alloc_locked(size_t count, size_t align_frames, enum frame_kind kind,
			  k_mem_owner_t owner);
/* Caller holds mem_lock. p/count must be exactly a run of `kind`. */
void frames_free_locked(void *p, size_t count, enum frame_kind kind);
/* Run holding address p: its kind (FRAME_FREE if p is in no run), first
 * frame and length. Returns false if p is in no region. A live run's entries
 * never change until it is freed, so a holder of memory in the run may call
 * this without mem_lock. */
bool frames_lookup(uintptr_t p, enum frame_kind *kind, uintptr_t *run_base, size_t *run_frames);
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
/* Heap alloc/free for other memory-manager files (cache structs): caller
 * holds nothing; charged to the kernel; no fault injection. */
void *heap_alloc_internal(size_t bytes);
void heap_free_internal(void *p);

/* ---------------------------------------------------------------- owner.c */

void owner_init(void);
/* Caller holds mem_lock. Charge (+) or release (-) bytes to owner. */
void owner_charge_locked(k_mem_owner_t owner, size_t bytes);
void owner_release_locked(k_mem_owner_t owner, size_t bytes);
/* Caller holds mem_lock. Copy heap+frame counters into out[]. */
void owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX]);
/* Caller holds mem_lock: heap+frame owner counters equal the recount. */
void owner_check_locked(const size_t expect_bytes[K_MEM_OWNERS_MAX],
			const size_t expect_blocks[K_MEM_OWNERS_MAX]);

#define MEM_OWNER_VALID(o) ((o) < K_MEM_OWNERS_MAX)

/* ---------------------------------------------------------------- cache.c */

/* Boot: the per-core table (from frames) and an empty cache list. */
int cache_init(void);
/* Caller holds no lock. Empty every magazine, free every empty slab; returns
 * frames given back. */
size_t cache_trim(void);
/* Take / drop caches_lock and every core lock (ascending core id): nothing
 * in any cache moves meanwhile. */
void caches_lock_all(void);
void caches_unlock_all(void);
/* Caller holds caches_lock_all. Add cache bytes/objects per owner into out[]
 * and slab frames into *frames. */
void cache_owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX], size_t *frames);
/* Caller holds caches_lock_all, not mem_lock. Verify every cache; adds slab
 * frames and the manager's own table frames; returns items checked. */
size_t cache_check_locked(size_t *slab_frames, size_t *meta_frames);

#endif /* K_MEM_INTERNAL_H */
