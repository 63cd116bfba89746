/*
 * suspend.c — k_thread_suspend / k_thread_resume.
 *
 * A suspension is the flag `suspended` plus, once it has taken effect, the
 * state TS_SUSPENDED (in no run or timer queue). Both live under the rq.lock
 * of the thread's home core. Where the thread is decides when it takes
 * effect:
 *   ready      — at once: out of its run queue;
 *   running    — self: at once (switch away); on another core: that core's
 *                IPI handler preempts it and sched_requeue parks it;
 *   blocked, sleeping, new — when it would next become ready (sched_wake,
 *                the timeout in sched_tick, sched_make_ready), its wait's
 *                result kept for when it runs again.
 * Resume clears the flag and, if the suspension took effect, makes the
 * thread ready like a wake-up. A kill always wins: a killed thread is never
 * parked, and a parked one is made ready (sched_wake) so it can exit.
 *
 * The one-core path the benchmarks measure (a thread resumes a more urgent
 * one, which suspends itself again) switches directly, without an IPI to
 * its own core and a trip through the interrupt entry.
 */
#include "sched_impl.h"

/* sched_killed for a thread known not to be idle (k_thread_suspend
 * refuses idle threads): the same atomic load, without the idle test. */
static bool suspend_killed(struct k_thread *t)
{
	K_ASSERT(!t->is_idle);
	return bsp_atomic_load(&t->killed) != 0;
}

/* sched_exit_if_killed for the same thread. */
static void suspend_exit_if_killed(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled() && t == sched_current());
	if (t->kill_defer == 0 && suspend_killed(t))
		thread_exit_now(0);
}

/* The caller suspends itself. Interrupts off (s: the state to restore). */
static int suspend_self(struct sched_core *c, struct k_thread *t, bsp_irq_state_t s)
{
	K_ASSERT(c->current == t && t->state == TS_RUNNING);
	bsp_spin_lock(&c->rq.lock);
	int rc = 0;
	if (t->suspended) {
		rc = -K_EBUSY; /* asked by another core; its IPI is on the way */
	} else if (suspend_killed(t)) {
		rc = -K_ESRCH;
	} else {
		t->suspended = true;
		t->state = TS_SUSPENDED;
		t->on_core = SCHED_CORE_NONE;
		sched_trace("suspend", t->id, c->id);
		sched_switch(c); /* back here once resumed (or killed) */
		K_ASSERT(t->state == TS_RUNNING && !t->suspended);
		suspend_exit_if_killed(t);
		bsp_irq_restore(s);
		return 0;
	}
	bsp_spin_unlock(&c->rq.lock);
	suspend_exit_if_killed(t);
	bsp_irq_restore(s);
	return rc;
}

/* Another thread t, its home rq.lock held (h). Returns the call's code. */
static int suspend_other(struct sched_core *h, struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&h->rq.lock));
	K_ASSERT(!t->is_idle);
	if (t->state == TS_DEAD || sched_killed(t))
		return -K_ESRCH;
	if (t->suspended)
		return -K_EBUSY;
	K_ASSERT(t->state != TS_SUSPENDED);
	t->suspended = true;
	sched_trace("suspend", t->id, h->id);
	if (t->state == TS_READY) {
		runq_remove(h, t);
		t->state = TS_SUSPENDED;
	} else if (t->state == TS_RUNNING) {
		/* Running elsewhere (the caller runs here): its core's IPI
		 * handler sees the flag and parks it (sched_tick). */
		K_ASSERT(t->on_core == h->id && t->on_core != bsp_core_id());
		sched_ipi(t->on_core);
	}
	return 0;
}

int k_thread_suspend(k_thread_t *t)
{
	if (!t || t->is_idle)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct sched_core *c = sched_this_core();
	K_ASSERT_MSG(c->isr_depth == 0, "k_thread_suspend: not from isr");
	if (t == c->current)
		return suspend_self(c, t, s);
	unsigned home = sched_lock_thread(t);
	int rc = suspend_other(sched_core_at(home), t);
	bsp_spin_unlock(&sched_core_at(home)->rq.lock);
	bsp_irq_restore(s);
	return rc;
}

/* The fast path: t, parked on this core c (lock held), is more urgent than
 * the thread calling from here, in thread context. The caller goes back in
 * line and t runs now: straight to it when it is more urgent than every
 * ready thread here (what the run queue would pick anyway), else through
 * the queue. Returns once the caller runs again. */
static void resume_switch(struct sched_core *c, struct k_thread *t)
{
	struct k_thread *self = c->current;
	K_ASSERT(bsp_spin_held(&c->rq.lock) && c->isr_depth == 0);
	K_ASSERT(!self->is_idle && self->state == TS_RUNNING && t->prio > self->prio);
	K_ASSERT(sched_thread_cpu(t) == c->id && (t->affinity & core_bit(c->id)));
	c->stats.wakeups++;
	self->on_core = SCHED_CORE_NONE;
	sched_requeue(c, self, false);
	/* One core (folded): every mask holds core 0 (sched_fix_affinity_asked). */
	K_ASSERT(BSP_CORES_MAX > 1u || (self->affinity & core_bit(c->id)));
	if (BSP_CORES_MAX > 1u && !(self->affinity & core_bit(c->id)))
		c->fix_affinity = true;
	c->stats.preemptions++;
	if (runq_top_prio(&c->rq) <= t->prio) { /* every ready one less urgent */
		uint64_t end = sched_slice_end(c, t, sched_switch_clock());
		/* One core (folded): the caller stopped alive, t is another
		 * thread, so the switch without those tests. */
		if (BSP_CORES_MAX == 1u)
			sched_switch_thread(c, t, end);
		else
			sched_switch_to(c, t, end);
	} else {
		t->state = TS_READY;
		runq_enqueue(c, t, false);
		sched_switch(c);
	}
	sched_exit_if_killed(self);
}

int k_thread_resume(k_thread_t *t)
{
	if (!t || t->is_idle)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	unsigned home = sched_lock_thread(t);
	struct sched_core *h = sched_core_at(home);
	int rc = 0;
	if (t->state == TS_DEAD)
		rc = -K_ESRCH;
	else if (!t->suspended)
		rc = -K_EINVAL;
	if (rc != 0 || t->state != TS_SUSPENDED) {
		/* Not parked yet (waiting, or running with the IPI on its way):
		 * it carries on as if never suspended. */
		if (rc == 0) {
			t->suspended = false;
			sched_trace("resume", t->id, home);
		}
		bsp_spin_unlock(&h->rq.lock);
		bsp_irq_restore(s);
		return rc;
	}
	t->suspended = false;
	sched_trace("resume", t->id, home);
	struct k_thread *cur = h->current;
	/* One core (folded): every mask holds core 0, so no affinity test. */
	if (home == bsp_core_id() && h->isr_depth == 0 && !cur->is_idle && t->prio > cur->prio &&
	    (BSP_CORES_MAX == 1u || (t->affinity & core_bit(home))))
		resume_switch(h, t); /* releases the lock, back when we run again */
	else
		sched_wake_from(t, home);
	bsp_irq_restore(s);
	return 0;
}
