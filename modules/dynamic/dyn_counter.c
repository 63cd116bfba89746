/*
 * dyn_counter.c — a dynamic module (k/loader.h): loaded from its object
 * file, linked against the kernel's exports. Its init creates a semaphore
 * in the loading process, its fini destroys it; dyn_counter_bump is what
 * a user calls through k_dynmod_symbol.
 */
#include <k/module.h>
#include <k/sync.h>

static k_sem_t *dyn_sem;
static int dyn_total;
static const int dyn_step = 1;

int dyn_counter_bump(int by)
{
	(void)k_sem_give(dyn_sem);
	dyn_total += by * dyn_step;
	return dyn_total;
}

static int dyn_counter_init(void)
{
	dyn_total = 1000;
	return k_sem_create(&dyn_sem, "dyn_counter", 0, 1000000);
}

static void dyn_counter_fini(void)
{
	(void)k_sem_destroy(dyn_sem);
	dyn_sem = 0;
}

K_MODULE(dyn_counter, dyn_counter_init, dyn_counter_fini, K_LEVEL_APP);
