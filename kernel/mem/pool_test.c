/*
 * pool_test.c — self-tests of the fixed-block pools (k_pool_*): argument
 * checks, exhaustion, block independence, refused double and foreign frees,
 * and the owner's accounting coming back to where it was.
 */
#include <k/assert.h>
#include <k/errno.h>
#include <k/mem.h>
#include <k/test.h>

#define POOL_TEST_BLOCKS 9u
#define POOL_TEST_BYTES 100u /* not a multiple of the alignment on purpose */

K_TEST(pool_bad_arguments)
{
	k_pool_t *p = NULL;
	K_TEST_CHECK(k_pool_create(NULL, 16u, 4u, K_MEM_OWNER_KERNEL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_create(&p, 0u, 4u, K_MEM_OWNER_KERNEL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_create(&p, K_POOL_BLOCK_BYTES_MAX + 1u, 4u, K_MEM_OWNER_KERNEL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_create(&p, 16u, 0u, K_MEM_OWNER_KERNEL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_create(&p, 16u, K_POOL_BLOCKS_MAX + 1u, K_MEM_OWNER_KERNEL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_create(&p, 16u, 4u, K_MEM_OWNERS_MAX) == -K_EINVAL);
	K_TEST_CHECK(p == NULL);
	K_TEST_CHECK(k_pool_alloc(NULL) == NULL);
	K_TEST_CHECK(k_pool_free(NULL, &p) == -K_EINVAL);
	K_TEST_CHECK(k_pool_destroy(NULL) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free_blocks(NULL) == 0u);
	K_TEST_CHECK(k_pool_block_bytes(NULL) == 0u);
}

/* Every block distinct, aligned, writable to its last byte without touching
 * another; the pool runs empty, then refills. */
K_TEST(pool_exhaust_and_refill)
{
	struct k_mem_owner_stats before, during, after;
	K_TEST_CHECK(k_mem_owner_stats(K_MEM_OWNER_KERNEL, &before) == 0);
	k_pool_t *p = NULL;
	K_TEST_CHECK(k_pool_create(&p, POOL_TEST_BYTES, POOL_TEST_BLOCKS, K_MEM_OWNER_KERNEL) == 0);
	if (p == NULL)
		return;
	K_TEST_CHECK(k_pool_block_bytes(p) == POOL_TEST_BYTES);
	K_TEST_CHECK(k_mem_owner_stats(K_MEM_OWNER_KERNEL, &during) == 0);
	K_TEST_CHECK(during.used_bytes >= before.used_bytes + POOL_TEST_BLOCKS * POOL_TEST_BYTES);
	unsigned char *b[POOL_TEST_BLOCKS];
	for (unsigned i = 0; i < POOL_TEST_BLOCKS; i++) {
		b[i] = k_pool_alloc(p);
		K_TEST_CHECK(b[i] != NULL);
		if (b[i] == NULL)
			return;
		K_TEST_CHECK((uintptr_t)b[i] % K_MEM_ALIGN == 0u);
		for (unsigned k = 0; k < POOL_TEST_BYTES; k++)
			b[i][k] = (unsigned char)(i + 1u);
		K_TEST_CHECK(k_pool_free_blocks(p) == POOL_TEST_BLOCKS - 1u - i);
	}
	K_TEST_CHECK(k_pool_alloc(p) == NULL); /* empty: NULL, nothing else */
	for (unsigned i = 0; i < POOL_TEST_BLOCKS; i++)
		for (unsigned k = 0; k < POOL_TEST_BYTES; k++)
			K_TEST_CHECK(b[i][k] == (unsigned char)(i + 1u));
	K_TEST_CHECK(k_pool_destroy(p) == -K_EBUSY);
	for (unsigned i = 0; i < POOL_TEST_BLOCKS; i++)
		K_TEST_CHECK(k_pool_free(p, b[i]) == 0);
	K_TEST_CHECK(k_pool_free_blocks(p) == POOL_TEST_BLOCKS);
	/* Last freed, first handed out again. */
	K_TEST_CHECK(k_pool_alloc(p) == b[POOL_TEST_BLOCKS - 1u]);
	K_TEST_CHECK(k_pool_free(p, b[POOL_TEST_BLOCKS - 1u]) == 0);
	K_TEST_CHECK(k_pool_destroy(p) == 0);
	K_TEST_CHECK(k_mem_owner_stats(K_MEM_OWNER_KERNEL, &after) == 0);
	K_TEST_CHECK(after.used_bytes == before.used_bytes);
}

/* A double free, a pointer into a block (even one that looks like a
 * block's start), a block of another pool, a pointer past the end and one
 * below the first block (its header) are refused and change nothing. */
K_TEST(pool_refuses_bad_frees)
{
	k_pool_t *p = NULL, *q = NULL;
	K_TEST_CHECK(k_pool_create(&p, 32u, 3u, K_MEM_OWNER_KERNEL) == 0);
	K_TEST_CHECK(k_pool_create(&q, 32u, 3u, K_MEM_OWNER_KERNEL) == 0);
	if (p == NULL || q == NULL)
		return;
	unsigned char *a = k_pool_alloc(p);
	unsigned char *c = k_pool_alloc(q);
	K_TEST_CHECK(a != NULL && c != NULL);
	if (a == NULL || c == NULL)
		return;
	K_TEST_CHECK(k_pool_free(p, a + 8) == -K_EINVAL);
	/* A pointer into a block whose word before holds what a handed-out
	 * block's header holds (pool.c: the pool's address) is refused too:
	 * the slot boundary is checked, not only the header. */
	uintptr_t *words = (uintptr_t *)(void *)a;
	for (size_t i = 0; i < 32u / sizeof(uintptr_t); i++)
		words[i] = (uintptr_t)p;
	K_TEST_CHECK(k_pool_free(p, a + K_MEM_ALIGN) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free(p, a + 2u * K_MEM_ALIGN) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free(p, a - K_MEM_ALIGN) == -K_EINVAL); /* a: the first block */
	K_TEST_CHECK(k_pool_free(p, c) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free(p, (void *)((uintptr_t)a + 3u * 64u * 1024u)) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free(p, (void *)(uintptr_t)8u) == -K_EINVAL);
	K_TEST_CHECK(k_pool_free_blocks(p) == 2u);
	K_TEST_CHECK(k_pool_free(p, a) == 0);
	K_TEST_CHECK(k_pool_free(p, a) == -K_EINVAL); /* double free */
	K_TEST_CHECK(k_pool_free_blocks(p) == 3u);
	K_TEST_CHECK(k_pool_free(q, c) == 0);
	/* The free list still holds exactly three distinct blocks. */
	void *x = k_pool_alloc(p), *y = k_pool_alloc(p), *z = k_pool_alloc(p);
	K_TEST_CHECK(x != NULL && y != NULL && z != NULL);
	K_TEST_CHECK(x != y && y != z && x != z);
	K_TEST_CHECK(k_pool_alloc(p) == NULL);
	K_TEST_CHECK(k_pool_free(p, x) == 0 && k_pool_free(p, y) == 0 && k_pool_free(p, z) == 0);
	K_TEST_CHECK(k_pool_destroy(p) == 0);
	K_TEST_CHECK(k_pool_destroy(q) == 0);
}

/* The exact-block test (pool.c: a multiply and a rotate, no division) for
 * strides that are and are not padded to an odd number of grains: with
 * every block handed out, every byte address from two blocks' span below
 * the lowest block to two above the highest is refused unless it is one
 * of the blocks; then each block is freed once. A false acceptance would
 * return 0 here (the blocks' words hold the tag's value). */
#define POOL_SWEEP_BLOCKS 5u
#define POOL_SWEEP_SIZES 6u
K_TEST(pool_exact_block_sweep)
{
	static const size_t sizes[POOL_SWEEP_SIZES] = {1u, 24u, 32u, 120u, 128u, 136u};
	for (size_t s = 0; s < POOL_SWEEP_SIZES; s++) {
		k_pool_t *p = NULL;
		K_TEST_CHECK(k_pool_create(&p, sizes[s], POOL_SWEEP_BLOCKS, K_MEM_OWNER_KERNEL) == 0);
		if (p == NULL)
			return;
		uintptr_t b[POOL_SWEEP_BLOCKS], lo = UINTPTR_MAX, hi = 0;
		for (size_t i = 0; i < POOL_SWEEP_BLOCKS; i++) {
			b[i] = (uintptr_t)k_pool_alloc(p);
			K_TEST_CHECK(b[i] != 0u);
			/* Every word of the block holds the busy tag's value, so
			 * a pointer into it passes the tag test: only the
			 * exact-block test can refuse it. */
			for (size_t w = 0; b[i] != 0u && w < sizes[s] / sizeof(uintptr_t); w++)
				((uintptr_t *)b[i])[w] = (uintptr_t)p;
			lo = b[i] < lo ? b[i] : lo;
			hi = b[i] > hi ? b[i] : hi;
		}
		uintptr_t span = (hi - lo) / (POOL_SWEEP_BLOCKS - 1u);
		K_TEST_CHECK(span >= sizes[s] && (hi - lo) == span * (POOL_SWEEP_BLOCKS - 1u));
		size_t refused = 0, swept = 0;
		for (uintptr_t a = lo - 2u * span; a <= hi + 2u * span; a++) {
			bool is_block = false;
			for (size_t i = 0; i < POOL_SWEEP_BLOCKS; i++)
				is_block = is_block || a == b[i];
			swept++;
			if (!is_block)
				refused += k_pool_free(p, (void *)a) == -K_EINVAL;
		}
		K_TEST_CHECK(refused == swept - POOL_SWEEP_BLOCKS);
		K_TEST_CHECK(k_pool_free_blocks(p) == 0u);
		for (size_t i = 0; i < POOL_SWEEP_BLOCKS; i++)
			K_TEST_CHECK(k_pool_free(p, (void *)b[i]) == 0);
		K_TEST_CHECK(k_pool_free_blocks(p) == POOL_SWEEP_BLOCKS);
		K_TEST_CHECK(k_pool_destroy(p) == 0);
	}
}
