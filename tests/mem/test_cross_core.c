/*
 * test_cross_core.c — the memory manager on 2-4 simulated cores: a producer
 * allocates heap blocks and cache objects on one core, consumers on other
 * cores check and free them (cross-core frees into other magazines), and a
 * checker walks everything while they run. Many schedules (random strategy,
 * several seeds); every run must end SIM_OK with nothing leaked.
 */
#include <stdint.h>

#include "mem_test.h"

#define RING 8u
#define ITEMS 120u

static struct {
	bsp_spinlock_t lock; /* guards ring, head, tail, produced_all */
	void *ring[RING];
	size_t size[RING];
	unsigned head, tail;
	bool produced_all;
	bsp_atomic_t finished; /* cores done with their share */
	k_cache_t *cache;
	unsigned cores;
	size_t tables;
	int ok;
} shared;

static void pattern(uint8_t *p, size_t n, uintptr_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static bool pattern_ok(const uint8_t *p, size_t n, uintptr_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i))
			return false;
	return true;
}

static void push(void *p, size_t n)
{
	for (;;) {
		bsp_irq_state_t s = bsp_irq_save();
		bsp_spin_lock(&shared.lock);
		if (shared.head - shared.tail < RING) {
			shared.ring[shared.head % RING] = p;
			shared.size[shared.head % RING] = n;
			shared.head++;
			bsp_spin_unlock(&shared.lock);
			bsp_irq_restore(s);
			return;
		}
		bsp_spin_unlock(&shared.lock);
		bsp_irq_restore(s);
	}
}

/* Returns false once the producer is done and the ring is empty. */
static bool pop(void **p, size_t *n)
{
	for (;;) {
		bsp_irq_state_t s = bsp_irq_save();
		bsp_spin_lock(&shared.lock);
		bool have = shared.head != shared.tail, end = shared.produced_all;
		if (have) {
			*p = shared.ring[shared.tail % RING];
			*n = shared.size[shared.tail % RING];
			shared.tail++;
		}
		bsp_spin_unlock(&shared.lock);
		bsp_irq_restore(s);
		if (have)
			return true;
		if (end)
			return false;
	}
}

static void producer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < ITEMS; i++) {
		void *p;
		size_t n;
		if (i % 3 == 0) {
			n = 0; /* a cache object */
			p = k_cache_alloc(shared.cache, i % 5);
			if (p)
				pattern(p, 48, (uintptr_t)p);
		} else {
			n = 16 + (i * 397u) % 6000;
			p = k_mem_alloc(n, i % 5);
			if (p)
				pattern(p, n, (uintptr_t)p);
		}
		CHECK(p != NULL);
		if (p)
			push(p, n);
		if (i % 40 == 0)
			k_mem_check();
	}
	bsp_irq_state_t s = bsp_irq_save();
	bsp_spin_lock(&shared.lock);
	shared.produced_all = true;
	bsp_spin_unlock(&shared.lock);
	bsp_irq_restore(s);
	bsp_atomic_fetch_add(&shared.finished, 1);
}

static void consumer(void *arg)
{
	(void)arg;
	void *p;
	size_t n;
	unsigned count = 0;
	while (pop(&p, &n)) {
		if (n == 0) {
			CHECK(pattern_ok(p, 48, (uintptr_t)p));
			k_cache_free(shared.cache, p);
		} else {
			CHECK(pattern_ok(p, n, (uintptr_t)p));
			/* sometimes grow it here first: realloc on another core */
			if (count++ % 4 == 0) {
				void *q = k_mem_realloc(p, n + 3000, 0);
				CHECK(q != NULL);
				if (q) {
					CHECK(pattern_ok(q, n, (uintptr_t)p));
					p = q;
				}
			}
			k_mem_free(p);
		}
	}
	bsp_atomic_fetch_add(&shared.finished, 1);
}

static void boot_main(void *arg)
{
	(void)arg;
	CHECK_EQ_U64(k_mem_init(), 0);
	shared.tables = mem_table_frames();
	shared.cache = k_cache_create("xcore", 48, 0);
	CHECK(shared.cache != NULL);
	CHECK_EQ_U64(bsp_core_start(1, producer, NULL), 0);
	for (unsigned c = 2; c < shared.cores; c++)
		CHECK_EQ_U64(bsp_core_start(c, consumer, NULL), 0);
	consumer(NULL); /* core 0 consumes too */
	while (bsp_atomic_load(&shared.finished) < shared.cores)
		;
	k_mem_check();
	CHECK_EQ_U64(k_cache_destroy(shared.cache), 0);
	mem_expect_empty(shared.tables);
	shared.ok = 1;
}

static void one_run(unsigned cores, uint64_t seed)
{
	memset(&shared, 0, sizeof shared);
	bsp_spin_init(&shared.lock);
	shared.cores = cores;
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = 2;
	o.region_bytes[0] = 1u << 20;
	o.region_bytes[1] = 300000;
	o.region_misalign = 8;
	bsp_sim_setup(&o);
	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	sim_strategy_random(&strategy, &storage, seed, 0);
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = cores;
	cfg.strategy = &strategy;
	cfg.step_budget = 50u * 1000u * 1000u;
	sim_result_t r;
	enum sim_outcome out = bsp_sim_run(&cfg, boot_main, NULL, &r);
	if (out != SIM_OK)
		fprintf(stderr, "cores %u seed %llu: %s\n", cores, (unsigned long long)seed, r.message);
	CHECK_EQ_U64(out, SIM_OK);
	CHECK(shared.ok);
	CHECK(r.steps > 1000 && r.decisions.count > 100); /* the cores did interleave */
	if (seed % 5 == 0)
		printf("cores %u seed %llu: %llu steps, %zu decisions\n", cores, (unsigned long long)seed,
		       (unsigned long long)r.steps, r.decisions.count);
	sim_result_free(&r);
}

/* Misuse inside a run fails the run as an assertion, naming the block. */
static void *victim;

static void double_free_main(void *arg)
{
	(void)arg;
	CHECK_EQ_U64(k_mem_init(), 0);
	victim = k_mem_alloc(100, 0);
	k_mem_free(victim);
	k_mem_free(victim);
}

/* A 1 MiB region and a run of `entry` on two cores (random strategy, seed 1). */
static enum sim_outcome run_two_cores(bsp_entry_fn entry, sim_result_t *r)
{
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = 1;
	o.region_bytes[0] = 1u << 20;
	bsp_sim_setup(&o);
	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	sim_strategy_random(&strategy, &storage, 1, 0);
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = 2;
	cfg.strategy = &strategy;
	return bsp_sim_run(&cfg, entry, NULL, r);
}

static void misuse_in_run(void)
{
	sim_result_t r;
	enum sim_outcome out = run_two_cores(double_free_main, &r);
	CHECK_EQ_U64(out, SIM_FAIL_ASSERT);
	CHECK(strstr(r.message, "double free") != NULL);
	char want[32];
	snprintf(want, sizeof want, "%016" PRIxPTR, (uintptr_t)victim);
	CHECK(strstr(r.message, want) != NULL);
	sim_result_free(&r);
}

/* A corrupted link that splices core 0's list for a class into core 1's
 * leaves the counts even (one block orphaned, one listed twice): k_mem_check
 * must still see the block on two lists. */
static void *spliced[4];
static bsp_atomic_t spliced_freed;

static void splice_core1(void *arg)
{
	(void)arg;
	k_mem_free(spliced[2]);
	k_mem_free(spliced[3]); /* core 1's list: 3 -> 2 */
	bsp_atomic_store(&spliced_freed, 1);
}

static void splice_main(void *arg)
{
	(void)arg;
	CHECK_EQ_U64(k_mem_init(), 0);
	for (unsigned i = 0; i < 4; i++)
		spliced[i] = k_mem_alloc(100, 0);
	k_mem_free(spliced[0]);
	k_mem_free(spliced[1]); /* core 0's list: 1 -> 0 */
	CHECK_EQ_U64(bsp_core_start(1, splice_core1, NULL), 0);
	for (unsigned spins = 0; bsp_atomic_load(&spliced_freed) == 0; spins++)
		CHECK(spins < 1000000u);
	k_mem_check();
	/* Block 1's link (its first payload word) now names block 2's header. */
	((uintptr_t *)spliced[1])[0] = (uintptr_t)spliced[2] - sizeof(uintptr_t);
	k_mem_check();
}

static void splice_caught(void)
{
	sim_result_t r;
	enum sim_outcome out = run_two_cores(splice_main, &r);
	CHECK_EQ_U64(out, SIM_FAIL_ASSERT);
	CHECK(strstr(r.message, "on two lists") != NULL);
	sim_result_free(&r);
}

int main(void)
{
	misuse_in_run();
	splice_caught();
	for (unsigned cores = 2; cores <= 4; cores++)
		for (uint64_t seed = 1; seed <= 6; seed++)
			one_run(cores, seed * 7919u + cores);
	bsp_sim_teardown();
	return check_report();
}
