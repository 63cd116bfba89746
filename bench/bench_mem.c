/*
 * bench_mem.c — the memory manager against the host's malloc/free, on the
 * same operation traces, in the same run. One JSON object per line.
 *
 * Cases (each a fixed, seeded trace of alloc/free operations):
 *   small-churn    sizes 16-128 B, ~2,000 live blocks, random alloc/free
 *   mixed          sizes 16 B-64 KiB (log-uniform), ~300 live blocks
 *   cross-core     2 simulated cores: core 1 allocates (16-512 B), core 0
 *                  frees what it receives through a ring
 *   fragmentation  sizes 32 B-16 KiB, lifetimes of mixed length, with phases
 *                  that free every other block and then ask for bigger ones
 *   heap-64KiB / heap-64MiB  the same churn scaled to each heap: max_steps only
 * Metrics:
 *   ns_per_pair  median over batches of 512 operations of (batch time / alloc+free
 *                pairs in it), kernel and host-malloc batches interleaved;
 *                cross-core: median of per-pair latency (alloc on one core,
 *                free on the other, each timed alone)
 *   p999_ns      99.9th percentile of one pair's latency (alloc and free each
 *                timed alone, clock overhead subtracted)
 *   overhead     peak bytes of frames the kernel took from primary memory (heap
 *                and caches, not the frame tables) / peak live bytes requested
 *   max_steps    the heap's counter of list/bitmap steps: the most one
 *                operation took (bounded time, counted rather than timed)
 * instr_per_op comes from bench/callgrind_mem.sh (callgrind, inclusive cost of
 * k_mem_alloc and k_mem_free divided by their calls), which runs this program
 * with --callgrind CASE: the case's trace once, on the kernel only.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsp_sim.h"
#include <k/mem.h>


#define BATCH_OPS 512u

struct op {
	uint32_t slot;
	uint32_t size; /* 0: free the slot */
};

struct trace {
	struct op *op;
	size_t n, cap;
	uint32_t slots;
	size_t peak_live_bytes;
	size_t pairs;
};

static struct {
	int smoke;
} opt;

/* ------------------------------------------------------------- helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t log_uniform(uint32_t lo, uint32_t hi)
{
	unsigned lo_bits = 63u - (unsigned)__builtin_clzll(lo), hi_bits = 63u - (unsigned)__builtin_clzll(hi);
	unsigned b = lo_bits + (unsigned)(rnd() % (hi_bits - lo_bits + 1u));
	uint64_t v = ((uint64_t)1 << b) + rnd() % ((uint64_t)1 << b);
	return (uint32_t)(v < lo ? lo : v > hi ? hi : v);
}

static void push(struct trace *t, uint32_t slot, uint32_t size)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->op = realloc(t->op, t->cap * sizeof *t->op);
		if (!t->op)
			abort();
	}
	t->op[t->n++] = (struct op){slot, size};
}

/* Random churn: each step picks a slot, frees it if live, else fills it. */
static void gen_churn(struct trace *t, size_t steps, uint32_t slots, uint32_t lo, uint32_t hi, int log_sizes)
{
	uint32_t *live = calloc(slots, sizeof *live);
	size_t live_bytes = 0;
	memset(t, 0, sizeof *t);
	t->slots = slots;
	for (size_t i = 0; i < steps; i++) {
		uint32_t k = (uint32_t)(rnd() % slots);
		if (live[k]) {
			push(t, k, 0);
			live_bytes -= live[k];
			live[k] = 0;
			t->pairs++;
		} else {
			uint32_t n = log_sizes ? log_uniform(lo, hi) : lo + (uint32_t)(rnd() % (hi - lo + 1u));
			push(t, k, n);
			live[k] = n;
			live_bytes += n;
			if (live_bytes > t->peak_live_bytes)
				t->peak_live_bytes = live_bytes;
		}
	}
	for (uint32_t k = 0; k < slots; k++)
		if (live[k]) {
			push(t, k, 0);
			t->pairs++;
		}
	free(live);
}

/* Fragmentation: fill, free every other block, refill with bigger blocks,
 * free short-lived ones; repeated with long-lived survivors. */
static void gen_fragmentation(struct trace *t, uint32_t slots, unsigned rounds)
{
	uint32_t *live = calloc(slots, sizeof *live);
	size_t live_bytes = 0;
	memset(t, 0, sizeof *t);
	t->slots = slots;
#define FR_ALLOC(k, size)                                        \
	do {                                                     \
		uint32_t n_ = (size);                            \
		push(t, k, n_);                                  \
		live[k] = n_;                                    \
		live_bytes += n_;                                \
		if (live_bytes > t->peak_live_bytes)             \
			t->peak_live_bytes = live_bytes;         \
	} while (0)
#define FR_FREE(k)                                               \
	do {                                                     \
		push(t, k, 0);                                   \
		live_bytes -= live[k];                           \
		live[k] = 0;                                     \
		t->pairs++;                                      \
	} while (0)
	for (unsigned r = 0; r < rounds; r++) {
		for (uint32_t k = 0; k < slots; k++)
			if (!live[k])
				FR_ALLOC(k, log_uniform(32, 16384));
		for (uint32_t k = r & 1u; k < slots; k += 2)
			FR_FREE(k);
		for (uint32_t k = r & 1u; k < slots; k += 2)
			FR_ALLOC(k, log_uniform(32, 16384) + 64u);
		for (uint32_t k = 0; k < slots; k++)
			if (live[k] && rnd() % 3 == 0)
				FR_FREE(k);
	}
	for (uint32_t k = 0; k < slots; k++)
		if (live[k])
			FR_FREE(k);
	free(live);
#undef FR_ALLOC
#undef FR_FREE
}

/* ---------------------------------------------------------- allocators */

struct allocator {
	const char *name;
	void *(*alloc)(size_t);
	void (*free)(void *);
};

static void *k_alloc(size_t n)
{
	return k_mem_alloc(n, K_MEM_OWNER_KERNEL);
}
static void k_free(void *p)
{
	k_mem_free(p);
}
/* Not inlined: callgrind_mem.sh counts inside these, as inside k_mem_*. */
__attribute__((noinline)) static void *host_alloc(size_t n)
{
	return malloc(n);
}
__attribute__((noinline)) static void host_free(void *p)
{
	free(p);
}

static const struct allocator kernel_allocator = {"weft", k_alloc, k_free};
static const struct allocator host_allocator = {"host-malloc", host_alloc, host_free};

static void boot(size_t bytes)
{
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = 1;
	o.region_bytes[0] = bytes;
	bsp_sim_setup(&o);
	if (k_mem_init() != 0) {
		fprintf(stderr, "bench_mem: k_mem_init failed on %zu bytes\n", bytes);
		exit(1);
	}
}

static size_t table_frames(void)
{
	struct k_mem_stats s;
	k_mem_stats(&s);
	return s.frames_total - s.frames_free;
}

/* Run the whole trace once; returns 0, or -1 if an allocation failed. */
static int run_plain(const struct allocator *a, const struct trace *t, void **slot)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct op *o = &t->op[i];
		if (o->size) {
			if (!(slot[o->slot] = a->alloc(o->size)))
				return -1;
			*(volatile char *)slot[o->slot] = 1;
		} else {
			a->free(slot[o->slot]);
		}
	}
	return 0;
}

/* Batches of BATCH_OPS: ns per alloc+free pair in each, into out[]. */
static size_t run_batches(const struct allocator *a, const struct trace *t, void **slot, double *out)
{
	size_t nb = 0;
	for (size_t i = 0; i < t->n; i += BATCH_OPS) {
		size_t end = i + BATCH_OPS < t->n ? i + BATCH_OPS : t->n, frees = 0;
		uint64_t t0 = now_ns();
		for (size_t j = i; j < end; j++) {
			const struct op *o = &t->op[j];
			if (o->size) {
				slot[o->slot] = a->alloc(o->size);
				*(volatile char *)slot[o->slot] = 1;
			} else {
				a->free(slot[o->slot]);
				frees++;
			}
		}
		uint64_t t1 = now_ns();
		if (frees)
			out[nb++] = (double)(t1 - t0) / (double)(end - i) * 2.0;
	}
	return nb;
}

static uint64_t clock_cost;

static void calibrate_clock(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t a = now_ns(), b = now_ns();
		if (b - a < best)
			best = b - a;
	}
	clock_cost = best;
}

static uint64_t lat(uint64_t t0, uint64_t t1)
{
	uint64_t d = t1 - t0;
	return d > clock_cost ? d - clock_cost : 0;
}

/* Each op timed alone: the latency of every alloc+free pair into out[]. */
static size_t run_pairs(const struct allocator *a, const struct trace *t, void **slot, uint64_t *alloc_ns,
			double *out)
{
	size_t np = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct op *o = &t->op[i];
		uint64_t t0 = now_ns();
		if (o->size) {
			slot[o->slot] = a->alloc(o->size);
			uint64_t t1 = now_ns();
			*(volatile char *)slot[o->slot] = 1;
			alloc_ns[o->slot] = lat(t0, t1);
		} else {
			a->free(slot[o->slot]);
			uint64_t t1 = now_ns();
			out[np++] = (double)(alloc_ns[o->slot] + lat(t0, t1));
		}
	}
	return np;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double quantile(double *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static void emit(const char *cs, const char *metric, double value, const char *unit, const char *base,
		 double base_value)
{
	printf("{\"bench\":\"mem\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"", cs, metric,
	       value, unit);
	if (base && base_value > 0)
		printf(",\"baseline\":\"%s\",\"baseline_value\":%.3f,\"ratio\":%.4f", base, base_value,
		       value / base_value);
	printf("}\n");
}

/* ------------------------------------------------------------ the cases */

/* A single-core case: overhead and steps from a fresh boot, then timing with
 * kernel and host batches interleaved round by round. */
static void case_single(const char *name, const struct trace *t, size_t region_bytes)
{
	void **slot = calloc(t->slots, sizeof *slot);
	uint64_t *alloc_ns = calloc(t->slots, sizeof *alloc_ns);
	unsigned rounds = opt.smoke ? 1 : 5;
	size_t per = t->n / BATCH_OPS + 1;
	double *kb = malloc(per * rounds * sizeof *kb), *hb = malloc(per * rounds * sizeof *hb);
	double *kp = malloc(t->n * sizeof *kp), *hp = malloc(t->n * sizeof *hp);
	size_t nkb = 0, nhb = 0, nkp, nhp;

	boot(region_bytes);
	size_t tables = table_frames();
	k_mem_steps_reset();
	if (run_plain(&kernel_allocator, t, slot) != 0) {
		fprintf(stderr, "bench_mem: %s: kernel heap exhausted\n", name);
		exit(1);
	}
	struct k_mem_stats s;
	k_mem_stats(&s);
	double overhead = (double)((s.frames_peak_used - tables) * K_PAGE_BYTES) / (double)t->peak_live_bytes;
	uint32_t steps = k_mem_steps_max();
	if (getenv("BENCH_MEM_DEBUG"))
		fprintf(stderr, "%s: peak frames %zu (tables %zu), owner peak %zu, trace peak live %zu, ops %zu\n", name,
			s.frames_peak_used, tables, s.owner[0].peak_bytes, t->peak_live_bytes, t->n);
	k_mem_check();
	run_plain(&host_allocator, t, slot); /* warm the host heap too */

	for (unsigned r = 0; r < rounds; r++) {
		nkb += run_batches(&kernel_allocator, t, slot, kb + nkb);
		nhb += run_batches(&host_allocator, t, slot, hb + nhb);
	}
	nkp = run_pairs(&kernel_allocator, t, slot, alloc_ns, kp);
	nhp = run_pairs(&host_allocator, t, slot, alloc_ns, hp);
	k_mem_check();

	emit(name, "ns_per_pair", quantile(kb, nkb, 0.5), "ns", "host-malloc", quantile(hb, nhb, 0.5));
	emit(name, "p999_ns", quantile(kp, nkp, 0.999), "ns", "host-malloc", quantile(hp, nhp, 0.999));
	emit(name, "overhead", overhead, "ratio", NULL, 0);
	emit(name, "max_steps", steps, "steps", NULL, 0);
	free(slot);
	free(alloc_ns);
	free(kb);
	free(hb);
	free(kp);
	free(hp);
}

/* -------------------------------------------------------- cross-core case */

#define XC_RING 64u

static struct {
	bsp_spinlock_t lock; /* guards ring, head, tail */
	void *ring[XC_RING];
	uint32_t size[XC_RING];
	uint64_t alloc_ns[XC_RING];
	size_t live_bytes, peak_live_bytes; /* requested, in flight */
	unsigned head, tail;
	bsp_atomic_t done;
	const struct allocator *a;
	const struct trace *t; /* sizes only: op[i].size of allocs in order */
	double *pair_ns;
	size_t pairs;
} xc;

static void xc_producer(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < xc.t->n; i++) {
		uint32_t n = xc.t->op[i].size;
		if (!n)
			continue;
		uint64_t t0 = now_ns();
		void *p = xc.a->alloc(n);
		uint64_t d = lat(t0, now_ns());
		if (!p)
			abort();
		*(volatile char *)p = 1;
		for (;;) {
			bsp_irq_state_t s = bsp_irq_save();
			bsp_spin_lock(&xc.lock);
			int room = xc.head - xc.tail < XC_RING;
			if (room) {
				xc.ring[xc.head % XC_RING] = p;
				xc.size[xc.head % XC_RING] = n;
				xc.live_bytes += n;
				if (xc.live_bytes > xc.peak_live_bytes)
					xc.peak_live_bytes = xc.live_bytes;
				xc.alloc_ns[xc.head % XC_RING] = d;
				xc.head++;
			}
			bsp_spin_unlock(&xc.lock);
			bsp_irq_restore(s);
			if (room)
				break;
		}
	}
	bsp_atomic_store(&xc.done, 1);
}

static void xc_consumer(void *arg)
{
	(void)arg;
	bsp_core_start(1, xc_producer, NULL);
	for (;;) {
		bsp_irq_state_t s = bsp_irq_save();
		bsp_spin_lock(&xc.lock);
		void *p = NULL;
		uint64_t d = 0;
		if (xc.head != xc.tail) {
			p = xc.ring[xc.tail % XC_RING];
			d = xc.alloc_ns[xc.tail % XC_RING];
			xc.live_bytes -= xc.size[xc.tail % XC_RING];
			xc.tail++;
		}
		bsp_spin_unlock(&xc.lock);
		bsp_irq_restore(s);
		if (p) {
			uint64_t t0 = now_ns();
			xc.a->free(p);
			xc.pair_ns[xc.pairs++] = (double)(d + lat(t0, now_ns()));
		} else if (bsp_atomic_load(&xc.done)) {
			bsp_irq_state_t s2 = bsp_irq_save();
			bsp_spin_lock(&xc.lock);
			int empty = xc.head == xc.tail;
			bsp_spin_unlock(&xc.lock);
			bsp_irq_restore(s2);
			if (empty)
				return;
		}
	}
}

static void xc_kernel_main(void *arg)
{
	if (k_mem_init() != 0)
		abort();
	size_t *tables = arg;
	*tables = table_frames();
	k_mem_steps_reset();
	xc_consumer(NULL);
}

static size_t xc_run(const struct allocator *a, const struct trace *t, double *pair_ns, int kernel, size_t *tables)
{
	memset(&xc, 0, sizeof xc);
	bsp_spin_init(&xc.lock);
	xc.a = a;
	xc.t = t;
	xc.pair_ns = pair_ns;
	sim_strategy_t strategy;
	sim_strategy_storage_t storage;
	sim_strategy_random(&strategy, &storage, 42, 0);
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.cores = 2;
	cfg.strategy = &strategy;
	sim_result_t r;
	enum sim_outcome out = bsp_sim_run(&cfg, kernel ? xc_kernel_main : xc_consumer, tables, &r);
	if (out != SIM_OK) {
		fprintf(stderr, "bench_mem: cross-core run failed: %s\n", r.message);
		exit(1);
	}
	sim_result_free(&r);
	return xc.pairs;
}

static void case_cross_core(const struct trace *t, size_t region_bytes)
{
	double *kp = malloc(t->n * sizeof *kp), *hp = malloc(t->n * sizeof *hp);
	boot(region_bytes); /* regions for the boot inside the run */
	size_t tables = 0;
	size_t nk = xc_run(&kernel_allocator, t, kp, 1, &tables);
	struct k_mem_stats s;
	k_mem_stats(&s);
	uint32_t steps = k_mem_steps_max();
	/* in flight: in the ring, plus the one block in each core's hands */
	size_t peak_live = xc.peak_live_bytes + 2u * 512u;
	double overhead = (double)((s.frames_peak_used - tables) * K_PAGE_BYTES) / (double)peak_live;
	if (getenv("BENCH_MEM_DEBUG"))
		fprintf(stderr, "cross-core: peak frames %zu (tables %zu), pairs %zu, trace peak live %zu\n",
			s.frames_peak_used, tables, nk, peak_live);
	size_t nh = xc_run(&host_allocator, t, hp, 0, NULL);
	double k50 = quantile(kp, nk, 0.5), k999 = quantile(kp, nk, 0.999);
	double h50 = quantile(hp, nh, 0.5), h999 = quantile(hp, nh, 0.999);
	emit("cross-core", "ns_per_pair", k50, "ns", "host-malloc", h50);
	emit("cross-core", "p999_ns", k999, "ns", "host-malloc", h999);
	emit("cross-core", "overhead", overhead, "ratio", NULL, 0);
	emit("cross-core", "max_steps", steps, "steps", NULL, 0);
	free(kp);
	free(hp);
}

/* A producer/consumer trace: allocations only (the consumer frees in the
 * order it receives); live bytes are measured in the run. */
static void gen_cross(struct trace *t, size_t items)
{
	memset(t, 0, sizeof *t);
	t->slots = 1;
	for (size_t i = 0; i < items; i++)
		push(t, 0, 16u + (uint32_t)(rnd() % 497u));
	t->pairs = items;
}

/* ------------------------------------------------- bounded-time evidence */

static void case_heap_size(const char *name, size_t heap_bytes, size_t steps)
{
	struct trace t;
	uint32_t hi = heap_bytes / 64 < 65536 ? (uint32_t)(heap_bytes / 64) : 65536;
	uint32_t slots = (uint32_t)(heap_bytes / 4 / (hi / 2 + 16));
	gen_churn(&t, steps, slots < 8 ? 8 : slots, 16, hi, 1);
	void **slot = calloc(t.slots, sizeof *slot);
	boot(heap_bytes + heap_bytes / 16 + 16 * K_PAGE_BYTES);
	k_mem_steps_reset();
	if (run_plain(&kernel_allocator, &t, slot) != 0) {
		fprintf(stderr, "bench_mem: %s: heap exhausted\n", name);
		exit(1);
	}
	k_mem_check();
	emit(name, "max_steps", k_mem_steps_max(), "steps", NULL, 0);
	free(slot);
	free(t.op);
}

/* ------------------------------------------------------------- callgrind */

/* Run one case's trace once, on the kernel heap (or with host, on malloc),
 * for callgrind_mem.sh; prints the number of alloc and free calls on stderr. */
static int callgrind_case(const char *name, int host)
{
	struct trace t;
	size_t region = 64u << 20;
	if (!strcmp(name, "small-churn"))
		gen_churn(&t, 200000, 2000, 16, 128, 0);
	else if (!strcmp(name, "mixed"))
		gen_churn(&t, 100000, 300, 16, 65536, 1);
	else if (!strcmp(name, "fragmentation"))
		gen_fragmentation(&t, 2000, 10);
	else {
		fprintf(stderr, "bench_mem: --callgrind takes small-churn, mixed or fragmentation\n");
		return 2;
	}
	void **slot = calloc(t.slots, sizeof *slot);
	boot(region);
	run_plain(host ? &host_allocator : &kernel_allocator, &t, slot);
	fprintf(stderr, "calls %zu %zu\n", t.n - t.pairs, t.pairs);
	free(slot);
	free(t.op);
	return 0;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			opt.smoke = 1;
		else if (!strcmp(argv[i], "--callgrind") && i + 1 < argc)
			return callgrind_case(argv[i + 1], i + 2 < argc && !strcmp(argv[i + 2], "host"));
		else {
			fprintf(stderr, "usage: bench_mem [--smoke] [--callgrind CASE [host]]\n");
			return 2;
		}
	}
	calibrate_clock();
	size_t scale = opt.smoke ? 50 : 1;
	struct trace t;

	gen_churn(&t, 400000 / scale, 2000, 16, 128, 0);
	case_single("small-churn", &t, 16u << 20);
	free(t.op);

	gen_churn(&t, 200000 / scale, 300, 16, 65536, 1);
	case_single("mixed", &t, 64u << 20);
	free(t.op);

	gen_cross(&t, 100000 / scale);
	case_cross_core(&t, 16u << 20);
	free(t.op);

	gen_fragmentation(&t, opt.smoke ? 200 : 2000, opt.smoke ? 4 : 20);
	case_single("fragmentation", &t, 64u << 20);
	free(t.op);

	case_heap_size("heap-64KiB", 64u << 10, 200000 / scale);
	case_heap_size("heap-64MiB", 64u << 20, 200000 / scale);
	bsp_sim_teardown();
	return 0;
}
