/*
 * heap.c — the general heap: TLSF (Masmano et al., "TLSF: a new dynamic
 * memory allocator for real-time systems"), two-level segregated fits.
 *
 * Free blocks sit in lists indexed by (first level = log2 of the size, second
 * level = SL_COUNT linear steps inside it); one bitmap per level says which
 * lists are non-empty, so finding a fitting block is two bit scans and
 * alloc/free never walk a list: O(1), counted (each list or bitmap step of
 * an operation; the most any operation took is heap.steps_max).
 *
 * A block (address B) is one header word then its payload:
 *   header = size | owner << OWNER_SHIFT | PREV_FREE | FREE
 * size is the whole block (header included), a multiple of the grain (two
 * words), so payloads are two-word aligned. A free block keeps next/prev list
 * links in its payload and its own address in its last word (the footer), so
 * the next block can find it to coalesce: that is why an allocated block
 * needs only the one header word. No two free blocks are ever adjacent.
 *
 * The heap is a set of chunks: runs of frames taken from primary memory when
 * no block fits. A chunk is [chunk header][blocks...][sentinel header of size
 * 0]. Chunks grow with the heap (at least 1/HEAP_GROW_DIV of it), so their
 * number grows with the log of the heap's size, and blocks near the chunk
 * size do not each take and give back a chunk of their own. A chunk that
 * becomes wholly free goes back to primary memory, except one kept as a
 * spare against churn at a chunk boundary (the larger, when two are free);
 * the spare goes back on k_mem_trim and when primary memory has no run for
 * a request (frames_alloc_locked, heap_release_spare_locked).
 *
 * Debug builds (K_MEM_DEBUG): each allocated block ends with a trailer word
 * (requested size, keyed by the block's address) and at least one guard byte
 * between the request and the trailer; freed payloads are filled with junk.
 *
 * The front cache (struct heap_front, per core, under that core's lock):
 * k_mem_free puts a block of an exact class (below 2 * SMALL_BLOCK) on the
 * freeing core's LIFO list for its TLSF class (at most FRONT_DEPTH_MAX per
 * class, FRONT_CORE_BYTES_MAX per core) instead of going to TLSF under
 * mem_lock; k_mem_alloc takes one from there first (its own class, else the
 * next one up). A cached block stays allocated in TLSF terms (header
 * unchanged, still charged to its owner in `owners`; the core's
 * front.own[owner].bytes/blocks hold the matching minus), and its payload
 * says it is cached:
 *   word 1  next block in the list (or 0)
 *   word 2  FRONT_MARK ^ its address: "cached" (a second k_mem_free of it is
 *           a double free; taking it checks the mark is intact)
 * Release builds check only those words of a cached block for writes after
 * its free; debug builds junk-fill the rest and k_mem_check verifies it.
 * The front cache reads a block's header without mem_lock and never writes
 * it: the size, FREE and owner bits of an allocated block change only on its
 * holder's own calls, and the one bit TLSF may flip meanwhile under mem_lock
 * (PREV_FREE, when a neighbour is freed) is masked out of every such read.
 * Every such read goes through hpeek (bsp_load_relaxed), never a plain load:
 * the word as a whole is written by another core, so a plain read would be a
 * data race by the C rules and break the never-rule, whatever bits it uses.
 * Changing a reused block's owner rewrites the header, so that happens under
 * mem_lock. A block goes to TLSF instead of the cache when its list or the
 * core's budget is full; every core's cache goes back to TLSF before an
 * allocation fails (then TLSF is asked once more; k_mem_realloc does not
 * retry) and on k_mem_trim. The step counter counts TLSF operations only
 * (the cache has no lists to walk); a flush counts each block it gives back
 * as one operation. A build with K_CONFIG_MEM_HEAP_FRONT=0 (the board:
 * one core, no lock to save) has no front cache: every alloc and free is
 * TLSF's (mem_internal.h).
 */
#include "mem_internal.h"

#define W MEM_WORD
#define G MEM_GRAIN
#define HEAP_FREE ((uintptr_t)1u)
#define HEAP_PREV_FREE ((uintptr_t)2u)
#define HEAP_OWNER_SHIFT (sizeof(uintptr_t) * 8u - 6u)
#define HEAP_SIZE_MASK ((((uintptr_t)1u << HEAP_OWNER_SHIFT) - 1u) & ~(G - 1u))
#define HEAP_BLOCK_MIN (4u * W) /* header, two links, footer */

#define SL_LOG2 HEAP_SL_LOG2
#define SL_COUNT HEAP_SL_COUNT
#define ALIGN_LOG2 HEAP_ALIGN_LOG2
#define FL_SHIFT HEAP_FL_SHIFT
#define SMALL_BLOCK ((uintptr_t)1u << FL_SHIFT)
/* Blocks < 2^FL_MAX. A build with less memory sets
 * K_CONFIG_MEM_HEAP_BLOCK_LOG2 (fewer first levels, a smaller index);
 * requests then stop at 2^(FL_MAX - 2) bytes and a chunk at 2^(FL_MAX - 1). */
#ifdef K_CONFIG_MEM_HEAP_BLOCK_LOG2
#define FL_MAX ((unsigned)(K_CONFIG_MEM_HEAP_BLOCK_LOG2))
#else
#define FL_MAX (sizeof(uintptr_t) == 8u ? 40u : 26u)
#endif
#define FL_COUNT (FL_MAX - FL_SHIFT + 1u)
/* Largest request: its rounded search size stays below 2^FL_MAX. */
#define HEAP_REQUEST_MAX ((size_t)1u << (FL_MAX - 2u))

#define CHUNK_HEADER (3u * W)
#define HEAP_GROW_MIN_FRAMES 16u
/* A new chunk is at least 1/HEAP_GROW_DIV of what the heap holds. */
#define HEAP_GROW_DIV 16u
#define HEAP_TRAILER_KEY ((uintptr_t)0x5a17c0de5a17c0deull)
#define FRONT_MARK ((uintptr_t)0xcac4edb10c4f7ee5ull)
#define FRONT_SEEN ((uintptr_t)0x40u) /* k_mem_check's visit bit, in the mark */
#define HEAP_OWNER_MASK (~(uintptr_t)0 << HEAP_OWNER_SHIFT)

K_STATIC_ASSERT(G == ((uintptr_t)1u << ALIGN_LOG2), "grain matches its log");
K_STATIC_ASSERT(FL_COUNT <= 32u, "first-level bitmap fits 32 bits");
K_STATIC_ASSERT(FL_MAX <= HEAP_OWNER_SHIFT, "sizes stay below the owner bits");
K_STATIC_ASSERT(FL_MAX >= FL_SHIFT + 3u && FL_MAX >= 16u, "first levels above the exact classes, requests of a page");
K_STATIC_ASSERT((CHUNK_HEADER + W) % G == 0u, "first payload of a chunk is aligned");
K_STATIC_ASSERT(sizeof(uintptr_t) == 8u || sizeof(uintptr_t) == 4u, "32- or 64-bit words");
K_STATIC_ASSERT(FRONT_FL_COUNT <= FL_COUNT, "front classes are heap classes");
K_STATIC_ASSERT(FRONT_CLASSES <= 0xFFFFu, "front class indexes fit unsigned");
K_STATIC_ASSERT(HEAP_BLOCK_MIN >= 4u * W, "a cached block holds header, link, mark (and a free block its footer)");

/* A step a size build keeps in one copy (MEM_SIZE_LEAN) and a speed build
 * inlines into each caller, as its figures were measured. */
#if MEM_SIZE_LEAN
#define HEAP_SHARED __attribute__((noinline))
#else
#define HEAP_SHARED inline __attribute__((always_inline))
#endif

/* Beliefs on the alloc/free paths (list links, classes, counters): checked
 * in debug builds, which every unit test, fuzzer and simulated run uses;
 * left out of release builds, where they would be a fifth of an operation's
 * instructions. k_mem_check verifies the same structure in every build, and
 * the misuse checks (double free, foreign pointer) stay in every build. */
#define HEAP_ASSERT(cond)                  \
	do {                               \
		if (K_MEM_DEBUG)           \
			K_ASSERT(cond);    \
	} while (0)

struct heap_chunk {
	struct heap_chunk *next, *prev;
	uintptr_t frames;
};
K_STATIC_ASSERT(sizeof(struct heap_chunk) == CHUNK_HEADER, "chunk header is three words");

/* Everything below is guarded by mem_lock. */
static struct {
	uint32_t fl_map;
	uint32_t sl_map[FL_COUNT];
	uintptr_t lists[FL_COUNT][SL_COUNT]; /* first free block of each class, 0 = empty */
	struct heap_chunk *chunks;
	struct heap_chunk *spare; /* a chunk kept when it went wholly free, or NULL */
	size_t chunk_count;
	size_t bytes;       /* frames held, in bytes */
	size_t free_bytes;  /* sum of free block sizes */
	uint32_t steps_max;
} heap;

/* ---------------------------------------------------------- block access */

static inline uintptr_t *word(uintptr_t a)
{
	return (uintptr_t *)a;
}
static inline uintptr_t hsize(uintptr_t b)
{
	return *word(b) & HEAP_SIZE_MASK;
}
static inline k_mem_owner_t howner(uintptr_t b)
{
	return (k_mem_owner_t)(*word(b) >> HEAP_OWNER_SHIFT);
}
/* The header of block b read without mem_lock: a live block being checked or
 * freed, the header after it, a block in this core's front cache. Another
 * core may rewrite that word meanwhile under mem_lock (TLSF sets or clears
 * PREV_FREE when the block before is freed, split or grown; it rewrites the
 * header after a live block when that one is allocated or freed). A plain
 * load racing that store is undefined in C and a never-rule violation, and
 * taking mem_lock here would put the front cache's hot path back under the
 * global lock it exists to avoid; so the word is read whole, unordered,
 * through the BSP. Callers use only bits nobody else changes while they
 * read (size, FREE, owner of a live or cached block; the PREV_FREE bit that
 * describes a live block), so no ordering is needed. */
static inline uintptr_t hpeek(uintptr_t b)
{
	HEAP_ASSERT(b != 0u && (b & (W - 1u)) == 0u);
	return bsp_load_relaxed(word(b));
}
static inline bool hfree(uintptr_t b)
{
	return (*word(b) & HEAP_FREE) != 0u;
}
static inline uintptr_t *link_next(uintptr_t b)
{
	return word(b + W);
}
static inline uintptr_t *link_prev(uintptr_t b)
{
	return word(b + 2u * W);
}
static inline void set_footer(uintptr_t b)
{
	*word(b + hsize(b) - W) = b;
}

static inline unsigned fls_word(uintptr_t v) /* index of the highest set bit, v > 0 */
{
	return (unsigned)(sizeof(unsigned long long) * 8u - 1u) - (unsigned)__builtin_clzll(v);
}

/* The list (fl, sl) a free block of `size` belongs on. */
static inline HEAP_INLINE void mapping(uintptr_t size, unsigned *fl, unsigned *sl)
{
	if (size < SMALL_BLOCK) {
		*fl = 0;
		*sl = (unsigned)(size >> ALIGN_LOG2);
	} else {
		unsigned f = fls_word(size);
		*sl = (unsigned)((size >> (f - SL_LOG2)) ^ SL_COUNT);
		*fl = f - (FL_SHIFT - 1u);
	}
}

/* Free block b of `size` goes on the head of its list. The bitmaps change
 * only when the list was empty. */
static inline HEAP_INLINE void list_push(uintptr_t b, uintptr_t size, unsigned *steps)
{
	unsigned fl, sl;
	mapping(size, &fl, &sl);
	HEAP_ASSERT(fl < FL_COUNT && sl < SL_COUNT && size == hsize(b));
	uintptr_t head = heap.lists[fl][sl];
	*link_next(b) = head;
	*link_prev(b) = 0;
	if (head != 0u) {
		*link_prev(head) = b;
	} else {
		heap.fl_map |= 1u << fl;
		heap.sl_map[fl] |= 1u << sl;
	}
	heap.lists[fl][sl] = b;
	(*steps)++;
}

/* Free block b of `size` leaves its list, wherever in it. */
static inline HEAP_INLINE void list_remove(uintptr_t b, uintptr_t size, unsigned *steps)
{
	unsigned fl, sl;
	mapping(size, &fl, &sl);
	HEAP_ASSERT(fl < FL_COUNT && sl < SL_COUNT && size == hsize(b));
	uintptr_t next = *link_next(b), prev = *link_prev(b);
	if (next != 0u)
		*link_prev(next) = prev;
	if (prev != 0u) {
		*link_next(prev) = next;
	} else {
		heap.lists[fl][sl] = next;
		if (next == 0u) {
			heap.sl_map[fl] &= ~(1u << sl);
			if (heap.sl_map[fl] == 0u)
				heap.fl_map &= ~(1u << fl);
		}
	}
	(*steps)++;
}

/* `size` rounded up so that its class holds only blocks of at least
 * `size` bytes: what list_take searches for, and so what a new chunk's
 * block must reach for a later list_take of `size` to find it. */
static inline HEAP_INLINE uintptr_t search_size(uintptr_t size)
{
	if (size < SMALL_BLOCK)
		return size;
	return size + ((uintptr_t)1u << (fls_word(size) - SL_LOG2)) - 1u;
}

/* Take a free block of at least `size` bytes off its list, or 0: round size
 * up to the next class boundary so any block of the class found fits, then
 * two bit scans and the pop of a list head. `size` < 2^(FL_MAX - 1). */
static inline HEAP_INLINE uintptr_t list_take(uintptr_t size, unsigned *steps)
{
	unsigned fl, sl;
	if (MEM_SIZE_LEAN) { /* the same class, by mapping's one copy */
		mapping(search_size(size), &fl, &sl);
	} else if (size < SMALL_BLOCK) {
		fl = 0;
		sl = (unsigned)(size >> ALIGN_LOG2);
	} else {
		uintptr_t r = search_size(size);
		unsigned f = fls_word(r);
		sl = (unsigned)((r >> (f - SL_LOG2)) ^ SL_COUNT);
		fl = f - (FL_SHIFT - 1u);
	}
	HEAP_ASSERT(fl < FL_COUNT && sl < SL_COUNT);
	uint32_t sl_map = heap.sl_map[fl] & (~0u << sl);
	(*steps)++;
	if (sl_map == 0u) {
		uint32_t fl_map = heap.fl_map & (~1u << fl); /* the levels above fl */
		(*steps)++;
		if (fl_map == 0u)
			return 0;
		fl = (unsigned)__builtin_ctz(fl_map);
		sl_map = heap.sl_map[fl];
		HEAP_ASSERT(sl_map != 0u);
	}
	sl = (unsigned)__builtin_ctz(sl_map);
	uintptr_t b = heap.lists[fl][sl];
	HEAP_ASSERT(b != 0u && *link_prev(b) == 0u && hfree(b));
	if (MEM_SIZE_LEAN) { /* b heads the list of its size: list_remove's pop */
		list_remove(b, hsize(b), steps);
		return b;
	}
	uintptr_t next = *link_next(b);
	heap.lists[fl][sl] = next;
	if (next != 0u) {
		*link_prev(next) = 0;
	} else {
		heap.sl_map[fl] = heap.sl_map[fl] & ~(1u << sl);
		if (heap.sl_map[fl] == 0u)
			heap.fl_map &= ~(1u << fl);
	}
	(*steps)++;
	return b;
}

/* ------------------------------------------------------------ debug aids */

static inline uintptr_t trailer_key(uintptr_t b)
{
	return b ^ HEAP_TRAILER_KEY;
}

/* Debug: record the request and lay guard bytes up to the trailer. */
static void guard_set(uintptr_t b, size_t bytes)
{
	if (!K_MEM_DEBUG)
		return;
	uintptr_t end = b + (hpeek(b) & HEAP_SIZE_MASK) - W; /* maybe without mem_lock */
	K_ASSERT(b + W + bytes < end);
	mem_fill((void *)(b + W + bytes), MEM_JUNK_GUARD, end - (b + W + bytes));
	*word(end) = bytes ^ trailer_key(b);
}

/* Debug: the request recorded in b's trailer, after checking its guard. */
static size_t guard_check(uintptr_t b, const char *what)
{
	uintptr_t size = hpeek(b) & HEAP_SIZE_MASK, end = b + size - W; /* maybe without mem_lock */
	size_t bytes = *word(end) ^ trailer_key(b);
	MEM_ASSERT(bytes < size - 2u * W, what, b + W);
	MEM_ASSERT(mem_all((void *)(b + W + bytes), MEM_JUNK_GUARD, end - (b + W + bytes)), what, b + W);
	return bytes;
}

/* ---------------------------------------------------------------- chunks */

static struct heap_chunk *chunk_of_block(uintptr_t b, uintptr_t *first, uintptr_t *sentinel)
{
	enum frame_kind kind;
	uintptr_t base;
	size_t count;
	if (!frames_lookup(b, &kind, &base, &count) || kind != FRAME_HEAP)
		return NULL;
	*first = base + CHUNK_HEADER;
	*sentinel = base + count * K_PAGE_BYTES - W;
	return (struct heap_chunk *)base;
}

/* A new chunk able to hold a block of `size`, sized so that list_take(size)
 * would find its block again once it is free (the spare must serve the
 * request that made it); returns that one free block (on no list: the
 * caller takes it), or 0 when primary memory has no such run. The growth
 * step is only tried where it fits; the spare is given back only for a
 * chunk the request needs. Rare: out of line. */
static HEAP_OUTLINE uintptr_t heap_grow(uintptr_t size, unsigned *steps)
{
	size_t need = (search_size(size) + CHUNK_HEADER + W + K_PAGE_BYTES - 1u) / K_PAGE_BYTES;
	size_t step = heap.bytes / HEAP_GROW_DIV / K_PAGE_BYTES;
	/* A chunk's one block stays below 2^FL_MAX: past 2^(FL_MAX + 3) bytes
	 * of heap the growth step stops growing (never, with the default FL_MAX
	 * and the memory a build of that word size can have). */
	size_t step_max = ((size_t)1u << (FL_MAX - 1u)) / K_PAGE_BYTES;
	step = step < step_max ? step : step_max;
	size_t count = step < HEAP_GROW_MIN_FRAMES ? HEAP_GROW_MIN_FRAMES : step;
	K_ASSERT(need * K_PAGE_BYTES < ((uintptr_t)1u << FL_MAX));
	struct heap_chunk *c = NULL;
	if (count > need)
		c = frames_take_locked(count, 1, FRAME_HEAP, K_MEM_OWNER_KERNEL);
	if (c == NULL) {
		count = need;
		c = frames_alloc_locked(count, 1, FRAME_HEAP, K_MEM_OWNER_KERNEL);
	}
	if (c == NULL)
		return 0;
	c->frames = count;
	c->prev = NULL;
	c->next = heap.chunks;
	if (heap.chunks != NULL)
		heap.chunks->prev = c;
	heap.chunks = c;
	heap.chunk_count++;
	heap.bytes += count * K_PAGE_BYTES;
	uintptr_t b = (uintptr_t)c + CHUNK_HEADER;
	uintptr_t sentinel = (uintptr_t)c + count * K_PAGE_BYTES - W;
	*word(b) = (sentinel - b) | HEAP_FREE;
	set_footer(b);
	*word(sentinel) = HEAP_PREV_FREE;
	K_ASSERT(hsize(b) >= size);
	heap.free_bytes += sentinel - b;
	(*steps)++;
	return b;
}

static HEAP_OUTLINE void chunk_release(struct heap_chunk *c)
{
	if (heap.spare == c)
		heap.spare = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		heap.chunks = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	K_ASSERT(heap.chunk_count > 0u && heap.bytes >= c->frames * K_PAGE_BYTES);
	heap.chunk_count--;
	heap.bytes -= c->frames * K_PAGE_BYTES;
	frames_free_locked(c, c->frames, FRAME_HEAP);
}

/* ------------------------------------------------------ alloc and free */

static inline HEAP_INLINE uintptr_t block_size_for(size_t bytes)
{
	uintptr_t need = (uintptr_t)bytes + W + (K_MEM_DEBUG ? W + 1u : 0u);
	need = mem_align_up(need, G);
	return need < HEAP_BLOCK_MIN ? HEAP_BLOCK_MIN : need;
}

/* Caller holds core's lock and mem_lock. A block of `size` (a block size)
 * for owner, or 0: the head of the first TLSF list whose every block fits
 * (or a new chunk), cut to size, the rest listed. */
static inline HEAP_INLINE uintptr_t heap_take_locked(struct mem_core *core, uintptr_t size,
									   k_mem_owner_t owner, unsigned *steps)
{
	/* Debug builds: a lock check on every call would be a tenth of a release
	 * operation (the same rule as HEAP_ASSERT). */
	HEAP_ASSERT(mem_core_held(core) && mem_lock_held());
	uintptr_t b = list_take(size, steps);
	if (__builtin_expect(b == 0u, 0) && (b = heap_grow(size, steps)) == 0u)
		return 0;
	uintptr_t h = *word(b), have = h & HEAP_SIZE_MASK;
	HEAP_ASSERT(have >= size && (size & (G - 1u)) == 0u && (h & HEAP_FREE) != 0u);
	uintptr_t rest_size = have - size;
	if (rest_size >= HEAP_BLOCK_MIN) {
		uintptr_t rest = b + size;
		*word(rest) = rest_size | HEAP_FREE; /* b is used: PREV_FREE clear */
		*word(rest + rest_size - W) = rest; /* footer; the block after says PREV_FREE */
		list_push(rest, rest_size, steps);
	} else {
		size = have;
		*word(b + size) &= ~HEAP_PREV_FREE;
	}
	*word(b) = size | (uintptr_t)owner << HEAP_OWNER_SHIFT | (h & HEAP_PREV_FREE);
	heap.free_bytes -= size;
	owner_charge_locked(core, owner, size);
	return b;
}

/* Debug: a fresh block's guard, trailer and junk. */
static inline void fresh_block(uintptr_t b, size_t bytes)
{
	if (!K_MEM_DEBUG)
		return;
	guard_set(b, bytes);
	mem_fill((void *)(b + W), MEM_JUNK_FREE, bytes);
}

/* Caller holds core's lock and mem_lock. An aligned block (align > G): a
 * free block big enough for the block plus a leading gap (a list's, or a
 * new chunk), the gap split off as a free block of its own, the tail as
 * another. */
static HEAP_OUTLINE uintptr_t heap_take_aligned_locked(struct mem_core *core, uintptr_t size,
								       size_t align, k_mem_owner_t owner,
								       unsigned *steps)
{
	K_ASSERT(mem_core_held(core) && mem_lock_held());
	/* A size build takes every block here: align <= G leaves no gap (a
	 * payload is G-aligned), so the search is heap_take_locked's. */
	uintptr_t search = MEM_SIZE_LEAN && align <= G ? size : size + align + HEAP_BLOCK_MIN;
	uintptr_t b = list_take(search, steps);
	if (b == 0u && (b = heap_grow(search, steps)) == 0u)
		return 0;
	uintptr_t p = mem_align_up(b + W, align);
	if (p - W - b != 0u && p - W - b < HEAP_BLOCK_MIN)
		p = mem_align_up(b + W + HEAP_BLOCK_MIN, align);
	uintptr_t gap = p - W - b;
	if (gap != 0u) { /* the leading gap becomes a free block of its own */
		uintptr_t have = hsize(b), rest = p - W;
		*word(b) = gap | HEAP_FREE | (*word(b) & HEAP_PREV_FREE);
		set_footer(b);
		list_push(b, gap, steps);
		*word(rest) = (have - gap) | HEAP_FREE | HEAP_PREV_FREE;
		set_footer(rest);
		b = rest;
	}
	uintptr_t h = *word(b), have = h & HEAP_SIZE_MASK;
	K_ASSERT(have >= size);
	if (have - size >= HEAP_BLOCK_MIN) {
		uintptr_t rest = b + size;
		*word(rest) = (have - size) | HEAP_FREE;
		set_footer(rest);
		list_push(rest, have - size, steps);
	} else {
		size = have;
		*word(b + size) &= ~HEAP_PREV_FREE;
	}
	*word(b) = size | (uintptr_t)owner << HEAP_OWNER_SHIFT | (h & HEAP_PREV_FREE);
	heap.free_bytes -= size;
	owner_charge_locked(core, owner, size);
	return b;
}

/* Caller holds core's lock and mem_lock. Block address (not yet the
 * payload) or 0. `bytes` <= HEAP_REQUEST_MAX. */
static inline HEAP_INLINE uintptr_t heap_alloc_locked(struct mem_core *core, size_t bytes,
									    size_t align, k_mem_owner_t owner,
									    unsigned *steps)
{
	HEAP_ASSERT(mem_core_held(core) && mem_lock_held());
	uintptr_t size = block_size_for(bytes);
	uintptr_t b = align <= G && !MEM_SIZE_LEAN ? heap_take_locked(core, size, owner, steps)
						     : heap_take_aligned_locked(core, size, align, owner, steps);
	if (b != 0u)
		fresh_block(b, bytes);
	return b;
}

/* Where a checked block lives. */
struct heap_loc {
	uintptr_t b;
	const struct frame_region *region;
};

static const char *const heap_msg_foreign = "k_mem: pointer the heap never gave (or a corrupted header):";
static const char *const heap_msg_double = "k_mem: double free of block";
static const char *const heap_msg_overrun = "k_mem: write past the end of block";

/* The block of payload p, checked: panics naming p on misuse. In O(1): the
 * header must sit in a heap frame and be plausible (flags, a size that stays
 * in the region, a next block that does not say "prev free"), and the block
 * must be neither free nor resting in a front cache. Debug builds also check
 * the block lies inside its chunk and its guard. Needs no lock (see the top
 * of this file): it reads only bits that do not change while p is live.
 * *header receives the header read (PREV_FREE masked out), so a lock-free
 * caller reads it once. */
static inline HEAP_INLINE struct heap_loc heap_block_check(const void *ptr, uintptr_t *header)
{
	struct heap_loc loc;
	uintptr_t p = (uintptr_t)ptr, b = p - W;
	MEM_ASSERT((p & (G - 1u)) == 0u, heap_msg_foreign, p); /* p < W: no region holds b */
	loc.region = frames_region_lookup(b);
	MEM_ASSERT(loc.region != NULL && loc.region->desc[(b - loc.region->base) / K_PAGE_BYTES].kind == FRAME_HEAP,
		   heap_msg_foreign, p);
	uintptr_t h = hpeek(b) & ~HEAP_PREV_FREE;
	MEM_ASSERT((h & (G - 1u)) == 0u, (h & HEAP_FREE) != 0u ? heap_msg_double : heap_msg_foreign, p);
	uintptr_t size = h & HEAP_SIZE_MASK, end = loc.region->base + loc.region->bytes;
	MEM_ASSERT(size >= HEAP_BLOCK_MIN && size < end - b, heap_msg_foreign, p);
	MEM_ASSERT((hpeek(b + size) & HEAP_PREV_FREE) == 0u, heap_msg_foreign, p);
	MEM_ASSERT(*word(b + 2u * W) != (b ^ FRONT_MARK), heap_msg_double, p);
	if (K_MEM_DEBUG) {
		uintptr_t first, sentinel;
		MEM_ASSERT(chunk_of_block(b, &first, &sentinel) != NULL && b >= first && b + size <= sentinel,
			   heap_msg_foreign, p);
		guard_check(b, heap_msg_overrun);
	}
	loc.b = b;
	*header = h;
	return loc;
}

static HEAP_OUTLINE struct heap_loc heap_block_of(const void *ptr)
{
	uintptr_t header;
	return heap_block_check(ptr, &header);
}

/* The chunk whose first block is b and whose sentinel is next, or NULL. */
static struct heap_chunk *chunk_if_whole(uintptr_t b, uintptr_t next)
{
	uintptr_t c = b - CHUNK_HEADER, base;
	enum frame_kind kind;
	size_t count;
	if (hsize(next) != 0u || (c & (K_PAGE_BYTES - 1u)) != 0u)
		return NULL;
	if (!frames_lookup(c, &kind, &base, &count) || kind != FRAME_HEAP || base != c)
		return NULL;
	K_ASSERT(c + count * K_PAGE_BYTES - W == next);
	return (struct heap_chunk *)c;
}

static bool chunk_wholly_free(const struct heap_chunk *c)
{
	uintptr_t first = (uintptr_t)c + CHUNK_HEADER;
	return hfree(first) && first + hsize(first) == (uintptr_t)c + c->frames * K_PAGE_BYTES - W;
}

/* Free block b (off the lists) may be a whole chunk: give that chunk back
 * to primary memory, unless it becomes the spare (there is none, the spare
 * is in use again, or b's chunk is larger: then the old spare goes back).
 * True if b went back. */
static HEAP_OUTLINE bool chunk_maybe_release(uintptr_t b, uintptr_t next, unsigned *steps)
{
	struct heap_chunk *whole = chunk_if_whole(b, next);
	if (whole == NULL)
		return false;
	struct heap_chunk *spare = heap.spare;
	if (spare == NULL || spare == whole || !chunk_wholly_free(spare)) {
		heap.spare = whole;
		return false;
	}
	if (whole->frames > spare->frames) {
		uintptr_t first = (uintptr_t)spare + CHUNK_HEADER;
		list_remove(first, hsize(first), steps);
		heap.free_bytes -= hsize(first);
		chunk_release(spare);
		heap.spare = whole;
		return false;
	}
	chunk_release(whole);
	return true;
}

size_t heap_spare_frames_locked(void)
{
	struct heap_chunk *spare = heap.spare;
	return spare != NULL && chunk_wholly_free(spare) ? spare->frames : 0u;
}

size_t heap_release_spare_locked(void)
{
	K_ASSERT(mem_lock_held());
	struct heap_chunk *spare = heap.spare;
	if (spare == NULL || !chunk_wholly_free(spare))
		return 0;
	uintptr_t first = (uintptr_t)spare + CHUNK_HEADER;
	unsigned steps = 0; /* not an alloc or free's: see heap_trim_locked */
	list_remove(first, hsize(first), &steps);
	heap.free_bytes -= hsize(first);
	size_t frames = spare->frames;
	chunk_release(spare);
	return frames;
}

/* Caller holds core's lock and mem_lock; loc is a checked allocated block,
 * not in a front cache. Coalesce with free neighbours, give back a chunk
 * that went wholly free, list the rest. */
static inline HEAP_INLINE void heap_free_locked(struct mem_core *core, struct heap_loc loc,
								      unsigned *steps)
{
	HEAP_ASSERT(mem_core_held(core) && mem_lock_held());
	uintptr_t b = loc.b, h = *word(b), size = h & HEAP_SIZE_MASK;
	owner_release_locked(core, (k_mem_owner_t)(h >> HEAP_OWNER_SHIFT), size);
	heap.free_bytes += size;
	if (K_MEM_DEBUG)
		mem_fill((void *)(b + W), MEM_JUNK_FREE, size - W);
	uintptr_t prev_bit = h & HEAP_PREV_FREE;
	if (prev_bit) {
		uintptr_t prev = *word(b - W);
		MEM_ASSERT(prev >= loc.region->base && prev < b && hfree(prev) && prev + hsize(prev) == b,
			   "k_mem_free: heap corrupted before block", b + W);
		uintptr_t prev_size = hsize(prev);
		list_remove(prev, prev_size, steps);
		prev_bit = *word(prev) & HEAP_PREV_FREE;
		b = prev;
		size += prev_size;
	}
	uintptr_t next = b + size, nh = *word(next);
	if (nh & HEAP_FREE) {
		uintptr_t next_size = nh & HEAP_SIZE_MASK;
		list_remove(next, next_size, steps);
		size += next_size;
		next = b + size;
		nh = *word(next);
	}
	*word(b) = size | HEAP_FREE | prev_bit;
	*word(next - W) = b; /* footer */
	*word(next) = nh | HEAP_PREV_FREE;
	if (__builtin_expect((nh & HEAP_SIZE_MASK) == 0u, 0) && chunk_maybe_release(b, next, steps)) {
		heap.free_bytes -= size;
		return;
	}
	list_push(b, size, steps);
}

/* Caller holds core's lock and mem_lock; b allocated. Shrink b to `size`,
 * freeing the tail (merged with a free block after it). */
static void shrink_locked(struct mem_core *core, uintptr_t b, uintptr_t size, unsigned *steps)
{
	K_ASSERT(mem_core_held(core) && mem_lock_held());
	uintptr_t have = hsize(b);
	K_ASSERT(size <= have && (size & (G - 1u)) == 0u && size >= HEAP_BLOCK_MIN);
	if (size == have)
		return;
	uintptr_t next = b + have;
	uintptr_t tail = have - size;
	bool next_free = hfree(next);
	if (next_free)
		tail += hsize(next);
	if (tail < HEAP_BLOCK_MIN)
		return;
	if (next_free)
		list_remove(next, hsize(next), steps);
	k_mem_owner_t owner = howner(b);
	owner_release_locked(core, owner, have);
	*word(b) = size | (uintptr_t)owner << HEAP_OWNER_SHIFT | (*word(b) & HEAP_PREV_FREE);
	owner_charge_locked(core, owner, size);
	heap.free_bytes += have - size;
	uintptr_t rest = b + size;
	*word(rest) = tail | HEAP_FREE;
	set_footer(rest);
	*word(rest + tail) |= HEAP_PREV_FREE;
	list_push(rest, tail, steps);
}

/* Caller holds core's lock and mem_lock; b allocated. Grow b in place to at
 * least `size` by taking the free block after it; false if that is not
 * enough. */
static bool grow_in_place_locked(struct mem_core *core, uintptr_t b, uintptr_t size, unsigned *steps)
{
	K_ASSERT(mem_core_held(core) && mem_lock_held());
	uintptr_t have = hsize(b), next = b + have;
	if (!hfree(next) || have + hsize(next) < size)
		return false;
	list_remove(next, hsize(next), steps);
	k_mem_owner_t owner = howner(b);
	owner_release_locked(core, owner, have);
	uintptr_t total = have + hsize(next);
	heap.free_bytes -= hsize(next);
	*word(b) = total | (uintptr_t)owner << HEAP_OWNER_SHIFT | (*word(b) & HEAP_PREV_FREE);
	*word(b + total) &= ~HEAP_PREV_FREE;
	owner_charge_locked(core, owner, total);
	shrink_locked(core, b, size, steps);
	return true;
}

/* An operation's steps are a local of it, passed down by pointer (the
 * inline paths keep it in a register); the most any one took is kept. */
static inline void steps_note(unsigned steps)
{
	if (steps > heap.steps_max)
		heap.steps_max = steps;
}

/* ----------------------------------------------------------- front cache */

/* Classes below this block size are exact (one block size each), so the
 * hot paths index them by size alone. */
#define FRONT_EXACT_LIMIT ((uintptr_t)2u * SMALL_BLOCK)
#define FRONT_EXACT_CLASSES ((unsigned)(FRONT_EXACT_LIMIT >> ALIGN_LOG2))
K_STATIC_ASSERT(FRONT_EXACT_CLASSES == 2u * SL_COUNT, "exact classes are the first two levels");
K_STATIC_ASSERT(FRONT_FL_COUNT == 2u, "the front cache holds the exact classes, no more (mem_internal.h)");

/* Front class of a block of `size` (its TLSF list), or FRONT_CLASSES if
 * too big to cache. */
static inline unsigned front_class(uintptr_t size)
{
	unsigned fl, sl;
	mapping(size, &fl, &sl);
	return fl < FRONT_FL_COUNT ? fl * SL_COUNT + sl : FRONT_CLASSES;
}

/* Caller holds core's lock. A cached block of at least `size` bytes taken
 * off its list (its mark cleared), or 0: from size's own class if its first
 * block is big enough, else from the next class, all of whose blocks are. */
static uintptr_t front_take(struct mem_core *core, uintptr_t size)
{
	HEAP_ASSERT(mem_core_held(core));
	struct heap_front *f = &core->front;
	unsigned k = front_class(size);
	if (k >= FRONT_CLASSES)
		return 0;
	uintptr_t b = f->cls[k].head;
	if (b == 0u || (hpeek(b) & HEAP_SIZE_MASK) < size) {
		if (++k >= FRONT_CLASSES || (b = f->cls[k].head) == 0u)
			return 0;
	}
	f->cls[k].count--;
	MEM_ASSERT(*word(b + 2u * W) == (b ^ FRONT_MARK),
		   "k_mem: cached block damaged (written after free?) at", b + W);
	f->cls[k].head = *word(b + W);
	*word(b + 2u * W) = 0;
	f->bytes -= hpeek(b) & HEAP_SIZE_MASK;
	return b;
}

/* Caller holds core's lock. b, just taken from the cache, is owner's now:
 * its charge moves back from the cache to the owner. */
static inline HEAP_INLINE void front_hand_out(struct mem_core *core, uintptr_t size,
								       k_mem_owner_t owner)
{
	HEAP_ASSERT(mem_core_held(core));
	struct heap_front *f = &core->front;
	f->own[owner].bytes += (intptr_t)size;
	f->own[owner].blocks++;
	if (f->own[owner].bytes > f->own[owner].high)
		f->own[owner].high = f->own[owner].bytes;
}

/* Caller holds core's lock and mem_lock. b, just taken from the cache, goes
 * to `owner` though its header names another: re-charge and rewrite it. */
static void front_hand_over_locked(struct mem_core *core, uintptr_t b, k_mem_owner_t owner)
{
	K_ASSERT(mem_core_held(core) && mem_lock_held());
	struct heap_front *f = &core->front;
	k_mem_owner_t old = howner(b);
	uintptr_t size = hsize(b);
	K_ASSERT(old != owner);
	owner_release_locked(core, old, size);
	f->own[old].bytes += (intptr_t)size;
	f->own[old].blocks++;
	f->own[old].high = f->own[old].bytes; /* old holds no more than before */
	*word(b) = (*word(b) & ~HEAP_OWNER_MASK) | (uintptr_t)owner << HEAP_OWNER_SHIFT;
	owner_charge_locked(core, owner, size);
}

void heap_front_flush_locked(struct mem_core *core)
{
	K_ASSERT(mem_core_held(core) && mem_lock_held());
	struct heap_front *f = &core->front;
	if (!HEAP_FRONT) { /* a build without the cache: never filled */
		K_ASSERT(f->bytes == 0u);
		return;
	}
	for (unsigned k = 0; k < FRONT_CLASSES; k++) {
		for (unsigned n = 0; f->cls[k].head != 0u; n++) {
			K_ASSERT(n < FRONT_DEPTH_MAX);
			uintptr_t b = front_take(core, hsize(f->cls[k].head));
			K_ASSERT(b != 0u);
			k_mem_owner_t owner = howner(b);
			uintptr_t size = hsize(b);
			struct heap_loc loc = {b, frames_region_lookup(b)};
			unsigned steps = 0;
			heap_free_locked(core, loc, &steps);
			steps_note(steps);
			f->own[owner].bytes += (intptr_t)size; /* released from owners just now */
			f->own[owner].blocks++;
			if (f->own[owner].bytes > f->own[owner].high)
				f->own[owner].high = f->own[owner].bytes;
		}
	}
	K_ASSERT(f->bytes == 0u);
}

void heap_front_flush_all(void)
{
	if (!HEAP_FRONT)
		return;
	for (unsigned c = 0; c < mem_core_count; c++) {
		struct mem_core *core = &mem_cores[c];
		bsp_irq_state_t irq = bsp_spin_lock_irqsave(&core->lock);
		bsp_spin_lock(&mem_lock);
		heap_front_flush_locked(core);
		bsp_spin_unlock(&mem_lock);
		bsp_spin_unlock_irqrestore(&core->lock, irq);
	}
}

/* ------------------------------------------------------------ public API */

/* Where each call goes:
 *   k_mem_alloc   fault hook, core lock, then by size: an exact front class
 *                 (inline: the top of the core's list if it is the owner's,
 *                 else heap_alloc_small_miss: the next class up or TLSF) or
 *                 TLSF (heap_alloc_big); aligned requests: heap_alloc_aligned.
 *   k_mem_free    core lock, the block check, then by size: the core's front
 *                 list (inline) or, above the exact classes or when the list
 *                 or budget is full, TLSF (heap_free_tlsf).
 * Each path is one function with its rare branches out of line, so the
 * common call pays one prologue and no re-computation of what the caller
 * already knew (size, class, region). */

/* Caller holds nothing. TLSF under the core lock and mem_lock: block
 * address or 0. */
static uintptr_t heap_alloc_tlsf(size_t bytes, size_t align, k_mem_owner_t owner)
{
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq);
	mem_lock_take();
	unsigned steps = 0;
	uintptr_t b = heap_alloc_locked(core, bytes, align, owner, &steps);
	steps_note(steps);
	mem_lock_drop();
	mem_core_unlock(core, irq);
	return b;
}

/* Out of memory in TLSF: what the cores' front caches hold may be enough.
 * Empty them all, then ask TLSF once more. Block address or 0. */
static HEAP_OUTLINE uintptr_t heap_alloc_retry(size_t bytes, size_t align, k_mem_owner_t owner)
{
	if (!HEAP_FRONT) /* no cache holds anything: TLSF's answer stands */
		return 0;
	heap_front_flush_all();
	return heap_alloc_tlsf(bytes, align, owner);
}

/* Caller holds core (mem_core_lock); leaves it. Requests the exact front
 * classes cannot hold: TLSF under mem_lock. */
static HEAP_OUTLINE void *heap_alloc_big(struct mem_core *core, bsp_irq_state_t irq, size_t bytes,
						      k_mem_owner_t owner)
{
	uintptr_t b = 0;
	if (__builtin_expect(bytes <= HEAP_REQUEST_MAX, 1)) {
		mem_lock_take();
		unsigned steps = 0;
		b = heap_alloc_locked(core, bytes, G, owner, &steps); /* fresh_block'd inside */
		steps_note(steps);
		mem_lock_drop();
	}
	mem_core_unlock(core, irq);
	if (__builtin_expect(b == 0u, 0) &&
	    (bytes > HEAP_REQUEST_MAX || (b = heap_alloc_retry(bytes, G, owner)) == 0u))
		return NULL;
	return (void *)(b + W);
}

/* Aligned requests (align > G): TLSF, which splits off the leading gap.
 * A size build without the front cache sends every request here (align G:
 * no gap; heap_alloc), so one copy of the TLSF call serves both. */
static HEAP_OUTLINE void *heap_alloc_aligned(size_t bytes, size_t align, k_mem_owner_t owner)
{
	if (bytes > HEAP_REQUEST_MAX)
		return NULL;
	uintptr_t b = heap_alloc_tlsf(bytes, align, owner);
	if (b == 0u && (b = heap_alloc_retry(bytes, align, owner)) == 0u)
		return NULL;
	return (void *)(b + W);
}

/* The exact class's list was empty or its first block another owner's:
 * the next class up, a block re-charged from another owner, or TLSF.
 * Leaves core. */
static HEAP_OUTLINE void *heap_alloc_small_miss(struct mem_core *core, bsp_irq_state_t irq,
							     size_t bytes, k_mem_owner_t owner)
{
	uintptr_t b = front_take(core, block_size_for(bytes));
	uintptr_t h = b != 0u ? hpeek(b) : 0u; /* no mem_lock yet */
	if (b != 0u && (k_mem_owner_t)(h >> HEAP_OWNER_SHIFT) == owner) {
		front_hand_out(core, h & HEAP_SIZE_MASK, owner);
		fresh_block(b, bytes);
		mem_core_unlock(core, irq);
		return (void *)(b + W);
	}
	mem_lock_take();
	if (b != 0u) {
		front_hand_over_locked(core, b, owner);
		fresh_block(b, bytes); /* before another core's k_mem_check can see it */
	} else {
		unsigned steps = 0;
		b = heap_alloc_locked(core, bytes, G, owner, &steps); /* fresh_block'd inside */
		steps_note(steps);
	}
	mem_lock_drop();
	mem_core_unlock(core, irq);
	if (b == 0u && (b = heap_alloc_retry(bytes, G, owner)) == 0u)
		return NULL;
	return (void *)(b + W);
}

/* Largest request whose block falls in an exact front class. */
#define FRONT_FAST_BYTES ((size_t)(FRONT_EXACT_LIMIT - G - W - (K_MEM_DEBUG ? W + 1u : 0u)))

static HEAP_OUTLINE __attribute__((cold)) void heap_bad_owner(const char *what, k_mem_owner_t owner)
{
	mem_panic(K_ASSERT_FILE, __LINE__, what, owner);
}

/* Requests of at most FRONT_FAST_BYTES take the top of the calling core's
 * list for their exact class, if it is the owner's: no mem_lock, no class
 * computation beyond a shift. Everything else leaves by a tail call. */
static inline HEAP_INLINE void *heap_alloc(size_t bytes, k_mem_owner_t owner)
{
	if (MEM_SIZE_LEAN && !HEAP_FRONT) /* a size build without the cache: one TLSF path */
		return heap_alloc_aligned(bytes, G, owner);
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq);
	if (!HEAP_FRONT || bytes > FRONT_FAST_BYTES)
		return heap_alloc_big(core, irq, bytes, owner);
	uintptr_t size = block_size_for(bytes); /* 0 and 1: the same block */
	struct heap_front *f = &core->front;
	unsigned k = (unsigned)(size >> ALIGN_LOG2);
	uintptr_t b = f->cls[k].head;
	if (__builtin_expect(b == 0u || (k_mem_owner_t)(hpeek(b) >> HEAP_OWNER_SHIFT) != owner, 0))
		return heap_alloc_small_miss(core, irq, bytes + (bytes == 0u), owner);
	MEM_ASSERT(*word(b + 2u * W) == (b ^ FRONT_MARK), "k_mem_alloc: cached block damaged (written after free?) at",
		   b + W);
	f->cls[k].head = *word(b + W);
	f->cls[k].count--;
	f->bytes -= size;
	*word(b + 2u * W) = 0;
	front_hand_out(core, size, owner); /* an exact class: the block is `size` */
	fresh_block(b, bytes + (bytes == 0u)); /* before another core's k_mem_check can see it */
	mem_core_unlock(core, irq);
	return (void *)(b + W);
}

/* k_mem_alloc_aligned's checks and dispatch; bad_owner names the caller
 * in the panic. A size build's k_mem_alloc comes here too (align G passes
 * the alignment check: the same checks in the same order as its own). */
static HEAP_SHARED void *heap_alloc_checked(size_t bytes, size_t align, k_mem_owner_t owner,
					    const char *bad_owner)
{
	if (!MEM_OWNER_VALID(owner))
		heap_bad_owner(bad_owner, owner);
	if (!mem_is_pow2(align) || align > K_PAGE_BYTES)
		return NULL;
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	if (align <= G)
		return heap_alloc(bytes, owner);
	return heap_alloc_aligned(bytes, align, owner);
}

void *k_mem_alloc(size_t bytes, k_mem_owner_t owner)
{
	if (MEM_SIZE_LEAN) /* one copy of the checks (see heap_alloc_checked) */
		return heap_alloc_checked(bytes, G, owner, MEM_TEXT("k_mem_alloc: bad owner"));
	if (__builtin_expect(!MEM_OWNER_VALID(owner), 0))
		heap_bad_owner(MEM_TEXT("k_mem_alloc: bad owner"), owner);
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	return heap_alloc(bytes, owner);
}

void *k_mem_zalloc(size_t bytes, k_mem_owner_t owner)
{
	void *p = k_mem_alloc(bytes, owner);
	if (p != NULL)
		mem_fill(p, 0, bytes);
	return p;
}

void *k_mem_alloc_aligned(size_t bytes, size_t align, k_mem_owner_t owner)
{
	return heap_alloc_checked(bytes, align, owner, MEM_TEXT("k_mem_alloc_aligned: bad owner"));
}

/* No fault injection (the caller injected its own): the objects of a
 * cache built without slabs (cache.c), aligned to align, charged to owner. */
void *heap_alloc_for(size_t bytes, size_t align, k_mem_owner_t owner)
{
	K_ASSERT(MEM_OWNER_VALID(owner));
	K_ASSERT(mem_is_pow2(align) && align <= K_PAGE_BYTES);
	if (align <= G)
		return heap_alloc(bytes, owner);
	return heap_alloc_aligned(bytes, align, owner);
}

/* No fault injection: the memory manager's own tables (cache.c). */
void *heap_alloc_internal(size_t bytes)
{
	return heap_alloc(bytes, K_MEM_OWNER_KERNEL);
}

/* Caller holds core (mem_core_lock); leaves it. TLSF frees loc's block:
 * a block above the exact classes, or one whose list or core budget is
 * full. Out of line: the common free stays short. */
static HEAP_OUTLINE void heap_free_tlsf(struct mem_core *core, bsp_irq_state_t irq,
						      struct heap_loc loc)
{
	mem_lock_take();
	unsigned steps = 0;
	heap_free_locked(core, loc, &steps);
	steps_note(steps);
	mem_lock_drop();
	mem_core_unlock(core, irq);
}

/* A block of an exact class goes onto the calling core's list, if there is
 * room; anything else leaves by a tail call. */
void k_mem_free(void *p)
{
	if (p == NULL)
		return;
	/* Interrupts off first: then only p lives across the call. */
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq);
	uintptr_t h; /* read once, without mem_lock: see hpeek */
	struct heap_loc loc = heap_block_check(p, &h);
	uintptr_t b = loc.b, size = h & HEAP_SIZE_MASK;
	if (!HEAP_FRONT || size >= FRONT_EXACT_LIMIT) {
		heap_free_tlsf(core, irq, loc);
		return;
	}
	struct heap_front *f = &core->front;
	unsigned k = (unsigned)(size >> ALIGN_LOG2);
	if (__builtin_expect(f->cls[k].count >= FRONT_DEPTH_MAX || f->bytes + size > FRONT_CORE_BYTES_MAX, 0)) {
		heap_free_tlsf(core, irq, loc);
		return;
	}
	k_mem_owner_t owner = (k_mem_owner_t)(h >> HEAP_OWNER_SHIFT);
	if (K_MEM_DEBUG)
		mem_fill((void *)(b + W), MEM_JUNK_FREE, size - W);
	*word(b + W) = f->cls[k].head;
	*word(b + 2u * W) = b ^ FRONT_MARK;
	f->cls[k].head = b;
	f->cls[k].count++;
	f->bytes += size;
	f->own[owner].bytes -= (intptr_t)size; /* still charged in owners: net it out */
	f->own[owner].blocks--;
	mem_core_unlock(core, irq);
}

void heap_free_internal(void *p)
{
	k_mem_free(p);
}

/* Caller holds mem_lock. */
static size_t usable_locked(uintptr_t b)
{
	K_ASSERT(mem_lock_held());
	if (K_MEM_DEBUG)
		return *word(b + hsize(b) - W) ^ trailer_key(b);
	return hsize(b) - W;
}

static void *realloc_locked(struct mem_core *core, void *p, size_t bytes, unsigned *steps)
{
	struct heap_loc loc = heap_block_of(p);
	uintptr_t b = loc.b;
	size_t old_bytes = usable_locked(b);
	uintptr_t size = block_size_for(bytes);
	if (size <= hsize(b)) {
		shrink_locked(core, b, size, steps);
		guard_set(b, bytes);
		return p;
	}
	if (grow_in_place_locked(core, b, size, steps)) {
		guard_set(b, bytes);
		if (K_MEM_DEBUG)
			mem_fill((uint8_t *)p + old_bytes, MEM_JUNK_FREE, bytes - old_bytes);
		return p;
	}
	uintptr_t q = heap_alloc_locked(core, bytes, G, howner(b), steps);
	if (q == 0u)
		return NULL;
	mem_copy((void *)(q + W), p, old_bytes < bytes ? old_bytes : bytes);
	heap_free_locked(core, heap_block_of(p), steps);
	return (void *)(q + W);
}

void *k_mem_realloc(void *p, size_t bytes, k_mem_owner_t owner)
{
	MEM_ASSERT(MEM_OWNER_VALID(owner), "k_mem_realloc: bad owner", owner);
	if (p == NULL)
		return k_mem_alloc(bytes, owner);
	if (bytes == 0u) {
		k_mem_free(p);
		return NULL;
	}
	if (bytes > HEAP_REQUEST_MAX || bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq);
	mem_lock_take();
	unsigned steps = 0;
	void *q = realloc_locked(core, p, bytes, &steps);
	steps_note(steps);
	mem_lock_drop();
	mem_core_unlock(core, irq);
	return q;
}

size_t k_mem_usable_bytes(const void *p)
{
	bsp_irq_state_t irq = bsp_spin_lock_irqsave(&mem_lock);
	size_t n = usable_locked(heap_block_of(p).b);
	bsp_spin_unlock_irqrestore(&mem_lock, irq);
	return n;
}

k_mem_owner_t k_mem_owner_of(const void *p)
{
	bsp_irq_state_t irq = bsp_spin_lock_irqsave(&mem_lock);
	k_mem_owner_t o = howner(heap_block_of(p).b);
	bsp_spin_unlock_irqrestore(&mem_lock, irq);
	return o;
}

uint32_t k_mem_steps_max(void)
{
	bsp_irq_state_t irq = bsp_spin_lock_irqsave(&mem_lock);
	uint32_t n = heap.steps_max;
	bsp_spin_unlock_irqrestore(&mem_lock, irq);
	return n;
}

void k_mem_steps_reset(void)
{
	bsp_irq_state_t irq = bsp_spin_lock_irqsave(&mem_lock);
	heap.steps_max = 0;
	bsp_spin_unlock_irqrestore(&mem_lock, irq);
}

/* ------------------------------------------------ init, stats, trim, check */

void heap_init(void)
{
	mem_fill(&heap, 0, sizeof heap);
}

/* A walk of the chunks (bounded by their count, not constant), for
 * k_mem_trim. Its list steps are not an operation's: steps_max bounds alloc
 * and free. */
size_t heap_trim_locked(void)
{
	K_ASSERT(mem_lock_held());
	size_t released = 0, bound = heap.chunk_count;
	unsigned steps = 0;
	struct heap_chunk *c = heap.chunks;
	for (size_t i = 0; c != NULL; i++) {
		K_ASSERT(i < bound);
		struct heap_chunk *next = c->next;
		uintptr_t b = (uintptr_t)c + CHUNK_HEADER;
		if (hfree(b) && b + hsize(b) == (uintptr_t)c + c->frames * K_PAGE_BYTES - W) {
			list_remove(b, hsize(b), &steps);
			heap.free_bytes -= hsize(b);
			released += c->frames;
			chunk_release(c);
		}
		c = next;
	}
	return released;
}

void heap_stats_locked(struct k_mem_stats *out)
{
	K_ASSERT(mem_lock_held());
	out->heap_bytes = heap.bytes;
	out->heap_free_bytes = heap.free_bytes;
	out->heap_steps_max = heap.steps_max;
	out->heap_largest_free_bytes = 0;
	uintptr_t largest = 0;
	if (heap.fl_map != 0u) {
		unsigned fl = 31u - (unsigned)__builtin_clz(heap.fl_map);
		unsigned sl = 31u - (unsigned)__builtin_clz(heap.sl_map[fl]);
		size_t bound = heap.bytes / HEAP_BLOCK_MIN; /* no more blocks fit */
		for (uintptr_t b = heap.lists[fl][sl]; b != 0u; b = *link_next(b)) {
			K_ASSERT(bound-- > 0u);
			if (hsize(b) > largest)
				largest = hsize(b);
		}
	}
	if (largest != 0u)
		out->heap_largest_free_bytes = largest - W - (K_MEM_DEBUG ? W + 1u : 0u);
}

/* One chunk's blocks, in address order. */
static size_t check_chunk(const struct heap_chunk *c, size_t *free_blocks, size_t *free_bytes, size_t *cached,
			  size_t owner_bytes[K_MEM_OWNERS_MAX], size_t owner_blocks[K_MEM_OWNERS_MAX])
{
	enum frame_kind kind;
	uintptr_t base;
	size_t count;
	MEM_ASSERT(frames_lookup((uintptr_t)c, &kind, &base, &count) && kind == FRAME_HEAP &&
			   base == (uintptr_t)c && count == c->frames,
		   "k_mem_check: heap chunk is not a heap frame run:", c);
	uintptr_t b = base + CHUNK_HEADER, sentinel = base + count * K_PAGE_BYTES - W;
	bool prev_free = false;
	size_t items = 0;
	while (b != sentinel) {
		uintptr_t h = *word(b), size = hsize(b);
		MEM_ASSERT(size >= HEAP_BLOCK_MIN && size <= sentinel - b, "k_mem_check: bad block size at", b + W);
		MEM_ASSERT(((h & HEAP_PREV_FREE) != 0u) == prev_free, "k_mem_check: PREV_FREE flag wrong at", b + W);
		if (h & HEAP_FREE) {
			MEM_ASSERT(!prev_free, "k_mem_check: two free blocks side by side at", b + W);
			MEM_ASSERT(*word(b + size - W) == b, "k_mem_check: bad footer of free block", b + W);
			(*free_blocks)++;
			*free_bytes += size;
		} else {
			MEM_ASSERT(MEM_OWNER_VALID(howner(b)), "k_mem_check: bad owner at", b + W);
			owner_bytes[howner(b)] += size; /* cached blocks too: see heap_front */
			owner_blocks[howner(b)]++;
			if (*word(b + 2u * W) == (b ^ FRONT_MARK)) {
				(*cached)++; /* where it is listed: heap_front_check_locked */
				MEM_ASSERT(!K_MEM_DEBUG || mem_all((void *)(b + 3u * W), MEM_JUNK_FREE, size - 3u * W),
					   "k_mem_check: write to a freed (cached) block", b + W);
			} else if (K_MEM_DEBUG) {
				guard_check(b, "k_mem_check: write past the end of block");
			}
		}
		prev_free = (h & HEAP_FREE) != 0u;
		b += size;
		items++;
	}
	MEM_ASSERT(hsize(sentinel) == 0u && !hfree(sentinel), "k_mem_check: chunk sentinel damaged at", sentinel);
	MEM_ASSERT(((*word(sentinel) & HEAP_PREV_FREE) != 0u) == prev_free, "k_mem_check: sentinel PREV_FREE wrong at", sentinel);
	return items + 1u;
}

/* One class list: its sl bit set exactly when it has a head; every block
 * free, of this class, linked both ways; *seen counts the blocks against
 * free_blocks (a loop in a list runs past that bound). */
static void check_list(unsigned fl, unsigned sl, size_t free_blocks, size_t *seen)
{
	uintptr_t b = heap.lists[fl][sl], prev = 0;
	MEM_ASSERT(((heap.sl_map[fl] >> sl) & 1u) == (b != 0u), "k_mem_check: sl bitmap wrong for class", fl * SL_COUNT + sl);
	for (; b != 0u; prev = b, b = *link_next(b)) {
		unsigned f, s;
		MEM_ASSERT((*seen)++ < free_blocks, "k_mem_check: free lists hold more blocks than the heap; at", b);
		MEM_ASSERT(hfree(b), "k_mem_check: used block in a free list at", b + W);
		mapping(hsize(b), &f, &s);
		MEM_ASSERT(f == fl && s == sl, "k_mem_check: free block in the wrong list at", b + W);
		MEM_ASSERT(*link_prev(b) == prev, "k_mem_check: free list back link broken at", b + W);
	}
}

/* Which lists of first level fl have a head: bit sl set when
 * heap.lists[fl][sl] != 0. Most levels have no list at all: one OR over
 * the level's heads (which compilers turn into a few vector ORs) says so;
 * only a level with a head pays the per-list map. */
static uint32_t heads_map(unsigned fl)
{
	uintptr_t any = 0;
	for (unsigned sl = 0; sl < SL_COUNT; sl++)
		any |= heap.lists[fl][sl];
	if (any == 0u)
		return 0;
	uint32_t map = 0;
	for (unsigned sl = 0; sl < SL_COUNT; sl++)
		map |= (uint32_t)(heap.lists[fl][sl] != 0u) << sl;
	K_ASSERT(map != 0u);
	return map;
}

/* Every free list: right class, links both ways, bitmaps agree. Where a
 * level's heads agree with its sl bitmap (the usual case) only the lists
 * it names are walked, in the same order; where they disagree, every list
 * of the level is checked in turn, so the first fault reported is the one
 * the plain walk over every (fl, sl) would report. */
static size_t check_lists(size_t free_blocks)
{
	size_t seen = 0;
	K_ASSERT_MSG(FL_COUNT == 32u || (heap.fl_map >> (FL_COUNT % 32u)) == 0u,
		     "k_mem_check: fl bitmap beyond range");
	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		MEM_ASSERT(((heap.fl_map >> fl) & 1u) == (heap.sl_map[fl] != 0u), "k_mem_check: fl bitmap wrong for class", fl);
		uint32_t heads = heads_map(fl);
		if (heads != heap.sl_map[fl]) {
			for (unsigned sl = 0; sl < SL_COUNT; sl++)
				check_list(fl, sl, free_blocks, &seen);
			K_ASSERT_MSG(false, "k_mem_check: heads and sl bitmap disagree, yet every list passed");
		}
		for (uint32_t rest = heads; rest != 0u; rest &= rest - 1u)
			check_list(fl, (unsigned)__builtin_ctz(rest), free_blocks, &seen);
	}
	MEM_ASSERT(seen == free_blocks, "k_mem_check: free blocks missing from the lists:", free_blocks - seen);
	return seen;
}

size_t heap_check_locked(size_t *heap_frames, size_t owner_bytes[K_MEM_OWNERS_MAX],
			 size_t owner_blocks[K_MEM_OWNERS_MAX])
{
	K_ASSERT(mem_check_holds(&mem_lock));
	size_t items = 0, free_blocks = 0, free_bytes = 0, bytes = 0, n = 0, cached = 0, listed = 0;
	const struct heap_chunk *prev = NULL;
	bool spare_seen = heap.spare == NULL;
	for (const struct heap_chunk *c = heap.chunks; c != NULL; prev = c, c = c->next) {
		MEM_ASSERT(n++ < heap.chunk_count, "k_mem_check: heap chunk list longer than its count at", c);
		MEM_ASSERT(c->prev == prev, "k_mem_check: heap chunk back link broken at", c);
		spare_seen |= c == heap.spare;
		MEM_ASSERT(c == heap.spare || !chunk_wholly_free(c), "k_mem_check: a wholly free chunk other than the spare:", c);
		items += check_chunk(c, &free_blocks, &free_bytes, &cached, owner_bytes, owner_blocks);
		bytes += c->frames * K_PAGE_BYTES;
		*heap_frames += c->frames;
	}
	K_ASSERT_MSG(n == heap.chunk_count, "k_mem_check: heap chunk count drifted");
	MEM_ASSERT(spare_seen, "k_mem_check: spare chunk not in the heap:", heap.spare);
	K_ASSERT_MSG(bytes == heap.bytes, "k_mem_check: heap byte count drifted");
	K_ASSERT_MSG(free_bytes == heap.free_bytes, "k_mem_check: heap free byte count drifted");
	items += heap_front_check_locked(&listed);
	MEM_ASSERT(listed == cached, "k_mem_check: blocks marked cached but in no front cache list:", cached - listed);
	return items + check_lists(free_blocks);
}

/* One core's front cache, under its lock and mem_lock. */
static size_t front_check_core(const struct mem_core *core, size_t *listed)
{
	static intptr_t owner_bytes[K_MEM_OWNERS_MAX], owner_blocks[K_MEM_OWNERS_MAX]; /* mem_lock */
	const struct heap_front *f = &core->front;
	size_t bytes = 0, blocks = 0;
	mem_fill(owner_bytes, 0, sizeof owner_bytes);
	mem_fill(owner_blocks, 0, sizeof owner_blocks);
	for (unsigned k = 0; k < FRONT_CLASSES; k++) {
		MEM_ASSERT(f->cls[k].count <= FRONT_DEPTH_MAX, "k_mem_check: front cache list overfull, class", k);
		unsigned n = 0;
		for (uintptr_t b = f->cls[k].head; b != 0u; b = *word(b + W), n++) {
			enum frame_kind kind;
			uintptr_t base;
			size_t count;
			MEM_ASSERT(n < f->cls[k].count, "k_mem_check: front cache list longer than its count at", b + W);
			MEM_ASSERT(frames_lookup(b, &kind, &base, &count) && kind == FRAME_HEAP,
				   "k_mem_check: front cache holds a block outside the heap:", b + W);
			MEM_ASSERT(!hfree(b) && front_class(hsize(b)) == k, "k_mem_check: front cache block of the wrong class at", b + W);
			/* A list that loops is longer than its count (above). Each
			 * block seen gets FRONT_SEEN in its mark until the walk of
			 * every core ends, so a block on two lists (or twice on one)
			 * is caught the second time, even where a corrupted link
			 * leaves the totals even. */
			MEM_ASSERT(*word(b + 2u * W) != (b ^ FRONT_MARK ^ FRONT_SEEN),
				   "k_mem_check: front cache block on two lists at", b + W);
			MEM_ASSERT(*word(b + 2u * W) == (b ^ FRONT_MARK), "k_mem_check: front cache block not marked as cached at",
				   b + W);
			*word(b + 2u * W) = b ^ FRONT_MARK ^ FRONT_SEEN;
			bytes += hsize(b);
			blocks++;
			owner_bytes[howner(b)] += (intptr_t)hsize(b);
			owner_blocks[howner(b)]++;
		}
		MEM_ASSERT(n == f->cls[k].count, "k_mem_check: front cache list shorter than its count, class", k);
	}
	MEM_ASSERT(bytes == f->bytes && bytes <= FRONT_CORE_BYTES_MAX,
		   "k_mem_check: front cache totals drifted on core", core->id);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		MEM_ASSERT(f->own[o].bytes == -owner_bytes[o] && f->own[o].blocks == -owner_blocks[o],
			   "k_mem_check: front cache owner counts drifted for owner", o);
		MEM_ASSERT(f->own[o].high >= f->own[o].bytes && f->own[o].high <= 0,
			   "k_mem_check: front cache owner high-water wrong for owner", o);
	}
	*listed += blocks;
	return blocks + 1u;
}

size_t heap_front_check_locked(size_t *listed)
{
	K_ASSERT(mem_check_holds(&mem_lock));
	size_t items = 0;
	if (!HEAP_FRONT) { /* a build without the cache: every list stays empty */
		for (unsigned c = 0; c < mem_core_count; c++)
			MEM_ASSERT(mem_cores[c].front.bytes == 0u, "k_mem_check: front cache used in a build without it, core", c);
		return mem_core_count;
	}
	for (unsigned c = 0; c < mem_core_count; c++) {
		K_ASSERT(mem_check_holds(&mem_cores[c].lock));
		items += front_check_core(&mem_cores[c], listed);
	}
	/* Every list was walked to its count without a second visit: put the
	 * marks back. */
	for (unsigned c = 0; c < mem_core_count; c++) {
		const struct heap_front *f = &mem_cores[c].front;
		for (unsigned k = 0; k < FRONT_CLASSES; k++) {
			unsigned n = 0;
			for (uintptr_t b = f->cls[k].head; b != 0u; b = *word(b + W), n++) {
				K_ASSERT(n < f->cls[k].count);
				*word(b + 2u * W) = b ^ FRONT_MARK;
			}
		}
	}
	return items;
}
