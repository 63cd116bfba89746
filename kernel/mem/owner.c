/*
 * owner.c — per-owner accounting of heap blocks and frame runs: what each
 * owner (the kernel, or a process's owner slot) holds now, its high-water
 * mark, and how many blocks. Cache objects are counted per core in cache.c
 * (no global lock on their path) and added in by k_mem_stats.
 */
#include "mem_internal.h"

/* Guarded by mem_lock. */
static struct {
	size_t used_bytes[K_MEM_OWNERS_MAX];
	size_t peak_bytes[K_MEM_OWNERS_MAX];
	size_t blocks[K_MEM_OWNERS_MAX];
} owners;

void owner_init(void)
{
	mem_fill(&owners, 0, sizeof owners);
}

void owner_charge_locked(k_mem_owner_t owner, size_t bytes)
{
	K_ASSERT(MEM_OWNER_VALID(owner));
	owners.used_bytes[owner] += bytes;
	owners.blocks[owner]++;
	if (owners.used_bytes[owner] > owners.peak_bytes[owner])
		owners.peak_bytes[owner] = owners.used_bytes[owner];
}

void owner_release_locked(k_mem_owner_t owner, size_t bytes)
{
	K_ASSERT(MEM_OWNER_VALID(owner));
	MEM_ASSERT(owners.used_bytes[owner] >= bytes && owners.blocks[owner] > 0u,
		   "k_mem: owner accounting underflow for owner", owner);
	owners.used_bytes[owner] -= bytes;
	owners.blocks[owner]--;
}

void owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX])
{
	K_ASSERT(bsp_spin_held(&mem_lock));
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		out[o].used_bytes = owners.used_bytes[o];
		out[o].peak_bytes = owners.peak_bytes[o];
		out[o].blocks = owners.blocks[o];
		out[o].cache_bytes = 0;
	}
}

void owner_check_locked(const size_t expect_bytes[K_MEM_OWNERS_MAX],
			const size_t expect_blocks[K_MEM_OWNERS_MAX])
{
	K_ASSERT(bsp_spin_held(&mem_lock));
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		MEM_ASSERT(owners.used_bytes[o] == expect_bytes[o], "k_mem_check: bytes charged drifted for owner", o);
		MEM_ASSERT(owners.blocks[o] == expect_blocks[o], "k_mem_check: block count drifted for owner", o);
		MEM_ASSERT(owners.peak_bytes[o] >= owners.used_bytes[o], "k_mem_check: peak below use for owner", o);
	}
}
