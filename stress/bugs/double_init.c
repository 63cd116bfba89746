/*
 * double_init.c — double-checked initialisation across a kernel call.
 *
 * Three threads each want a shared object made on first use. The bug tests
 * `instance` without a lock, then allocates (a kernel call) and publishes: two
 * threads can both see NULL and both initialise, one object overwriting the
 * other (which is then lost to whoever kept the first pointer). Twin: the
 * test and the initialisation happen under one mutex.
 * Oracle: the object was initialised exactly once. Every object made is
 * freed at the end either way, so the leak oracle stays out of it.
 */
#include "bugs.h"

#define DI_THREADS 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	void *instance;
	void *made[DI_THREADS]; /* every object made, to free them all */
	unsigned inits;
	bool fixed;
	int error;
} di;

static void di_init(void)
{
	void *o = k_mem_alloc(64, K_MEM_OWNER_KERNEL);
	if (!o) {
		bug_note(&di.error, -K_ENOMEM);
		return;
	}
	K_ASSERT(di.inits < DI_THREADS);
	di.made[di.inits++] = o;
	di.instance = o;
}

static void di_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < DI_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_gate_pass(di.gate, &di.error);
	if (di.fixed) {
		bug_note(&di.error, k_mutex_lock(di.m, K_FOREVER));
		if (!di.instance)
			di_init();
		bug_note(&di.error, k_mutex_unlock(di.m));
		return;
	}
	if (!di.instance)
		di_init();
}

static int di_run(bool fixed)
{
	di.gate = NULL;
	di.m = NULL;
	di.instance = NULL;
	di.inits = 0;
	di.fixed = fixed;
	di.error = 0;
	int rc = bug_gate_create(&di.gate);
	if (rc == 0)
		rc = k_mutex_create(&di.m, "once");
	k_thread_t *t[DI_THREADS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, DI_THREADS, di_thread, "user", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(di.gate, DI_THREADS, &di.error);
	int jr = bug_join(t, DI_THREADS);
	if (rc == 0)
		rc = jr;
	for (unsigned i = 0; i < di.inits; i++)
		k_mem_free(di.made[i]);
	if (di.m && rc == 0)
		rc = k_mutex_destroy(di.m);
	if (di.gate && rc == 0)
		rc = k_sem_destroy(di.gate);
	return rc;
}

static int di_check(char *msg, size_t cap)
{
	if (di.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", di.error);
	if (di.inits != 1u)
		return stress_fail(msg, cap, "the object was initialised ", di.inits, " times");
	return 0;
}

BUG_MAINS(di)
K_BUG_PROGRAM(double_init, "double_init", "double-checked state across a kernel call",
	      DI_THREADS, true, "lazy initialisation tested without a lock", di_bug, di_twin,
	      di_check);
