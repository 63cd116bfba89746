/*
 * frames.c — primary memory: page frames carved from the BSP's regions.
 *
 * Each region (any alignment, any size) is trimmed to whole pages; the first
 * pages of the region hold its frame table (one descriptor per frame), the
 * rest are frames. A run of frames is described at its first frame (length,
 * kind, owner) and each later frame points back to it, so any address maps
 * to its run in O(regions). Runs are found first-fit, lowest address first,
 * which keeps long free runs at the top of each region. Frame allocation is
 * not on any bounded-time path: the heap grows by whole chunks and caches by
 * whole slabs, rarely.
 */
#include "mem_internal.h"

/* Fixed once frames_init returns; the descriptors they point to are
 * guarded by mem_lock (see frames_lookup for the one exception). */
struct frames_map frames_map;

/* Guarded by mem_lock. */
static struct {
	size_t total;
	size_t free;
	size_t used_peak;
} frames;

/* A run longer than this cannot be described (uint32 run field). */
#define FRAMES_RUN_MAX ((size_t)UINT32_MAX)

static bool frames_carve(uintptr_t base, size_t size, struct frame_region *out)
{
	const uintptr_t page = K_PAGE_BYTES;
	if (size == 0u || base > UINTPTR_MAX - page)
		return false;
	uintptr_t end = (size > UINTPTR_MAX - base) ? UINTPTR_MAX : base + size;
	uintptr_t start = mem_align_up(base, page);
	end = mem_align_down(end, page);
	if (start == 0u)
		start = page; /* address 0 would read as NULL */
	if (end <= start)
		return false;
	size_t pages = (end - start) / page;
	size_t meta = (pages * sizeof(struct frame_desc) + page - 1u) / page;
	if (pages <= meta)
		return false;
	out->frames = pages - meta;
	if (out->frames > FRAMES_RUN_MAX)
		out->frames = FRAMES_RUN_MAX;
	out->desc = (struct frame_desc *)start;
	out->base = start + meta * page;
	out->bytes = out->frames * page;
	mem_fill(out->desc, 0, out->frames * sizeof(struct frame_desc));
	out->free_hint = 0;
	return true;
}

int frames_init(void)
{
	const struct bsp_mem_region *regions = NULL;
	size_t count = bsp_mem_regions(&regions);
	mem_fill(&frames, 0, sizeof frames);
	mem_fill(&frames_map, 0, sizeof frames_map);
	if (count > K_MEM_REGIONS_MAX)
		return -K_EINVAL;
	K_ASSERT(count == 0u || regions != NULL);
	for (size_t i = 0; i < count; i++) {
		struct frame_region r;
		if (!frames_carve(regions[i].base, regions[i].size, &r))
			continue;
		frames_map.region[frames_map.region_count++] = r;
		frames.total += r.frames;
	}
	/* Regions must not overlap: a frame managed twice is handed out twice. */
	for (size_t i = 0; i < frames_map.region_count; i++) {
		for (size_t j = i + 1u; j < frames_map.region_count; j++) {
			const struct frame_region *a = &frames_map.region[i], *b = &frames_map.region[j];
			uintptr_t a_lo = (uintptr_t)a->desc, a_hi = a->base + a->frames * K_PAGE_BYTES;
			uintptr_t b_lo = (uintptr_t)b->desc, b_hi = b->base + b->frames * K_PAGE_BYTES;
			K_ASSERT_MSG(a_hi <= b_lo || b_hi <= a_lo, "frames_init: BSP regions overlap");
		}
	}
	frames.free = frames.total;
	return frames.total ? 0 : -K_ENOMEM;
}

static void frames_mark(struct frame_region *r, size_t first, size_t count, enum frame_kind kind,
			k_mem_owner_t owner)
{
	K_ASSERT(first + count <= r->frames && count >= 1u);
	for (size_t j = 0; j < count; j++) {
		struct frame_desc *d = &r->desc[first + j];
		K_ASSERT(d->kind == FRAME_FREE);
		d->run = (uint32_t)(j == 0u ? count : j);
		d->owner = (uint16_t)(j == 0u ? owner : 0u);
		d->kind = (uint8_t)kind;
		d->head = j == 0u;
	}
}

/* First fit in one region; returns the first frame index or r->frames.
 * The scan starts at the region's free hint: every frame below is taken. */
static size_t frames_find(const struct frame_region *r, size_t count, size_t align_frames)
{
	size_t first_index = (r->base / K_PAGE_BYTES);
	size_t i = r->free_hint;
	while (i + count <= r->frames) {
		const struct frame_desc *d = &r->desc[i];
		if (d->kind != FRAME_FREE) {
			i += d->head ? d->run : 1u;
			continue;
		}
		size_t misalign = (first_index + i) & (align_frames - 1u);
		if (misalign != 0u) {
			i += align_frames - misalign;
			continue;
		}
		size_t n = 1;
		while (n < count && r->desc[i + n].kind == FRAME_FREE)
			n++;
		if (n == count)
			return i;
		i += n; /* desc[i+n] is used: the scan resumes there */
	}
	return r->frames;
}

void *frames_take_locked(size_t count, size_t align_frames, enum frame_kind kind, k_mem_owner_t owner)
{
	K_ASSERT(mem_lock_held());
	K_ASSERT(mem_is_pow2(align_frames));
	K_ASSERT(kind != FRAME_FREE && kind < FRAME_KINDS && MEM_OWNER_VALID(owner));
	if (count == 0u || count > frames.free)
		return NULL;
	for (size_t ri = 0; ri < frames_map.region_count; ri++) {
		struct frame_region *r = &frames_map.region[ri];
		if (count > r->frames)
			continue;
		size_t i = frames_find(r, count, align_frames);
		if (i >= r->frames)
			continue;
		frames_mark(r, i, count, kind, owner);
		if (i == r->free_hint)
			r->free_hint = i + count; /* may be taken too: the scan skips it */
		frames.free -= count;
		if (frames.total - frames.free > frames.used_peak)
			frames.used_peak = frames.total - frames.free;
		return (void *)(r->base + i * K_PAGE_BYTES);
	}
	return NULL;
}

void *frames_alloc_locked(size_t count, size_t align_frames, enum frame_kind kind,
			  k_mem_owner_t owner)
{
	void *p = frames_take_locked(count, align_frames, kind, owner);
	if (p == NULL && count <= frames.free + heap_spare_frames_locked() && heap_release_spare_locked() != 0u)
		p = frames_take_locked(count, align_frames, kind, owner);
	return p;
}

const struct frame_region *frames_region_find(uintptr_t p)
{
	const struct frame_region *r = frames_region_scan(p);
	K_ASSERT(r == NULL || p - r->base < r->bytes);
	return r;
}

static struct frame_region *frames_region_of(uintptr_t p)
{
	return (struct frame_region *)frames_region_lookup(p);
}

void frames_free_locked(void *p, size_t count, enum frame_kind kind)
{
	K_ASSERT(mem_lock_held());
	struct frame_region *r = frames_region_of((uintptr_t)p);
	MEM_ASSERT(r != NULL, "frames: free of an address outside every region", p);
	MEM_ASSERT(((uintptr_t)p & (K_PAGE_BYTES - 1u)) == 0u, "frames: free of an unaligned frame", p);
	size_t i = ((uintptr_t)p - r->base) / K_PAGE_BYTES;
	struct frame_desc *d = &r->desc[i];
	MEM_ASSERT(d->kind == kind && d->head, "frames: free of a frame that starts no such run", p);
	MEM_ASSERT(d->run == count, "frames: free with a count other than the run's", p);
	for (size_t j = 0; j < count; j++)
		r->desc[i + j] = (struct frame_desc){0u, 0u, FRAME_FREE, 0u};
	if (i < r->free_hint)
		r->free_hint = i;
	frames.free += count;
	K_ASSERT(frames.free <= frames.total);
}

size_t frames_free_count(void)
{
	return frames.free;
}

size_t frames_total_count(void)
{
	return frames.total;
}

size_t frames_peak_used(void)
{
	return frames.used_peak;
}

size_t frames_largest_free_run(void)
{
	K_ASSERT(mem_lock_held());
	size_t best = 0;
	for (size_t ri = 0; ri < frames_map.region_count; ri++) {
		const struct frame_region *r = &frames_map.region[ri];
		size_t run = 0;
		for (size_t i = 0; i < r->frames; i++) {
			run = r->desc[i].kind == FRAME_FREE ? run + 1u : 0u;
			if (run > best)
				best = run;
		}
	}
	return best;
}

static size_t frames_check_run(const struct frame_region *r, size_t i, size_t kind_frames[FRAME_KINDS],
			       size_t owner_bytes[K_MEM_OWNERS_MAX],
			       size_t owner_blocks[K_MEM_OWNERS_MAX])
{
	const struct frame_desc *d = &r->desc[i];
	uintptr_t addr = r->base + i * K_PAGE_BYTES;
	MEM_ASSERT(d->head, "k_mem_check: frame run without a head frame at", addr);
	MEM_ASSERT(d->kind > FRAME_FREE && d->kind < FRAME_KINDS, "k_mem_check: bad frame kind at", addr);
	MEM_ASSERT(d->run >= 1u && d->run <= r->frames - i, "k_mem_check: frame run overruns its region at", addr);
	MEM_ASSERT(MEM_OWNER_VALID(d->owner), "k_mem_check: frame run with a bad owner at", addr);
	for (size_t j = 1; j < d->run; j++) {
		const struct frame_desc *t = &r->desc[i + j];
		MEM_ASSERT(!t->head && t->run == j && t->kind == d->kind && t->owner == 0u,
			   "k_mem_check: frame run torn at", addr + j * K_PAGE_BYTES);
	}
	kind_frames[d->kind] += d->run;
	if (d->kind == FRAME_RAW) {
		owner_bytes[d->owner] += d->run * K_PAGE_BYTES;
		owner_blocks[d->owner]++;
	}
	return d->run;
}

size_t frames_check(size_t kind_frames[FRAME_KINDS], size_t owner_bytes[K_MEM_OWNERS_MAX],
		    size_t owner_blocks[K_MEM_OWNERS_MAX])
{
	K_ASSERT(mem_check_holds(&mem_lock));
	size_t total = 0, items = 0;
	for (size_t ri = 0; ri < frames_map.region_count; ri++) {
		const struct frame_region *r = &frames_map.region[ri];
		MEM_ASSERT((r->base & (K_PAGE_BYTES - 1u)) == 0u, "k_mem_check: unaligned region", r->base);
		MEM_ASSERT(r->bytes == r->frames * K_PAGE_BYTES, "k_mem_check: region size drifted", r->base);
		size_t i = 0;
		while (i < r->frames) {
			const struct frame_desc *d = &r->desc[i];
			items++;
			if (d->kind == FRAME_FREE) {
				MEM_ASSERT(d->run == 0u && !d->head && d->owner == 0u,
					   "k_mem_check: free frame with stale fields at",
					   r->base + i * K_PAGE_BYTES);
				MEM_ASSERT(i >= r->free_hint, "k_mem_check: free frame below the region's free hint at",
					   r->base + i * K_PAGE_BYTES);
				kind_frames[FRAME_FREE]++;
				i++;
				continue;
			}
			i += frames_check_run(r, i, kind_frames, owner_bytes, owner_blocks);
		}
		total += r->frames;
	}
	K_ASSERT_MSG(total == frames.total, "k_mem_check: frame total drifted");
	K_ASSERT_MSG(kind_frames[FRAME_FREE] == frames.free, "k_mem_check: free frame count drifted");
	K_ASSERT_MSG(frames.total - frames.free <= frames.used_peak, "k_mem_check: frame peak below use");
	return items;
}

/* ------------------------------------------------------------ public API */

void *k_frames_alloc(size_t count, k_mem_owner_t owner)
{
	MEM_ASSERT(MEM_OWNER_VALID(owner), "k_frames_alloc: bad owner", owner);
	if (count == 0u || bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq); /* owner peaks sync per core */
	mem_lock_take();
	void *p = frames_alloc_locked(count, 1, FRAME_RAW, owner);
	if (p != NULL)
		owner_charge_locked(core, owner, count * K_PAGE_BYTES);
	mem_lock_drop();
	mem_core_unlock(core, irq);
	return p;
}

void k_frames_free(void *p, size_t count)
{
	if (p == NULL)
		return;
	bsp_irq_state_t irq;
	struct mem_core *core = mem_core_lock(&irq);
	mem_lock_take();
	enum frame_kind kind;
	uintptr_t base;
	size_t run;
	bool found = frames_lookup((uintptr_t)p, &kind, &base, &run);
	MEM_ASSERT(found && kind == FRAME_RAW && base == (uintptr_t)p,
		   "k_frames_free: not the first frame of a k_frames_alloc run:", p);
	MEM_ASSERT(run == count, "k_frames_free: count differs from the run allocated at", p);
	size_t i = ((uintptr_t)p - frames_region_of((uintptr_t)p)->base) / K_PAGE_BYTES;
	k_mem_owner_t owner = frames_region_of((uintptr_t)p)->desc[i].owner;
	owner_release_locked(core, owner, count * K_PAGE_BYTES);
	if (K_MEM_DEBUG)
		mem_fill(p, MEM_JUNK_FREE, count * K_PAGE_BYTES);
	frames_free_locked(p, count, FRAME_RAW);
	mem_lock_drop();
	mem_core_unlock(core, irq);
}
