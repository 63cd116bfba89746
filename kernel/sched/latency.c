/*
 * latency.c — what the harness's latency oracle reads between steps: whether
 * a core is running something less urgent than a thread ready in its own run
 * queue. The kernel's promise (k/sched.h) is that such a core switches at its
 * next chance: the waker interrupts it (preempt_check: an IPI, to itself or
 * to another core), and the interrupt is taken as soon as the core enables
 * interrupts. The harness counts how often the core enabled interrupts while
 * the condition held and fails the run past its bound.
 *
 * No lock and no scheduling point: the harness calls it while every core is
 * stopped at a point; a core whose run-queue lock is held is mid-update and
 * is not judged.
 */
#include "sched_impl.h"

/* Is some thread in c's run queue at a level above `above` (a priority + 1,
 * 0 for idle) allowed to run on c? Walks the levels from the top, each list
 * from its head, at most K_THREADS_MAX threads in all. */
static bool urgent_allowed(const struct sched_core *c, unsigned above)
{
	K_ASSERT(above <= K_PRIO_LEVELS);
	uint64_t bits = c->rq.bitmap;
	unsigned seen = 0;
	while (bits != 0u) {
		unsigned prio = 63u - (unsigned)__builtin_clzll(bits);
		if (prio + 1u <= above)
			return false;
		bits &= ~((uint64_t)1u << prio);
		for (const struct qlink *l = rq_level_first(&c->rq, prio); l != NULL;
		     l = rq_level_next(&c->rq, prio, l)) {
			K_ASSERT(++seen <= K_THREADS_MAX);
			const struct k_thread *t = ql_entry(l, struct k_thread, rq_link);
			if (t->affinity & core_bit(c->id))
				return true;
		}
	}
	return false;
}

int k_sched_urgent_waiting(unsigned core, uint64_t *switches)
{
	if (!g_sched.booted.value || core >= g_sched.cores)
		return -K_EINVAL;
	const struct sched_core *c = &g_sched.core[core];
	K_ASSERT(c->id == core);
	/* Held by any core (not only the caller: bsp_spin_held would not
	 * see another core's hold), as k_sched_check judges it. */
	if (c->rq.lock.locked != 0)
		return -K_EBUSY;
	const struct k_thread *cur = c->current;
	K_ASSERT(cur != NULL);
	if (switches)
		*switches = c->stats.switches;
	/* An idle core is judged the same way: the waker's IPI wakes it and
	 * is taken at its first enable. (One left asleep makes no step to
	 * count: that shows as starvation or deadlock instead.) */
	unsigned above = cur->is_idle ? 0u : cur->prio + 1u;
	return urgent_allowed(c, above) ? 1 : 0;
}
