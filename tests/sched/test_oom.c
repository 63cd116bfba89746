/*
 * test_oom.c — the scheduler under allocation failure, the SQLite way: for
 * n = 1, 2, ... fail the n-th allocation (once; then from the n-th on, every
 * one) while a kernel thread creates and destroys every kind of object,
 * threads and a process. Every call must return 0 or -K_ENOMEM, the run must
 * end cleanly with k_sched_check holding at every step, and after shutdown
 * no memory may be left with any owner.
 *
 *   sched_oom [--cores N] [--max-n N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sched_oracles.h"

#include <k/mem.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>

#define REGION_BYTES (8u << 20)
#define STEP_BUDGET 20000000u
#define ROUNDS 2u
#define WORKERS 3u

static struct {
	unsigned bad_rc;     /* a call returned neither 0 nor -K_ENOMEM */
	unsigned enomem;     /* calls that reported the injected failure */
	int boot_rc;
	bool main_done;
	size_t leaked_bytes;
} run;

static void note(int rc)
{
	if (rc == -K_ENOMEM)
		run.enomem++;
	else if (rc != 0)
		run.bad_rc++;
}

static void worker(void *arg)
{
	if (arg)
		(void)k_sem_give(arg);
}

static void proc_main(void *arg)
{
	(void)arg;
	k_mutex_t *m = NULL;
	int rc = k_mutex_create(&m, "left-to-the-tracker");
	note(rc);
	if (rc == 0) {
		note(k_mutex_lock(m, K_FOREVER));
		note(k_mutex_unlock(m));
	}
}

static void one_round(void)
{
	k_mutex_t *m = NULL;
	k_sem_t *s = NULL;
	k_cond_t *c = NULL;
	k_msgq_t *q = NULL;
	int rc;
	note(rc = k_mutex_create(&m, "m"));
	note(rc = k_sem_create(&s, "s", 0, WORKERS));
	note(rc = k_cond_create(&c, "c"));
	note(rc = k_msgq_create(&q, "q", 8, 4));
	k_thread_t *t[WORKERS] = {NULL};
	for (unsigned i = 0; i < WORKERS; i++) {
		rc = k_thread_create(&t[i], worker, s, NULL);
		note(rc);
		if (rc != 0)
			t[i] = NULL;
	}
	for (unsigned i = 0; i < WORKERS; i++)
		if (t[i])
			note(k_thread_join(t[i], K_FOREVER, NULL));
	k_proc_t *p = NULL;
	rc = k_proc_create(&p, "p", proc_main, NULL, NULL);
	note(rc);
	if (rc == 0)
		note(k_proc_wait(p, K_FOREVER, NULL));
	if (m)
		note(k_mutex_destroy(m));
	if (s)
		note(k_sem_destroy(s));
	if (c)
		note(k_cond_destroy(c));
	if (q)
		note(k_msgq_destroy(q));
}

static void kernel_main(void *arg)
{
	(void)arg;
	for (unsigned r = 0; r < ROUNDS; r++)
		one_round();
	run.main_done = true;
}

static void sim_main(void *arg)
{
	(void)arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	run.boot_rc = k_boot(&bc);
	if (run.boot_rc == -K_ENOMEM && !run.main_done)
		return; /* the main thread itself could not be made */
	struct k_mem_stats ms;
	k_mem_stats(&ms);
	run.leaked_bytes = 0;
	for (unsigned i = 0; i < K_MEM_OWNERS_MAX; i++)
		run.leaked_bytes += ms.owner[i].used_bytes;
}

/* One run failing the n-th allocation (persist: and every later one).
 * Returns the number of allocations the run asked for. */
static uint64_t run_once(unsigned cores, uint64_t n, bool persist)
{
	struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
	bsp_sim_setup(&opt);
	bsp_sim_fail_nth(BSP_FAULT_ALLOC, n, persist);
	memset(&run, 0, sizeof run);
	run.boot_rc = 1;
	sim_strategy_t strat;
	sim_strategy_storage_t storage;
	sim_strategy_random(&strat, &storage, n * 2u + persist, 0);
	sim_config_t cfg = {
		.cores = cores,
		.strategy = &strat,
		.step_budget = STEP_BUDGET,
		.on_step = sched_oracle_step,
		.on_all_idle = sched_oracle_all_idle,
	};
	sim_result_t res;
	enum sim_outcome outcome = bsp_sim_run(&cfg, sim_main, NULL, &res);
	uint64_t calls = bsp_sim_fault_calls(BSP_FAULT_ALLOC);
	bool boot_ok = run.boot_rc == 0 || run.boot_rc == -K_ENOMEM;
	bool ok = outcome == SIM_OK && boot_ok && run.bad_rc == 0 && run.leaked_bytes == 0;
	if (!ok)
		printf("fail-nth %" PRIu64 "%s: outcome %d (%s), boot %d, bad rc %u, leaked %zu\n", n,
		       persist ? " (persist)" : "", (int)outcome, res.message, run.boot_rc,
		       run.bad_rc, run.leaked_bytes);
	CHECK(outcome == SIM_OK);
	CHECK(boot_ok);
	CHECK(run.bad_rc == 0);
	CHECK_EQ_U64(run.leaked_bytes, 0);
	sim_result_free(&res);
	bsp_sim_teardown();
	return calls;
}

int main(int argc, char **argv)
{
	unsigned cores = 2;
	uint64_t max_n = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cores"))
			cores = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--max-n"))
			max_n = strtoull(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "usage: sched_oom [--cores N] [--max-n N]\n");
			return 2;
		}
	}
	/* A clean run tells how many allocations there are to fail. */
	uint64_t total = run_once(cores, 0, false);
	if (max_n == 0 || max_n > total)
		max_n = total;
	unsigned enomem_seen = 0;
	for (uint64_t n = 1; n <= max_n; n++) {
		run_once(cores, n, false);
		enomem_seen += run.enomem > 0;
		run_once(cores, n, true);
	}
	printf("%" PRIu64 " allocations, failed each once and from each on; %u runs saw -K_ENOMEM\n",
	       total, enomem_seen);
	CHECK(enomem_seen > 0);
	return check_report();
}
