/*
 * check.c — k_sched_check: the scheduler's invariants, verified without a
 * lock and without a scheduling point (see k/sched.h).
 *
 * A structure is checked only while its spinlock is free: between simulator
 * steps that means nobody is half-way through changing it. Per-core checks
 * run for every core whose run-queue lock is free; the global cross-checks
 * (every thread in exactly one place, counts) run when every run-queue lock,
 * registry_lock and mutex_lock are free.
 *
 * From a thread, k_sched_check_thread takes all of those locks first (in
 * the lock order) and checks everything under them: the same verdicts,
 * exact on any target, and no plain read of what another core writes
 * (the never-rule). sched_lock_all gives tests the same locks, so that
 * they can corrupt state where no other core can see it.
 */
#include "sched_impl.h"

#include <k/irq.h>

struct chk {
	struct kbuf b;
	char *msg;  /* the caller's buffer: filled only on the first failure */
	size_t cap;
	int err;
	bool held; /* a thread holds every scheduler lock (sched_lock_all) */
};

/* May the checker read what l guards? Between steps: when l is free. From
 * a thread (held): the caller took every lock (sched_lock_all). */
static bool lock_free(const bsp_spinlock_t *l, bool held)
{
	if (held) {
		K_ASSERT(bsp_spin_held(l));
		return true;
	}
	return l->locked == 0;
}

/* Every failure the checker can report: its name, its error code
 * (K_SCHED_CHECK_*), what its number is (a label, CL_NONE: no number) and
 * its sentence. One table, so a check site passes only the failure and its
 * number, and the sentences are one block of text (flash on a small target). */
#define CHECK_FAULTS(X) \
	X(RQ_CLEAR_BIT, RUNQ, CORE_PRIO, "run-queue list not empty under a clear bit") \
	X(RQ_HEAD, RUNQ, CORE_PRIO, "run-queue bitmap or head wrong") \
	X(RQ_LIST, RUNQ, CORE, "run-queue list corrupted") \
	X(RQ_ENTRY, PLACE, CORE, "run-queue entry not ready, wrong prio, home or running") \
	X(RQ_COUNT, RUNQ, CORE, "run-queue count disagrees with its lists") \
	X(TQ_LIST, TIMERQ, CORE, "timer queue corrupted") \
	X(TQ_ORDER, TIMERQ, CORE, "timer queue out of order") \
	X(TQ_ENTRY, PLACE, CORE, "timer entry not waiting or not homed here") \
	X(TQ_COUNT, TIMERQ, CORE, "timer count disagrees") \
	X(NO_CURRENT, PLACE, CORE, "core has no current context") \
	X(ZOMBIE, PLACE, CORE, "zombie left after a switch") \
	X(CURRENT, PLACE, CORE, "current thread not running here") \
	X(WQ_LINK, PLACE, STATE, "wait-queue link and wait_q disagree") \
	X(HOME, PLACE, HOME, "home core out of range") \
	X(EXITED, PLACE, STATE, "exited flag and state disagree") \
	X(SUSPEND_READY, PLACE, NONE, "ready thread with a suspension pending") \
	X(NEW, PLACE, NONE, "new thread already queued") \
	X(READY, PLACE, NONE, "ready thread not in exactly its run queue") \
	X(READY_BIT, RUNQ, PRIO, "ready thread's priority bit clear on its core") \
	X(RUNNING, PLACE, ON_CORE, "running thread not current of its core") \
	X(BLOCKED, PLACE, NONE, "blocked thread not in a wait queue") \
	X(SLEEPING, PLACE, NONE, "sleeping thread not in its timer queue") \
	X(DEAD, PLACE, NONE, "dead thread still queued") \
	X(SUSPENDED, PLACE, NONE, "suspended thread queued or on a core") \
	X(SUSPEND_FLAG, PLACE, NONE, "suspended thread without its flag") \
	X(STATE, PLACE, STATE, "unknown thread state") \
	X(AFFINITY, AFFINITY, AFFINITY, "affinity empty or beyond the cores") \
	X(MX_LIST, MUTEX, AFTER, "mutex list corrupted") \
	X(MX_FREE, MUTEX, MUTEX, "free mutex has waiters") \
	X(MX_OWNER, MUTEX, MUTEX, "mutex owned by an exited thread or not in its held list") \
	X(MX_ORDER, MUTEX, MUTEX, "mutex waiters out of order or mislinked") \
	X(MX_WAITERS, MUTEX, MUTEX, "mutex waiter count disagrees") \
	X(MX_COUNT, COUNT, AFTER, "mutex count disagrees") \
	X(TH_LIST, COUNT, AFTER, "thread list corrupted") \
	X(TH_PRIO, MUTEX, PRIO, "effective priority is not what inheritance gives") \
	X(TH_COUNT, COUNT, AFTER, "thread counts disagree") \
	X(TH_QUEUES, COUNT, READY, "ready or timed threads differ from the queues") \
	X(PR_LIST, COUNT, AFTER, "process list corrupted") \
	X(PR_THREADS, COUNT, PROC, "process thread list wrong") \
	X(PR_LIVE, COUNT, PROC, "process live-thread count disagrees") \
	X(PR_COUNT, COUNT, AFTER, "process count disagrees")

/* What a failure's number is; "mutex#" and "process P" are followed by
 * the number itself, the others by a space. */
#define CHECK_LABELS(X) \
	X(NONE, "") X(CORE, "core") X(CORE_PRIO, "core*100 + priority") X(STATE, "state") \
	X(HOME, "home core") X(PRIO, "priority") X(ON_CORE, "on core") \
	X(AFFINITY, "affinity mask") X(AFTER, "after entries:") X(MUTEX, "mutex#") \
	X(PROC, "process P") X(READY, "ready threads counted")

#define CHECK_FAULT_NAME(name, code, label, text) CF_##name,
enum check_fault { CHECK_FAULTS(CHECK_FAULT_NAME) CHECK_FAULT_COUNT };
#define CHECK_LABEL_NAME(name, text) CL_##name,
enum check_label { CHECK_LABELS(CHECK_LABEL_NAME) CHECK_LABEL_COUNT };

/* Code in the low 3 bits, label above. */
#define CHECK_KIND_CODE_BITS 3u
_Static_assert(K_SCHED_CHECK_AFFINITY < (1u << CHECK_KIND_CODE_BITS), "a code fits its bits");
_Static_assert(CHECK_LABEL_COUNT <= (256u >> CHECK_KIND_CODE_BITS), "a label fits its bits");
#define CHECK_FAULT_KIND(name, code, label, text) \
	(uint8_t)(K_SCHED_CHECK_##code | (CL_##label << CHECK_KIND_CODE_BITS)),
static const uint8_t check_kinds[CHECK_FAULT_COUNT] = { CHECK_FAULTS(CHECK_FAULT_KIND) };
#define CHECK_FAULT_TEXT(name, code, label, text) text "\0"
static const char check_texts[] = CHECK_FAULTS(CHECK_FAULT_TEXT);
#define CHECK_LABEL_TEXT(name, text) text "\0"
static const char check_label_texts[] = CHECK_LABELS(CHECK_LABEL_TEXT);

/* The i-th of the NUL-separated texts of blob[bytes]. */
static const char *nth_text(const char *blob, size_t bytes, unsigned i)
{
	size_t at = 0;
	for (unsigned n = 0; n < i; n++) {
		while (at < bytes && blob[at] != '\0')
			at++;
		at++;
	}
	K_ASSERT(at < bytes);
	return blob + at;
}

static bool label_joins(const char *label)
{
	size_t n = 0;
	while (label[n] != '\0' && n < 64u)
		n++;
	K_ASSERT(n < 64u);
	return n > 0 && (label[n - 1] == '#' || label[n - 1] == 'P');
}

/* Record the first failure: its code and a message naming what broke, the
 * thread t (NULL: none) and the number v with its label. */
static bool fail(struct chk *k, enum check_fault f, const struct k_thread *t, uint64_t v)
{
	K_ASSERT((unsigned)f < CHECK_FAULT_COUNT);
	if (k->err != 0)
		return false;
	unsigned kind = check_kinds[f], label = kind >> CHECK_KIND_CODE_BITS;
	K_ASSERT(label < CHECK_LABEL_COUNT);
	k->err = -(int)(kind & ((1u << CHECK_KIND_CODE_BITS) - 1u));
	kbuf_init(&k->b, k->msg, k->cap);
	kbuf_puts(&k->b, "k_sched_check: ");
	kbuf_puts(&k->b, nth_text(check_texts, sizeof check_texts, f));
	if (t) {
		kbuf_puts(&k->b, " (T");
		kbuf_putu(&k->b, t->id);
		kbuf_puts(&k->b, " '");
		kbuf_puts(&k->b, t->name);
		kbuf_puts(&k->b, "')");
	}
	if (label != CL_NONE) {
		const char *text = nth_text(check_label_texts, sizeof check_label_texts, label);
		kbuf_puts(&k->b, " [");
		kbuf_puts(&k->b, text);
		if (!label_joins(text))
			kbuf_puts(&k->b, " ");
		kbuf_putu(&k->b, v);
		kbuf_puts(&k->b, "]");
	}
	return false;
}

static bool link_ok(const struct qlink *n)
{
	return n->next && n->prev && n->next->prev == n && n->prev->next == n;
}

/* Cost O(ready threads + set bitmap bits), not O(K_PRIO_LEVELS): the
 * lists of set bits are walked in full (each entry READY, of that priority,
 * homed here, not running; their total == rq.count == nr_ready where the
 * hint is kept). "No non-empty list under a clear bit" is proved from the
 * thread side once every lock is free: each READY thread's priority bit is
 * set on its home core (check_thread_place) and the READY threads number exactly the sum of
 * the counts (check_threads), so every READY thread is one of the entries
 * walked here and a clear-bit list can hold none. A clear-bit head that is
 * itself corrupted (not NULL: pointing into some other list) is caught by
 * the rotating `spot`: one clear-bit head per core per call, all 64 within
 * 64 consecutive calls. A level is a ring from its first pointer (no head
 * node, sched_impl.h): the walk ends when it comes back to the first, and
 * at K_THREADS_MAX entries if it never does. */
static bool check_runq_lists(struct chk *k, const struct sched_core *c, unsigned spot)
{
	const struct runq *rq = &c->rq;
	unsigned total = 0;
	K_ASSERT(spot < K_PRIO_LEVELS);
	if (!((rq->bitmap >> spot) & 1u) && rq->first[spot] != NULL)
		return fail(k, CF_RQ_CLEAR_BIT, NULL, c->id * 100u + spot);
	for (uint64_t bits = rq->bitmap; bits != 0; bits &= bits - 1u) {
		unsigned p = (unsigned)__builtin_ctzll(bits);
		const struct qlink *h = rq->first[p];
		if (!h || !link_ok(h))
			return fail(k, CF_RQ_HEAD, NULL, c->id * 100u + p);
		const struct qlink *l = h;
		do {
			const struct k_thread *t = ql_entry(l, struct k_thread, rq_link);
			if (++total > K_THREADS_MAX || !link_ok(l))
				return fail(k, CF_RQ_LIST, NULL, c->id);
			if (t->state != TS_READY || t->prio != p || t->cpu.value != c->id ||
			    t->on_core != SCHED_CORE_NONE)
				return fail(k, CF_RQ_ENTRY, t, c->id);
			l = l->next;
		} while (l != h);
	}
	/* The nr_ready hint is kept only where other cores read it. A thread
	 * handed over (SCHED_IRQ_HANDOFF) is READY outside the lists: it
	 * exists only inside the kernel's interrupt handler, never here. */
	if (total != rq->count || (BSP_CORES_MAX > 1u && c->nr_ready.value != rq->count) ||
	    (SCHED_IRQ_HANDOFF && c->handoff != NULL))
		return fail(k, CF_RQ_COUNT, NULL, c->id);
	return true;
}

static bool check_timerq(struct chk *k, const struct sched_core *c)
{
	const struct qlink *h = &c->rq.timers;
	unsigned total = 0;
	uint64_t last = 0;
	for (const struct qlink *l = h->next; l != h; l = l->next) {
		const struct k_thread *t = ql_entry(l, struct k_thread, tq_link);
		if (++total > K_THREADS_MAX || !link_ok(l))
			return fail(k, CF_TQ_LIST, NULL, c->id);
		if (t->deadline_ns < last)
			return fail(k, CF_TQ_ORDER, t, c->id);
		last = t->deadline_ns;
		if ((t->state != TS_BLOCKED && t->state != TS_SLEEPING) || t->cpu.value != c->id)
			return fail(k, CF_TQ_ENTRY, t, c->id);
	}
	if (total != c->rq.timer_count)
		return fail(k, CF_TQ_COUNT, NULL, c->id);
	return true;
}

static bool check_core(struct chk *k, const struct sched_core *c, unsigned spot)
{
	if (!check_runq_lists(k, c, spot) || !check_timerq(k, c))
		return false;
	const struct k_thread *cur = c->current;
	if (!cur)
		return fail(k, CF_NO_CURRENT, NULL, c->id);
	if (c->zombie)
		return fail(k, CF_ZOMBIE, c->zombie, c->id);
	if (!cur->is_idle && (cur->state != TS_RUNNING || cur->on_core != c->id ||
			      cur->cpu.value != c->id || ql_linked(&cur->rq_link)))
		return fail(k, CF_CURRENT, cur, c->id);
	return true;
}

static bool check_thread_where(struct chk *k, const struct k_thread *t);

/* Where t is, against its state. Every scheduler lock is free (between
 * steps) or held by the caller (k->held). A waker holding a blocked
 * thread's object lock may be between taking it out of the wait queue and
 * making it ready: t is judged once that lock is free. A thread caller
 * takes that lock too (a trylock: object locks come before run-queue locks
 * in the lock order, so it must not wait), as its wait-queue links are
 * written under it; mutex waiters' lock is mutex_lock, held already. */
static bool check_thread_place(struct chk *k, const struct k_thread *t)
{
	if (t->state != TS_BLOCKED || !t->wait_lock)
		return check_thread_where(k, t);
	if (!k->held)
		return lock_free(t->wait_lock, false) ? check_thread_where(k, t) : true;
	if (bsp_spin_held(t->wait_lock))
		return check_thread_where(k, t);
	if (!bsp_spin_trylock(t->wait_lock))
		return true;
	bool ok = check_thread_where(k, t);
	bsp_spin_unlock(t->wait_lock);
	return ok;
}

static bool check_thread_where(struct chk *k, const struct k_thread *t)
{
	K_ASSERT(t != NULL && k != NULL);
	bool in_rq = ql_linked(&t->rq_link), in_tq = ql_linked(&t->tq_link);
	bool in_wq = ql_linked(&t->wq_link);
	if (in_wq != (t->wait_q != NULL))
		return fail(k, CF_WQ_LINK, t, t->state);
	if (t->cpu.value >= g_sched.cores)
		return fail(k, CF_HOME, t, t->cpu.value);
	if (t->exited != (t->state == TS_DEAD) && !(t->exited && t->state == TS_RUNNING))
		return fail(k, CF_EXITED, t, t->state);
	if (t->suspended && t->state == TS_READY)
		return fail(k, CF_SUSPEND_READY, t, 0);
	switch (t->state) {
	case TS_NEW:
		if (in_rq || in_tq || in_wq)
			return fail(k, CF_NEW, t, 0);
		break;
	case TS_READY:
		if (!in_rq || in_tq)
			return fail(k, CF_READY, t, 0);
		if (t->prio >= K_PRIO_LEVELS ||
		    !((g_sched.core[t->cpu.value].rq.bitmap >> t->prio) & 1u))
			return fail(k, CF_READY_BIT, t, t->prio);
		break;
	case TS_RUNNING:
		if (in_rq || in_tq || t->on_core >= g_sched.cores ||
		    g_sched.core[t->on_core].current != t)
			return fail(k, CF_RUNNING, t, t->on_core);
		break;
	case TS_BLOCKED:
		if (in_rq || !in_wq)
			return fail(k, CF_BLOCKED, t, 0);
		break;
	case TS_SLEEPING:
		if (in_rq || in_wq || !in_tq)
			return fail(k, CF_SLEEPING, t, 0);
		break;
	case TS_DEAD:
		if (in_rq || in_tq || in_wq)
			return fail(k, CF_DEAD, t, 0);
		break;
	case TS_SUSPENDED:
		/* It may still be in a wait queue: a timeout ended its wait and
		 * it leaves the queue itself when it next runs. */
		if (in_rq || in_tq || t->on_core != SCHED_CORE_NONE)
			return fail(k, CF_SUSPENDED, t, 0);
		if (!t->suspended)
			return fail(k, CF_SUSPEND_FLAG, t, 0);
		break;
	default:
		return fail(k, CF_STATE, t, t->state);
	}
	if (t->affinity == 0 || (t->affinity & ~g_sched.cores_mask) != 0)
		return fail(k, CF_AFFINITY, t, t->affinity);
	return true;
}

/* Inherited priority as k_sched_check sees it (no asserts). */
static unsigned effective_prio(const struct k_thread *t)
{
	unsigned prio = t->base_prio, n = 0;
	for (const struct qlink *l = t->held.next; l != &t->held && n < K_MUTEX_HELD_MAX;
	     l = l->next, n++) {
		const struct k_mutex *m = ql_entry(l, struct k_mutex, held_link);
		if (!ql_empty(&m->waiters.head)) {
			const struct k_thread *w = ql_entry(m->waiters.head.next, struct k_thread, wq_link);
			if (w->prio > prio)
				prio = w->prio;
		}
	}
	return prio;
}

static bool check_mutexes(struct chk *k)
{
	unsigned n = 0;
	for (const struct qlink *l = g_sched.mutexes.next; l != &g_sched.mutexes; l = l->next) {
		const struct k_mutex *m = ql_entry(l, struct k_mutex, all_link);
		if (++n > SCHED_CHECK_OBJECTS_MAX || !link_ok(l))
			return fail(k, CF_MX_LIST, NULL, n);
		if (!m->owner) {
			if (m->waiters.count != 0)
				return fail(k, CF_MX_FREE, NULL, m->obj.id);
			continue;
		}
		if (m->owner->exited || !ql_linked(&m->held_link))
			return fail(k, CF_MX_OWNER, m->owner, m->obj.id);
		unsigned last = K_PRIO_LEVELS, w = 0;
		for (const struct qlink *q = m->waiters.head.next; q != &m->waiters.head; q = q->next) {
			const struct k_thread *t = ql_entry(q, struct k_thread, wq_link);
			if (++w > K_THREADS_MAX || t->prio > last || t->wait_q != &m->waiters)
				return fail(k, CF_MX_ORDER, t, m->obj.id);
			last = t->prio;
		}
		if (w != m->waiters.count)
			return fail(k, CF_MX_WAITERS, NULL, m->obj.id);
	}
	if (n != g_sched.mutex_count)
		return fail(k, CF_MX_COUNT, NULL, n);
	return true;
}

static bool check_threads(struct chk *k)
{
	unsigned n = 0, live = 0, ready = 0, timed = 0;
	for (const struct qlink *l = g_sched.threads.next; l != &g_sched.threads; l = l->next) {
		const struct k_thread *t = ql_entry(l, struct k_thread, all_link);
		if (++n > K_THREADS_MAX + 1u || !link_ok(l))
			return fail(k, CF_TH_LIST, NULL, n);
		if (!check_thread_place(k, t))
			return false;
		live += !t->exited;
		ready += t->state == TS_READY;
		timed += ql_linked(&t->tq_link);
		if (!t->exited && t->prio != effective_prio(t))
			return fail(k, CF_TH_PRIO, t, t->prio);
	}
	unsigned rq_total = 0, tq_total = 0;
	for (unsigned i = 0; i < g_sched.cores; i++) {
		rq_total += g_sched.core[i].rq.count;
		tq_total += g_sched.core[i].rq.timer_count;
	}
	if (n != g_sched.threads_count || live != g_sched.threads_live)
		return fail(k, CF_TH_COUNT, NULL, n);
	if (ready != rq_total || timed != tq_total)
		return fail(k, CF_TH_QUEUES, NULL, ready);
	return true;
}

static bool check_procs(struct chk *k)
{
	unsigned np = 0;
	for (const struct qlink *l = g_sched.procs.next; l != &g_sched.procs; l = l->next) {
		const struct k_proc *p = ql_entry(l, struct k_proc, link);
		if (++np > K_MEM_OWNERS_MAX || !link_ok(l))
			return fail(k, CF_PR_LIST, NULL, np);
		unsigned live = 0, n = 0;
		for (const struct qlink *q = p->threads.next; q != &p->threads; q = q->next) {
			const struct k_thread *t = ql_entry(q, struct k_thread, proc_link);
			if (++n > K_THREADS_MAX || t->proc != p)
				return fail(k, CF_PR_THREADS, t, p->id);
			live += !t->exited;
		}
		if (live != p->threads_live)
			return fail(k, CF_PR_LIVE, NULL, p->id);
	}
	if (np != g_sched.procs_count)
		return fail(k, CF_PR_COUNT, NULL, np);
	return true;
}

static int check_all(char *msg, size_t cap, bool held)
{
	struct chk k;
	k.msg = msg;
	k.cap = msg ? cap : 0;
	k.err = 0;
	k.held = held;
	if (k.cap)
		msg[0] = '\0';
	if (!g_sched.booted.value)
		return 0;
	bool all_free = lock_free(&g_sched.registry_lock, held) && lock_free(&g_sched.mutex_lock, held);
	/* Only this function writes check_spot; a boot resets it, so a replayed
	 * run checks the same heads as the original. */
	unsigned spot = g_sched.check_spot++ % K_PRIO_LEVELS;
	for (unsigned i = 0; i < g_sched.cores; i++) {
		const struct sched_core *c = &g_sched.core[i];
		if (!lock_free(&c->rq.lock, held)) {
			all_free = false;
			continue;
		}
		if (!check_core(&k, c, spot))
			return k.err;
	}
	if (!all_free)
		return 0;
	if (!check_threads(&k) || !check_mutexes(&k) || !check_procs(&k))
		return k.err;
	return 0;
}

int k_sched_check(char *msg, size_t cap)
{
	return check_all(msg, cap, false);
}

void sched_lock_all(bsp_irq_state_t *irq)
{
	K_ASSERT(irq != NULL && g_sched.booted.value);
	K_ASSERT(g_sched.cores >= 1u && g_sched.cores <= BSP_CORES_MAX);
	*irq = bsp_irq_save();
	bsp_spin_lock(&g_sched.registry_lock); /* level 1 */
	bsp_spin_lock(&g_sched.mutex_lock);    /* level 2, no object lock */
	for (unsigned i = 0; i < g_sched.cores; i++) /* level 3, ascending */
		bsp_spin_lock(&g_sched.core[i].rq.lock);
}

void sched_unlock_all(bsp_irq_state_t irq)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock) && bsp_spin_held(&g_sched.mutex_lock));
	for (unsigned i = g_sched.cores; i > 0; i--)
		bsp_spin_unlock(&g_sched.core[i - 1u].rq.lock);
	bsp_spin_unlock(&g_sched.mutex_lock);
	bsp_spin_unlock(&g_sched.registry_lock);
	bsp_irq_restore(irq);
}

int sched_check_held(char *msg, size_t cap)
{
	K_ASSERT(g_sched.booted.value);
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock) && bsp_spin_held(&g_sched.mutex_lock));
	return check_all(msg, cap, true);
}

int k_sched_check_thread(char *msg, size_t cap)
{
	K_ASSERT(!k_in_isr());
	if (!g_sched.booted.value)
		return check_all(msg, cap, false); /* says 0, as k_sched_check */
	bsp_irq_state_t irq;
	sched_lock_all(&irq);
	int rc = sched_check_held(msg, cap);
	sched_unlock_all(irq);
	return rc;
}
