/*
 * runq.c — one core's run queue and timer queue.
 *
 * Run queue: a list per priority plus a 64-bit bitmap of the non-empty
 * lists, so the most urgent ready thread is found in O(1) (count leading
 * zeros); round-robin among equals is "take from the head, put back at the
 * tail". A level is one pointer to its first thread, the threads a ring
 * (sched_impl.h): rq_level_push below, rq_level_unlink and runq_rotate are
 * the only writers of rq.first (smp.c's planted missing lock also
 * unlinks). Timer queue: threads with a deadline (sleeping, or blocked with
 * a timeout), earliest first. Both are guarded by rq.lock; every function here
 * asserts the caller holds it.
 */
#include "sched_impl.h"

void runq_init(struct runq *rq)
{
	bsp_spin_init(&rq->lock);
	rq->bitmap = 0;
	for (unsigned p = 0; p < K_PRIO_LEVELS; p++)
		rq->first[p] = NULL;
	rq->count = 0;
	ql_head_init(&rq->timers);
	rq->timer_count = 0;
	K_ASSERT(ql_empty(&rq->timers));
}

/* Link n into level p's ring: at the tail, or as the new first (at_head).
 * An empty level's ring is n alone. */
static void rq_level_push(struct runq *rq, unsigned p, struct qlink *n, bool at_head)
{
	K_ASSERT(p < K_PRIO_LEVELS);
	K_ASSERT_MSG(!ql_linked(n), "run queue: thread queued twice");
	struct qlink *first = rq->first[p];
	if (!first) {
		n->next = n;
		n->prev = n;
		rq->first[p] = n;
		return;
	}
	ql_insert_before(first, n); /* before the first is the ring's tail */
	if (at_head)
		rq->first[p] = n;
	K_ASSERT(rq->first[p]->prev->next == rq->first[p]);
}

/* The ready count other cores read without the lock (placing a new
 * thread, stealing). A one-core build (BSP_CORES_MAX 1, folded) has no
 * other core to read it: the store folds away and the hint stays 0. */
static void runq_hint(struct sched_core *c)
{
	if (BSP_CORES_MAX > 1u)
		bsp_atomic_store(&c->nr_ready, c->rq.count);
}

/* Caller holds c->rq.lock; t is READY and in no queue. */
void runq_enqueue(struct sched_core *c, struct k_thread *t, bool at_head)
{
	struct runq *rq = &c->rq;
	K_ASSERT(bsp_spin_held(&rq->lock));
	K_ASSERT_MSG(t->state == TS_READY, "runq_enqueue: thread not ready");
	K_ASSERT_MSG(t->on_core == SCHED_CORE_NONE, "runq_enqueue: thread is running on a core");
	K_ASSERT_MSG(!t->is_idle, "runq_enqueue: idle thread");
	K_ASSERT(t->prio < K_PRIO_LEVELS);
	K_ASSERT(rq->count < K_THREADS_MAX);
	rq_level_push(rq, t->prio, &t->rq_link, at_head);
	rq->bitmap |= (uint64_t)1u << t->prio;
	rq->count++;
	if (K_CONFIG_SCHED_WAIT_STATS)
		t->ready_since_ns = bsp_clock_ns();
	runq_hint(c);
	/* Not the running thread going back in line (a yield, a preemption),
	 * and mostly another level than the running thread's: two compares. */
	if (SCHED_SLICE_ON_DEMAND && t != c->current && t->prio == c->current->prio)
		sched_slice_demand(c, t->prio);
}

/* runq_remove's body, shared with runq_pick: the switch path's take
 * inlines it (runq_remove called there, out of line, cost the
 * interrupt-preemption case 4 more instructions, bench/rtos/run.sh). */
static inline void runq_unqueue(struct sched_core *c, struct k_thread *t)
{
	struct runq *rq = &c->rq;
	K_ASSERT(bsp_spin_held(&rq->lock));
	K_ASSERT_MSG(t->state == TS_READY, "runq_remove: thread not ready");
	K_ASSERT(rq->count > 0);
	if (rq_level_unlink(rq, t->prio, &t->rq_link))
		rq->bitmap &= ~((uint64_t)1u << t->prio);
	rq->count--;
	runq_hint(c);
}

/* Caller holds c->rq.lock; t is READY in this run queue. */
void runq_remove(struct sched_core *c, struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&c->rq.lock));
	K_ASSERT(ql_linked(&t->rq_link));
	runq_unqueue(c, t);
}

/* 0 if empty, else the most urgent ready priority + 1. */
unsigned runq_top_prio(const struct runq *rq)
{
	if (rq->bitmap == 0)
		return 0;
	unsigned p = 63u - (unsigned)__builtin_clzll(rq->bitmap);
	K_ASSERT(!rq_level_empty(rq, p));
	return p + 1u;
}

/* The ready-wait accounting of t, leaving the run queue at now_ns. */
void runq_note_wait(struct sched_core *c, const struct k_thread *t, uint64_t now_ns)
{
	if (!K_CONFIG_SCHED_WAIT_STATS)
		return;
	K_ASSERT(bsp_spin_held(&c->rq.lock));
	uint64_t waited = now_ns >= t->ready_since_ns ? now_ns - t->ready_since_ns : 0u;
	if (waited > c->stats.ready_wait_max_ns)
		c->stats.ready_wait_max_ns = waited;
}

/* Take the most urgent ready thread (head of its list), or NULL. now_ns:
 * the clock as the caller read it (for the ready-wait accounting). */
struct k_thread *runq_pick(struct sched_core *c, uint64_t now_ns)
{
	struct runq *rq = &c->rq;
	K_ASSERT(bsp_spin_held(&rq->lock));
	unsigned top = runq_top_prio(rq);
	if (top == 0) {
		K_ASSERT(rq->count == 0);
		return NULL;
	}
	struct k_thread *t = ql_entry(rq_level_first(rq, top - 1u), struct k_thread, rq_link);
	K_ASSERT(t->prio == top - 1u);
	runq_unqueue(c, t);
	runq_note_wait(c, t, now_ns);
	return t;
}

/* The one-core yield (BSP_CORES_MAX 1): t, just stopped running and READY,
 * goes to the tail of its priority's list and that list's head leaves it,
 * to run. When t's priority is the most urgent one ready (the caller's
 * test), that is exactly runq_enqueue(t, tail) then runq_pick; the list
 * stays non-empty and the count stays the same, so the bitmap, the count
 * and the hints are left alone. Never on several cores: there the two
 * calls' hint stores are scheduling points the simulator's recorded
 * schedules count on. */
struct k_thread *runq_rotate(struct sched_core *c, struct k_thread *t, uint64_t now_ns)
{
	struct runq *rq = &c->rq;
	K_ASSERT(BSP_CORES_MAX == 1u);
	K_ASSERT(bsp_spin_held(&rq->lock));
	K_ASSERT_MSG(t->state == TS_READY && t->on_core == SCHED_CORE_NONE,
		     "runq_rotate: thread not ready or still running");
	K_ASSERT(runq_top_prio(rq) == t->prio + 1u);
	struct qlink **first = &rq->first[t->prio];
	struct qlink *h = *first, *tl = &t->rq_link;
	struct k_thread *next = ql_entry(h, struct k_thread, rq_link);
	K_ASSERT(next->state == TS_READY && next->prio == t->prio);
	K_ASSERT(!ql_linked(tl));
	/* t takes next's place in the ring, and the level's first moves one
	 * on: the ring read from there ends with t, as tail insertion would.
	 * h's neighbours read once, before any store (the stores could
	 * alias them, so the compiler would read them again). */
	struct qlink *after = h->next, *before = h->prev;
	if (after == h) {
		after = tl;
		before = tl;
	} else {
		after->prev = tl;
		before->next = tl;
	}
	tl->next = after;
	tl->prev = before;
	h->next = NULL;
	h->prev = NULL;
	*first = after;
	if (K_CONFIG_SCHED_WAIT_STATS)
		t->ready_since_ns = now_ns;
	runq_note_wait(c, next, now_ns);
	K_ASSERT(!rq_level_empty(rq, t->prio));
	return next;
}

/* Caller holds c->rq.lock; t's home is c; keeps the queue sorted (FIFO among
 * equal deadlines). Walk bounded by the thread count. */
void timerq_insert(struct sched_core *c, struct k_thread *t, uint64_t deadline_ns)
{
	struct runq *rq = &c->rq;
	K_ASSERT(bsp_spin_held(&rq->lock));
	K_ASSERT(!ql_linked(&t->tq_link));
	K_ASSERT(rq->timer_count < K_THREADS_MAX);
	t->deadline_ns = deadline_ns;
	struct qlink *pos = rq->timers.next;
	for (unsigned n = 0; pos != &rq->timers; n++) {
		K_ASSERT(n < K_THREADS_MAX);
		struct k_thread *o = ql_entry(pos, struct k_thread, tq_link);
		if (o->deadline_ns > deadline_ns)
			break;
		pos = pos->next;
	}
	ql_insert_before(pos, &t->tq_link);
	rq->timer_count++;
	/* SCHED_TIMER_SLICE_ONLY: a timeout earlier than the armed timer
	 * re-arms here, so a switch need only test its slice end. */
	if (SCHED_TIMER_SLICE_ONLY && deadline_ns < c->timer_armed_ns)
		sched_timer_rearm(c);
	if (SCHED_TIMER_SLICE_ONLY)
		K_ASSERT(c->timer_armed_ns <= deadline_ns);
}

void timerq_remove(struct sched_core *c, struct k_thread *t)
{
	struct runq *rq = &c->rq;
	K_ASSERT(bsp_spin_held(&rq->lock));
	K_ASSERT(rq->timer_count > 0);
	ql_remove(&t->tq_link);
	rq->timer_count--;
}
