/*
 * k/mem.h — the memory manager: primary page frames, a bounded-time general
 * heap, per-core object caches, per-owner accounting and a full checker.
 *
 * Layers (lock order, outermost first):
 *   k_cache_*   per-core magazines (the core's own lock) over a depot of
 *               slabs (the cache's lock);
 *   k_mem_*     the heap: a per-core front cache of small freed blocks (the
 *               core's own lock; left out where K_CONFIG_MEM_HEAP_FRONT is
 *               0, as on the one-core board) over TLSF segregated fits, O(1)
 *               alloc and free;
 *   k_frames_*  primary memory: page frames carved from bsp_mem_regions();
 *               heap, frames and owner accounting share one lock (innermost).
 * Every call may be made from thread context on any core, with interrupts on
 * or off (each call saves and restores interrupts itself); none from isr
 * context unless stated. No call blocks. On a one-core system the heap and
 * frame calls only turn interrupts off: there is no other core to lock out.
 *
 * Owners: every allocation is charged to an owner, a small index: 0 is the
 * kernel, 1..K_MEM_OWNERS_MAX-1 are owner slots the process layer hands out
 * (one per live process, e.g. its process-table slot). An owner slot must be
 * empty (k_mem_owner_stats().used_bytes == 0) before it is given to another
 * process.
 *
 * Misuse (double free, a pointer the allocator never gave, a write past the
 * end of a block in debug builds, a bad owner) panics through K_ASSERT with a
 * message naming the block's address. Running out of memory is not misuse:
 * allocation returns NULL and leaves everything consistent. Every allocation
 * first asks bsp_fault_inject(BSP_FAULT_ALLOC) and fails with NULL if told to.
 *
 * Debug vs release: the compile definition K_MEM_DEBUG (0 or 1) chooses;
 * the build sets it to 0 in Release and 1 otherwise (kernel/CMakeLists.txt);
 * when not given it is 1 unless NDEBUG is defined. Debug builds add to every
 * heap block a trailer word (its requested size, keyed by its address) and at
 * least one guard byte (0xA5) between the request and the trailer; cache
 * objects get guard bytes up to the next object's header; guards are checked
 * on free, realloc and k_mem_check; freed memory is filled with junk (0xDD)
 * and fresh heap blocks too. Release keeps the one-word header and the O(1)
 * pointer checks on free (double free, foreign pointer); it leaves out the
 * heap's internal beliefs on the alloc/free paths (list links, classes,
 * counters: HEAP_ASSERT in heap.c), which k_mem_check verifies in every
 * build.
 */
#ifndef K_MEM_H
#define K_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef WEFT_PAGE_BYTES
#error "WEFT_PAGE_BYTES (the page size) must be given by the build"
#endif

/* Debug builds: guard bytes, trailers, junk fill (see above). A plain
 * constant, used in `if (K_MEM_DEBUG)`, never in #if around code. */
#ifndef K_MEM_DEBUG
#ifdef NDEBUG
#define K_MEM_DEBUG 0
#else
#define K_MEM_DEBUG 1
#endif
#endif

/* Size of a page frame: 4096 hosted, 1024 on microcontrollers. */
#define K_PAGE_BYTES ((size_t)(WEFT_PAGE_BYTES))

/* Alignment of every k_mem_alloc block: two machine words (16 B on 64-bit,
 * 8 B on 32-bit), enough for any scalar type. */
#define K_MEM_ALIGN (2u * sizeof(uintptr_t))

/* Owner slots: 0 = kernel, 1..K_MEM_OWNERS_MAX-1 = processes. A build sets
 * K_CONFIG_MEM_OWNERS (2..64: a heap header keeps the slot in 6 bits) to
 * the processes it can hold at once plus one; each slot costs static RAM
 * (the owner table, the process layer's slot table) and per-core RAM (the
 * object caches' and the heap front's per-owner counters). The simulator
 * and hosted builds keep 64. */
#ifndef K_CONFIG_MEM_OWNERS
#define K_CONFIG_MEM_OWNERS 64u
#endif
#define K_MEM_OWNERS_MAX ((unsigned)(K_CONFIG_MEM_OWNERS))
#define K_MEM_OWNER_KERNEL 0u
typedef uint32_t k_mem_owner_t;

/* Most regions the BSP may report; more is -K_EINVAL at init. A board that
 * knows its memory map sets K_CONFIG_MEM_REGIONS (each region is a static
 * entry of the frame table); the simulator and hosted builds keep 16. */
#ifndef K_CONFIG_MEM_REGIONS
#define K_CONFIG_MEM_REGIONS 16u
#endif
#define K_MEM_REGIONS_MAX ((unsigned)(K_CONFIG_MEM_REGIONS))

/* ------------------------------------------------------------------ init */

/* Take every region bsp_mem_regions() reports (any alignment, any size),
 * carve page frames from them and reset every memory-manager global (a fresh
 * kernel per call: whatever an earlier boot held is forgotten). Boot core,
 * before any other k_mem/k_cache/k_frames call and before secondary cores run.
 * Returns 0; -K_ENOMEM if no region holds a whole frame plus its metadata;
 * -K_EINVAL if there are more than K_MEM_REGIONS_MAX regions. */
int k_mem_init(void);

/* ------------------------------------------------------ primary: frames */

/* Allocate `count` (>= 1) physically contiguous page frames, page-aligned,
 * charged to owner. Returns the first frame, or NULL when no run that long is
 * free (or an injected fault). */
void *k_frames_alloc(size_t count, k_mem_owner_t owner);

/* Free a run from k_frames_alloc: p its first frame, count its length (both
 * must match the allocation exactly, else panic). p NULL is a no-op. */
void k_frames_free(void *p, size_t count);

/* ------------------------------------------------------ secondary: heap */

/* Allocate `bytes` (0 is taken as 1) aligned to K_MEM_ALIGN, charged to
 * owner. O(1): no list walks. NULL when memory is exhausted. */
void *k_mem_alloc(size_t bytes, k_mem_owner_t owner);

/* As k_mem_alloc, zero-filled. */
void *k_mem_zalloc(size_t bytes, k_mem_owner_t owner);

/* As k_mem_alloc, aligned to `align`: a power of two up to K_PAGE_BYTES
 * (else NULL). Free with k_mem_free. */
void *k_mem_alloc_aligned(size_t bytes, size_t align, k_mem_owner_t owner);

/* Resize p to `bytes`, keeping the first min(old, new) bytes and p's owner
 * and K_MEM_ALIGN alignment (alignment from k_mem_alloc_aligned is not kept
 * if the block moves). p NULL: k_mem_alloc(bytes, owner). bytes 0: frees p,
 * returns NULL. On failure returns NULL and p is untouched. */
void *k_mem_realloc(void *p, size_t bytes, k_mem_owner_t owner);

/* Free a block from k_mem_alloc*, k_mem_realloc. NULL is a no-op. */
void k_mem_free(void *p);

/* Bytes the caller may use at p (>= the size asked; exactly it in debug). */
size_t k_mem_usable_bytes(const void *p);

/* Owner a live heap block is charged to. */
k_mem_owner_t k_mem_owner_of(const void *p);

/* Give back to primary memory every heap chunk that is wholly free and every
 * cache slab that holds no object (after emptying every core's heap front
 * cache and magazines). Returns the number of frames given back. Thread
 * context. */
size_t k_mem_trim(void);

/* ------------------------------------------------ secondary: object caches */

/* A cache of fixed-size objects for the kernel's hot objects (threads, sync
 * objects, handles). Alloc and free take only the calling core's lock in the
 * common case (a per-core magazine); objects may be freed on any core.
 * A build with K_CONFIG_MEM_CACHE_SLABS=0 (the one-core board) keeps this
 * API over the heap: each object is a heap block (no slabs, no magazines),
 * so an owner's cache objects are in its heap figures too (used_bytes,
 * blocks, and peak_bytes below), cache_bytes still says how much of that
 * is cache object slots, cache_frames is 0 and k_mem_trim frees nothing of
 * the caches' own; the checks on free and k_cache_destroy's -K_EBUSY are the
 * same. */
typedef struct k_cache k_cache_t;

/* Most objects a magazine holds (per core, per cache). */
#define K_CACHE_MAGAZINE_OBJECTS 16u

/* Create a cache of objects of obj_bytes (1..K_PAGE_BYTES/4), aligned to
 * align (0 = K_MEM_ALIGN, else a power of two up to K_PAGE_BYTES/4). name is
 * a static string (kept, for messages). The cache structure is charged to the
 * kernel. Returns NULL on no memory or bad arguments. */
k_cache_t *k_cache_create(const char *name, size_t obj_bytes, size_t align);

/* Destroy an empty cache (every object freed): -K_EBUSY if objects are live
 * (nothing changes), else 0. c NULL is -K_EINVAL. */
int k_cache_destroy(k_cache_t *c);

/* An object of c, charged to owner; its contents are undefined. NULL when
 * memory is exhausted. */
void *k_cache_alloc(k_cache_t *c, k_mem_owner_t owner);

/* Return obj to c (from any core). obj NULL is a no-op. */
void k_cache_free(k_cache_t *c, void *obj);

/* Object size of c as created. */
size_t k_cache_object_bytes(const k_cache_t *c);

/* ------------------------------------------------- fixed-block pools */

/* A pool of `blocks` equal blocks, made once (one heap block, charged to
 * the creator's owner) and handed out by a free-list pop and returned by a
 * push: a few instructions, no per-block accounting, no fault injection
 * (the pool's memory is reserved at creation; running empty is the only
 * failure). For callers that know their worst-case count, e.g. drivers and
 * message buffers; k_cache_* is the general object allocator. */
typedef struct k_pool k_pool_t;

/* Limits of one pool (each argument is checked against them). */
#define K_POOL_BLOCKS_MAX 4096u
#define K_POOL_BLOCK_BYTES_MAX 16384u

/* Make a pool of `blocks` (1..K_POOL_BLOCKS_MAX) blocks of block_bytes
 * (1..K_POOL_BLOCK_BYTES_MAX) bytes each, aligned to K_MEM_ALIGN, charged
 * to owner. Thread context.
 * Returns 0 and *out; -K_EINVAL for a bad argument; -K_ENOMEM when the heap
 * has no room for it. */
int k_pool_create(k_pool_t **out, size_t block_bytes, size_t blocks, k_mem_owner_t owner);

/* Give the pool's memory back. Thread context.
 * Returns 0; -K_EBUSY while a block is out (nothing changes); -K_EINVAL for
 * a handle that is not a live pool. */
int k_pool_destroy(k_pool_t *p);

/* A free block of p (contents undefined), or NULL when all are out or p is
 * not a live pool. Any context, isr included; never blocks. */
void *k_pool_alloc(k_pool_t *p);

/* Return a block k_pool_alloc(p) gave. Any context, isr included.
 * Returns 0; -K_EINVAL (nothing changes) if block is not a block of p that
 * is out (a double free, a pointer into a block or elsewhere), or p is not a
 * live pool. */
int k_pool_free(k_pool_t *p, void *block);

/* Blocks of p not handed out now (0 for a bad handle). Any context. */
size_t k_pool_free_blocks(const k_pool_t *p);

/* Block size p was made with (0 for a bad handle). Any context. */
size_t k_pool_block_bytes(const k_pool_t *p);

/* ------------------------------------------------------ stats and checks */

struct k_mem_owner_stats {
	size_t used_bytes;  /* heap blocks (whole, header included) + frame runs
			       + cache objects (whole slots), now */
	size_t peak_bytes;  /* high-water of the heap + frame part of used_bytes
			       (cache objects are counted per core without a
			       global lock, so they are not in the peak; heap
			       blocks reused from a core's front cache are, exactly
			       on one core, and on several cores as seen by the
			       core that reused them) */
	size_t cache_bytes; /* part of used_bytes that is cache objects */
	size_t blocks;      /* live heap blocks + frame runs + cache objects */
};

struct k_mem_stats {
	/* primary */
	size_t frames_total;            /* frames carved from all regions */
	size_t frames_free;
	size_t frames_largest_free_run; /* in frames */
	size_t frames_peak_used;        /* high-water of frames taken */
	/* heap */
	size_t heap_bytes;              /* bytes of frames the heap holds */
	size_t heap_free_bytes;         /* sum of free block payloads (blocks
					   resting in front caches not included) */
	size_t heap_largest_free_bytes; /* largest single block it can hand out */
	uint32_t heap_steps_max;        /* most list/bitmap steps of one heap op */
	/* caches */
	size_t cache_frames;            /* frames held by cache slabs */
	/* everything, all owners */
	size_t used_bytes;
	size_t free_bytes;              /* frames_free pages + heap_free_bytes */
	struct k_mem_owner_stats owner[K_MEM_OWNERS_MAX];
};

/* Fill *out. Thread context. Numbers are exact when no other core allocates
 * meanwhile. */
void k_mem_stats(struct k_mem_stats *out);

/* One owner's line of k_mem_stats. Returns 0, -K_EINVAL for a bad owner.
 * Thread context. It gathers a whole k_mem_stats: on the caller's stack when
 * that is at most 1 KiB (a build with few owners, e.g. the board's 16), else
 * in one static scratch that callers take in turn. */
int k_mem_owner_stats(k_mem_owner_t owner, struct k_mem_owner_stats *out);

/* Walk every frame, heap block, free list, bitmap, slab, magazine and
 * counter, and verify every invariant (panics with a message naming the
 * structure on the first broken one). Returns the number of items checked.
 * Thread context; for the simulator and fuzzers to call between steps. */
size_t k_mem_check(void);

/* k_mem_check for a caller that knows no other core is in the memory
 * manager, nor can enter it, until this returns (every other core stopped
 * between two of its calls: a simulator harness that counts the calls it
 * makes, one core at boot). The same walk and the same verdicts, without
 * taking the manager's locks: on the simulator those are scheduling points
 * of the oracle, not of the kernel (mem_fuzz runs a check after every op).
 * Calling it while another core is in the manager is a misuse it cannot
 * detect (the walk would read half-done state). Thread context; interrupts
 * off inside. Returns the number of items checked (> 0). */
size_t k_mem_check_stopped(void);

/* The heap's step counter (debug aid for the bounded-time proof): the most
 * list/bitmap steps a single alloc or free took since the last reset. */
uint32_t k_mem_steps_max(void);
void k_mem_steps_reset(void);

#endif /* K_MEM_H */
