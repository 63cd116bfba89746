/*
 * mem.c — the memory manager as a whole: boot, stats, trim, the checker, and
 * the small byte helpers and panic formatting the other files share.
 */
#include "mem_internal.h"

/* Guards frames.c, heap.c and owner.c state; innermost lock of the manager. */
bsp_spinlock_t mem_lock;
/* k_mem_owner_stats gathers a whole k_mem_stats to give one line of it.
 * A build with few owners (the board's 16: 304 B on 32 bits) gathers it on
 * the caller's stack, no bigger than a quarter of the smallest thread stack;
 * a build with many (the simulator's 64: over 2 KiB) in mem_stats_all, one
 * caller at a time under mem_stats_lock (outermost). A constant the compiler
 * folds: the unused path and its static scratch drop out of the image. */
#define MEM_STATS_STACK_BYTES_MAX 1024u /* K_STACK_MIN_BYTES (k/thread.h) / 4 */
#define MEM_STATS_ON_STACK (sizeof(struct k_mem_stats) <= MEM_STATS_STACK_BYTES_MAX)
static bsp_spinlock_t mem_stats_lock;
static struct k_mem_stats mem_stats_all;

void mem_fill(void *p, unsigned char byte, size_t n)
{
	unsigned char *d = p;
	while (n > 0u && ((uintptr_t)d & (MEM_WORD - 1u)) != 0u) {
		*d++ = byte;
		n--;
	}
	uintptr_t w = (uintptr_t)byte * (UINTPTR_MAX / 0xFFu);
	for (; n >= MEM_WORD; n -= MEM_WORD, d += MEM_WORD)
		*(uintptr_t *)(void *)d = w;
	while (n-- > 0u)
		*d++ = byte;
}

void mem_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if ((((uintptr_t)d | (uintptr_t)s | n) & (MEM_WORD - 1u)) == 0u) {
		uintptr_t *dw = dst;
		const uintptr_t *sw = src;
		for (size_t i = 0; i < n / MEM_WORD; i++)
			dw[i] = sw[i];
		return;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

bool mem_all(const void *p, unsigned char byte, size_t n)
{
	const unsigned char *s = p;
	while (n > 0u && ((uintptr_t)s & (MEM_WORD - 1u)) != 0u) {
		if (*s++ != byte)
			return false;
		n--;
	}
	uintptr_t w = (uintptr_t)byte * (UINTPTR_MAX / 0xFFu);
	for (; n >= MEM_WORD; n -= MEM_WORD, s += MEM_WORD)
		if (*(const uintptr_t *)(const void *)s != w)
			return false;
	while (n-- > 0u)
		if (*s++ != byte)
			return false;
	return true;
}

/* Room for a message of MEM_PANIC_TEXT_MAX characters (the longest is 61
 * today), " 0x", the address's hex digits (8 on a 32-bit target, 16 on 64)
 * and the end: 76 B on the board, 84 on the simulator. A longer message is
 * cut at MEM_PANIC_TEXT_MAX, never overrun. Static RAM on every build, so
 * no bigger. */
#define MEM_PANIC_TEXT_MAX 64u
#define MEM_PANIC_MAX (MEM_PANIC_TEXT_MAX + 3u + 2u * sizeof(uintptr_t) + 1u)
static char mem_panic_buf[MEM_PANIC_MAX];

_Noreturn void mem_panic(const char *file, int line, const char *what, uintptr_t addr)
{
	size_t n = 0;
	K_ASSERT(what != NULL);
	while (what[n] != '\0' && n < MEM_PANIC_TEXT_MAX) {
		mem_panic_buf[n] = what[n];
		n++;
	}
	mem_panic_buf[n++] = ' ';
	mem_panic_buf[n++] = '0';
	mem_panic_buf[n++] = 'x';
	/* A digit computed, not looked up: no 17 B table in flash. */
	for (int shift = (int)sizeof(uintptr_t) * 8 - 4; shift >= 0; shift -= 4) {
		unsigned d = (unsigned)(addr >> shift) & 0xFu;
		mem_panic_buf[n++] = (char)(d < 10u ? '0' + d : 'a' - 10u + d);
	}
	mem_panic_buf[n] = '\0';
	K_ASSERT(n < MEM_PANIC_MAX);
	bsp_panic(file, line, mem_panic_buf);
}

/* Out of line: keeps the one-core hot paths short. A thread that reads its
 * core id and migrates before locking works on the old core's entry, which
 * is as correct (it holds that entry's lock). */
struct mem_core *mem_core_lock_many(bsp_irq_state_t *irq)
{
	struct mem_core *core = &mem_cores[bsp_core_id()];
	*irq = bsp_spin_lock_irqsave(&core->lock);
	return core;
}

/* True only while k_mem_check_stopped runs, on its caller's core: every
 * other core is outside the memory manager (the caller's promise), so the
 * walkers take no lock and their lock assertions accept that. Written only
 * by k_mem_check_stopped, with interrupts off, and read by the walkers it
 * calls; no other core reads it meanwhile (none is in the manager). */
static bool mem_checking_stopped;

int k_mem_init(void)
{
	mem_checking_stopped = false; /* a check that panicked never cleared it */
	bsp_spin_init(&mem_lock);
	if (!MEM_STATS_ON_STACK)
		bsp_spin_init(&mem_stats_lock);
	owner_init();
	heap_init();
	cache_reset();
	int rc = frames_init();
	if (rc != 0)
		return rc;
	return cache_init();
}

size_t k_mem_trim(void)
{
	heap_front_flush_all(); /* cached blocks pin their chunks */
	size_t frames = cache_trim();
	bsp_irq_state_t irq = bsp_spin_lock_irqsave(&mem_lock);
	frames += heap_trim_locked();
	bsp_spin_unlock_irqrestore(&mem_lock, irq);
	return frames;
}

static void stats_all(struct k_mem_stats *out)
{
	mem_fill(out, 0, sizeof *out);
	caches_lock_all();
	bsp_spin_lock(&mem_lock);
	owner_stats_locked(out->owner);
	heap_stats_locked(out);
	out->frames_total = frames_total_count();
	out->frames_free = frames_free_count();
	out->frames_largest_free_run = frames_largest_free_run();
	out->frames_peak_used = frames_peak_used();
	bsp_spin_unlock(&mem_lock);
	cache_owner_stats_locked(out->owner, &out->cache_frames);
	caches_unlock_all();
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
		out->used_bytes += out->owner[o].used_bytes;
	out->free_bytes = out->frames_free * K_PAGE_BYTES + out->heap_free_bytes;
}

void k_mem_stats(struct k_mem_stats *out)
{
	K_ASSERT(out != NULL);
	mem_ctx_t ctx = mem_enter();
	stats_all(out);
	mem_leave(ctx);
}

/* The few-owner build's gathering: the scratch is this frame's, so no lock
 * guards it (stats_all takes the manager's own). */
static void owner_stats_on_stack(k_mem_owner_t owner, struct k_mem_owner_stats *out)
{
	struct k_mem_stats all;
	K_ASSERT(MEM_STATS_ON_STACK);
	K_ASSERT(MEM_OWNER_VALID(owner));
	stats_all(&all);
	*out = all.owner[owner];
}

/* The many-owner build's gathering, in the one static scratch. */
static void owner_stats_shared(k_mem_owner_t owner, struct k_mem_owner_stats *out)
{
	K_ASSERT(!MEM_STATS_ON_STACK);
	K_ASSERT(MEM_OWNER_VALID(owner));
	bsp_spin_lock(&mem_stats_lock);
	stats_all(&mem_stats_all);
	*out = mem_stats_all.owner[owner];
	bsp_spin_unlock(&mem_stats_lock);
}

int k_mem_owner_stats(k_mem_owner_t owner, struct k_mem_owner_stats *out)
{
	if (!MEM_OWNER_VALID(owner) || out == NULL)
		return -K_EINVAL;
	mem_ctx_t ctx = mem_enter();
	if (MEM_STATS_ON_STACK)
		owner_stats_on_stack(owner, out);
	else
		owner_stats_shared(owner, out);
	mem_leave(ctx);
	return 0;
}

bool mem_check_stopped(void)
{
	return mem_checking_stopped;
}

/* The whole walk. Caller holds caches_lock_all (and takes nothing else)
 * or runs k_mem_check_stopped; the walk takes each cache's lock and then
 * mem_lock itself unless stopped. */
static size_t mem_check_walk(void)
{
	size_t kind_frames[FRAME_KINDS] = {0};
	size_t owner_bytes[K_MEM_OWNERS_MAX] = {0}, owner_blocks[K_MEM_OWNERS_MAX] = {0};
	size_t slab_frames = 0, meta_frames = 0, heap_frames = 0, items = 0;
	bool stopped = mem_checking_stopped;
	K_ASSERT(!bsp_irq_enabled());
	items += cache_check_locked(&slab_frames, &meta_frames);
	if (!stopped)
		bsp_spin_lock(&mem_lock);
	K_ASSERT(mem_check_holds(&mem_lock));
	items += frames_check(kind_frames, owner_bytes, owner_blocks);
	items += heap_check_locked(&heap_frames, owner_bytes, owner_blocks);
	owner_check_locked(owner_bytes, owner_blocks);
	MEM_ASSERT(kind_frames[FRAME_HEAP] == heap_frames, "k_mem_check: heap frames drifted:", kind_frames[FRAME_HEAP]);
	MEM_ASSERT(kind_frames[FRAME_SLAB] == slab_frames, "k_mem_check: slab frames drifted:", kind_frames[FRAME_SLAB]);
	MEM_ASSERT(kind_frames[FRAME_META] == meta_frames, "k_mem_check: table frames drifted:", kind_frames[FRAME_META]);
	if (!stopped)
		bsp_spin_unlock(&mem_lock);
	return items;
}

size_t k_mem_check(void)
{
	mem_ctx_t ctx = mem_enter();
	K_ASSERT(!mem_checking_stopped);
	caches_lock_all();
	size_t items = mem_check_walk();
	caches_unlock_all();
	mem_leave(ctx);
	return items;
}

size_t k_mem_check_stopped(void)
{
	mem_ctx_t ctx = mem_enter();
	K_ASSERT_MSG(!mem_checking_stopped, "k_mem_check_stopped: called from inside a check");
	mem_checking_stopped = true;
	size_t items = mem_check_walk();
	mem_checking_stopped = false;
	mem_leave(ctx);
	K_ASSERT(items > 0u);
	return items;
}
