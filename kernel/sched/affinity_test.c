/*
 * affinity_test.c — k_thread_affinity_set on a waiting thread while another
 * core holds the destination core's run-queue lock.
 *
 * Regression (found by `weft explore migration --cores 4 --strategy pct:10`,
 * seed 1648): moving a blocked thread's home to a lower core used a trylock
 * of that core's lock, retried 64 times; a PCT schedule that keeps the lock's
 * holder off the CPU made every retry fail, and k_thread_affinity_set
 * returned -K_ESRCH for a live thread with its mask already changed and its
 * home outside it. Here a thread on core 0 holds core 0's lock for many
 * scheduling points while the test, on core 1, moves a thread blocked at
 * home 1 to core 0: the call must wait for the lock and succeed.
 */
#include "sched_impl.h"

#include <k/test.h>

#define HOLD_POINTS 4000u /* scheduling points core 0's lock stays held */

static bsp_atomic_t holding;
static bsp_atomic_t woke_on;

static void hold_core0_lock(void *arg)
{
	(void)arg;
	bsp_irq_state_t s = bsp_irq_save();
	struct runq *rq = &g_sched.core[sched_this_core()->id].rq;
	bsp_spin_lock(&rq->lock);
	bsp_atomic_store(&holding, 1);
	for (unsigned i = 0; i < HOLD_POINTS; i++)
		(void)bsp_atomic_load(&holding);
	bsp_atomic_store(&holding, 2);
	bsp_spin_unlock_irqrestore(&rq->lock, s);
}

static void wait_on_sem(void *arg)
{
	k_sem_t *sem = arg;
	K_TEST_CHECK(k_sem_take(sem, K_FOREVER) == 0);
	bsp_atomic_store(&woke_on, k_thread_core() + 1u);
}

static k_thread_t *spawn_pinned(k_thread_entry_fn fn, void *arg, unsigned prio, unsigned core,
				const char *name)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.priority = prio;
	a.affinity = K_CPUMASK_CORE(core);
	a.name = name;
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, fn, arg, &a) == 0);
	return t;
}

K_TEST(affinity_set_waits_for_a_held_lower_core_lock)
{
	if (k_sched_cores() < 2)
		K_TEST_SKIP("needs 2 cores");
	k_thread_t *self = k_thread_self();
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_CORE(1)) == 0);
	K_TEST_CHECK(k_thread_core() == 1);
	k_sem_t *sem = NULL;
	K_TEST_CHECK(k_sem_create(&sem, "aff", 0, 1) == 0);
	bsp_atomic_store(&holding, 0);
	bsp_atomic_store(&woke_on, 0);
	k_thread_t *waiter = spawn_pinned(wait_on_sem, sem, K_PRIO_DEFAULT, 1, "aff-wait");
	for (unsigned i = 0; i < 100u && waiter->state != TS_BLOCKED; i++)
		k_thread_sleep_ns(10000u);
	K_TEST_CHECK(waiter->state == TS_BLOCKED && waiter->cpu.value == 1u);

	k_thread_t *holder = spawn_pinned(hold_core0_lock, NULL, K_PRIO_MAX, 0, "aff-hold");
	for (unsigned i = 0; i < 100000u && bsp_atomic_load(&holding) == 0; i++)
		;
	bool held_during_call = bsp_atomic_load(&holding) == 1;
	int rc = k_thread_affinity_set(waiter, K_CPUMASK_CORE(0));
	K_TEST_CHECK(held_during_call);
	K_TEST_CHECK(rc == 0);
	K_TEST_CHECK(k_thread_affinity_get(waiter) == K_CPUMASK_CORE(0));
	K_TEST_CHECK(k_sem_give(sem) == 0);
	K_TEST_CHECK(k_thread_join(waiter, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(bsp_atomic_load(&woke_on) == 1u); /* ran on core 0 */
	K_TEST_CHECK(k_thread_join(holder, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_sem_destroy(sem) == 0);
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_ALL) == 0);
}
