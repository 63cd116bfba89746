/*
 * target_tests.c — tests only a real target can answer, written against the
 * kernel's public API and bsp.h: the FPU context survives preemption, a
 * busy thread is preempted by a more urgent one woken from an interrupt
 * within one tick, and a thread preempted that way (saved by the
 * interrupt's switch, bsp.h) and then killed exits instead of resuming. Registered as K_TESTs (prefix m4f_), run by selftest.c.
 */
#include <bsp.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/test.h>
#include <k/thread.h>

uint32_t m4f_fpu_fill_check(uint32_t seed, uint32_t rounds);

/* ------------------------------------------------------------- FPU */

/* Each round is ~170 instructions, so 20000 rounds are ~3.4 ms of virtual
 * time: some 70 slices of 50 us, each a chance to lose the registers. */
#define FPU_ROUNDS 20000u
#define FPU_THREADS 3u
#define FPU_PREEMPTIONS_MIN 20u

static uint32_t fpu_result[FPU_THREADS];

static void fpu_thread(void *arg)
{
	uint32_t i = (uint32_t)(uintptr_t)arg;
	K_TEST_CHECK(i < FPU_THREADS);
	/* Seeds far apart: any leak of one thread's register into another's
	 * shows as a mismatch. */
	fpu_result[i] = m4f_fpu_fill_check(0x3F800000u + i * 0x01000000u, FPU_ROUNDS);
}

K_TEST(m4f_fpu)
{
	struct k_sched_stats before, after;
	k_sched_stats(&before);
	k_thread_t *t[FPU_THREADS];
	for (unsigned i = 0; i < FPU_THREADS; i++) {
		fpu_result[i] = 0xFFFFFFFFu;
		struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
		a.name = "fpu";
		a.priority = K_PRIO_DEFAULT - 1u; /* below the runner: it joins */
		K_TEST_CHECK(k_thread_create(&t[i], fpu_thread, (void *)(uintptr_t)i, &a) == 0);
	}
	for (unsigned i = 0; i < FPU_THREADS; i++)
		K_TEST_CHECK(k_thread_join(t[i], K_FOREVER, NULL) == 0);
	k_sched_stats(&after);
	for (unsigned i = 0; i < FPU_THREADS; i++)
		K_TEST_CHECK(fpu_result[i] == 0u);
	/* The registers were live across real preemptions, not only yields. */
	K_TEST_CHECK(after.preemptions - before.preemptions >= FPU_PREEMPTIONS_MIN);
}

/* ------------------------------------------------------- preemption */

#define PREEMPT_SLEEP_NS 1000000u /* 1 ms */
#define PREEMPT_SPIN_MAX 10000000u

static volatile uint32_t preempt_flag;
static volatile uint32_t preempt_spins;
static volatile uint64_t preempt_late_ns;

/* Busy, and no kernel call: only an interrupt can take the core away. */
static void preempt_busy(void *arg)
{
	(void)arg;
	uint32_t n = 0;
	while (preempt_flag == 0u && n < PREEMPT_SPIN_MAX)
		n++;
	preempt_spins = n;
}

static void preempt_urgent(void *arg)
{
	(void)arg;
	uint64_t due = bsp_clock_ns() + PREEMPT_SLEEP_NS;
	(void)k_thread_sleep_ns(PREEMPT_SLEEP_NS);
	uint64_t now = bsp_clock_ns();
	preempt_late_ns = now >= due ? now - due : UINT64_MAX;
	preempt_flag = 1u;
}

K_TEST(m4f_preempt)
{
	preempt_flag = 0u;
	preempt_spins = 0u;
	preempt_late_ns = UINT64_MAX;
	k_thread_t *busy, *urgent;
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "busy";
	a.priority = K_PRIO_DEFAULT - 2u;
	K_TEST_CHECK(k_thread_create(&busy, preempt_busy, NULL, &a) == 0);
	a.name = "urgent";
	a.priority = K_PRIO_DEFAULT - 1u;
	K_TEST_CHECK(k_thread_create(&urgent, preempt_urgent, NULL, &a) == 0);
	K_TEST_CHECK(k_thread_join(urgent, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_thread_join(busy, K_FOREVER, NULL) == 0);
	/* The busy thread was still spinning when the urgent one ran (it saw
	 * the flag, not its spin limit) ... */
	K_TEST_CHECK(preempt_flag == 1u);
	K_TEST_CHECK(preempt_spins > 0u && preempt_spins < PREEMPT_SPIN_MAX);
	/* ... and the urgent one ran within one tick of its wake-up time. */
	K_TEST_CHECK(preempt_late_ns < K_SLICE_DEFAULT_NS);
}

/* -------------------------------------------- kill of a preempted thread */

/* The busy thread's spin limit: some 40 ms of virtual time, far past the
 * runner's 1 ms sleep, and bounded so that a broken kill still ends. */
#define KILL_SPIN_MAX 10000000u
#define KILL_EXIT_CODE 42
#define KILL_WAIT_NS 100000000u /* 100 ms: the kill takes effect at once */

static volatile uint32_t kill_spun;

/* Busy, no kernel call: only the timer interrupt takes the core away, so
 * it is saved as an interrupted context; it writes kill_spun only if it
 * runs to its limit. */
static void kill_busy(void *arg)
{
	(void)arg;
	volatile uint32_t n = 0; /* a real loop, not folded to its end */
	while (n < KILL_SPIN_MAX)
		n++;
	kill_spun = n;
}

/* On one core with the interrupt's switch (kernel/sched: SCHED_IRQ_SWITCH)
 * a preempted thread resumes straight into its code, running no kernel
 * code first, so its kill must replace that context
 * (sched_kill_interrupted): without it the busy thread spins on to its
 * limit and its process exits with its own code (0), not the kill's. */
K_TEST(m4f_kill_preempted)
{
	kill_spun = 0u;
	k_proc_t *p;
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "busy";
	a.priority = K_PRIO_DEFAULT - 1u; /* below the runner */
	K_TEST_CHECK(k_proc_create(&p, "busy", kill_busy, NULL, &a) == 0);
	/* The runner sleeps; the busy thread runs until the timer interrupt
	 * wakes the runner, which preempts it there. */
	K_TEST_CHECK(k_thread_sleep_ns(PREEMPT_SLEEP_NS) == 0);
	struct k_sched_stats st;
	k_sched_stats(&st);
	K_TEST_CHECK(st.preemptions > 0u);
	K_TEST_CHECK(k_proc_kill(p, KILL_EXIT_CODE) == 0);
	int code = 0;
	K_TEST_CHECK(k_proc_wait(p, KILL_WAIT_NS, &code) == 0);
	K_TEST_CHECK(code == KILL_EXIT_CODE);
	K_TEST_CHECK(kill_spun == 0u); /* stopped, not run to its limit */
}
