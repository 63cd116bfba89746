/*
 * heap.c — the general heap: TLSF (Masmano et al., "TLSF: a new dynamic
 * memory allocator for real-time systems"), two-level segregated fits.
 *
 * Free blocks sit in lists indexed by (first level = log2 of the size, second
 * level = SL_COUNT linear steps inside it); one bitmap per level says which
 * lists are non-empty, so finding a fitting block is two bit scans and
 * alloc/free never walk a list: O(1), counted by heap.steps.
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
 * 0]. A chunk that becomes wholly free goes back to primary memory, unless it
 * is the heap's last one (k_mem_trim gives that back too).
 *
 * Debug builds (K_MEM_DEBUG): each allocated block ends with a trailer word
 * (requested size, keyed by the block's address) and at least one guard byte
 * between the request and the trailer; freed payloads are filled with junk.
 */
#include "mem_internal.h"

#define W MEM_WORD
#define G MEM_GRAIN
#define HEAP_FREE ((uintptr_t)1u)
#define HEAP_PREV_FREE ((uintptr_t)2u)
#define HEAP_OWNER_SHIFT (sizeof(uintptr_t) * 8u - 6u)
#define HEAP_SIZE_MASK ((((uintptr_t)1u << HEAP_OWNER_SHIFT) - 1u) & ~(G - 1u))
#define HEAP_BLOCK_MIN (4u * W) /* header, two links, footer */

#define SL_LOG2 5u
#define SL_COUNT (1u << SL_LOG2)
#define ALIGN_LOG2 (sizeof(uintptr_t) == 8u ? 4u : 3u)
#define FL_SHIFT (SL_LOG2 + ALIGN_LOG2)
#define SMALL_BLOCK ((uintptr_t)1u << FL_SHIFT)
#define FL_MAX (sizeof(uintptr_t) == 8u ? 40u : 26u) /* blocks < 2^FL_MAX */
#define FL_COUNT (FL_MAX - FL_SHIFT + 1u)
/* Largest request: its rounded search size stays below 2^FL_MAX. */
#define HEAP_REQUEST_MAX ((size_t)1u << (FL_MAX - 2u))

#define CHUNK_HEADER (3u * W)
#define HEAP_GROW_MIN_FRAMES 16u
#define HEAP_TRAILER_KEY ((uintptr_t)0x5a17c0de5a17c0deull)

K_STATIC_ASSERT(G == ((uintptr_t)1u << ALIGN_LOG2), "grain matches its log");
K_STATIC_ASSERT(FL_COUNT <= 32u, "first-level bitmap fits 32 bits");
K_STATIC_ASSERT(FL_MAX <= HEAP_OWNER_SHIFT, "sizes stay below the owner bits");
K_STATIC_ASSERT((CHUNK_HEADER + W) % G == 0u, "first payload of a chunk is aligned");
K_STATIC_ASSERT(sizeof(uintptr_t) == 8u || sizeof(uintptr_t) == 4u, "32- or 64-bit words");

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
	size_t chunk_count;
	size_t bytes;       /* frames held, in bytes */
	size_t free_bytes;  /* sum of free block sizes */
	size_t free_blocks;
	uint32_t steps;     /* steps of the operation in progress */
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

static void mapping(uintptr_t size, unsigned *fl, unsigned *sl)
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

static void list_insert(uintptr_t b)
{
	unsigned fl, sl;
	mapping(hsize(b), &fl, &sl);
	K_ASSERT(fl < FL_COUNT && sl < SL_COUNT);
	uintptr_t head = heap.lists[fl][sl];
	*link_next(b) = head;
	*link_prev(b) = 0;
	if (head != 0u)
		*link_prev(head) = b;
	heap.lists[fl][sl] = b;
	heap.fl_map |= 1u << fl;
	heap.sl_map[fl] |= 1u << sl;
	heap.free_bytes += hsize(b);
	heap.free_blocks++;
	heap.steps++;
}

static void list_remove(uintptr_t b)
{
	unsigned fl, sl;
	mapping(hsize(b), &fl, &sl);
	K_ASSERT(fl < FL_COUNT && sl < SL_COUNT);
	uintptr_t next = *link_next(b), prev = *link_prev(b);
	if (prev != 0u)
		*link_next(prev) = next;
	else
		heap.lists[fl][sl] = next;
	if (next != 0u)
		*link_prev(next) = prev;
	if (heap.lists[fl][sl] == 0u) {
		heap.sl_map[fl] &= ~(1u << sl);
		if (heap.sl_map[fl] == 0u)
			heap.fl_map &= ~(1u << fl);
	}
	K_ASSERT(heap.free_blocks > 0u && heap.free_bytes >= hsize(b));
	heap.free_bytes -= hsize(b);
	heap.free_blocks--;
	heap.steps++;
}

/* A free block of at least `size` bytes, or 0: round size up to the next
 * class boundary so any block of the class found fits, then two bit scans. */
static uintptr_t list_search(uintptr_t size)
{
	if (size >= SMALL_BLOCK)
		size += ((uintptr_t)1u << (fls_word(size) - SL_LOG2)) - 1u;
	unsigned fl, sl;
	mapping(size, &fl, &sl);
	heap.steps++;
	if (fl >= FL_COUNT)
		return 0;
	uint32_t sl_map = sl < 32u ? heap.sl_map[fl] & (~0u << sl) : 0u;
	if (sl_map == 0u) {
		heap.steps++;
		uint32_t fl_map = fl + 1u < 32u ? heap.fl_map & (~0u << (fl + 1u)) : 0u;
		if (fl_map == 0u)
			return 0;
		fl = (unsigned)__builtin_ctz(fl_map);
		sl_map = heap.sl_map[fl];
	}
	K_ASSERT(sl_map != 0u);
	sl = (unsigned)__builtin_ctz(sl_map);
	heap.steps++;
	return heap.lists[fl][sl];
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
	uintptr_t end = b + hsize(b) - W;
	K_ASSERT(b + W + bytes < end);
	mem_fill((void *)(b + W + bytes), MEM_JUNK_GUARD, end - (b + W + bytes));
	*word(end) = bytes ^ trailer_key(b);
}

/* Debug: the request recorded in b's trailer, after checking its guard. */
static size_t guard_check(uintptr_t b, const char *what)
{
	uintptr_t end = b + hsize(b) - W;
	size_t bytes = *word(end) ^ trailer_key(b);
	MEM_ASSERT(bytes < hsize(b) - 2u * W, what, b + W);
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

/* A new chunk able to hold a block of `size`; returns its (free, listed)
 * block, or 0 when primary memory has no such run. */
static uintptr_t heap_grow(uintptr_t size)
{
	size_t need = (size + CHUNK_HEADER + W + K_PAGE_BYTES - 1u) / K_PAGE_BYTES;
	size_t count = need < HEAP_GROW_MIN_FRAMES ? HEAP_GROW_MIN_FRAMES : need;
	struct heap_chunk *c = frames_alloc_locked(count, 1, FRAME_HEAP, K_MEM_OWNER_KERNEL);
	if (c == NULL && count > need) {
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
	list_insert(b);
	return b;
}

static void chunk_release(struct heap_chunk *c)
{
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

static inline uintptr_t block_size_for(size_t bytes)
{
	uintptr_t need = (uintptr_t)bytes + W + (K_MEM_DEBUG ? W + 1u : 0u);
	need = mem_align_up(need, G);
	return need < HEAP_BLOCK_MIN ? HEAP_BLOCK_MIN : need;
}

/* b: a free block already out of the lists. Cut it to `size`, list the rest,
 * mark it allocated to owner. */
static void carve(uintptr_t b, uintptr_t size, k_mem_owner_t owner)
{
	uintptr_t have = hsize(b), prev_bit = *word(b) & HEAP_PREV_FREE;
	K_ASSERT(have >= size && (size & (G - 1u)) == 0u);
	if (have - size >= HEAP_BLOCK_MIN) {
		uintptr_t rest = b + size;
		*word(rest) = (have - size) | HEAP_FREE; /* b is used: PREV_FREE clear */
		set_footer(rest);
		list_insert(rest); /* the block after rest already says PREV_FREE */
		heap.steps++;
	} else {
		size = have;
		*word(b + size) &= ~HEAP_PREV_FREE;
	}
	*word(b) = size | (uintptr_t)owner << HEAP_OWNER_SHIFT | prev_bit;
	owner_charge_locked(owner, size);
}

/* Caller holds mem_lock. Payload address or 0. */
static uintptr_t heap_alloc_locked(size_t bytes, size_t align, k_mem_owner_t owner)
{
	if (bytes == 0u)
		bytes = 1;
	if (bytes > HEAP_REQUEST_MAX)
		return 0;
	uintptr_t size = block_size_for(bytes);
	uintptr_t search = align <= G ? size : size + align + HEAP_BLOCK_MIN;
	uintptr_t b = list_search(search);
	if (b == 0u && (b = heap_grow(search)) == 0u)
		return 0;
	list_remove(b);
	if (align > G) {
		uintptr_t p = mem_align_up(b + W, align);
		if (p - W - b != 0u && p - W - b < HEAP_BLOCK_MIN)
			p = mem_align_up(b + W + HEAP_BLOCK_MIN, align);
		uintptr_t gap = p - W - b;
		if (gap != 0u) { /* the leading gap becomes a free block of its own */
			uintptr_t have = hsize(b), rest = p - W;
			*word(b) = gap | HEAP_FREE | (*word(b) & HEAP_PREV_FREE);
			set_footer(b);
			list_insert(b);
			*word(rest) = (have - gap) | HEAP_FREE | HEAP_PREV_FREE;
			b = rest;
		}
	}
	carve(b, size, owner);
	guard_set(b, bytes);
	if (K_MEM_DEBUG)
		mem_fill((void *)(b + W), MEM_JUNK_FREE, bytes);
	return b + W;
}

/* Where a checked block lives. */
struct heap_loc {
	uintptr_t b;
	uintptr_t first;    /* first block of its chunk */
	uintptr_t sentinel; /* its chunk's end header */
	struct heap_chunk *chunk;
};

static const char *const heap_msg_foreign = "k_mem: pointer the heap never gave (or a corrupted header):";
static const char *const heap_msg_double = "k_mem: double free of block";
static const char *const heap_msg_overrun = "k_mem: write past the end of block";

/* The block of payload p, checked: panics naming p on misuse. */
static struct heap_loc heap_block_of(const void *ptr)
{
	struct heap_loc loc;
	uintptr_t p = (uintptr_t)ptr;
	MEM_ASSERT((p & (G - 1u)) == 0u && p > W, heap_msg_foreign, p);
	loc.chunk = chunk_of_block(p - W, &loc.first, &loc.sentinel);
	MEM_ASSERT(loc.chunk != NULL && p - W >= loc.first && p - W < loc.sentinel, heap_msg_foreign, p);
	uintptr_t b = p - W, h = *word(b);
	MEM_ASSERT((h & HEAP_FREE) == 0u, heap_msg_double, p);
	MEM_ASSERT((h & (G - 1u) & ~(HEAP_FREE | HEAP_PREV_FREE)) == 0u, heap_msg_foreign, p);
	MEM_ASSERT(MEM_OWNER_VALID(h >> HEAP_OWNER_SHIFT), heap_msg_foreign, p);
	uintptr_t size = h & HEAP_SIZE_MASK;
	MEM_ASSERT(size >= HEAP_BLOCK_MIN && size <= loc.sentinel - b, heap_msg_foreign, p);
	MEM_ASSERT((*word(b + size) & HEAP_PREV_FREE) == 0u, heap_msg_foreign, p);
	if (K_MEM_DEBUG)
		guard_check(b, heap_msg_overrun);
	loc.b = b;
	return loc;
}

/* Caller holds mem_lock; loc is a checked allocated block. */
static void heap_free_locked(struct heap_loc loc)
{
	uintptr_t b = loc.b, size = hsize(b);
	owner_release_locked(howner(b), size);
	if (K_MEM_DEBUG)
		mem_fill((void *)(b + W), MEM_JUNK_FREE, size - W);
	*word(b) = size | HEAP_FREE | (*word(b) & HEAP_PREV_FREE);
	if (*word(b) & HEAP_PREV_FREE) {
		uintptr_t prev = *word(b - W);
		MEM_ASSERT(prev >= loc.first && prev < b && hfree(prev) && prev + hsize(prev) == b,
			   "k_mem_free: heap corrupted before block", b + W);
		list_remove(prev);
		*word(prev) = (hsize(prev) + size) | HEAP_FREE | (*word(prev) & HEAP_PREV_FREE);
		b = prev;
		heap.steps++;
	}
	uintptr_t next = b + hsize(b);
	if (hfree(next)) {
		list_remove(next);
		*word(b) += hsize(next);
		heap.steps++;
	}
	set_footer(b);
	next = b + hsize(b);
	*word(next) |= HEAP_PREV_FREE;
	if (b == loc.first && next == loc.sentinel && heap.chunk_count > 1u) {
		chunk_release(loc.chunk);
		return;
	}
	list_insert(b);
}

/* Caller holds mem_lock; b allocated. Shrink b to `size`, freeing the tail
 * (merged with a free block after it). */
static void shrink_locked(uintptr_t b, uintptr_t size)
{
	uintptr_t have = hsize(b);
	K_ASSERT(size <= have && (size & (G - 1u)) == 0u && size >= HEAP_BLOCK_MIN);
	if (size == have)
		return;
	uintptr_t next = b + have;
	uintptr_t tail = have - size;
	if (hfree(next))
		tail += hsize(next);
	if (tail < HEAP_BLOCK_MIN)
		return;
	if (hfree(next))
		list_remove(next);
	k_mem_owner_t owner = howner(b);
	owner_release_locked(owner, have);
	*word(b) = size | (uintptr_t)owner << HEAP_OWNER_SHIFT | (*word(b) & HEAP_PREV_FREE);
	owner_charge_locked(owner, size);
	uintptr_t rest = b + size;
	*word(rest) = tail | HEAP_FREE;
	set_footer(rest);
	*word(rest + tail) |= HEAP_PREV_FREE;
	list_insert(rest);
}

/* Caller holds mem_lock; b allocated. Grow b in place to at least `size`
 * by taking the free block after it; false if that is not enough. */
static bool grow_in_place_locked(uintptr_t b, uintptr_t size)
{
	uintptr_t have = hsize(b), next = b + have;
	if (!hfree(next) || have + hsize(next) < size)
		return false;
	list_remove(next);
	k_mem_owner_t owner = howner(b);
	owner_release_locked(owner, have);
	uintptr_t total = have + hsize(next);
	*word(b) = total | (uintptr_t)owner << HEAP_OWNER_SHIFT | (*word(b) & HEAP_PREV_FREE);
	*word(b + total) &= ~HEAP_PREV_FREE;
	owner_charge_locked(owner, total);
	shrink_locked(b, size);
	return true;
}

static inline void steps_begin(void)
{
	heap.steps = 0;
}

static inline void steps_end(void)
{
	if (heap.steps > heap.steps_max)
		heap.steps_max = heap.steps;
}

/* ------------------------------------------------------------ public API */

static void *heap_alloc(size_t bytes, size_t align, k_mem_owner_t owner)
{
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	steps_begin();
	uintptr_t p = heap_alloc_locked(bytes, align, owner);
	steps_end();
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
	return (void *)p;
}

void *k_mem_alloc(size_t bytes, k_mem_owner_t owner)
{
	MEM_ASSERT(MEM_OWNER_VALID(owner), "k_mem_alloc: bad owner", owner);
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	return heap_alloc(bytes, G, owner);
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
	MEM_ASSERT(MEM_OWNER_VALID(owner), "k_mem_alloc_aligned: bad owner", owner);
	if (!mem_is_pow2(align) || align > K_PAGE_BYTES)
		return NULL;
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	return heap_alloc(bytes, align, owner);
}

void *heap_alloc_internal(size_t bytes)
{
	return heap_alloc(bytes, G, K_MEM_OWNER_KERNEL);
}

void k_mem_free(void *p)
{
	if (p == NULL)
		return;
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	steps_begin();
	heap_free_locked(heap_block_of(p));
	steps_end();
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
}

void heap_free_internal(void *p)
{
	k_mem_free(p);
}

/* Caller holds mem_lock. */
static size_t usable_locked(uintptr_t b)
{
	if (K_MEM_DEBUG)
		return *word(b + hsize(b) - W) ^ trailer_key(b);
	return hsize(b) - W;
}

static void *realloc_locked(void *p, size_t bytes)
{
	struct heap_loc loc = heap_block_of(p);
	uintptr_t b = loc.b;
	size_t old_bytes = usable_locked(b);
	uintptr_t size = block_size_for(bytes);
	if (size <= hsize(b)) {
		shrink_locked(b, size);
		guard_set(b, bytes);
		return p;
	}
	if (grow_in_place_locked(b, size)) {
		guard_set(b, bytes);
		if (K_MEM_DEBUG)
			mem_fill((uint8_t *)p + old_bytes, MEM_JUNK_FREE, bytes - old_bytes);
		return p;
	}
	uintptr_t q = heap_alloc_locked(bytes, G, howner(b));
	if (q == 0u)
		return NULL;
	mem_copy((void *)q, p, old_bytes < bytes ? old_bytes : bytes);
	heap_free_locked(heap_block_of(p));
	return (void *)q;
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
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	steps_begin();
	void *q = realloc_locked(p, bytes);
	steps_end();
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
	return q;
}

size_t k_mem_usable_bytes(const void *p)
{
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	size_t n = usable_locked(heap_block_of(p).b);
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
	return n;
}

k_mem_owner_t k_mem_owner_of(const void *p)
{
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	k_mem_owner_t o = howner(heap_block_of(p).b);
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
	return o;
}

uint32_t k_mem_steps_max(void)
{
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	uint32_t n = heap.steps_max;
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
	return n;
}

void k_mem_steps_reset(void)
{
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&mem_lock);
	heap.steps_max = 0;
	bsp_spin_unlock(&mem_lock);
	mem_leave(ctx);
}

/* ------------------------------------------------ init, stats, trim, check */

void heap_init(void)
{
	mem_fill(&heap, 0, sizeof heap);
}

size_t heap_trim_locked(void)
{
	K_ASSERT(bsp_spin_held(&mem_lock));
	size_t released = 0, bound = heap.chunk_count;
	struct heap_chunk *c = heap.chunks;
	for (size_t i = 0; c != NULL; i++) {
		K_ASSERT(i < bound);
		struct heap_chunk *next = c->next;
		uintptr_t b = (uintptr_t)c + CHUNK_HEADER;
		if (hfree(b) && b + hsize(b) == (uintptr_t)c + c->frames * K_PAGE_BYTES - W) {
			list_remove(b);
			released += c->frames;
			chunk_release(c);
		}
		c = next;
	}
	return released;
}

void heap_stats_locked(struct k_mem_stats *out)
{
	K_ASSERT(bsp_spin_held(&mem_lock));
	out->heap_bytes = heap.bytes;
	out->heap_free_bytes = heap.free_bytes;
	out->heap_steps_max = heap.steps_max;
	out->heap_largest_free_bytes = 0;
	if (heap.fl_map == 0u)
		return;
	unsigned fl = 31u - (unsigned)__builtin_clz(heap.fl_map);
	unsigned sl = 31u - (unsigned)__builtin_clz(heap.sl_map[fl]);
	uintptr_t largest = 0;
	size_t bound = heap.free_blocks;
	for (uintptr_t b = heap.lists[fl][sl]; b != 0u; b = *link_next(b)) {
		K_ASSERT(bound-- > 0u);
		if (hsize(b) > largest)
			largest = hsize(b);
	}
	out->heap_largest_free_bytes = largest - W - (K_MEM_DEBUG ? W + 1u : 0u);
}

/* One chunk's blocks, in address order. */
static size_t check_chunk(const struct heap_chunk *c, size_t *free_blocks, size_t *free_bytes,
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
			owner_bytes[howner(b)] += size;
			owner_blocks[howner(b)]++;
			if (K_MEM_DEBUG)
				guard_check(b, "k_mem_check: write past the end of block");
		}
		prev_free = (h & HEAP_FREE) != 0u;
		b += size;
		items++;
	}
	MEM_ASSERT(hsize(sentinel) == 0u && !hfree(sentinel), "k_mem_check: chunk sentinel damaged at", sentinel);
	MEM_ASSERT(((*word(sentinel) & HEAP_PREV_FREE) != 0u) == prev_free, "k_mem_check: sentinel PREV_FREE wrong at", sentinel);
	return items + 1u;
}

/* Every free list: right class, links both ways, bitmaps agree. */
static size_t check_lists(size_t free_blocks)
{
	size_t seen = 0;
	K_ASSERT_MSG(FL_COUNT == 32u || (heap.fl_map >> (FL_COUNT % 32u)) == 0u,
		     "k_mem_check: fl bitmap beyond range");
	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		MEM_ASSERT(((heap.fl_map >> fl) & 1u) == (heap.sl_map[fl] != 0u), "k_mem_check: fl bitmap wrong for class", fl);
		for (unsigned sl = 0; sl < SL_COUNT; sl++) {
			uintptr_t b = heap.lists[fl][sl], prev = 0;
			MEM_ASSERT(((heap.sl_map[fl] >> sl) & 1u) == (b != 0u), "k_mem_check: sl bitmap wrong for class", fl * SL_COUNT + sl);
			for (; b != 0u; prev = b, b = *link_next(b)) {
				unsigned f, s;
				MEM_ASSERT(seen++ < free_blocks, "k_mem_check: free lists hold more blocks than the heap; at", b);
				MEM_ASSERT(hfree(b), "k_mem_check: used block in a free list at", b + W);
				mapping(hsize(b), &f, &s);
				MEM_ASSERT(f == fl && s == sl, "k_mem_check: free block in the wrong list at", b + W);
				MEM_ASSERT(*link_prev(b) == prev, "k_mem_check: free list back link broken at", b + W);
			}
		}
	}
	MEM_ASSERT(seen == free_blocks, "k_mem_check: free blocks missing from the lists:", free_blocks - seen);
	return seen;
}

size_t heap_check_locked(size_t *heap_frames, size_t owner_bytes[K_MEM_OWNERS_MAX],
			 size_t owner_blocks[K_MEM_OWNERS_MAX])
{
	K_ASSERT(bsp_spin_held(&mem_lock));
	size_t items = 0, free_blocks = 0, free_bytes = 0, bytes = 0, n = 0;
	const struct heap_chunk *prev = NULL;
	for (const struct heap_chunk *c = heap.chunks; c != NULL; prev = c, c = c->next) {
		MEM_ASSERT(n++ < heap.chunk_count, "k_mem_check: heap chunk list longer than its count at", c);
		MEM_ASSERT(c->prev == prev, "k_mem_check: heap chunk back link broken at", c);
		items += check_chunk(c, &free_blocks, &free_bytes, owner_bytes, owner_blocks);
		bytes += c->frames * K_PAGE_BYTES;
		*heap_frames += c->frames;
	}
	K_ASSERT_MSG(n == heap.chunk_count, "k_mem_check: heap chunk count drifted");
	K_ASSERT_MSG(bytes == heap.bytes, "k_mem_check: heap byte count drifted");
	K_ASSERT_MSG(free_blocks == heap.free_blocks, "k_mem_check: heap free block count drifted");
	K_ASSERT_MSG(free_bytes == heap.free_bytes, "k_mem_check: heap free byte count drifted");
	return items + check_lists(free_blocks);
}
