/*
 * rtos.c — the seven classic RTOS measurements, plus a bare loop for
 * calibration, written against the kernel API only (the k/ headers; bsp.h for the
 * clock). The harness runs each case for a fixed stretch of virtual time and
 * divides the time by the iterations done; under QEMU's -icount shift=0 one
 * instruction is one nanosecond of virtual time, so the figure is
 * instructions per iteration, exact and the same on every run.
 *
 * What one iteration is, per case:
 *   calibration           one pass of a loop that only counts
 *   cooperative           one k_thread_yield among 5 threads of equal
 *                         priority (the yield and the switch to the next)
 *   preemptive            one counter step of 5 threads at 5 priorities:
 *                         each resumes the next more urgent one (which
 *                         preempts it) and suspends itself; a round is 5
 *                         steps, 4 preempting resumes and 4 suspends
 *   interrupt             a thread raises an interrupt whose handler gives a
 *                         semaphore, then takes it (without blocking)
 *   interrupt-preemption  a thread raises an interrupt whose handler resumes
 *                         a more urgent thread, which runs, counts and
 *                         suspends itself
 *   message               k_msgq_put + k_msgq_get of a 16-byte message
 *   synchronization       k_sem_take + k_sem_give, never blocking
 *   memory                k_pool_alloc + k_pool_free of a 128-byte block
 *                         (a fixed-block pool, as ThreadX's block pools and
 *                         the FreeRTOS figure's private free list)
 *
 * The measuring thread is the most urgent: it sleeps through a warm-up,
 * reads the clock and the counters, sleeps through the measured stretch and
 * reads them again. Its own wake-up (one timer interrupt and two switches,
 * some hundreds of instructions) falls inside the stretch of
 * RTOS_MEASURE_NS (5e7 instructions): below 0.01 instructions per iteration,
 * the last digit printed. The slice is set far beyond the run, so no
 * round-robin tick lands in a measurement.
 */
#include <bsp.h>
#include <k/irq.h>
#include <k/mem.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>

#include "rtos.h"

#define RTOS_WARMUP_NS 1000000ull   /* 1 ms */
#define RTOS_MEASURE_NS 50000000ull /* 50 ms = 5e7 instructions */
#define RTOS_SLICE_NS 1000000000ull /* 1 s (K_SLICE_MAX_NS): longer than any run */
#define RTOS_STACK_BYTES 4096u
#define RTOS_MSG_BYTES 16u
#define RTOS_BLOCK_BYTES 128u
#define RTOS_POOL_BLOCKS 8u

struct rtos_state rtos;

/* ------------------------------------------------------------ helpers */

void rtos_note(int rc)
{
	if (rc < 0 && rtos.error == 0)
		rtos.error = rc;
}

k_thread_t *rtos_spawn(k_thread_entry_fn fn, uintptr_t arg, unsigned prio)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "bench";
	a.priority = prio;
	a.stack_bytes = RTOS_STACK_BYTES;
	k_thread_t *t = NULL;
	rtos_note(k_thread_create(&t, fn, (void *)arg, &a));
	K_ASSERT(rtos.threads < RTOS_THREADS_MAX);
	rtos.thread[rtos.threads++] = t;
	return t;
}

/* The end of a case that suspends threads is a race the threads can lose: a
 * thread preempted (by the measuring thread's timer) between its last look
 * at stop and its k_thread_suspend suspends after the release's resume found
 * it still ready, and nobody would resume it again. So the release resumes
 * and waits, a bounded number of times, until t has left its loop; t is then
 * joined here and the harness skips it. */
#define RTOS_RELEASE_TRIES 64u
#define RTOS_RELEASE_WAIT_NS 1000000ull /* 1 ms */

void rtos_release_thread(k_thread_t *t)
{
	K_ASSERT(rtos.stop != 0u);
	K_ASSERT(t != NULL);
	for (unsigned n = 0; n < RTOS_RELEASE_TRIES; n++) {
		(void)k_thread_resume(t); /* -K_EINVAL: not suspended (yet) */
		int rc = k_thread_join(t, RTOS_RELEASE_WAIT_NS, NULL);
		if (rc == -K_ETIMEDOUT)
			continue;
		rtos_note(rc);
		for (unsigned i = 0; i < rtos.threads; i++)
			if (rtos.thread[i] == t)
				rtos.thread[i] = NULL; /* joined: handle no longer valid */
		return;
	}
	rtos_note(-K_ETIMEDOUT);
}

static uint64_t rtos_total(unsigned counters)
{
	K_ASSERT(counters >= 1u && counters <= RTOS_COUNTERS);
	uint64_t sum = 0;
	for (unsigned i = 0; i < counters; i++)
		sum += rtos.count[i];
	return sum;
}

/* ------------------------------------------------------------ cases */

static void calibration_thread(void *arg)
{
	(void)arg;
	while (!rtos.stop)
		rtos.count[0]++;
}

static void calibration_start(void)
{
	rtos_spawn(calibration_thread, 0, RTOS_PRIO_BASE);
}

static void cooperative_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	while (!rtos.stop) {
		rtos.count[i]++;
		k_thread_yield();
	}
}

static void cooperative_start(void)
{
	for (unsigned i = 0; i < 5u; i++)
		rtos_spawn(cooperative_thread, i, RTOS_PRIO_BASE);
}

static k_msgq_t *message_q;

static void message_thread(void *arg)
{
	(void)arg;
	uint32_t out[RTOS_MSG_BYTES / 4u] = {1u, 2u, 3u, 4u};
	uint32_t in[RTOS_MSG_BYTES / 4u];
	int rc = 0;
	while (!rtos.stop) {
		rc |= k_msgq_put(message_q, out, K_NO_WAIT);
		rc |= k_msgq_get(message_q, in, K_NO_WAIT);
		out[0]++;
		rtos.count[0]++;
	}
	rtos_note(rc);
	if (in[0] + 1u != out[0] || in[3] != 4u)
		rtos_note(-K_EIO); /* the message did not make the trip intact */
}

static void message_start(void)
{
	rtos_note(k_msgq_create(&message_q, "bench", RTOS_MSG_BYTES, 1u));
	rtos_spawn(message_thread, 0, RTOS_PRIO_BASE);
}

static void message_stop(void)
{
	rtos_note(k_msgq_destroy(message_q));
}

static k_sem_t *sync_sem;

static void sync_thread(void *arg)
{
	(void)arg;
	int rc = 0;
	while (!rtos.stop) {
		rc |= k_sem_take(sync_sem, K_NO_WAIT);
		rc |= k_sem_give(sync_sem);
		rtos.count[0]++;
	}
	rtos_note(rc);
}

static void sync_start(void)
{
	rtos_note(k_sem_create(&sync_sem, "bench", 1u, 1u));
	rtos_spawn(sync_thread, 0, RTOS_PRIO_BASE);
}

static void sync_stop(void)
{
	rtos_note(k_sem_destroy(sync_sem));
}

static k_pool_t *memory_pool;

static void memory_thread(void *arg)
{
	(void)arg;
	int rc = 0;
	while (!rtos.stop) {
		void *p = k_pool_alloc(memory_pool);
		if (p == NULL) {
			rtos_note(-K_ENOMEM);
			return;
		}
		rc |= k_pool_free(memory_pool, p);
		rtos.count[0]++;
	}
	rtos_note(rc);
}

static void memory_start(void)
{
	rtos_note(k_pool_create(&memory_pool, RTOS_BLOCK_BYTES, RTOS_POOL_BLOCKS, K_MEM_OWNER_KERNEL));
	rtos_spawn(memory_thread, 0, RTOS_PRIO_BASE);
}

static void memory_stop(void)
{
	rtos_note(k_pool_destroy(memory_pool));
}

static const struct rtos_case cases[] = {
	{"calibration", 1u, calibration_start, NULL, NULL},
	{"cooperative", 5u, cooperative_start, NULL, NULL},
	{"preemptive", 5u, rtos_preemptive_start, rtos_preemptive_release, NULL},
	{"interrupt", 1u, rtos_interrupt_start, rtos_interrupt_release, rtos_interrupt_stop},
	{"interrupt-preemption", 1u, rtos_irq_preempt_start, rtos_irq_preempt_release,
	 rtos_irq_preempt_stop},
	{"message", 1u, message_start, NULL, message_stop},
	{"synchronization", 1u, sync_start, NULL, sync_stop},
	{"memory", 1u, memory_start, NULL, memory_stop},
};

/* ----------------------------------------------------------- harness */

static void print_value(const char *name, uint64_t ns, uint64_t iters)
{
	/* Two decimals, rounded, in integers (no printf on the target). */
	uint64_t x100 = (ns * 100u + iters / 2u) / iters;
	rtos_puts("{\"bench\":\"rtos\",\"case\":\"");
	rtos_puts(name);
	rtos_puts("\",\"metric\":\"instr_per_iter\",\"value\":");
	rtos_put_u64(x100 / 100u);
	rtos_puts(".");
	if (x100 % 100u < 10u)
		rtos_puts("0");
	rtos_put_u64(x100 % 100u);
	rtos_puts(",\"unit\":\"instructions\"}\n");
}

static bool case_selected(const char *name)
{
	if (rtos.only == NULL || rtos.only[0] == '\0')
		return true;
	for (unsigned i = 0; i < 64u; i++) {
		if (rtos.only[i] != name[i])
			return false;
		if (name[i] == '\0')
			return true;
	}
	return false;
}

static void run_case(const struct rtos_case *c)
{
	rtos.stop = 0;
	rtos.error = 0;
	rtos.threads = 0;
	for (unsigned i = 0; i < RTOS_COUNTERS; i++)
		rtos.count[i] = 0;
	c->start();
	(void)k_thread_sleep_ns(RTOS_WARMUP_NS);
	uint64_t t0 = bsp_clock_ns();
	uint64_t n0 = rtos_total(c->counters);
	(void)k_thread_sleep_ns(RTOS_MEASURE_NS);
	uint64_t t1 = bsp_clock_ns();
	uint64_t n1 = rtos_total(c->counters);
	rtos.stop = 1;
	if (c->release)
		c->release();
	for (unsigned i = 0; i < rtos.threads; i++)
		if (rtos.thread[i])
			rtos_note(k_thread_join(rtos.thread[i], K_FOREVER, NULL));
	if (c->stop)
		c->stop();
	if (rtos.error == -K_ENOSYS) {
		rtos.skipped++;
		rtos_puts_err("rtos: case ");
		rtos_puts_err(c->name);
		rtos_puts_err(" skipped: the kernel has no suspend/resume or interrupt API\n");
		return;
	}
	if (n1 <= n0 || rtos.error != 0) {
		rtos.failed++;
		rtos_puts_err("rtos: case ");
		rtos_puts_err(c->name);
		rtos_puts_err(n1 <= n0 ? ": no iteration done\n" : ": a kernel call failed\n");
		return;
	}
	print_value(c->name, t1 - t0, n1 - n0);
}

static void rtos_main(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (case_selected(cases[i].name))
			run_case(&cases[i]);
}

int rtos_run(const char *only)
{
	rtos.only = only;
	rtos.failed = 0;
	rtos.skipped = 0;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = rtos_main;
	bc.main_priority = K_PRIO_MAX;
	bc.slice_ns = RTOS_SLICE_NS;
	int rc = k_boot(&bc);
	if (rc < 0) {
		rtos_puts_err("rtos: k_boot failed: no case ran\n");
		return 1;
	}
	return rtos.failed == 0u ? 0 : 1;
}
