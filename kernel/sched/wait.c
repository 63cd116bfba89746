/*
 * wait.c — wait queues and blocking with a timeout, shared by every sync
 * object, join and process wait.
 *
 * Protocol: the waiter, holding the object's lock, queues itself
 * (wait_prepare) and calls sched_block, which sleeps and returns with the
 * object's lock held again. A waker, holding the same lock, takes the waiter
 * out of the queue, stores a result and makes it ready (wait_wake_first). A
 * timeout or a kill only makes the waiter ready; the waiter then finds itself
 * still queued, leaves the queue itself and reports -K_ETIMEDOUT or
 * -K_ECANCELED. So queue membership, under the object's lock, decides who
 * won a race between a waker and a timeout or kill.
 */
#include "sched_impl.h"

void wq_init(struct wait_queue *wq)
{
	ql_head_init(&wq->head);
	wq->count = 0;
	K_ASSERT(ql_empty(&wq->head));
}

/* Most urgent first, FIFO among equals. */
void wq_insert(struct wait_queue *wq, struct k_thread *t)
{
	K_ASSERT_MSG(t->wait_lock != NULL && bsp_spin_held(t->wait_lock), "wq_insert: wait queue's lock not held");
	K_ASSERT(wq->count < SCHED_WAITERS_MAX);
	K_ASSERT(!ql_linked(&t->wq_link));
	struct qlink *pos = wq->head.next;
	for (unsigned n = 0; pos != &wq->head; n++) {
		K_ASSERT(n < SCHED_WAITERS_MAX);
		if (ql_entry(pos, struct k_thread, wq_link)->prio < t->prio)
			break;
		pos = pos->next;
	}
	ql_insert_before(pos, &t->wq_link);
	wq->count++;
}

void wq_remove(struct wait_queue *wq, struct k_thread *t)
{
	K_ASSERT_MSG(t->wait_lock != NULL && bsp_spin_held(t->wait_lock), "wq_remove: wait queue's lock not held");
	K_ASSERT(wq->count > 0);
	K_ASSERT(t->wait_q == wq);
	ql_remove(&t->wq_link);
	wq->count--;
}

struct k_thread *wq_first(const struct wait_queue *wq)
{
	if (ql_empty(&wq->head)) {
		K_ASSERT(wq->count == 0);
		return NULL;
	}
	return ql_entry(wq->head.next, struct k_thread, wq_link);
}

/* Queue t (the caller) on wq; lock is the object's, held. */
void wait_prepare(struct k_thread *t, struct wait_queue *wq, bsp_spinlock_t *lock,
		  struct k_obj *obj)
{
	K_ASSERT(bsp_spin_held(lock));
	K_ASSERT(t->wait_q == NULL);
	t->wait_q = wq;
	t->wait_lock = lock;
	t->wait_obj = obj;
	t->wait_result = 0;
	t->wait_data = NULL;
	wq_insert(wq, t);
	if (obj)
		sched_trace_detail(obj_wait_kind(obj->type), t->id, obj->id, NULL);
}

/* Take the first waiter out of wq, give it `result`, make it ready. Caller
 * holds the object's lock. Returns the thread woken, or NULL. */
struct k_thread *wait_wake_first(struct wait_queue *wq, int result)
{
	struct k_thread *t = wq_first(wq);
	if (!t)
		return NULL;
	K_ASSERT(bsp_spin_held(t->wait_lock));
	wq_remove(wq, t);
	t->wait_q = NULL;
	t->wait_result = result;
	(void)sched_wake(t);
	return t;
}

/* Absolute deadline for a relative timeout, saturating. */
uint64_t sched_deadline(uint64_t timeout_ns)
{
	K_ASSERT(timeout_ns != K_NO_WAIT);
	uint64_t now = bsp_clock_ns();
	if (timeout_ns == K_FOREVER || timeout_ns > UINT64_MAX - 1u - now)
		return UINT64_MAX - 1u;
	return now + timeout_ns;
}

/* The caller has queued itself with wait_prepare and holds `lock` (that
 * object's), interrupts off. Sleeps until woken, timed out or killed.
 * Returns with `lock` held: the waker's result (0 or what it stored),
 * -K_ETIMEDOUT, or -K_ECANCELED (killed; the caller must undo and reach a
 * kill point). */
int sched_block(bsp_spinlock_t *lock, uint64_t timeout_ns)
{
	K_ASSERT(bsp_spin_held(lock));
	K_ASSERT(timeout_ns != K_NO_WAIT);
	struct sched_core *c = sched_this_core();
	K_ASSERT_MSG(c->isr_depth == 0, "a blocking call made from isr");
	struct k_thread *t = c->current;
	K_ASSERT(!t->is_idle && t->wait_q != NULL && t->wait_lock == lock);
	K_ASSERT_MSG(t->kill_defer == 0, "sched_block: blocking inside a kill-deferred section");
	bsp_spin_lock(&c->rq.lock);
	/* A kill that saw us running (before this lock) set the flag first. */
	if (sched_killed(t)) {
		bsp_spin_unlock(&c->rq.lock);
		wq_remove(t->wait_q, t);
		t->wait_q = NULL;
		return -K_ECANCELED;
	}
	t->state = TS_BLOCKED;
	if (timeout_ns != K_FOREVER)
		timerq_insert(c, t, sched_deadline(timeout_ns));
	sched_trace("block", t->id, t->wait_obj ? t->wait_obj->id : 0u);
	bsp_spin_unlock(lock);
	sched_switch(c);
	bsp_spin_lock(lock);
	K_ASSERT(t->state == TS_RUNNING);
	if (t->wait_q != NULL) {
		wq_remove(t->wait_q, t);
		t->wait_q = NULL;
		return sched_killed(t) ? -K_ECANCELED : -K_ETIMEDOUT;
	}
	return t->wait_result;
}
