/*
 * thread.c — thread life: create, start, exit, stack reaping, join, yield,
 * sleep, priority and affinity.
 *
 * Lifetime: a control block holds `refs` references — one while its stack
 * lives, one for the handle (dropped by join or detach). The stack is freed
 * by the next context on the core it died on (bsp_context_release first), so
 * no thread ever frees the stack it runs on.
 */
#include "sched_impl.h"

static void thread_start(void *arg)
{
	struct k_thread *t = arg;
	sched_finish_switch();
	K_ASSERT(sched_current() == t);
	K_ASSERT(t->state == TS_RUNNING);
	sched_irq_enable();
	sched_kill_point();
	t->entry(t->arg);
	k_thread_exit(0);
}

/* c->idle is all 0 (sched_globals_init's fill): only its non-zero fields. */
void thread_init_idle(struct sched_core *c)
{
	struct k_thread *t = &c->idle;
	K_ASSERT(t->id == 0 && t->prio == 0 && t->base_prio == 0 && t->stack == NULL);
	t->name = "idle";
	t->proc = &g_sched.kernel_proc;
	t->is_idle = true;
	t->idle_core = c->id;
	t->cpu.value = c->id;
	t->state = TS_RUNNING;
	t->on_core = c->id;
	t->affinity = core_bit(c->id);
	ql_head_init(&t->held);
	wq_init(&t->join_wq);
	K_ASSERT(t->is_idle && t->stack == NULL);
}

static int attr_check(const struct k_thread_attr *a, k_thread_t **out, k_thread_entry_fn entry)
{
	if (!entry || a->priority > K_PRIO_MAX)
		return -K_EINVAL;
	if (a->stack_bytes && (a->stack_bytes < K_STACK_MIN_BYTES || a->stack_bytes > K_STACK_MAX_BYTES))
		return -K_EINVAL;
	if (!out && !(a->flags & K_THREAD_DETACHED))
		return -K_EINVAL;
	k_cpumask_t mask = a->affinity ? a->affinity : K_CPUMASK_ALL;
	if ((mask & sched_cores_mask()) == 0)
		return -K_EINVAL;
	return 0;
}

static void thread_fields_init(struct k_thread *t, k_thread_entry_fn entry, void *arg,
			       const struct k_thread_attr *a, struct k_proc *p)
{
	t->name = a->name ? a->name : "thread";
	t->proc = p;
	t->entry = entry;
	t->arg = arg;
	t->state = TS_NEW;
	t->on_core = SCHED_CORE_NONE;
	t->prio = a->priority;
	t->base_prio = a->priority;
	t->affinity = (a->affinity ? a->affinity : K_CPUMASK_ALL) & sched_cores_mask();
	ql_head_init(&t->held);
	wq_init(&t->join_wq);
	t->join_obj.type = OBJ_THREAD_JOIN;
	t->join_obj.name = t->name;
	t->join_obj.proc = p;
	t->detached = (a->flags & K_THREAD_DETACHED) != 0;
	t->refs = t->detached ? 1u : 2u;
	t->killed.value = 0;
}

/* Record t in the registry; fails if its process no longer takes threads. */
static int thread_register(struct k_thread *t, struct k_proc *p)
{
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	int rc = 0;
	if (p->state != PS_RUNNING)
		rc = -K_ESRCH;
	else if (g_sched.threads_live >= K_THREADS_MAX)
		rc = -K_EAGAIN;
	if (rc == 0) {
		t->id = g_sched.next_tid++;
		t->join_obj.id = t->id;
		sched_trace_detail("name.thread", t->id, 0u, t->name);
		ql_insert_before(&g_sched.threads, &t->all_link);
		ql_insert_before(&p->threads, &t->proc_link);
		g_sched.threads_count++;
		g_sched.threads_live++;
		g_sched.threads_total++;
		g_sched.stacks_live++;
		p->threads_live++;
		p->stacks_live++;
	}
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	return rc;
}

static int thread_create_deferred(k_thread_t **out, k_thread_entry_fn entry, void *arg,
				  const struct k_thread_attr *a, struct k_proc *p)
{
	size_t stack_bytes = a->stack_bytes ? a->stack_bytes : K_STACK_DEFAULT_BYTES;
	struct k_thread *t = k_mem_zalloc(sizeof *t, p->mem_owner);
	void *stack = k_mem_alloc_aligned(stack_bytes, 16u, p->mem_owner);
	if (!t || !stack) {
		k_mem_free(stack);
		k_mem_free(t);
		return -K_ENOMEM;
	}
	thread_fields_init(t, entry, arg, a, p);
	t->stack = stack;
	t->stack_bytes = stack_bytes;
	t->ctx = bsp_context_init(stack, stack_bytes, thread_start, t);
	K_ASSERT_MSG(t->ctx != NULL, "k_thread_create: the BSP refused a valid stack");
	sched_place_new(t);
	int rc = thread_register(t, p);
	if (rc < 0) {
		bsp_context_release(t->ctx);
		k_mem_free(stack);
		k_mem_free(t);
		return rc;
	}
	if (out)
		*out = t;
	bsp_irq_state_t s = bsp_irq_save();
	sched_make_ready(t);
	bsp_irq_restore(s);
	return 0;
}

int k_thread_create(k_thread_t **out, k_thread_entry_fn entry, void *arg,
		    const struct k_thread_attr *attr)
{
	struct k_thread_attr a = attr ? *attr : K_THREAD_ATTR_DEFAULT;
	int rc = attr_check(&a, out, entry);
	if (rc < 0)
		return rc;
	sched_kill_defer();
	struct k_proc *p = a.proc ? a.proc : k_proc_self();
	rc = thread_create_deferred(out, entry, arg, &a, p);
	sched_kill_allow();
	return rc;
}

_Noreturn void k_thread_exit(int exit_code)
{
	thread_exit_now(exit_code);
}

_Noreturn void thread_exit_now(int exit_code)
{
	(void)bsp_irq_save(); /* off for good: this context never resumes */
	struct k_thread *t = sched_current();
	K_ASSERT_MSG(!t->is_idle, "k_thread_exit: not in a thread");
	K_ASSERT(t->state == TS_RUNNING);
	t->kill_defer = 0;
	mutex_release_all(t);
	bsp_spin_lock(&g_sched.registry_lock);
	K_ASSERT(!t->exited);
	if (sched_killed(t) && t->proc->exit_code_set)
		exit_code = t->proc->exit_code; /* stopped by k_proc_kill */
	t->exited = true;
	t->exit_code = exit_code;
	K_ASSERT(g_sched.threads_live > 0);
	g_sched.threads_live--;
	proc_thread_exited_locked(t->proc, t, exit_code);
	for (unsigned n = 0; wait_wake_first(&t->join_wq, 0) != NULL; n++)
		K_ASSERT(n < SCHED_WAITERS_MAX);
	bsp_spin_unlock(&g_sched.registry_lock);
	struct sched_core *c = sched_this_core();
	bsp_spin_lock(&c->rq.lock);
	t->state = TS_DEAD;
	t->on_core = SCHED_CORE_NONE;
	sched_trace("exit", t->id, (uintptr_t)(uint32_t)exit_code);
	sched_switch(c);
	K_PANIC("k_thread_exit: a dead thread resumed");
}

/* A dead thread's stack, freed by the next context on its core. */
void thread_reap_stack(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled());
	K_ASSERT(t->state == TS_DEAD && t->exited);
	bsp_context_release(t->ctx);
	t->ctx = NULL;
	k_mem_free(t->stack);
	bsp_spin_lock(&g_sched.registry_lock);
	t->stack = NULL;
	K_ASSERT(g_sched.stacks_live > 0 && t->proc->stacks_live > 0 && t->refs > 0);
	g_sched.stacks_live--;
	t->proc->stacks_live--;
	struct k_proc *p = t->proc;
	if (--t->refs == 0)
		thread_free_locked(t);
	proc_stack_freed_locked(p);
	bool finished = g_sched.threads_live == 0 && g_sched.stacks_live == 0;
	bsp_spin_unlock(&g_sched.registry_lock);
	if (finished) {
		bsp_atomic_store(&g_sched.finished, 1);
		bsp_ipi_send(0);
	}
}

/* Free a control block nobody references. registry_lock held. */
void thread_free_locked(struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	K_ASSERT(t->exited && t->stack == NULL && t->refs == 0);
	K_ASSERT(t->join_wq.count == 0 && t->held_count == 0);
	ql_remove(&t->all_link);
	ql_remove(&t->proc_link);
	K_ASSERT(g_sched.threads_count > 0);
	g_sched.threads_count--;
	k_mem_free(t);
}

int k_thread_join(k_thread_t *t, uint64_t timeout_ns, int *exit_code)
{
	if (!t || t->is_idle)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *self = sched_current();
	if (t == self) {
		bsp_irq_restore(s);
		return -K_EDEADLK;
	}
	bsp_spin_lock(&g_sched.registry_lock);
	int rc = t->detached ? -K_EINVAL : 0;
	if (rc == 0 && !t->exited) {
		if (timeout_ns == K_NO_WAIT) {
			rc = -K_ETIMEDOUT;
		} else {
			wait_prepare(self, &t->join_wq, &g_sched.registry_lock, &t->join_obj);
			rc = sched_block(&g_sched.registry_lock, timeout_ns);
			if (rc == 0)
				K_ASSERT(t->exited);
		}
	}
	if (rc == 0) {
		if (exit_code)
			*exit_code = t->exit_code;
		t->detached = true;
		K_ASSERT(t->refs > 0);
		if (--t->refs == 0)
			thread_free_locked(t);
	}
	bsp_spin_unlock(&g_sched.registry_lock);
	if (timeout_ns != K_NO_WAIT)
		sched_exit_if_killed(self); /* may have slept */
	bsp_irq_restore(s);
	return rc;
}

int k_thread_detach(k_thread_t *t)
{
	if (!t || t->is_idle)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	int rc = t->detached ? -K_EINVAL : 0;
	if (rc == 0) {
		t->detached = true;
		K_ASSERT(t->refs > 0);
		if (--t->refs == 0)
			thread_free_locked(t);
	}
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	return rc;
}

/* Whether a yield of t (just stopped, c->rq.lock held) may take the
 * one-core road: one core only (BSP_CORES_MAX 1, folded: elsewhere the
 * general road and its scheduling points stay as they are), no suspension
 * to park it instead, and another thread ready at t's level, which runs
 * next. On one core nothing ready is more urgent than the running thread
 * when it makes a kernel call (a thread made ready more urgent preempts
 * at once, or at the interrupt's return; asserted), so a non-empty list
 * at t's level is the most urgent one: one test, not the bitmap's
 * leading-zero count. With nobody ready at t's level the general road
 * runs t again. */
static bool yield_rotates(const struct sched_core *c, const struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&c->rq.lock));
	K_ASSERT(t->on_core == SCHED_CORE_NONE);
	if (BSP_CORES_MAX > 1u)
		return false;
	K_ASSERT_MSG(runq_top_prio(&c->rq) <= t->prio + 1u,
		     "yield: a more urgent thread is ready on one core");
	/* SCHED_YIELD_KEEPS_SLICE: t's slice end is kept for next, so t
	 * must have one (not expected otherwise: a thread made ready at t's
	 * level starts t's slice, sched_slice_demand); the general road
	 * times next's slice from the clock. */
	if (SCHED_YIELD_KEEPS_SLICE && sched_slice_none(c))
		return false;
	return !t->suspended && !rq_level_empty(&c->rq, t->prio);
}

/* The one-core yield: t takes the tail of its level and that level's head
 * runs, without the run queue's enqueue and pick (runq_rotate), through
 * the one-core switch: t stopped alive, next another thread. One core
 * holds every mask (thread.c cuts masks to the online cores), so the
 * thread switched to is allowed here. In a speed build inlined in
 * k_thread_yield (SCHED_HOT_INLINE; out of line at -Os), and with
 * SCHED_YIELD_KEEPS_SLICE the switch too (sched_switch_yield): the whole
 * yield is one frame. Returns once t runs
 * again. */
static SCHED_HOT_INLINE void yield_rotate(struct sched_core *c, struct k_thread *t)
{
	K_ASSERT(BSP_CORES_MAX == 1u);
	K_ASSERT(t->affinity & core_bit(c->id));
	t->state = TS_READY;
	/* The clock only for the ready-wait accounting, when kept. */
	uint64_t now = K_CONFIG_SCHED_WAIT_STATS ? bsp_clock_ns() : SCHED_CLOCK_UNREAD;
	struct k_thread *next = runq_rotate(c, t, now);
	K_ASSERT(next != t && (next->affinity & core_bit(c->id)));
	sched_trace("yield", t->id, c->id);
	/* next's level holds t now: round-robin needs a slice, whole from
	 * here. Its start is stamped; t's slice end, no later than next's,
	 * stays as the lower bound the tick resolves (SCHED_SLICE_STAMP). */
	if (SCHED_YIELD_KEEPS_SLICE) {
		sched_switch_yield(c, t, next); /* the bound kept, the stamp taken */
		return;
	}
	uint64_t bound = c->slice_end_ns;
	if (bound == BSP_TIMER_NONE) { /* t had no slice (not expected): time it */
		sched_switch_thread(c, next, bsp_clock_ns() + g_sched.slice_ns);
		return;
	}
	c->slice_stamp = bsp_clock_stamp();
	c->slice_stamp_switch = c->stats.switches + 1u; /* the switch below */
	sched_switch_thread(c, next, bound);
}

/* sched_exit_if_killed for the thread that yielded, known not idle
 * (asserted on entry): the same tests less the idle one. One core
 * (folded): the kill word first, the rare case's test of the section
 * after it (one test on the way back, not two); the simulator's
 * weft-board loads it once more per yield made in a kill-deferred
 * section. Several cores: sched_killed's order, the load a scheduling
 * point their recorded schedules count, only outside such a section. */
static inline void yield_exit_if_killed(struct k_thread *t)
{
	K_ASSERT(!t->is_idle && !bsp_irq_enabled());
	K_ASSERT(t == sched_current());
	if (BSP_CORES_MAX == 1u) {
		if (__builtin_expect(bsp_atomic_load(&t->killed) != 0, 0) && t->kill_defer == 0)
			thread_exit_now(0);
		return;
	}
	if (t->kill_defer == 0 && bsp_atomic_load(&t->killed) != 0)
		thread_exit_now(0);
}

void k_thread_yield(void)
{
	bsp_irq_state_t s = bsp_irq_save();
	struct sched_core *c = sched_this_core();
	struct k_thread *t = sched_current(); /* asserts: not from isr */
	K_ASSERT(!t->is_idle);
	bsp_spin_lock(&c->rq.lock);
	t->on_core = SCHED_CORE_NONE;
	if (yield_rotates(c, t)) {
		yield_rotate(c, t);
	} else {
		sched_requeue(c, t, false);
		if (!(t->affinity & core_bit(c->id)))
			c->fix_affinity = true;
		sched_trace("yield", t->id, c->id);
		sched_switch(c);
	}
	yield_exit_if_killed(t);
	bsp_irq_restore(s);
}

int k_thread_sleep_ns(uint64_t duration_ns)
{
	if (duration_ns == K_NO_WAIT) {
		k_thread_yield();
		return 0;
	}
	bsp_irq_state_t s = bsp_irq_save();
	struct sched_core *c = sched_this_core();
	struct k_thread *t = sched_current(); /* asserts: not from isr */
	K_ASSERT(!t->is_idle);
	bsp_spin_lock(&c->rq.lock);
	if (sched_killed(t) && t->kill_defer == 0) {
		bsp_spin_unlock(&c->rq.lock);
	} else {
		t->state = TS_SLEEPING;
		timerq_insert(c, t, sched_deadline(duration_ns));
		sched_trace("sleep", t->id, c->id);
		sched_switch(c);
	}
	sched_exit_if_killed(t);
	bsp_irq_restore(s);
	return 0;
}

k_thread_t *k_thread_self(void)
{
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *t = sched_current();
	bsp_irq_restore(s);
	return t->is_idle ? NULL : t;
}

uint32_t k_thread_id(const k_thread_t *t)
{
	return t ? t->id : 0;
}

const char *k_thread_name(const k_thread_t *t)
{
	return t ? t->name : "";
}

k_proc_t *k_thread_proc(const k_thread_t *t)
{
	return t ? t->proc : NULL;
}

unsigned k_thread_priority_get(const k_thread_t *t)
{
	K_ASSERT(t != NULL);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	unsigned p = t->base_prio;
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return p;
}

unsigned k_thread_priority_effective(const k_thread_t *t)
{
	K_ASSERT(t != NULL);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	unsigned p = t->prio;
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return p;
}

int k_thread_priority_set(k_thread_t *t, unsigned priority)
{
	if (!t || t->is_idle || priority > K_PRIO_MAX)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	unsigned cpu = sched_lock_thread(t);
	bool dead = t->state == TS_DEAD;
	bsp_spin_unlock(&g_sched.core[cpu].rq.lock);
	if (!dead) {
		t->base_prio = priority;
		mutex_pi_propagate(t);
	}
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return dead ? -K_ESRCH : 0;
}

/* t blocked, sleeping or suspended at home `src`, which its new mask
 * excludes: move its home (and its timer) to an allowed core. Both locks
 * held. */
static void move_home_locked(struct k_thread *t, unsigned src, unsigned dst)
{
	struct sched_core *s = &g_sched.core[src], *d = &g_sched.core[dst];
	K_ASSERT(bsp_spin_held(&s->rq.lock) && bsp_spin_held(&d->rq.lock));
	K_ASSERT(t->state == TS_BLOCKED || t->state == TS_SLEEPING || t->state == TS_SUSPENDED);
	bool timed = ql_linked(&t->tq_link);
	uint64_t deadline = t->deadline_ns;
	if (timed)
		timerq_remove(s, t);
	bsp_atomic_store(&t->cpu, dst);
	if (timed)
		timerq_insert(d, t, deadline);
	d->stats.migrations++;
}

/* Off every run queue and off every core, with a home: what moves with its
 * home when its affinity changes. */
static bool thread_parked(const struct k_thread *t)
{
	return t->state == TS_BLOCKED || t->state == TS_SLEEPING || t->state == TS_SUSPENDED;
}

/* One attempt; returns false to retry (t's home changed meanwhile). A
 * blocked or sleeping t moves its home to the first allowed core `dst`.
 * When dst < src the locks are taken again in ascending order (never a
 * trylock: a trylock that loses every retry to a core holding dst's lock —
 * which a PCT schedule makes easy — left the mask set, the home outside
 * it, and k_thread_affinity_set failing with -K_ESRCH for a live thread). */
static bool affinity_apply(struct k_thread *t, k_cpumask_t mask)
{
	unsigned src = sched_lock_thread(t);
	struct sched_core *s = &g_sched.core[src];
	t->affinity = mask;
	if (mask & core_bit(src)) {
		bsp_spin_unlock(&s->rq.lock);
		return true;
	}
	unsigned dst = (unsigned)__builtin_ctzll(mask);
	K_ASSERT(dst != src && dst < g_sched.cores);
	bool dst_locked = false;
	if (thread_parked(t)) {
		if (dst > src) {
			bsp_spin_lock(&g_sched.core[dst].rq.lock);
		} else {
			bsp_spin_unlock(&s->rq.lock);
			sched_lock_two(dst, src);
			if ((unsigned)t->cpu.value != src) {
				sched_unlock_two(dst, src);
				return false;
			}
		}
		dst_locked = true;
	}
	/* t may have been woken while src's lock was dropped: judge it again. */
	if (thread_parked(t)) {
		K_ASSERT(dst_locked);
		move_home_locked(t, src, dst);
		sched_unlock_two(dst, src);
		sched_ipi(dst); /* re-arm its timer */
		return true;
	}
	if (t->state == TS_RUNNING || t->state == TS_READY) {
		s->fix_affinity = true;
		sched_ipi(src);
	}
	if (dst_locked)
		bsp_spin_unlock(&g_sched.core[dst].rq.lock);
	bsp_spin_unlock(&s->rq.lock);
	return true;
}

int k_thread_affinity_set(k_thread_t *t, k_cpumask_t mask)
{
	if (!t || t->is_idle)
		return -K_EINVAL;
	mask &= sched_cores_mask();
	if (mask == 0)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	int rc = -K_EAGAIN; /* t's home moved on every retry */
	for (unsigned tries = 0; tries < SCHED_WAKE_RETRIES_MAX; tries++) {
		unsigned cpu = sched_lock_thread(t);
		bool dead = t->state == TS_DEAD;
		bsp_spin_unlock(&g_sched.core[cpu].rq.lock);
		if (dead) {
			rc = -K_ESRCH;
			break;
		}
		if (affinity_apply(t, mask)) {
			rc = 0;
			break;
		}
	}
	bsp_irq_restore(s);
	return rc;
}

k_cpumask_t k_thread_affinity_get(const k_thread_t *t)
{
	K_ASSERT(t != NULL && !t->is_idle);
	struct k_thread *w = (struct k_thread *)(uintptr_t)t;
	bsp_irq_state_t s = bsp_irq_save();
	unsigned cpu = sched_lock_thread(w);
	k_cpumask_t mask = w->affinity;
	bsp_spin_unlock_irqrestore(&g_sched.core[cpu].rq.lock, s);
	return mask;
}
