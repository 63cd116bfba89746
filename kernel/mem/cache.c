/*
 * cache.c — per-core object caches (Bonwick's slabs and magazines, reduced).
 *
 * A cache hands out objects of one size. Each core keeps, per cache, a
 * magazine: a small stack of free objects guarded by that core's own lock,
 * so the common alloc and free take no global lock. An empty magazine is
 * refilled with half a magazine from the depot (the cache's slabs, behind
 * the cache's lock); a full one gives half back. Objects may be freed on any
 * core: they go into the freeing core's magazine.
 *
 * A slab is a run of frames: a slab header, then objects at a fixed stride.
 * Every object has one header word just before it, which says its state:
 * live (keyed by its address, with its owner in the low 6 bits) or free
 * (keyed differently). That word catches double frees and foreign pointers,
 * and carries the owner so the freeing core can uncharge it.
 *
 * Per-owner cache bytes are kept per core (a core's charges minus its
 * releases, wrapping), so a cross-core free needs no global lock; the sum
 * over cores is exact.
 *
 * A build with K_CONFIG_MEM_CACHE_SLABS=0 (the one-core board, where a
 * second allocator beside the heap is flash without a lock to save) keeps
 * the same API over the heap instead: each object is its own heap block,
 * charged to its owner there, with the object at the block's payload plus
 * the cache's alignment and its header word just before it, keyed by the
 * object's and the cache's addresses (a free with another cache, a second
 * free or a foreign pointer panics, as with slabs: the heap checks the block
 * first). The cache counts its live objects (k_cache_destroy's busy check)
 * and each owner's slot bytes (cache_bytes of the stats, part of the owner's
 * heap bytes there) in core 0's owner_bytes: that build has one core
 * (asserted below), so interrupts off is the whole exclusion and the object
 * count per owner is the heap's; no magazines, no slabs, nothing to trim.
 */
#include "mem_internal.h"

#ifndef K_CONFIG_MEM_CACHE_SLABS
#define K_CONFIG_MEM_CACHE_SLABS 1
#endif
#define CACHE_SLABS ((K_CONFIG_MEM_CACHE_SLABS) != 0)
/* The thin layer's counters are core 0's, changed with interrupts off only. */
K_STATIC_ASSERT(K_CONFIG_MEM_CACHE_SLABS != 0 || BSP_CORES_MAX == 1u, "caches over the heap: one core only");

#define W MEM_WORD
#define CACHE_MAGIC ((uintptr_t)0xCAC4E0B1CAC4E0B1ull)
#define SLAB_MAGIC ((uintptr_t)0x51AB51AB51AB51ABull)
#define OBJ_LIVE_KEY ((uintptr_t)0x0B1EC7A11FE00000ull)
#define OBJ_FREE_KEY ((uintptr_t)0xF4EE0B1EC7F4EE00ull)
#define OWNER_BITS_MASK ((uintptr_t)(K_MEM_OWNERS_MAX - 1u))
#define MAG_MAX K_CACHE_MAGAZINE_OBJECTS
#define MAG_BATCH (MAG_MAX / 2u)
#define SLAB_OBJECTS_MIN 8u
#define SLAB_FRAMES_MAX 8u

K_STATIC_ASSERT(MAG_MAX >= 2u && MAG_MAX <= 256u, "magazine size");

struct slab {
	uintptr_t magic; /* SLAB_MAGIC ^ address */
	struct k_cache *cache;
	struct slab *next, *prev; /* in the cache's partial or full list */
	uintptr_t free_list;      /* first free object; each links on in its first word */
	uint32_t free_count;
	uint32_t total;
};

struct magazine {
	uint32_t count;
	void *obj[MAG_MAX];
};

struct k_cache {
	uintptr_t magic; /* CACHE_MAGIC ^ address; fixed at creation */
	const char *name;
	size_t obj_bytes, stride, align, first_offset, slab_frames;
	uint32_t per_slab;

	bsp_spinlock_t lock; /* the depot lock: guards the fields below */
	struct slab *partial; /* slabs with a free object */
	struct slab *full;    /* slabs with none */
	size_t slabs, empty_slabs;
	size_t out; /* objects out of slabs: live or in magazines */

	/* guarded by caches_lock */
	struct k_cache *next, *prev;

	/* mag[c] guarded by mem_cores[c].lock */
	struct magazine mag[];
};

/* The per-core table (struct mem_core, mem_internal.h): fixed after
 * cache_init (read without a lock). */
struct mem_core *mem_cores;
unsigned mem_core_count;
static size_t mem_cores_frames;
/* Guards the list of caches. Lock order: caches_lock, core locks (ascending
 * core id when several), cache depot locks, mem_lock. */
static bsp_spinlock_t caches_lock;
static struct k_cache *caches; /* guarded by caches_lock */
static size_t cache_count;     /* guarded by caches_lock */

/* caches_lock, or nothing without slabs: one core, and every caller runs
 * with interrupts off (mem_enter), so nothing else can touch the list. */
static void caches_list_lock(void)
{
	if (CACHE_SLABS)
		bsp_spin_lock(&caches_lock);
	else
		K_ASSERT(BSP_CORES_MAX == 1u && !bsp_irq_enabled());
}
static void caches_list_unlock(void)
{
	if (CACHE_SLABS)
		bsp_spin_unlock(&caches_lock);
	else
		K_ASSERT(BSP_CORES_MAX == 1u && !bsp_irq_enabled());
}

void cache_reset(void)
{
	bsp_spin_init(&caches_lock);
	caches = NULL;
	cache_count = 0;
	mem_cores = NULL;
	mem_core_count = 0;
	mem_cores_frames = 0;
}

int cache_init(void)
{
	unsigned n = bsp_core_count();
	K_ASSERT(n >= 1u && n <= BSP_CORES_MAX);
	cache_reset(); /* the same empty state first (one copy of the stores) */
	size_t bytes = n * sizeof(struct mem_core);
	mem_cores_frames = (bytes + K_PAGE_BYTES - 1u) / K_PAGE_BYTES;
	bsp_spin_lock(&mem_lock);
	mem_cores = frames_alloc_locked(mem_cores_frames, 1, FRAME_META, K_MEM_OWNER_KERNEL);
	bsp_spin_unlock(&mem_lock);
	if (mem_cores == NULL) {
		mem_cores_frames = 0;
		return -K_ENOMEM;
	}
	mem_fill(mem_cores, 0, bytes);
	for (unsigned c = 0; c < n; c++) {
		bsp_spin_init(&mem_cores[c].lock);
		mem_cores[c].id = c;
	}
	mem_core_count = n;
	return 0;
}

/* ----------------------------------------------------- object headers */

static inline uintptr_t *obj_hdr(const void *obj)
{
	return (uintptr_t *)((uintptr_t)obj - W);
}
static inline uintptr_t tag_free(const void *obj)
{
	return (uintptr_t)obj ^ OBJ_FREE_KEY;
}
static inline uintptr_t tag_live(const void *obj, k_mem_owner_t owner)
{
	return (((uintptr_t)obj ^ OBJ_LIVE_KEY) & ~OWNER_BITS_MASK) | owner;
}
static inline bool is_live(const void *obj)
{
	return ((*obj_hdr(obj) ^ tag_live(obj, 0)) & ~OWNER_BITS_MASK) == 0u;
}

/* A live object of a cache without slabs: keyed by the cache too. */
static inline uintptr_t tag_thin(const k_cache_t *c, const void *obj, k_mem_owner_t owner)
{
	return (((uintptr_t)obj ^ OBJ_LIVE_KEY ^ (uintptr_t)c) & ~OWNER_BITS_MASK) | owner;
}

/* Debug: guard bytes from the object's end to the next header. */
static void guard_set(const k_cache_t *c, void *obj)
{
	if (K_MEM_DEBUG)
		mem_fill((uint8_t *)obj + c->obj_bytes, MEM_JUNK_GUARD, c->stride - W - c->obj_bytes);
}
static bool guard_ok(const k_cache_t *c, const void *obj)
{
	return !K_MEM_DEBUG ||
	       mem_all((const uint8_t *)obj + c->obj_bytes, MEM_JUNK_GUARD, c->stride - W - c->obj_bytes);
}

/* The slab of obj, checked to belong to c at an object boundary; panics. */
static struct slab *slab_of(const k_cache_t *c, const void *obj, const char *what)
{
	enum frame_kind kind;
	uintptr_t base, p = (uintptr_t)obj;
	size_t count;
	MEM_ASSERT(frames_lookup(p, &kind, &base, &count) && kind == FRAME_SLAB, what, p);
	struct slab *s = (struct slab *)base;
	MEM_ASSERT(s->magic == (SLAB_MAGIC ^ base) && s->cache == c, what, p);
	uintptr_t first = base + c->first_offset;
	MEM_ASSERT(p >= first && (p - first) % c->stride == 0u && (p - first) / c->stride < s->total, what, p);
	return s;
}

/* ------------------------------------------------------------- slabs */

static size_t slab_capacity(size_t frames, size_t first_offset, size_t stride)
{
	return (frames * K_PAGE_BYTES - first_offset + W) / stride;
}

/* Caller holds c->lock. A new slab in c->partial, or NULL. */
static struct slab *slab_new(k_cache_t *c)
{
	K_ASSERT(bsp_spin_held(&c->lock));
	bsp_spin_lock(&mem_lock);
	struct slab *s = frames_alloc_locked(c->slab_frames, 1, FRAME_SLAB, K_MEM_OWNER_KERNEL);
	bsp_spin_unlock(&mem_lock);
	if (s == NULL)
		return NULL;
	s->magic = SLAB_MAGIC ^ (uintptr_t)s;
	s->cache = c;
	s->total = c->per_slab;
	s->free_count = c->per_slab;
	s->free_list = 0;
	uintptr_t first = (uintptr_t)s + c->first_offset;
	for (uint32_t i = c->per_slab; i-- > 0u;) {
		void *obj = (void *)(first + i * c->stride);
		*obj_hdr(obj) = tag_free(obj);
		*(uintptr_t *)obj = s->free_list;
		s->free_list = (uintptr_t)obj;
	}
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial != NULL)
		c->partial->prev = s;
	c->partial = s;
	c->slabs++;
	c->empty_slabs++;
	return s;
}

static void slab_unlink(struct slab **list, struct slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*list = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
}

static void slab_push(struct slab **list, struct slab *s)
{
	s->prev = NULL;
	s->next = *list;
	if (*list != NULL)
		(*list)->prev = s;
	*list = s;
}

/* Caller holds c->lock; s is empty and in c->partial. */
static void slab_release(k_cache_t *c, struct slab *s)
{
	K_ASSERT(bsp_spin_held(&c->lock));
	K_ASSERT(s->free_count == s->total && c->empty_slabs > 0u && c->slabs > 0u);
	slab_unlink(&c->partial, s);
	c->slabs--;
	c->empty_slabs--;
	s->magic = 0;
	bsp_spin_lock(&mem_lock);
	frames_free_locked(s, c->slab_frames, FRAME_SLAB);
	bsp_spin_unlock(&mem_lock);
}

/* Caller holds c->lock. One object out of the slabs, or NULL. */
static void *depot_take(k_cache_t *c)
{
	K_ASSERT_MSG(bsp_spin_held(&c->lock), "k_cache: depot taken from without its lock");
	struct slab *s = c->partial;
	if (s == NULL && (s = slab_new(c)) == NULL)
		return NULL;
	K_ASSERT(s->free_count > 0u && s->free_list != 0u);
	void *obj = (void *)s->free_list;
	MEM_ASSERT(*obj_hdr(obj) == tag_free(obj), "k_cache: free object's header damaged (use after free?) at", obj);
	s->free_list = *(uintptr_t *)obj;
	if (s->free_count == s->total)
		c->empty_slabs--;
	if (--s->free_count == 0u) {
		slab_unlink(&c->partial, s);
		slab_push(&c->full, s);
	}
	c->out++;
	return obj;
}

/* Planted for the never-rule's test only (a build with
 * -DWEFT_PLANTED_NEVER_RULE_DEPOT=1, the races preset's weft-kcheck-planted):
 * a magazine flush counts the objects it returned after dropping the depot
 * lock — a plain write to depot state another core reads under the lock. */
#ifdef WEFT_PLANTED_NEVER_RULE_DEPOT
#define PLANTED_DEPOT_UNLOCKED 1
#else
#define PLANTED_DEPOT_UNLOCKED 0
#endif

/* Caller holds c->lock. obj (free-tagged) goes back to its slab. */
static void depot_put(k_cache_t *c, void *obj)
{
	K_ASSERT_MSG(bsp_spin_held(&c->lock), "k_cache: depot given to without its lock");
	struct slab *s = slab_of(c, obj, "k_cache: magazine object not of its cache:");
	K_ASSERT(s->free_count < s->total && c->out > 0u);
	*(uintptr_t *)obj = s->free_list;
	s->free_list = (uintptr_t)obj;
	if (s->free_count++ == 0u) {
		slab_unlink(&c->full, s);
		slab_push(&c->partial, s);
	}
	if (!PLANTED_DEPOT_UNLOCKED)
		c->out--;
	if (s->free_count == s->total) {
		c->empty_slabs++;
		if (c->empty_slabs > 1u) /* keep one empty slab against churn */
			slab_release(c, s);
	}
}

/* Caller holds the core lock of m. Move up to n objects from the depot in. */
static void mag_refill(k_cache_t *c, struct magazine *m, uint32_t n)
{
	K_ASSERT(m >= c->mag && m < c->mag + mem_core_count);
	K_ASSERT_MSG(bsp_spin_held(&mem_cores[m - c->mag].lock), "k_cache: magazine refilled without its core's lock");
	bsp_spin_lock(&c->lock);
	while (n-- > 0u && m->count < MAG_MAX) {
		void *obj = depot_take(c);
		if (obj == NULL)
			break;
		m->obj[m->count++] = obj;
	}
	bsp_spin_unlock(&c->lock);
}

/* Caller holds the core lock of m. Give the oldest n objects back. */
static void mag_flush(k_cache_t *c, struct magazine *m, uint32_t n)
{
	K_ASSERT(m >= c->mag && m < c->mag + mem_core_count);
	K_ASSERT_MSG(bsp_spin_held(&mem_cores[m - c->mag].lock), "k_cache: magazine flushed without its core's lock");
	if (n > m->count)
		n = m->count;
	if (n == 0u)
		return;
	bsp_spin_lock(&c->lock);
	for (uint32_t i = 0; i < n; i++)
		depot_put(c, m->obj[i]);
	bsp_spin_unlock(&c->lock);
	for (uint32_t i = n; i < m->count; i++)
		m->obj[i - n] = m->obj[i];
	m->count -= n;
	if (PLANTED_DEPOT_UNLOCKED)
		c->out -= n; /* the planted bug: outside the depot lock */
}

/* ------------------------------------------------------------ public API */

static void cache_assert(const k_cache_t *c, const char *what)
{
	MEM_ASSERT(c != NULL && c->magic == (CACHE_MAGIC ^ (uintptr_t)c), what, c);
}

k_cache_t *k_cache_create(const char *name, size_t obj_bytes, size_t align)
{
	if (align == 0u)
		align = K_MEM_ALIGN;
	if (obj_bytes == 0u || obj_bytes > K_PAGE_BYTES / 4u || !mem_is_pow2(align) ||
	    align > K_PAGE_BYTES / 4u)
		return NULL;
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	size_t grain = align < K_MEM_ALIGN ? K_MEM_ALIGN : align;
	size_t mags = CACHE_SLABS ? mem_core_count : 0u; /* none over the heap */
	k_cache_t *c = heap_alloc_internal(sizeof(k_cache_t) + mags * sizeof(struct magazine));
	if (c == NULL)
		return NULL;
	mem_fill(c, 0, sizeof(k_cache_t) + mags * sizeof(struct magazine));
	c->magic = CACHE_MAGIC ^ (uintptr_t)c;
	c->name = name;
	c->obj_bytes = obj_bytes;
	c->align = grain;
	c->stride = mem_align_up(obj_bytes + W + (K_MEM_DEBUG ? 1u : 0u), grain);
	if (CACHE_SLABS) { /* over the heap: no slab, no depot (left 0) */
		c->first_offset = mem_align_up(sizeof(struct slab) + W, grain);
		c->slab_frames = 1;
		while (slab_capacity(c->slab_frames, c->first_offset, c->stride) < SLAB_OBJECTS_MIN &&
		       c->slab_frames < SLAB_FRAMES_MAX)
			c->slab_frames *= 2u;
		c->per_slab = (uint32_t)slab_capacity(c->slab_frames, c->first_offset, c->stride);
		K_ASSERT(c->per_slab >= 1u);
		bsp_spin_init(&c->lock);
	}
	mem_ctx_t ctx = mem_enter();
	caches_list_lock();
	c->prev = NULL;
	c->next = caches;
	if (caches != NULL)
		caches->prev = c;
	caches = c;
	cache_count++;
	caches_list_unlock();
	mem_leave(ctx);
	return c;
}

size_t k_cache_object_bytes(const k_cache_t *c)
{
	cache_assert(c, "k_cache_object_bytes: not a cache:");
	return c->obj_bytes;
}

/* Without slabs (one core): count (charge true) or uncount one object of
 * owner in c, interrupts off (nothing else runs: no lock to take). */
static void thin_count(k_cache_t *c, k_mem_owner_t owner, bool charge)
{
	K_ASSERT(!CACHE_SLABS && BSP_CORES_MAX == 1u);
	bsp_irq_state_t irq = bsp_irq_save();
	K_ASSERT(charge || c->out > 0u);
	c->out += charge ? 1u : (size_t)-1;
	mem_cores[0].owner_bytes[owner] += charge ? c->stride : (uintptr_t)0 - c->stride;
	K_ASSERT(c->slabs == 0u && c->partial == NULL);
	bsp_irq_restore(irq);
}

/* Without slabs: the object is a heap block's payload plus c->align (room
 * for its header word), the block as long as a slab slot beyond that. */
static void *thin_alloc(k_cache_t *c, k_mem_owner_t owner)
{
	K_ASSERT(!CACHE_SLABS && c->align >= W && c->stride > c->obj_bytes);
	uint8_t *p = heap_alloc_for(c->align - W + c->stride, c->align, owner);
	if (p == NULL)
		return NULL;
	void *obj = p + c->align;
	K_ASSERT(((uintptr_t)obj & (c->align - 1u)) == 0u);
	*obj_hdr(obj) = tag_thin(c, obj, owner);
	guard_set(c, obj);
	thin_count(c, owner, true);
	return obj;
}

static void thin_free(k_cache_t *c, void *obj)
{
	K_ASSERT(!CACHE_SLABS);
	uint8_t *p = (uint8_t *)obj - c->align;
	/* Panics unless p is a live heap block: a foreign pointer or a block
	 * freed already never reaches the header read below. */
	k_mem_owner_t owner = k_mem_owner_of(p);
	MEM_ASSERT(*obj_hdr(obj) == tag_thin(c, obj, owner),
		   "k_cache_free: not an object of this cache (or freed twice) at", obj);
	MEM_ASSERT(guard_ok(c, obj), "k_cache_free: write past the end of object", obj);
	*obj_hdr(obj) = tag_free(obj);
	thin_count(c, owner, false);
	heap_free_internal(p);
}

void *k_cache_alloc(k_cache_t *c, k_mem_owner_t owner)
{
	cache_assert(c, "k_cache_alloc: not a cache:");
	MEM_ASSERT(MEM_OWNER_VALID(owner), "k_cache_alloc: bad owner", owner);
	if (bsp_fault_inject(BSP_FAULT_ALLOC))
		return NULL;
	if (!CACHE_SLABS)
		return thin_alloc(c, owner);
	mem_ctx_t ctx = mem_enter();
	struct mem_core *core = &mem_cores[ctx.core];
	struct magazine *m = &c->mag[ctx.core];
	bsp_spin_lock(&core->lock);
	if (m->count == 0u)
		mag_refill(c, m, MAG_BATCH);
	void *obj = NULL;
	if (m->count > 0u) {
		obj = m->obj[--m->count];
		MEM_ASSERT(*obj_hdr(obj) == tag_free(obj), "k_cache_alloc: free object's header damaged at", obj);
		*obj_hdr(obj) = tag_live(obj, owner);
		core->owner_bytes[owner] += c->stride;
		core->owner_objects[owner]++;
		guard_set(c, obj);
	}
	bsp_spin_unlock(&core->lock);
	mem_leave(ctx);
	return obj;
}

void k_cache_free(k_cache_t *c, void *obj)
{
	if (obj == NULL)
		return;
	cache_assert(c, "k_cache_free: not a cache:");
	if (!CACHE_SLABS) {
		thin_free(c, obj);
		return;
	}
	slab_of(c, obj, "k_cache_free: pointer not from this cache:");
	MEM_ASSERT(*obj_hdr(obj) != tag_free(obj), "k_cache_free: double free of object", obj);
	MEM_ASSERT(is_live(obj), "k_cache_free: object header damaged (foreign pointer?) at", obj);
	MEM_ASSERT(guard_ok(c, obj), "k_cache_free: write past the end of object", obj);
	k_mem_owner_t owner = (k_mem_owner_t)(*obj_hdr(obj) & OWNER_BITS_MASK);
	if (K_MEM_DEBUG)
		mem_fill(obj, MEM_JUNK_FREE, c->obj_bytes);
	mem_ctx_t ctx = mem_enter();
	struct mem_core *core = &mem_cores[ctx.core];
	struct magazine *m = &c->mag[ctx.core];
	bsp_spin_lock(&core->lock);
	*obj_hdr(obj) = tag_free(obj);
	if (m->count == MAG_MAX)
		mag_flush(c, m, MAG_BATCH);
	m->obj[m->count++] = obj;
	core->owner_bytes[owner] -= c->stride;
	core->owner_objects[owner]--;
	bsp_spin_unlock(&core->lock);
	mem_leave(ctx);
}

/* Caller holds caches_lock. Empty every core's magazine of c into its slabs. */
static void cache_flush_all(k_cache_t *c)
{
	K_ASSERT(bsp_spin_held(&caches_lock));
	for (unsigned i = 0; i < mem_core_count; i++) {
		bsp_spin_lock(&mem_cores[i].lock);
		mag_flush(c, &c->mag[i], MAG_MAX);
		bsp_spin_unlock(&mem_cores[i].lock);
	}
}

/* Caller holds c->lock. Release every empty slab; returns frames released. */
static size_t cache_release_empty(k_cache_t *c)
{
	K_ASSERT(bsp_spin_held(&c->lock));
	size_t frames = 0, bound = c->slabs;
	struct slab *s = c->partial;
	for (size_t i = 0; s != NULL; i++) {
		K_ASSERT(i < bound);
		struct slab *next = s->next;
		if (s->free_count == s->total) {
			slab_release(c, s);
			frames += c->slab_frames;
		}
		s = next;
	}
	K_ASSERT(c->empty_slabs == 0u);
	return frames;
}

int k_cache_destroy(k_cache_t *c)
{
	if (c == NULL)
		return -K_EINVAL;
	cache_assert(c, "k_cache_destroy: not a cache:");
	mem_ctx_t ctx = mem_enter();
	caches_list_lock();
	bool busy;
	if (!CACHE_SLABS) { /* one core, interrupts off: c->out cannot move */
		busy = c->out != 0u;
	} else {
		cache_flush_all(c);
		bsp_spin_lock(&c->lock);
		busy = c->out != 0u;
		if (!busy)
			cache_release_empty(c);
		bsp_spin_unlock(&c->lock);
	}
	if (!busy) {
		K_ASSERT(c->slabs == 0u && cache_count > 0u);
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			caches = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		cache_count--;
		c->magic = 0;
	}
	caches_list_unlock();
	mem_leave(ctx);
	if (busy)
		return -K_EBUSY;
	heap_free_internal(c);
	return 0;
}

size_t cache_trim(void)
{
	if (!CACHE_SLABS) /* objects are heap blocks: the heap's trim */
		return 0;
	size_t frames = 0;
	mem_ctx_t ctx = mem_enter();
	bsp_spin_lock(&caches_lock);
	size_t n = 0;
	for (k_cache_t *c = caches; c != NULL; c = c->next) {
		K_ASSERT(n++ < cache_count);
		cache_flush_all(c);
		bsp_spin_lock(&c->lock);
		frames += cache_release_empty(c);
		bsp_spin_unlock(&c->lock);
	}
	bsp_spin_unlock(&caches_lock);
	mem_leave(ctx);
	return frames;
}

/* --------------------------------------------------------- stats and check */

/* Caller holds every core lock. */
static void cache_owner_sum(uintptr_t bytes[K_MEM_OWNERS_MAX], uintptr_t objects[K_MEM_OWNERS_MAX])
{
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		bytes[o] = 0;
		objects[o] = 0;
		for (unsigned i = 0; i < mem_core_count; i++) {
			bytes[o] += mem_cores[i].owner_bytes[o];
			objects[o] += mem_cores[i].owner_objects[o];
		}
	}
}

static void cache_lock_cores(void)
{
	for (unsigned i = 0; i < mem_core_count; i++)
		bsp_spin_lock(&mem_cores[i].lock);
}

static void cache_unlock_cores(void)
{
	for (unsigned i = mem_core_count; i-- > 0u;)
		bsp_spin_unlock(&mem_cores[i].lock);
}

void cache_owner_stats_locked(struct k_mem_owner_stats out[K_MEM_OWNERS_MAX], size_t *frames)
{
	if (!CACHE_SLABS) { /* heap blocks: counted in used_bytes already; no slabs */
		for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
			out[o].cache_bytes = mem_cores[0].owner_bytes[o];
		return;
	}
	uintptr_t bytes[K_MEM_OWNERS_MAX], objects[K_MEM_OWNERS_MAX];
	cache_owner_sum(bytes, objects);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		out[o].cache_bytes = bytes[o];
		out[o].used_bytes += bytes[o];
		out[o].blocks += objects[o];
	}
	size_t n = 0;
	for (k_cache_t *c = caches; c != NULL; c = c->next) {
		K_ASSERT(n++ < cache_count);
		*frames += c->slabs * c->slab_frames;
	}
}

/* One slab: free list within it, headers, guards; live objects counted per
 * owner. Caller holds c->lock. Returns free-tagged objects found. */
static size_t check_slab(const k_cache_t *c, const struct slab *s, bool in_full,
			 uintptr_t live_bytes[K_MEM_OWNERS_MAX], uintptr_t live_objects[K_MEM_OWNERS_MAX])
{
	uintptr_t base = (uintptr_t)s, first = base + c->first_offset;
	enum frame_kind kind;
	uintptr_t run;
	size_t count;
	MEM_ASSERT(s->magic == (SLAB_MAGIC ^ base) && s->cache == c, "k_mem_check: slab header damaged at", s);
	MEM_ASSERT(frames_lookup(base, &kind, &run, &count) && kind == FRAME_SLAB && run == base &&
			   count == c->slab_frames,
		   "k_mem_check: slab is not a slab frame run:", s);
	MEM_ASSERT(s->total == c->per_slab && s->free_count <= s->total, "k_mem_check: slab counts wrong at", s);
	MEM_ASSERT(in_full == (s->free_count == 0u), "k_mem_check: slab in the wrong list:", s);
	size_t listed = 0;
	for (uintptr_t o = s->free_list; o != 0u; o = *(uintptr_t *)o) {
		MEM_ASSERT(listed++ < s->free_count, "k_mem_check: slab free list too long at", s);
		MEM_ASSERT(o >= first && (o - first) % c->stride == 0u && (o - first) / c->stride < s->total,
			   "k_mem_check: slab free list leaves its slab at", o);
		MEM_ASSERT(*obj_hdr((void *)o) == tag_free((void *)o), "k_mem_check: listed object not free at", o);
	}
	MEM_ASSERT(listed == s->free_count, "k_mem_check: slab free list shorter than its count at", s);
	size_t free_tagged = 0;
	for (uint32_t i = 0; i < s->total; i++) {
		void *obj = (void *)(first + i * c->stride);
		if (*obj_hdr(obj) == tag_free(obj)) {
			free_tagged++;
			continue;
		}
		MEM_ASSERT(is_live(obj), "k_mem_check: object header damaged at", obj);
		MEM_ASSERT(guard_ok(c, obj), "k_mem_check: write past the end of object", obj);
		live_bytes[*obj_hdr(obj) & OWNER_BITS_MASK] += c->stride;
		live_objects[*obj_hdr(obj) & OWNER_BITS_MASK]++;
	}
	return free_tagged;
}

/* Caller holds every core lock and c->lock (or runs k_mem_check_stopped). */
static size_t check_cache(const k_cache_t *c, uintptr_t live_bytes[K_MEM_OWNERS_MAX],
			  uintptr_t live_objects[K_MEM_OWNERS_MAX], size_t *slab_frames)
{
	MEM_ASSERT(c->magic == (CACHE_MAGIC ^ (uintptr_t)c), "k_mem_check: cache header damaged at", c);
	if (!CACHE_SLABS) { /* objects are heap blocks: the heap walk checks them */
		MEM_ASSERT(c->slabs == 0u && c->partial == NULL && c->full == NULL,
			   "k_mem_check: cache without slabs has slabs:", c);
		return 1u;
	}
	size_t in_mags = 0, items = 0, slabs = 0, empty = 0, free_tagged = 0, out = 0;
	for (unsigned i = 0; i < mem_core_count; i++) {
		const struct magazine *m = &c->mag[i];
		MEM_ASSERT(m->count <= MAG_MAX, "k_mem_check: magazine overfull in cache", c);
		for (uint32_t j = 0; j < m->count; j++) {
			slab_of(c, m->obj[j], "k_mem_check: magazine holds a foreign object:");
			MEM_ASSERT(*obj_hdr(m->obj[j]) == tag_free(m->obj[j]), "k_mem_check: magazine object not free:", m->obj[j]);
		}
		in_mags += m->count;
	}
	for (int full = 0; full < 2; full++) {
		const struct slab *prev = NULL;
		for (const struct slab *s = full ? c->full : c->partial; s != NULL; prev = s, s = s->next) {
			MEM_ASSERT(slabs++ < c->slabs, "k_mem_check: cache has more slabs than counted:", c);
			MEM_ASSERT(s->prev == prev, "k_mem_check: slab back link broken at", s);
			free_tagged += check_slab(c, s, full != 0, live_bytes, live_objects);
			empty += s->free_count == s->total;
			out += s->total - s->free_count;
			items += s->total;
		}
	}
	MEM_ASSERT(slabs == c->slabs && empty == c->empty_slabs, "k_mem_check: slab counts drifted in cache", c);
	MEM_ASSERT(out == c->out, "k_mem_check: objects-out count drifted in cache", c);
	MEM_ASSERT(in_mags <= out, "k_mem_check: magazines hold more than is out in cache", c);
	size_t listed_free = slabs * c->per_slab - out;
	MEM_ASSERT(free_tagged == listed_free + in_mags, "k_mem_check: free objects unaccounted in cache", c);
	*slab_frames += slabs * c->slab_frames;
	return items + in_mags + 1u;
}

/* Without slabs (one core, interrupts off): the slot bytes of the objects
 * the caches count out are the bytes the owners are charged with.
 * Caller as cache_check_locked. */
static size_t thin_check(void)
{
	K_ASSERT(!CACHE_SLABS && !bsp_irq_enabled());
	uintptr_t out = 0, charged = 0;
	size_t n = 0;
	for (k_cache_t *c = caches; c != NULL; c = c->next) {
		K_ASSERT(n++ < cache_count);
		out += c->out * c->stride;
	}
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
		charged += mem_cores[0].owner_bytes[o];
	MEM_ASSERT(out == charged, "k_mem_check: cache bytes out differ from those charged:", out);
	return n;
}

/* Caller holds caches_lock and every core lock, not mem_lock; or runs
 * k_mem_check_stopped (then no depot lock is taken either). */
size_t cache_check_locked(size_t *slab_frames, size_t *meta_frames)
{
	bool stopped = mem_check_stopped();
	K_ASSERT((!CACHE_SLABS || mem_check_holds(&caches_lock)) && !bsp_spin_held(&mem_lock));
	uintptr_t live_bytes[K_MEM_OWNERS_MAX] = {0}, live_objects[K_MEM_OWNERS_MAX] = {0};
	uintptr_t bytes[K_MEM_OWNERS_MAX], objects[K_MEM_OWNERS_MAX];
	size_t items = 0, n = 0;
	const k_cache_t *prev = NULL;
	for (k_cache_t *c = caches; c != NULL; prev = c, c = c->next) {
		MEM_ASSERT(n++ < cache_count, "k_mem_check: cache list longer than its count at", c);
		MEM_ASSERT(c->prev == prev, "k_mem_check: cache list back link broken at", c);
		/* Without slabs (one core, interrupts off) nothing can move. */
		if (!stopped && CACHE_SLABS)
			bsp_spin_lock(&c->lock);
		items += check_cache(c, live_bytes, live_objects, slab_frames);
		if (!stopped && CACHE_SLABS)
			bsp_spin_unlock(&c->lock);
	}
	K_ASSERT_MSG(n == cache_count, "k_mem_check: cache count drifted");
	*meta_frames += mem_cores_frames;
	if (!CACHE_SLABS)
		return items + thin_check();
	cache_owner_sum(bytes, objects);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++) {
		MEM_ASSERT(bytes[o] == live_bytes[o], "k_mem_check: cache bytes charged drifted for owner", o);
		MEM_ASSERT(objects[o] == live_objects[o], "k_mem_check: cache objects charged drifted for owner", o);
	}
	return items;
}

void caches_lock_all(void)
{
	caches_list_lock();
	if (CACHE_SLABS) /* without slabs no core entry holds cache state */
		cache_lock_cores();
}

void caches_unlock_all(void)
{
	if (CACHE_SLABS)
		cache_unlock_cores();
	caches_list_unlock();
}
