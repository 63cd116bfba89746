/*
 * owner.c — per-owner accounting of heap blocks and frame runs: what each
 * owner (the kernel, or a process's owner slot) holds now, its high-water
 * mark, and how many blocks. Cache objects are counted per core in cache.c
 * (no global lock on their path) and added in by k_mem_stats.
 */
#include "mem_internal.h"

struct owner_counts owners; /* guarded by mem_lock */

void owner_init(void)
{
	mem_fill(&owners, 0, sizeof owners);
}

void owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX])
{
	K_ASSERT(mem_lock_held());
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		size_t used = owners.o[o].used_bytes, blocks = owners.o[o].blocks;
		for (unsigned c = 0; HEAP_FRONT && c < mem_core_count; c++) {
			const struct heap_front *f = &mem_cores[c].front;
			owner_sync_locked(&mem_cores[c], o);
			used += (size_t)f->own[o].bytes; /* minus what rests in its cache */
			blocks += (size_t)f->own[o].blocks;
		}
		K_ASSERT(used <= owners.o[o].used_bytes && owners.o[o].peak_bytes >= used);
		out[o].used_bytes = used;
		out[o].peak_bytes = owners.o[o].peak_bytes;
		out[o].blocks = blocks;
		out[o].cache_bytes = 0;
	}
}

void owner_check_locked(const size_t expect_bytes[K_MEM_OWNERS_MAX],
			const size_t expect_blocks[K_MEM_OWNERS_MAX])
{
	K_ASSERT(mem_check_holds(&mem_lock));
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		MEM_ASSERT(owners.o[o].used_bytes == expect_bytes[o], "k_mem_check: bytes charged drifted for owner", o);
		MEM_ASSERT(owners.o[o].blocks == expect_blocks[o], "k_mem_check: block count drifted for owner", o);
		size_t live = owners.o[o].used_bytes;
		for (unsigned c = 0; HEAP_FRONT && c < mem_core_count; c++) {
			owner_sync_locked(&mem_cores[c], o); /* reuse since the last sync */
			live += (size_t)mem_cores[c].front.own[o].bytes; /* net of cached blocks */
		}
		MEM_ASSERT(live <= owners.o[o].used_bytes, "k_mem_check: more cached than charged for owner", o);
		MEM_ASSERT(owners.o[o].peak_bytes >= live, "k_mem_check: peak below use for owner", o);
	}
}
