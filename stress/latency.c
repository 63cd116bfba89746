/*
 * latency.c — a more urgent thread made ready runs at once: the harness's
 * latency oracle (sim/boot.c) watches every step; this workload makes the
 * case happen on purpose, on one core and across cores.
 *
 * A busy low-priority thread, pinned to core 0, keeps making kernel calls
 * (each enables interrupts) until told to stop. An urgent thread, pinned to
 * core 0 too, waits on a semaphore. A waker (on the last core; on one core,
 * core 0 itself) sleeps, gives the semaphore, and goes on with some kernel
 * calls of its own. Each give makes the urgent thread ready on core 0 while
 * something less urgent runs there: core 0 must switch to it at the next
 * interrupt window (an IPI from the waker's core, or from itself). The
 * oracle fails the run if core 0 enables interrupts more than its bound
 * without switching.
 * End check: the urgent thread got every token and the busy thread was told
 * to stop (the timing itself is the harness's oracle).
 */
#include <k/sched.h>

#include "stress.h"

#define LT_TOKENS 5u
#define LT_PRIO_BUSY 8u
#define LT_PRIO_WAKER 16u
#define LT_PRIO_URGENT 40u
#define LT_WAKER_PAUSE_NS 4000u
#define LT_WAKER_CALLS 8u
#define LT_BUSY_CALLS_MAX 200000u

static struct {
	k_sem_t *token;
	k_sem_t *stop;          /* urgent -> busy: done */
	unsigned busy_calls;    /* the busy thread's kernel calls so far */
	unsigned got;
	unsigned busy_ran_out;
	int error;
} lt;

static void lt_note(int rc)
{
	if (rc < 0 && lt.error == 0)
		lt.error = rc;
}

static void lt_busy(void *arg)
{
	(void)arg;
	for (unsigned n = 0; n < LT_BUSY_CALLS_MAX; n++) {
		if (k_sem_count(lt.stop) != 0)
			return;
		lt.busy_calls++;
	}
	lt.busy_ran_out = 1;
}

static void lt_urgent(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < LT_TOKENS; i++) {
		int rc = k_sem_take(lt.token, K_FOREVER);
		lt_note(rc);
		if (rc == 0)
			lt.got++;
	}
	lt_note(k_sem_give(lt.stop));
}

static void lt_waker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < LT_TOKENS; i++) {
		k_thread_sleep_ns(LT_WAKER_PAUSE_NS);
		lt_note(k_sem_give(lt.token));
		/* The waker goes on working: without a reschedule interrupt
		 * the urgent thread would wait for this thread (one core) or
		 * the busy one (several) to give up the core. */
		for (unsigned c = 0; c < LT_WAKER_CALLS; c++)
			(void)k_thread_core();
	}
}

static int latency_main(void)
{
	lt = (__typeof__(lt)){0};
	int rc;
	if ((rc = k_sem_create(&lt.token, "token", 0, LT_TOKENS)) < 0 ||
	    (rc = k_sem_create(&lt.stop, "stop", 0, 1)) < 0)
		return rc;
	unsigned last = k_sched_cores() - 1u;
	struct k_thread_attr ab = stress_attr("busy", LT_PRIO_BUSY, K_CPUMASK_CORE(0));
	struct k_thread_attr au = stress_attr("urgent", LT_PRIO_URGENT, K_CPUMASK_CORE(0));
	struct k_thread_attr aw = stress_attr("waker", LT_PRIO_WAKER, K_CPUMASK_CORE(last));
	k_thread_t *t[3];
	if ((rc = k_thread_create(&t[0], lt_urgent, NULL, &au)) < 0 ||
	    (rc = k_thread_create(&t[1], lt_busy, NULL, &ab)) < 0 ||
	    (rc = k_thread_create(&t[2], lt_waker, NULL, &aw)) < 0)
		return rc;
	for (unsigned i = 0; i < 3; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	if ((rc = k_sem_destroy(lt.token)) < 0)
		return rc;
	return k_sem_destroy(lt.stop);
}

static int latency_check(char *msg, size_t cap)
{
	if (lt.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", lt.error);
	if (lt.got != LT_TOKENS)
		return stress_fail(msg, cap, "the urgent thread got ", lt.got, " tokens");
	if (lt.busy_ran_out)
		return stress_fail_text(msg, cap, "the busy thread was never told to stop");
	return 0;
}

K_WORKLOAD(latency, "latency",
	   "an urgent thread woken on a core busy with a less urgent one, from that core and from another",
	   latency_main, latency_check);
