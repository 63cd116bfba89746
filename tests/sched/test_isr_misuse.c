/*
 * test_isr_misuse.c — thread-only kernel calls made from an interrupt
 * handler stop the run with an assertion that says so, instead of blocking
 * or acting on the interrupted thread; the isr-safe calls do not. Each case
 * boots a fresh kernel on one simulated core, connects a handler that makes
 * one call, raises the line and expects the run's outcome.
 *
 *   sched_isr_misuse     (no arguments)
 */
#include <stdio.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sched_oracles.h"

#include <k/irq.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>

#define REGION_BYTES (8u << 20)
#define STEP_BUDGET 2000000u
#define LINE 2u
#define WAIT_NS 1000000u

enum misuse {
	MISUSE_NONE,          /* only isr-safe calls: the run passes */
	MISUSE_THREAD_SELF,
	MISUSE_SEM_TAKE,
	MISUSE_MSGQ_PUT_WAIT,
	MISUSE_SUSPEND,
	MISUSE_DISCONNECT,
	MISUSE_SLEEP,
	MISUSE_MUTEX_LOCK,
};

static struct {
	enum misuse what;
	k_sem_t *sem;
	k_msgq_t *q;
	k_mutex_t *m;
	k_thread_t *main_thread;
	bool handler_returned;
	int main_rc;
} t;

static void handler(unsigned line, void *arg)
{
	(void)line;
	(void)arg;
	uint32_t v = 1;
	switch (t.what) {
	case MISUSE_NONE:
		(void)k_sem_give(t.sem);
		(void)k_msgq_put(t.q, &v, K_NO_WAIT);
		(void)k_irq_raise(LINE + 1u); /* not connected: -K_ENOENT, no harm */
		break;
	case MISUSE_THREAD_SELF: (void)k_thread_self(); break;
	case MISUSE_SEM_TAKE: (void)k_sem_take(t.sem, K_NO_WAIT); break;
	case MISUSE_MSGQ_PUT_WAIT: (void)k_msgq_put(t.q, &v, WAIT_NS); break;
	case MISUSE_SUSPEND: (void)k_thread_suspend(t.main_thread); break;
	case MISUSE_DISCONNECT: (void)k_irq_disconnect(LINE); break;
	case MISUSE_SLEEP: (void)k_thread_sleep_ns(WAIT_NS); break;
	case MISUSE_MUTEX_LOCK: (void)k_mutex_lock(t.m, K_NO_WAIT); break;
	}
	t.handler_returned = true;
}

static void kernel_main(void *arg)
{
	(void)arg;
	t.main_thread = k_thread_self();
	int rc = k_sem_create(&t.sem, "s", 0, 1);
	rc = rc ? rc : k_msgq_create(&t.q, "q", sizeof(uint32_t), 1);
	rc = rc ? rc : k_mutex_create(&t.m, "m");
	rc = rc ? rc : k_irq_connect(LINE, handler, NULL);
	rc = rc ? rc : k_irq_raise(LINE);
	rc = rc ? rc : (t.what == MISUSE_NONE ? k_sem_take(t.sem, WAIT_NS) : 0);
	rc = rc ? rc : k_irq_disconnect(LINE);
	if (rc == 0) {
		(void)k_msgq_destroy(t.q);
		(void)k_sem_destroy(t.sem);
		(void)k_mutex_destroy(t.m);
	}
	t.main_rc = rc;
}

static void sim_main(void *arg)
{
	(void)arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	(void)k_boot(&bc);
}

/* Run one case; returns the outcome and copies the run's message. */
static enum sim_outcome run_case(enum misuse what, char *msg, size_t cap)
{
	memset(&t, 0, sizeof t);
	t.what = what;
	t.main_rc = -1;
	struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
	bsp_sim_setup(&opt);
	bsp_sim_console_capture(true);
	sim_config_t cfg = {
		.cores = 1,
		.step_budget = STEP_BUDGET,
		.on_step = sched_oracle_step,
		.on_all_idle = sched_oracle_all_idle,
	};
	sim_result_t res;
	enum sim_outcome o = bsp_sim_run(&cfg, sim_main, NULL, &res);
	snprintf(msg, cap, "%s", res.message);
	sim_result_free(&res);
	bsp_sim_teardown();
	return o;
}

static void expect_assert(enum misuse what, const char *needle)
{
	char msg[SIM_MESSAGE_MAX];
	enum sim_outcome o = run_case(what, msg, sizeof msg);
	CHECK_EQ_U64(o, SIM_FAIL_ASSERT);
	CHECK(!t.handler_returned);
	if (!strstr(msg, needle)) {
		fprintf(stderr, "case %d: expected \"%s\" in: %s\n", (int)what, needle, msg);
		CHECK(false);
	}
}

int main(void)
{
	char msg[SIM_MESSAGE_MAX];
	CHECK_EQ_U64(run_case(MISUSE_NONE, msg, sizeof msg), SIM_OK);
	CHECK(t.handler_returned);
	CHECK_EQ_U64(t.main_rc, 0);

	expect_assert(MISUSE_THREAD_SELF, "a thread-context call made from isr");
	expect_assert(MISUSE_SEM_TAKE, "a thread-context call made from isr");
	expect_assert(MISUSE_MSGQ_PUT_WAIT, "k_msgq_put from isr must not wait");
	expect_assert(MISUSE_SUSPEND, "k_thread_suspend: not from isr");
	expect_assert(MISUSE_DISCONNECT, "k_irq_disconnect: not from isr");
	expect_assert(MISUSE_SLEEP, "a thread-context call made from isr");
	expect_assert(MISUSE_MUTEX_LOCK, "a thread-context call made from isr");
	return check_report();
}
