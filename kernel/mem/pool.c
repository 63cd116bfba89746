/*
 * pool.c — fixed-block pools: a preallocated run of equal blocks and a free
 * list through them, for the callers that want a block in a bounded, tiny
 * number of instructions (from threads or interrupt handlers) and know their
 * worst-case count up front. The pool's storage is one heap block, charged
 * to the creator's owner once; the blocks themselves are not accounted one
 * by one (that is what makes alloc/free a list pop/push).
 *
 * A slot is a header word, padded to K_MEM_ALIGN, then the block. The header
 * of a free slot links to the next free block (0 ends the list); the header
 * of a block handed out holds the pool's own address (the busy tag: never a
 * block address, the blocks lie after the pool's fields, and never 0).
 *
 * A free is refused unless the pointer is exactly a block of this pool and
 * the block's header holds the tag (a double free is refused). "Exactly a
 * block" is tested without a division: the stride is made the grain
 * (2^POOL_SHIFT, K_MEM_ALIGN) times an odd factor (a block whose stride
 * would be an even number of grains gets one grain more), and that
 * factor's inverse modulo 2^W (W the pointer width) is found at create.
 * The offset from the first block times that inverse, rotated right by
 * POOL_SHIFT (a constant: an immediate operand), is the block's index when
 * the offset is a multiple of the stride, and a number far above any index
 * otherwise (low bits left over rotate into the top; a multiple of the
 * grain that the odd factor does not divide maps above
 * (2^(W-POOL_SHIFT)-1)/odd, the divisibility-by-multiplication identity).
 * So one multiply, one rotate and one compare
 * against the count refuse a pointer into a block's middle (even where
 * its word before holds the tag), one below the first block (the offset
 * wraps) and one past the last, and give the index.
 *
 * The free count is kept (three instructions more per call than deriving
 * it; a load/store pair with the head measured no better on Cortex-M4F,
 * the compiler then saves a register) so that k_pool_destroy's busy check
 * and k_pool_free_blocks stay O(1) with interrupts masked, not a walk of
 * up to K_POOL_BLOCKS_MAX links.
 */
#include "mem_internal.h"

/* Fixed, not derived from the address: one compare with an immediate on
 * Thumb-2 (the pattern 0xXY00XY00), and no address nor fill pattern of the
 * kernel's. destroy clears it, so a dead handle is refused. */
#define POOL_MAGIC ((uint32_t)0x9C009C00u)
#define POOL_HEADER_BYTES ((uintptr_t)K_MEM_ALIGN)
#define POOL_WORD_BITS ((uintptr_t)(sizeof(uintptr_t) * 8u))
#define POOL_SHIFT ((uintptr_t)(sizeof(uintptr_t) == 8u ? 4u : 3u))
K_STATIC_ASSERT(((uintptr_t)1u << POOL_SHIFT) == POOL_HEADER_BYTES &&
			POOL_HEADER_BYTES == MEM_GRAIN,
		"the exact-block test's rotate is by the grain's log2");
/* Newton steps for an odd number's inverse modulo 2^POOL_WORD_BITS: the
 * first guess is right in 3 bits and each step doubles them (3 -> 96). */
#define POOL_INVERSE_STEPS 5u

/* k_pool_free in source order. GCC's two scheduling passes move the
 * exact-block test's three loads above its multiply-add, which then needs
 * a fifth register and so a push and a pop on every free (Cortex-M4F,
 * memory case 59 -> 57 instructions without them). Only the order of
 * instructions changes, not what is computed; compilers without GCC's
 * optimize attribute (clang) get nothing. A compiler matter, the same on
 * every target. */
#if defined(__GNUC__) && !defined(__clang__)
#define POOL_IN_ORDER __attribute__((optimize("no-schedule-insns", "no-schedule-insns2")))
#else
#define POOL_IN_ORDER
#endif

K_STATIC_ASSERT(K_POOL_BLOCKS_MAX <= 65536u && K_POOL_BLOCK_BYTES_MAX <= 65536u,
		"a pool's bytes fit 32 bits with its headers");

/* The free list: its head and its length. */
struct pool_list {
	uintptr_t head; /* first free block (its header just below it), 0 = none */
	uintptr_t free; /* blocks on the list */
};

/* Field order: `inverse` and `origin` side by side (one LDRD on Cortex-M4F),
 * `blocks` apart from them, so the register that took `inverse` takes it
 * after the multiply-add. */
struct k_pool {
	uint32_t magic;  /* POOL_MAGIC; fixed at creation, 0 once destroyed */
	/* The exact-block test's constants. */
	uintptr_t inverse; /* of stride >> POOL_SHIFT (odd), mod 2^POOL_WORD_BITS; fixed */
	uintptr_t origin; /* -(first * inverse): so block * inverse + origin is
			   * (block - first) * inverse, one multiply-add; fixed */
	uintptr_t first; /* the first block (not its header); fixed */
	uintptr_t blocks; /* fixed */
	uintptr_t stride; /* header + block, an odd number of K_MEM_ALIGN; fixed */
	size_t block_bytes;

	bsp_spinlock_t lock; /* guards `list` (lock order: leaf; pool_lock) */
	struct pool_list list;
};

/* The word of a slot's header, given its block's address. */
static uintptr_t *pool_header(uintptr_t block)
{
	return (uintptr_t *)(block - POOL_HEADER_BYTES);
}

/* One-core builds (BSP_CORES_MAX 1, folded by the compiler): interrupts off
 * is all the exclusion there is to have, so the lock is not taken; with
 * several cores it is, and the simulator sees it as a scheduling point. */
static bsp_irq_state_t pool_lock(struct k_pool *p)
{
	if (BSP_CORES_MAX == 1u)
		return bsp_irq_save();
	return bsp_spin_lock_irqsave(&p->lock);
}

static void pool_unlock(struct k_pool *p, bsp_irq_state_t is)
{
	if (BSP_CORES_MAX == 1u)
		bsp_irq_restore(is);
	else
		bsp_spin_unlock_irqrestore(&p->lock, is);
}

static bool pool_valid(const struct k_pool *p)
{
	return p != NULL && p->magic == POOL_MAGIC;
}

static uintptr_t pool_rotr(uintptr_t x, uintptr_t n)
{
	return (x >> n) | (x << ((POOL_WORD_BITS - n) & (POOL_WORD_BITS - 1u)));
}

/* The stride of a block_bytes block: header plus block in whole grains,
 * an odd number of them (the exact-block test's divisor must be odd). */
static uintptr_t pool_stride(size_t block_bytes)
{
	uintptr_t stride = POOL_HEADER_BYTES + mem_align_up(block_bytes, MEM_GRAIN);
	if (((stride >> POOL_SHIFT) & 1u) == 0u)
		stride += MEM_GRAIN;
	K_ASSERT(stride % MEM_GRAIN == 0u && ((stride >> POOL_SHIFT) & 1u) == 1u);
	K_ASSERT(stride - POOL_HEADER_BYTES >= block_bytes);
	return stride;
}

/* The inverse of the stride's odd factor: the constant of the exact-block
 * test (see the top). */
static void pool_set_inverse(struct k_pool *p)
{
	uintptr_t odd = p->stride >> POOL_SHIFT;
	K_ASSERT((odd & 1u) == 1u);
	uintptr_t inv = odd; /* odd * odd == 1 mod 8 */
	for (uint32_t i = 0; i < POOL_INVERSE_STEPS; i++)
		inv *= (uintptr_t)2u - odd * inv;
	K_ASSERT(odd * inv == 1u);
	p->inverse = inv;
	p->origin = (uintptr_t)0u - p->first * inv;
	K_ASSERT(pool_rotr((p->stride * (p->blocks - 1u)) * inv, POOL_SHIFT) == p->blocks - 1u);
}

/* Thread every block into the free list, first block first. */
static void pool_thread_slots(struct k_pool *p)
{
	K_ASSERT(p->blocks >= 1u && p->blocks <= K_POOL_BLOCKS_MAX);
	uintptr_t next = 0;
	for (uint32_t i = p->blocks; i > 0u; i--) {
		uintptr_t block = p->first + (uintptr_t)(i - 1u) * p->stride;
		*pool_header(block) = next;
		next = block;
	}
	p->list = (struct pool_list){next, p->blocks};
	K_ASSERT(p->list.head == p->first);
}

int k_pool_create(k_pool_t **out, size_t block_bytes, size_t blocks, k_mem_owner_t owner)
{
	if (out == NULL || block_bytes == 0u || block_bytes > K_POOL_BLOCK_BYTES_MAX ||
	    blocks == 0u || blocks > K_POOL_BLOCKS_MAX || !MEM_OWNER_VALID(owner))
		return -K_EINVAL;
	uintptr_t head = mem_align_up(sizeof(struct k_pool), MEM_GRAIN);
	uintptr_t stride = pool_stride(block_bytes);
	K_ASSERT(stride % MEM_GRAIN == 0u);
	struct k_pool *p = k_mem_alloc(head + stride * blocks, owner);
	if (p == NULL)
		return -K_ENOMEM;
	p->magic = POOL_MAGIC;
	p->blocks = blocks;
	p->first = (uintptr_t)p + head + POOL_HEADER_BYTES;
	p->stride = stride;
	p->block_bytes = block_bytes;
	bsp_spin_init(&p->lock);
	pool_set_inverse(p);
	pool_thread_slots(p);
	K_ASSERT(p->first - POOL_HEADER_BYTES + stride * blocks <= (uintptr_t)p + k_mem_usable_bytes(p));
	K_ASSERT((uintptr_t)p < p->first); /* the tag is never a block */
	*out = p;
	return 0;
}

int k_pool_destroy(k_pool_t *p)
{
	if (!pool_valid(p))
		return -K_EINVAL;
	bsp_irq_state_t is = pool_lock(p);
	bool busy = p->list.free != p->blocks;
	pool_unlock(p, is);
	if (busy)
		return -K_EBUSY;
	p->magic = 0; /* a later call with this handle is refused, not obeyed */
	k_mem_free(p);
	return 0;
}

void *k_pool_alloc(k_pool_t *p)
{
	if (!pool_valid(p))
		return NULL;
	bsp_irq_state_t is = pool_lock(p);
	uintptr_t block = p->list.head;
	if (block != 0u) {
		K_ASSERT(block >= p->first && block - p->first < p->stride * p->blocks);
		K_ASSERT(p->list.free > 0u && p->list.free <= p->blocks);
		uintptr_t *hdr = pool_header(block);
		p->list.head = *hdr;
		*hdr = (uintptr_t)p; /* the busy tag */
		p->list.free--;
	}
	pool_unlock(p, is);
	return (void *)block;
}

/* True if `block` is exactly one of p's blocks: its index, by the
 * multiply and rotate of the top comment, must be below the count (every
 * pointer that is not a block's start gives a number above it). */
static bool pool_is_block(const struct k_pool *p, uintptr_t block)
{
	K_ASSERT(p->stride >= POOL_HEADER_BYTES + MEM_GRAIN);
	uintptr_t i = pool_rotr(block * p->inverse + p->origin, POOL_SHIFT);
	bool is = i < p->blocks;
	K_ASSERT(!is || block == p->first + i * p->stride);
	return is;
}

POOL_IN_ORDER int k_pool_free(k_pool_t *p, void *block)
{
	if (!pool_valid(p) || !pool_is_block(p, (uintptr_t)block))
		return -K_EINVAL;
	/* Only now is the header ours to read. */
	uintptr_t *hdr = pool_header((uintptr_t)block);
	bsp_irq_state_t is = pool_lock(p);
	bool out = *hdr == (uintptr_t)p; /* else not handed out: a double free */
	if (out) {
		K_ASSERT(p->list.free < p->blocks);
		*hdr = p->list.head;
		p->list.head = (uintptr_t)block;
		p->list.free++;
	}
	pool_unlock(p, is);
	return out ? 0 : -K_EINVAL;
}

size_t k_pool_free_blocks(const k_pool_t *p)
{
	if (!pool_valid(p))
		return 0;
	struct k_pool *w = (struct k_pool *)(uintptr_t)p;
	bsp_irq_state_t is = pool_lock(w);
	size_t n = w->list.free;
	pool_unlock(w, is);
	K_ASSERT(n <= p->blocks);
	return n;
}

size_t k_pool_block_bytes(const k_pool_t *p)
{
	return pool_valid(p) ? p->block_bytes : 0u;
}
