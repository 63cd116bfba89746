/*
 * mem_cores.c — the memory manager across cores: object caches and the
 * heap's per-core front caches, allocated on one core and freed on another.
 *
 * Per core i a producer pinned to i allocates MC_BATCH cache objects and
 * MC_BATCH small heap blocks (sizes the front cache keeps), signs each with
 * (producer, index), and sends it to the consumer pinned to core i+1 (mod the
 * cores), which verifies the signature and frees it there: magazines fill on
 * the freeing core and flush to the depot, the allocating core's run dry and
 * refill, front caches fill with blocks other cores allocated. A trimmer
 * calls k_mem_trim meanwhile (it drains every core's caches).
 * End check: every object arrived once with its signature intact (no block
 * handed out twice or damaged); the bytes, blocks and cache bytes of the
 * owner they were charged to (a parked process's) are exactly what they were
 * before (accounting exact across cores);
 * k_mem_check holds; the cache is empty and can be destroyed.
 */
#include <k/mem.h>
#include <k/sched.h>

#include "stress.h"

#define MC_CORES_MAX 8u
#define MC_BATCH 20u           /* > K_CACHE_MAGAZINE_OBJECTS: refill and flush */
#define MC_OBJ_BYTES 48u
#define MC_QUEUE 4u
#define MC_TRIMS 3u
#define MC_MAGIC 0x5eed0000u

struct mc_item {
	uint32_t *p;
	uint32_t kind; /* 0 cache object, 1 heap block */
	uint32_t sig;
};

static struct {
	unsigned cores;
	k_cache_t *cache;
	k_proc_t *holder;        /* a parked process: its owner slot is charged */
	k_sem_t *release;        /* main -> holder: exit */
	k_mem_owner_t owner;
	k_msgq_t *q[MC_CORES_MAX];   /* to the consumer on core i */
	unsigned received[MC_CORES_MAX][2][MC_BATCH];
	unsigned bad_sig;
	unsigned alloc_failed;
	bool accounting_bad;     /* owner counters moved across the run */
	struct k_mem_owner_stats before, after;
	int error;
} mc;

static void mc_note(int rc)
{
	if (rc < 0 && mc.error == 0)
		mc.error = rc;
}

static uint32_t mc_sig(unsigned producer, unsigned kind, unsigned i)
{
	return MC_MAGIC | (producer << 8) | (kind << 7) | i;
}

static void mc_producer(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	k_msgq_t *to = mc.q[(me + 1u) % mc.cores];
	for (unsigned i = 0; i < MC_BATCH; i++) {
		for (unsigned kind = 0; kind < 2; kind++) {
			size_t bytes = kind ? 16u + 24u * (i % 8u) : MC_OBJ_BYTES;
			uint32_t *p = kind ? k_mem_alloc(bytes, mc.owner)
					   : k_cache_alloc(mc.cache, mc.owner);
			if (!p) {
				mc.alloc_failed++;
				continue;
			}
			struct mc_item it = {p, kind, mc_sig(me, kind, i)};
			for (size_t w = 0; w < bytes / sizeof(uint32_t); w++)
				p[w] = it.sig;
			mc_note(k_msgq_put(to, &it, K_FOREVER));
		}
	}
}

static void mc_consumer(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	unsigned from = (me + mc.cores - 1u) % mc.cores;
	for (unsigned n = 0; n < 2u * MC_BATCH; n++) {
		struct mc_item it;
		int rc = k_msgq_get(mc.q[me], &it, K_FOREVER);
		if (rc < 0) {
			mc_note(rc);
			return;
		}
		unsigned i = it.sig & 0x7fu;
		size_t bytes = it.kind ? 16u + 24u * (i % 8u) : MC_OBJ_BYTES;
		bool ok = it.kind < 2u && i < MC_BATCH && it.sig == mc_sig(from, it.kind, i);
		for (size_t w = 0; ok && w < bytes / sizeof(uint32_t); w++)
			ok = it.p[w] == it.sig;
		if (!ok)
			mc.bad_sig++;
		else
			mc.received[from][it.kind][i]++;
		if (it.kind)
			k_mem_free(it.p);
		else
			k_cache_free(mc.cache, it.p);
	}
}

static void mc_trimmer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < MC_TRIMS; i++) {
		(void)k_mem_trim();
		k_thread_yield();
	}
}

/* The holder process's only thread: parked until main releases it. Its
 * stack does not change while it waits, so its owner's counters move only
 * with what the producers charge to it. */
static void mc_parked(void *arg)
{
	(void)arg;
	mc_note(k_sem_take(mc.release, K_FOREVER));
}

static int mem_cores_main(void)
{
	mc = (__typeof__(mc)){0};
	mc.cores = k_sched_cores();
	if (mc.cores > MC_CORES_MAX)
		mc.cores = MC_CORES_MAX;
	int rc;
	mc.cache = k_cache_create("mc", MC_OBJ_BYTES, 0);
	if (!mc.cache)
		return -K_ENOMEM;
	for (unsigned i = 0; i < mc.cores; i++)
		if ((rc = k_msgq_create(&mc.q[i], "mc.q", sizeof(struct mc_item), MC_QUEUE)) < 0)
			return rc;
	struct k_thread_attr pa = stress_attr("parked", K_PRIO_DEFAULT, 0);
	if ((rc = k_sem_create(&mc.release, "release", 0, 1)) < 0 ||
	    (rc = k_proc_create(&mc.holder, "memowner", mc_parked, NULL, &pa)) < 0)
		return rc;
	mc.owner = k_proc_mem_owner(mc.holder);
	if ((rc = k_mem_owner_stats(mc.owner, &mc.before)) < 0)
		return rc;
	k_thread_t *t[2u * MC_CORES_MAX + 1u];
	unsigned n = 0;
	for (unsigned i = 0; i < mc.cores; i++) {
		struct k_thread_attr a = stress_attr("producer", K_PRIO_DEFAULT, K_CPUMASK_CORE(i));
		struct k_thread_attr b = stress_attr("consumer", K_PRIO_DEFAULT, K_CPUMASK_CORE(i));
		if ((rc = k_thread_create(&t[n++], mc_producer, (void *)(uintptr_t)i, &a)) < 0 ||
		    (rc = k_thread_create(&t[n++], mc_consumer, (void *)(uintptr_t)i, &b)) < 0)
			return rc;
	}
	struct k_thread_attr ta = stress_attr("trimmer", K_PRIO_DEFAULT, 0);
	if ((rc = k_thread_create(&t[n++], mc_trimmer, NULL, &ta)) < 0)
		return rc;
	for (unsigned i = 0; i < n; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	if ((rc = k_mem_owner_stats(mc.owner, &mc.after)) < 0)
		return rc;
	if (mc.after.used_bytes != mc.before.used_bytes || mc.after.blocks != mc.before.blocks ||
	    mc.after.cache_bytes != mc.before.cache_bytes)
		mc.accounting_bad = true;
	(void)k_mem_check();
	if ((rc = k_sem_give(mc.release)) < 0 || (rc = k_proc_wait(mc.holder, K_FOREVER, NULL)) < 0 ||
	    (rc = k_sem_destroy(mc.release)) < 0)
		return rc;
	for (unsigned i = 0; i < mc.cores; i++)
		if ((rc = k_msgq_destroy(mc.q[i])) < 0)
			return rc;
	return k_cache_destroy(mc.cache);
}

static int mem_cores_check(char *msg, size_t cap)
{
	if (mc.accounting_bad)
	{
		struct stress_msg m;
		stress_msg_init(&m, msg, cap);
		stress_puts(&m, "owner after every object was freed: used/blocks/cache bytes ");
		stress_puti(&m, (int64_t)mc.after.used_bytes);
		stress_puts(&m, "/");
		stress_puti(&m, (int64_t)mc.after.blocks);
		stress_puts(&m, "/");
		stress_puti(&m, (int64_t)mc.after.cache_bytes);
		stress_puts(&m, ", before ");
		stress_puti(&m, (int64_t)mc.before.used_bytes);
		stress_puts(&m, "/");
		stress_puti(&m, (int64_t)mc.before.blocks);
		stress_puts(&m, "/");
		stress_puti(&m, (int64_t)mc.before.cache_bytes);
		return -1;
	}
	if (mc.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", mc.error);
	if (mc.alloc_failed)
		return stress_fail(msg, cap, "", mc.alloc_failed, " allocations failed");
	if (mc.bad_sig)
		return stress_fail(msg, cap, "", mc.bad_sig, " objects arrived damaged or handed out twice");
	for (unsigned c = 0; c < mc.cores; c++)
		for (unsigned k = 0; k < 2; k++)
			for (unsigned i = 0; i < MC_BATCH; i++)
				if (mc.received[c][k][i] != 1u)
					return stress_fail2(msg, cap, "an object of producer ", c, " arrived ",
							    mc.received[c][k][i], " times");
	return 0;
}

/* Two threads per core (up to 8 cores) with their stacks, the queues and
 * the objects in flight: more than the harness's small default. */
#define MC_REGION_BYTES (1u << 20)

K_WORKLOAD_MEM(mem_cores, "mem_cores",
	       "cache objects and heap blocks allocated on one core, freed on another; exact accounting, k_mem_check",
	       mem_cores_main, mem_cores_check, MC_REGION_BYTES);
