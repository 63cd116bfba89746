/*
 * heap_test.c — self-test of the heap's allocation calls on every target:
 * each call (k_mem_alloc, k_mem_zalloc, k_mem_alloc_aligned at the grain and
 * above it) hands out a distinct, aligned, usable block charged to the owner
 * it names, and the owner's accounting comes back to nothing after the
 * frees. A size build (-Os) serves these calls through one shared path
 * (MEM_SIZE_LEAN, mem_internal.h); this test runs it on the board
 * (m4f-selftest-os) as it runs the speed builds' paths everywhere else.
 */
#include <k/errno.h>
#include <k/mem.h>
#include <k/test.h>

#define HEAP_TEST_BYTES 100u /* not a multiple of the alignment on purpose */
#define HEAP_TEST_CALLS 4u
#define HEAP_TEST_ALIGN_BIG 64u

/* One block from the call numbered `call` (0..HEAP_TEST_CALLS-1) for owner. */
static void *heap_test_alloc(unsigned call, k_mem_owner_t owner)
{
	K_TEST_CHECK(call < HEAP_TEST_CALLS);
	switch (call) {
	case 0:
		return k_mem_alloc(HEAP_TEST_BYTES, owner);
	case 1:
		return k_mem_zalloc(HEAP_TEST_BYTES, owner);
	case 2:
		return k_mem_alloc_aligned(HEAP_TEST_BYTES, K_MEM_ALIGN, owner);
	default:
		return k_mem_alloc_aligned(HEAP_TEST_BYTES, HEAP_TEST_ALIGN_BIG, owner);
	}
}

K_TEST(heap_charges_each_call_to_its_owner)
{
	/* The last owner slot: the process layer hands slots out from 1 up. */
	const k_mem_owner_t owner = (k_mem_owner_t)(K_MEM_OWNERS_MAX - 1u);
	struct k_mem_owner_stats before, during, after;
	K_TEST_CHECK(k_mem_owner_stats(owner, &before) == 0);
	if (before.used_bytes != 0u || before.blocks != 0u)
		K_TEST_SKIP("the last owner slot is in use");
	unsigned char *p[HEAP_TEST_CALLS] = {NULL};
	unsigned got = 0;
	for (unsigned i = 0; i < HEAP_TEST_CALLS; i++) {
		p[i] = heap_test_alloc(i, owner);
		K_TEST_CHECK(p[i] != NULL);
		if (p[i] == NULL)
			continue;
		got++;
		K_TEST_CHECK((uintptr_t)p[i] % K_MEM_ALIGN == 0u);
		K_TEST_CHECK(k_mem_owner_of(p[i]) == owner);
		K_TEST_CHECK(k_mem_usable_bytes(p[i]) >= HEAP_TEST_BYTES);
	}
	if (p[1] != NULL)
		for (unsigned j = 0; j < HEAP_TEST_BYTES; j++)
			K_TEST_CHECK(p[1][j] == 0u);
	if (p[3] != NULL)
		K_TEST_CHECK((uintptr_t)p[3] % HEAP_TEST_ALIGN_BIG == 0u);
	/* Each block written to its last byte: none may overlap another. */
	for (unsigned i = 0; i < HEAP_TEST_CALLS; i++)
		for (unsigned j = 0; p[i] != NULL && j < HEAP_TEST_BYTES; j++)
			p[i][j] = (unsigned char)(0xA0u + i);
	for (unsigned i = 0; i < HEAP_TEST_CALLS; i++)
		for (unsigned j = 0; p[i] != NULL && j < HEAP_TEST_BYTES; j++)
			K_TEST_CHECK(p[i][j] == (unsigned char)(0xA0u + i));
	K_TEST_CHECK(k_mem_owner_stats(owner, &during) == 0);
	K_TEST_CHECK(during.blocks == got);
	K_TEST_CHECK(during.used_bytes >= got * HEAP_TEST_BYTES);
	K_TEST_CHECK(during.cache_bytes == 0u);
	for (unsigned i = 0; i < HEAP_TEST_CALLS; i++)
		k_mem_free(p[i]);
	K_TEST_CHECK(k_mem_owner_stats(owner, &after) == 0);
	K_TEST_CHECK(after.used_bytes == 0u && after.blocks == 0u);
}
