/*
 * pool.c — fixed-block pools: a preallocated run of equal blocks and a free
 * list through them, for the callers that want a block in a bounded, tiny
 * number of instructions (from threads or interrupt handlers) and know their
 * worst-case count up front. The pool's storage is one heap block, charged
 * to the creator's owner once; the blocks themselves are not accounted one
 * by one (that is what makes alloc/free a list pop/push).
 *
 * A slot is a header word, padded to K_MEM_ALIGN, then the block. The header
 * of a free slot links to the next free slot's header (0 ends the list); the
 * header of a block handed out holds the pool's tag (its address with bit 0
 * set, never a slot address nor 0), so a double free or a pointer into the
 * middle of a block is refused, not threaded into the list.
 */
#include "mem_internal.h"

#define POOL_MAGIC ((uintptr_t)0x9001B10Cu)
#define POOL_HEADER_BYTES ((uintptr_t)K_MEM_ALIGN)

K_STATIC_ASSERT(K_POOL_BLOCKS_MAX <= 65536u && K_POOL_BLOCK_BYTES_MAX <= 65536u,
		"a pool's bytes fit 32 bits with its headers");

struct k_pool {
	uintptr_t magic; /* POOL_MAGIC ^ address; fixed at creation */
	uintptr_t base;  /* first slot; fixed */
	uintptr_t end;   /* one past the last slot; fixed */
	uintptr_t stride;
	uint32_t blocks;
	size_t block_bytes;

	bsp_spinlock_t lock; /* guards the two fields below (lock order: leaf;
			      * pool_lock) */
	uintptr_t free_head; /* first free slot's header address, 0 = none */
	uint32_t free_count;
};

static uintptr_t pool_tag(const struct k_pool *p)
{
	return (uintptr_t)p | 1u;
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
	return p != NULL && p->magic == (POOL_MAGIC ^ (uintptr_t)p);
}

/* Thread every slot into the free list, first slot first. */
static void pool_thread_slots(struct k_pool *p)
{
	K_ASSERT(p->blocks >= 1u && p->blocks <= K_POOL_BLOCKS_MAX);
	uintptr_t next = 0;
	for (uint32_t i = p->blocks; i > 0u; i--) {
		uintptr_t slot = p->base + (uintptr_t)(i - 1u) * p->stride;
		*(uintptr_t *)slot = next;
		next = slot;
	}
	p->free_head = next;
	p->free_count = p->blocks;
	K_ASSERT(p->free_head == p->base);
}

int k_pool_create(k_pool_t **out, size_t block_bytes, size_t blocks, k_mem_owner_t owner)
{
	if (out == NULL || block_bytes == 0u || block_bytes > K_POOL_BLOCK_BYTES_MAX ||
	    blocks == 0u || blocks > K_POOL_BLOCKS_MAX || !MEM_OWNER_VALID(owner))
		return -K_EINVAL;
	uintptr_t head = mem_align_up(sizeof(struct k_pool), MEM_GRAIN);
	uintptr_t stride = POOL_HEADER_BYTES + mem_align_up(block_bytes, MEM_GRAIN);
	K_ASSERT(stride % MEM_GRAIN == 0u);
	struct k_pool *p = k_mem_alloc(head + stride * blocks, owner);
	if (p == NULL)
		return -K_ENOMEM;
	p->magic = POOL_MAGIC ^ (uintptr_t)p;
	p->base = (uintptr_t)p + head;
	p->stride = stride;
	p->blocks = (uint32_t)blocks;
	p->end = p->base + stride * blocks;
	p->block_bytes = block_bytes;
	bsp_spin_init(&p->lock);
	pool_thread_slots(p);
	K_ASSERT(p->end <= (uintptr_t)p + k_mem_usable_bytes(p));
	*out = p;
	return 0;
}

int k_pool_destroy(k_pool_t *p)
{
	if (!pool_valid(p))
		return -K_EINVAL;
	bsp_irq_state_t is = pool_lock(p);
	bool busy = p->free_count != p->blocks;
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
	uintptr_t slot = p->free_head;
	if (slot != 0u) {
		K_ASSERT(slot >= p->base && slot < p->end);
		K_ASSERT(p->free_count > 0u);
		p->free_head = *(uintptr_t *)slot;
		p->free_count--;
		*(uintptr_t *)slot = pool_tag(p);
	}
	pool_unlock(p, is);
	return slot != 0u ? (void *)(slot + POOL_HEADER_BYTES) : NULL;
}

int k_pool_free(k_pool_t *p, void *block)
{
	if (!pool_valid(p))
		return -K_EINVAL;
	uintptr_t slot = (uintptr_t)block - POOL_HEADER_BYTES;
	/* Range and slot boundary first: only then is the header ours to read. */
	if ((uintptr_t)block < p->base + POOL_HEADER_BYTES || slot >= p->end ||
	    (slot - p->base) % p->stride != 0u)
		return -K_EINVAL;
	bsp_irq_state_t is = pool_lock(p);
	int rc = -K_EINVAL; /* not handed out: a double free */
	if (*(uintptr_t *)slot == pool_tag(p)) {
		K_ASSERT(p->free_count < p->blocks);
		*(uintptr_t *)slot = p->free_head;
		p->free_head = slot;
		p->free_count++;
		rc = 0;
	}
	pool_unlock(p, is);
	return rc;
}

size_t k_pool_free_blocks(const k_pool_t *p)
{
	if (!pool_valid(p))
		return 0;
	struct k_pool *w = (struct k_pool *)(uintptr_t)p;
	bsp_irq_state_t is = pool_lock(w);
	size_t n = w->free_count;
	pool_unlock(w, is);
	K_ASSERT(n <= p->blocks);
	return n;
}

size_t k_pool_block_bytes(const k_pool_t *p)
{
	return pool_valid(p) ? p->block_bytes : 0u;
}
