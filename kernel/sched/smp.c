/*
 * smp.c — between cores: taking two run-queue locks, waking a thread (push to
 * an idle core on wake-up, preempt its core with an IPI), pulling work when
 * idle, moving threads whose affinity changed, priority changes, and
 * stopping a killed thread wherever it is.
 */
#include "sched_impl.h"

/* With t's home run-queue lock held, its home core. */
unsigned sched_thread_cpu(const struct k_thread *t)
{
	unsigned cpu = (unsigned)t->cpu.value;
	K_ASSERT(cpu < g_sched.cores);
	K_ASSERT_MSG(bsp_spin_held(&sched_core_at(cpu)->rq.lock),
		     "thread's home run queue not locked");
	return cpu;
}

/* Both run-queue locks in ascending core order (a == b: one lock). */
void sched_lock_two(unsigned a, unsigned b)
{
	K_ASSERT(a < g_sched.cores && b < g_sched.cores);
	K_ASSERT(!bsp_irq_enabled());
	unsigned lo = a < b ? a : b, hi = a < b ? b : a;
	bsp_spin_lock(&sched_core_at(lo)->rq.lock);
	if (hi != lo)
		bsp_spin_lock(&sched_core_at(hi)->rq.lock);
}

void sched_unlock_two(unsigned a, unsigned b)
{
	K_ASSERT(a < g_sched.cores && b < g_sched.cores);
	bsp_spin_unlock(&sched_core_at(a)->rq.lock);
	if (BSP_CORES_MAX > 1u && a != b)
		bsp_spin_unlock(&sched_core_at(b)->rq.lock);
}

/* Lock the run queue of t's home core, following t if it moves meanwhile. */
unsigned sched_lock_thread(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT(!t->is_idle);
	if (BSP_CORES_MAX == 1u) {
		/* One core (folded): every thread's home is core 0, and
		 * nobody moves it: a constant for the caller's indexing. */
		K_ASSERT(t->cpu.value == 0);
		bsp_spin_lock(&g_sched.core[0].rq.lock);
		return 0u;
	}
	for (unsigned tries = 0; tries < SCHED_WAKE_RETRIES_MAX; tries++) {
		unsigned cpu = (unsigned)bsp_atomic_load(&t->cpu);
		K_ASSERT(cpu < g_sched.cores);
		bsp_spin_lock(&sched_core_at(cpu)->rq.lock);
		if ((unsigned)t->cpu.value == cpu)
			return cpu;
		bsp_spin_unlock(&sched_core_at(cpu)->rq.lock);
	}
	K_PANIC("sched_lock_thread: thread keeps moving between cores");
}

/* With core d's lock held and t ready there: IPI d if t should run now.
 * Not to itself from isr: sched_irq judges the queue once the handlers are
 * done (or the idle loop does), so that IPI would only be taken in vain;
 * it is noted instead (isr_wake_urgent), which is all a one-core build's
 * sched_irq looks at after device lines. */
static void preempt_check(struct sched_core *d, const struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&d->rq.lock));
	K_ASSERT(d->current != NULL);
	if (d->current->is_idle || t->prio > d->current->prio) {
		if ((BSP_CORES_MAX == 1u || d->id == bsp_core_id()) && d->isr_depth != 0) {
			d->isr_wake_urgent = true;
			return;
		}
		sched_ipi(d->id);
	}
}

static unsigned lowest_allowed(k_cpumask_t allowed)
{
	K_ASSERT(allowed != 0);
	unsigned core = (unsigned)__builtin_ctzll(allowed);
	K_ASSERT(core < g_sched.cores);
	return core;
}

/* Where a waking thread should go: its home core if allowed and it would run
 * there at once, else an idle allowed core (push), else home. src's lock is
 * held; other cores are judged by their atomic hints. */
static unsigned wake_target(const struct k_thread *t, unsigned src)
{
	const struct sched_core *s = sched_core_at(src);
	K_ASSERT(bsp_spin_held(&s->rq.lock));
	k_cpumask_t allowed = t->affinity & sched_cores_mask();
	K_ASSERT(allowed != 0);
	bool home_ok = (allowed & core_bit(src)) != 0;
	if (BSP_CORES_MAX == 1u) {
		/* One core (folded): nowhere else to go; the mask holds it. */
		K_ASSERT(home_ok);
		return src;
	}
	if (home_ok && (s->current->is_idle || s->current->prio < t->prio))
		return src;
	for (unsigned i = 1; i < g_sched.cores; i++) {
		unsigned c = (src + i) % g_sched.cores;
		if (!(allowed & core_bit(c)))
			continue;
		if (bsp_atomic_load(&sched_core_at(c)->cur_prio) == 0)
			return c;
	}
	return home_ok ? src : lowest_allowed(allowed);
}

void sched_handoff_flush(struct sched_core *c)
{
	K_ASSERT(SCHED_IRQ_HANDOFF && bsp_spin_held(&c->rq.lock));
	struct k_thread *t = sched_handoff_take(c);
	if (t == NULL)
		return;
	uint64_t since = t->ready_since_ns; /* ready since the hand-over */
	runq_enqueue(c, t, true);
	if (K_CONFIG_SCHED_WAIT_STATS)
		t->ready_since_ns = since;
	K_ASSERT(c->handoff == NULL);
}

/* SCHED_IRQ_HANDOFF: t, just made READY on the one core d (its lock
 * held), in no list. When the kernel's interrupt handler is running and t
 * is more urgent than the interrupted thread, than every thread in the
 * lists and than a thread already handed over, t is handed over (true):
 * the preemption at the handler's end runs it, as its pick would have. A
 * thread handed over before it goes to the lists, at the head of its
 * level (made ready first, it stays ahead of its equals). Otherwise false:
 * the caller queues t. */
static bool wake_hand_over(struct sched_core *d, struct k_thread *t)
{
	K_ASSERT(SCHED_IRQ_HANDOFF && bsp_spin_held(&d->rq.lock));
	K_ASSERT(t->state == TS_READY && !ql_linked(&t->rq_link));
	const struct k_thread *cur = d->current;
	if (d->isr_depth == 0u || cur->is_idle || t->prio <= cur->prio ||
	    runq_top_prio(&d->rq) > t->prio)
		return false;
	struct k_thread *old = d->handoff;
	if (old != NULL) {
		K_ASSERT(old != t);
		if (t->prio <= old->prio)
			return false; /* after old, FIFO among equals */
		sched_handoff_flush(d);
	}
	d->handoff = t;
	if (K_CONFIG_SCHED_WAIT_STATS)
		t->ready_since_ns = bsp_clock_ns();
	return true;
}

/* Both locks held (src == dst possible); t blocked, sleeping or suspended
 * at home src, with no suspension pending. */
static void wake_locked(struct k_thread *t, unsigned src, unsigned dst)
{
	struct sched_core *s = sched_core_at(src), *d = sched_core_at(dst);
	K_ASSERT(bsp_spin_held(&s->rq.lock) && bsp_spin_held(&d->rq.lock));
	K_ASSERT(t->state == TS_BLOCKED || t->state == TS_SLEEPING || t->state == TS_SUSPENDED);
	K_ASSERT(!t->suspended);
	if (ql_linked(&t->tq_link))
		timerq_remove(s, t);
	if (BSP_CORES_MAX > 1u && dst != src) {
		bsp_atomic_store(&t->cpu, dst);
		d->stats.migrations++;
		sched_trace("migrate", t->id, dst);
	}
	t->state = TS_READY;
	bool handed = SCHED_IRQ_HANDOFF && wake_hand_over(d, t);
	if (!handed)
		runq_enqueue(d, t, false);
	/* One core (folded): every mask holds core 0 (sched_fix_affinity_asked). */
	K_ASSERT(BSP_CORES_MAX > 1u || (t->affinity & core_bit(dst)));
	if (BSP_CORES_MAX > 1u && !(t->affinity & core_bit(dst)))
		d->fix_affinity = true;
	d->stats.wakeups++;
	sched_trace("wake", t->id, dst);
	if (handed) /* preempt_check's verdict, known: urgent, from isr */
		d->isr_wake_urgent = true;
	else
		preempt_check(d, t);
}

/* The planted double-enqueue: the state is judged before the lock is taken
 * and not judged again, so two concurrent wakers (a timeout and a give, a
 * kill and a signal) both enqueue the thread. */
static bool wake_planted_double_enqueue(struct k_thread *t)
{
	if (t->state != TS_BLOCKED && t->state != TS_SLEEPING)
		return false;
	unsigned src = sched_lock_thread(t);
	struct sched_core *s = sched_core_at(src);
	if (ql_linked(&t->tq_link))
		timerq_remove(s, t);
	t->state = TS_READY;
	runq_enqueue(s, t, false);
	s->stats.wakeups++;
	sched_trace("wake", t->id, src);
	preempt_check(s, t);
	bsp_spin_unlock(&s->rq.lock);
	return true;
}

/* t's home lock (src) held; t blocked or sleeping with a suspension
 * pending: its wait ends, it stays off every queue until resumed. */
static void wake_into_suspended(struct k_thread *t, unsigned src)
{
	struct sched_core *s = sched_core_at(src);
	K_ASSERT(bsp_spin_held(&s->rq.lock));
	K_ASSERT(t->suspended && (t->state == TS_BLOCKED || t->state == TS_SLEEPING));
	if (ql_linked(&t->tq_link))
		timerq_remove(s, t);
	t->state = TS_SUSPENDED;
	s->stats.wakeups++;
	sched_trace("suspended", t->id, src);
}

/* t's home lock (src) held, t's wait over or its suspension lifted: make it
 * ready where it should run (its home, or an idle allowed core), preempting
 * as needed. Releases src's lock. */
void sched_wake_from(struct k_thread *t, unsigned src)
{
	K_ASSERT(bsp_spin_held(&sched_core_at(src)->rq.lock));
	K_ASSERT(!t->suspended);
	unsigned dst = wake_target(t, src);
	/* Ascending order: a lower core is only tried, never waited for. */
	if (dst > src)
		bsp_spin_lock(&sched_core_at(dst)->rq.lock);
	else if (dst < src && !bsp_spin_trylock(&sched_core_at(dst)->rq.lock))
		dst = src;
	wake_locked(t, src, dst);
	sched_unlock_two(src, dst);
}

/* Make a blocked or sleeping thread ready (no-op, false, if it is not: a
 * timeout or a kill got there first) — or suspended, if a suspension is
 * pending. A suspended thread that was killed is made ready too (the kill
 * resumes it, and it exits). Interrupts off; the caller holds the lock of
 * the object t waited on, or registry_lock, so t cannot exit under us. */
bool sched_wake(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT(!t->is_idle);
	if (PLANTED_DOUBLE_ENQUEUE)
		return wake_planted_double_enqueue(t);
	unsigned src = sched_lock_thread(t);
	bool waiting = t->state == TS_BLOCKED || t->state == TS_SLEEPING;
	if (!waiting && t->state != TS_SUSPENDED) {
		bsp_spin_unlock(&sched_core_at(src)->rq.lock);
		return false;
	}
	if (t->suspended) {
		bool killed = sched_killed(t);
		if (!killed && waiting) {
			wake_into_suspended(t, src);
			bsp_spin_unlock(&sched_core_at(src)->rq.lock);
			return true;
		}
		if (!killed) { /* suspended and not killed: stays */
			bsp_spin_unlock(&sched_core_at(src)->rq.lock);
			return false;
		}
		t->suspended = false; /* the kill resumes it */
	}
	K_ASSERT(!t->suspended);
	sched_wake_from(t, src);
	return true;
}

/* A new thread's first home: the allowed core that looks least busy,
 * starting from the caller's. Called before t is registered (nobody else
 * sees it yet), so its home never changes while it is new. */
void sched_place_new(struct k_thread *t)
{
	K_ASSERT(t->state == TS_NEW);
	k_cpumask_t allowed = t->affinity & sched_cores_mask();
	K_ASSERT(allowed != 0);
	if (BSP_CORES_MAX == 1u) { /* folded: core 0 is the only choice */
		K_ASSERT(g_sched.cores == 1u && (allowed & core_bit(0)));
		t->cpu.value = 0;
		return;
	}
	unsigned self = k_thread_core();
	unsigned dst = (allowed & core_bit(self)) ? self : lowest_allowed(allowed);
	uintptr_t best = UINTPTR_MAX;
	for (unsigned i = 0; i < g_sched.cores && g_sched.cores > 1; i++) {
		unsigned c = (self + i) % g_sched.cores;
		if (!(allowed & core_bit(c)))
			continue;
		uintptr_t load = bsp_atomic_load(&sched_core_at(c)->nr_ready) * 2u +
				 (bsp_atomic_load(&sched_core_at(c)->cur_prio) != 0);
		if (load < best) {
			best = load;
			dst = c;
		}
	}
	t->cpu.value = dst;
}

/* A new thread (placed, registered) becomes ready at its home. */
void sched_make_ready(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled());
	unsigned dst = sched_lock_thread(t);
	struct sched_core *d = sched_core_at(dst);
	K_ASSERT(t->state == TS_NEW);
	sched_trace("start", t->id, dst);
	sched_requeue(d, t, false); /* suspended already if asked while new */
	if (t->state == TS_READY)
		preempt_check(d, t);
	bsp_spin_unlock(&d->rq.lock);
}

/* The most urgent thread in v's queue that may run on core `to`, or NULL.
 * Bounded by the thread count. */
static struct k_thread *find_stealable(struct sched_core *v, unsigned to)
{
	uint64_t bits = v->rq.bitmap;
	unsigned seen = 0;
	while (bits != 0) {
		unsigned p = 63u - (unsigned)__builtin_clzll(bits);
		bits &= ~((uint64_t)1u << p);
		for (struct qlink *n = rq_level_first(&v->rq, p); n; n = rq_level_next(&v->rq, p, n)) {
			K_ASSERT(++seen <= K_THREADS_MAX);
			struct k_thread *t = ql_entry(n, struct k_thread, rq_link);
			if (t->affinity & core_bit(to))
				return t;
		}
	}
	return NULL;
}

/* The planted missing lock: the victim's queue is read and unlinked while
 * only the thief's own lock is held. */
static bool pull_planted_missing_lock(struct sched_core *c, struct sched_core *v)
{
	struct k_thread *t = find_stealable(v, c->id);
	if (!t)
		return false;
	bsp_spin_lock(&c->rq.lock); /* a point: the victim core may run meanwhile */
	if (rq_level_unlink(&v->rq, t->prio, &t->rq_link))
		v->rq.bitmap &= ~((uint64_t)1u << t->prio);
	v->rq.count--;
	v->nr_ready.value = v->rq.count;
	bsp_atomic_store(&t->cpu, c->id);
	runq_enqueue(c, t, false);
	c->stats.migrations++;
	sched_trace("steal", t->id, v->id);
	bsp_spin_unlock(&c->rq.lock);
	return true;
}

/* Idle core c takes a ready thread from the busiest other core. Returns true
 * if it took one. Interrupts off, no lock held. Both locks are only tried,
 * so the order of the two does not matter. */
bool sched_pull(struct sched_core *c)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT(!bsp_spin_held(&c->rq.lock));
	unsigned victim = SCHED_CORE_NONE;
	uintptr_t most = 0;
	for (unsigned i = 1; i < g_sched.cores; i++) {
		unsigned v = (c->id + i) % g_sched.cores;
		uintptr_t n = bsp_atomic_load(&sched_core_at(v)->nr_ready);
		if (n > most) {
			most = n;
			victim = v;
		}
	}
	if (victim == SCHED_CORE_NONE)
		return false;
	struct sched_core *v = sched_core_at(victim);
	if (PLANTED_RUNQ_MIGRATION_LOCK)
		return pull_planted_missing_lock(c, v);
	/* Stealing is opportunistic: never wait for a busy queue (an idle core
	 * spinning on another core's lock only delays that core). */
	if (!bsp_spin_trylock(&c->rq.lock))
		return false;
	if (!bsp_spin_trylock(&v->rq.lock)) {
		bsp_spin_unlock(&c->rq.lock);
		return false;
	}
	struct k_thread *t = find_stealable(v, c->id);
	if (t) {
		runq_remove(v, t);
		bsp_atomic_store(&t->cpu, c->id);
		runq_enqueue(c, t, false);
		c->stats.migrations++;
		sched_trace("steal", t->id, victim);
	}
	sched_unlock_two(c->id, victim);
	return t != NULL;
}

/* A ready thread in c's queue whose affinity excludes c, or NULL. */
static struct k_thread *find_misplaced(struct sched_core *c)
{
	unsigned seen = 0;
	for (unsigned p = 0; p < K_PRIO_LEVELS; p++) {
		for (struct qlink *n = rq_level_first(&c->rq, p); n; n = rq_level_next(&c->rq, p, n)) {
			K_ASSERT(++seen <= K_THREADS_MAX);
			struct k_thread *t = ql_entry(n, struct k_thread, rq_link);
			if (!(t->affinity & core_bit(c->id)))
				return t;
		}
	}
	return NULL;
}

/* Move ready threads that may not run on c to a core they may run on. A
 * lower core's lock is taken after dropping c's (ascending order), then the
 * queue is judged again: between the two, the thread found may have been
 * stolen, run and freed, so only a thread found with both locks held is
 * moved. (A trylock that left the fix for later made c's idle loop retry
 * forever without ever waiting — a livelock under a schedule that keeps the
 * lock's holder off the CPU, e.g. `weft run prio_inversion --cores 4
 * --seed 7096 --strategy pct:3`; a waiting lock is a spin-wait the
 * simulator can see.) */
void sched_fix_affinity(struct sched_core *c)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT(!bsp_spin_held(&c->rq.lock));
	for (unsigned n = 0; n < SCHED_FIX_AFFINITY_MAX; n++) {
		bsp_spin_lock(&c->rq.lock);
		struct k_thread *t = find_misplaced(c);
		if (!t) {
			bsp_spin_unlock(&c->rq.lock);
			return;
		}
		unsigned dst = lowest_allowed(t->affinity & sched_cores_mask());
		K_ASSERT(dst != c->id);
		if (dst > c->id) {
			bsp_spin_lock(&sched_core_at(dst)->rq.lock);
		} else {
			bsp_spin_unlock(&c->rq.lock);
			sched_lock_two(dst, c->id);
			t = find_misplaced(c);
			if (!t || lowest_allowed(t->affinity & sched_cores_mask()) != dst) {
				sched_unlock_two(dst, c->id);
				continue; /* judged again from the top */
			}
		}
		struct sched_core *d = sched_core_at(dst);
		runq_remove(c, t);
		bsp_atomic_store(&t->cpu, dst);
		runq_enqueue(d, t, false);
		d->stats.migrations++;
		sched_trace("migrate", t->id, dst);
		preempt_check(d, t);
		sched_unlock_two(c->id, dst);
	}
	/* Bound reached: what is left is fixed at c's next switch. */
	bsp_spin_lock(&c->rq.lock);
	if (find_misplaced(c))
		c->fix_affinity = true;
	bsp_spin_unlock(&c->rq.lock);
}

/* Set t's effective priority, requeueing it and preempting as needed.
 * Caller holds mutex_lock (the writers' lock for prio). */
void sched_set_prio(struct k_thread *t, unsigned prio)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	K_ASSERT(prio < K_PRIO_LEVELS);
	unsigned cpu = sched_lock_thread(t);
	struct sched_core *c = sched_core_at(cpu);
	unsigned old = t->prio;
	if (t->state == TS_READY) {
		runq_remove(c, t);
		t->prio = prio;
		runq_enqueue(c, t, prio > old);
		preempt_check(c, t);
	} else {
		t->prio = prio;
	}
	if (t->state == TS_RUNNING) {
		K_ASSERT(c->current == t);
		if (BSP_CORES_MAX > 1u) /* a hint for other cores only */
			bsp_atomic_store(&c->cur_prio, prio + 1u);
		/* Moved to a level where threads wait: it needs a slice. */
		if (SCHED_SLICE_ON_DEMAND && !rq_level_empty(&c->rq, prio))
			sched_slice_demand(c, prio);
		if (prio < old && runq_top_prio(&c->rq) > prio + 1u)
			sched_ipi(cpu);
	}
	sched_trace("prio", t->id, prio);
	bsp_spin_unlock(&c->rq.lock);
}

/* Stop a killed thread (its killed flag is set) wherever it is: wake it if
 * it waits or sleeps (it then leaves its wait queue and exits), interrupt its
 * core if it runs elsewhere. A ready or new thread exits when it next runs.
 * Caller holds registry_lock. */
void sched_kick(struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	K_ASSERT(!t->is_idle && !t->exited);
	if (SCHED_IRQ_SWITCH) /* one core: t is not running; before the wake-up */
		sched_kill_interrupted(t);
	if (sched_wake(t))
		return;
	unsigned cpu = sched_lock_thread(t);
	unsigned core = t->state == TS_RUNNING ? t->on_core : SCHED_CORE_NONE;
	bsp_spin_unlock(&sched_core_at(cpu)->rq.lock);
	if (core != SCHED_CORE_NONE && core != bsp_core_id()) {
		sched_trace("kick", t->id, core);
		bsp_ipi_send(core);
	}
}
