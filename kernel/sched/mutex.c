/*
 * mutex.c — sleeping mutex with owner tracking, direct hand-off and priority
 * inheritance.
 *
 * Every mutex field, every thread's held list, base priority and
 * blocked_on_mutex are guarded by the one g_sched.mutex_lock, so a
 * priority-inheritance chain (thread -> mutex it waits on -> owner -> ...) is
 * walked and updated consistently. Invariant (checked by k_sched_check):
 *   t->prio == max(t->base_prio, most urgent waiter of each mutex t holds).
 */
#include "sched_impl.h"

static void held_add(struct k_thread *t, struct k_mutex *m)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	K_ASSERT(t->held_count < K_MUTEX_HELD_MAX);
	ql_insert_before(&t->held, &m->held_link);
	t->held_count++;
}

static void held_remove(struct k_thread *t, struct k_mutex *m)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	K_ASSERT(t->held_count > 0);
	ql_remove(&m->held_link);
	t->held_count--;
}

/* max(base, most urgent waiter of every held mutex). mutex_lock held. */
unsigned mutex_effective_prio(const struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	unsigned prio = t->base_prio;
	unsigned n = 0;
	for (const struct qlink *l = t->held.next; l != &t->held; l = l->next) {
		K_ASSERT(++n <= K_MUTEX_HELD_MAX);
		const struct k_mutex *m = ql_entry(l, struct k_mutex, held_link);
		K_ASSERT(m->owner == t);
		const struct k_thread *w = wq_first(&m->waiters);
		if (w && w->prio > prio)
			prio = w->prio;
	}
	K_ASSERT(prio < K_PRIO_LEVELS);
	return prio;
}

/* Recompute t's effective priority and carry a change along the chain of
 * mutexes: t waits on m -> m's owner -> ... (at most K_PI_CHAIN_MAX links). */
void mutex_pi_propagate(struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	for (unsigned depth = 0; t != NULL && depth < K_PI_CHAIN_MAX; depth++) {
		unsigned want = mutex_effective_prio(t);
		if (want == t->prio)
			return;
		sched_set_prio(t, want);
		struct k_mutex *m = t->blocked_on_mutex;
		if (!m)
			return;
		/* t's place among m's waiters follows its priority. */
		wq_remove(&m->waiters, t);
		wq_insert(&m->waiters, t);
		K_ASSERT(m->owner != NULL && m->owner != t);
		t = m->owner;
	}
}

/* The owner t gives m to its most urgent waiter (or frees it), then drops
 * what it inherited through m. mutex_lock held. */
void mutex_unlock_locked(struct k_mutex *m, struct k_thread *t)
{
	K_ASSERT(bsp_spin_held(&g_sched.mutex_lock));
	K_ASSERT(m->owner == t);
	held_remove(t, m);
	struct k_thread *w = wq_first(&m->waiters);
	if (w) {
		K_ASSERT(w->blocked_on_mutex == m);
		w->blocked_on_mutex = NULL;
		m->owner = w;
		held_add(w, m);
		(void)wait_wake_first(&m->waiters, 0);
		sched_trace_detail("handover", m->obj.id, w->id, NULL);
		mutex_pi_propagate(w);
	} else {
		m->owner = NULL;
	}
	sched_trace("unlock", m->obj.id, t->id);
	if (PLANTED_PI_RESTORE) {
		/* The planted bug: back to the base priority, forgetting what the
		 * other mutexes t still holds make it inherit. */
		if (t->prio != t->base_prio)
			sched_set_prio(t, t->base_prio);
		return;
	}
	mutex_pi_propagate(t);
}

static int mutex_create_deferred(k_mutex_t **out, const char *name)
{
	if (!out)
		return -K_EINVAL;
	struct k_mutex *m = k_mem_zalloc(sizeof *m, proc_owner_of_caller());
	if (!m)
		return -K_ENOMEM;
	m->owner = NULL;
	wq_init(&m->waiters);
	obj_add(&m->obj, OBJ_MUTEX, name);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	ql_insert_before(&g_sched.mutexes, &m->all_link);
	g_sched.mutex_count++;
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	*out = m;
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_mutex_create(k_mutex_t **out, const char *name)
{
	sched_kill_defer();
	int rc = mutex_create_deferred(out, name);
	sched_kill_allow();
	return rc;
}

/* Unlink a free mutex; returns false if it is owned or waited on. */
static bool mutex_unlink(struct k_mutex *m)
{
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	bool busy = m->owner != NULL || m->waiters.count != 0;
	if (!busy) {
		ql_remove(&m->all_link);
		K_ASSERT(g_sched.mutex_count > 0);
		g_sched.mutex_count--;
	}
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return !busy;
}

static int mutex_destroy_deferred(k_mutex_t *m)
{
	if (!m || m->obj.type != OBJ_MUTEX)
		return -K_EINVAL;
	if (!mutex_unlink(m))
		return -K_EBUSY;
	obj_unregister(&m->obj);
	k_mem_free(m);
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_mutex_destroy(k_mutex_t *m)
{
	sched_kill_defer();
	int rc = mutex_destroy_deferred(m);
	sched_kill_allow();
	return rc;
}

/* Tracker: the process that owns m is being reaped; nobody may use it. */
/* The tracker frees a leftover mutex (registry_lock held): out of its
 * owner's held list and the list of all mutexes. */
static void mutex_free_leftover(struct k_obj *o)
{
	struct k_mutex *m = (struct k_mutex *)(void *)o;
	K_ASSERT(m->obj.type == OBJ_MUTEX);
	bsp_spin_lock(&g_sched.mutex_lock);
	K_ASSERT_MSG(m->waiters.count == 0, "reaped mutex still has waiters");
	if (m->owner)
		held_remove(m->owner, m);
	ql_remove(&m->all_link);
	g_sched.mutex_count--;
	bsp_spin_unlock(&g_sched.mutex_lock);
}

/* After sched_block returned: decide what the waiter got. mutex_lock held. */
static int mutex_after_wait(struct k_mutex *m, struct k_thread *t, int rc)
{
	if (rc == 0) {
		/* Handed over by the unlocker (who also filed m in our list). */
		K_ASSERT(m->owner == t);
		if (PLANTED_KILL_MUTEX_RACE && sched_killed(t)) {
			/* The planted bug: a killed waiter takes any wake-up for
			 * the kill and forgets the hand-off that raced it; m stays
			 * owned by a thread that will never unlock it. */
			held_remove(t, m);
			return -K_ECANCELED;
		}
		return 0;
	}
	/* Timed out or killed: we left the queue; the owner may inherit less. */
	t->blocked_on_mutex = NULL;
	if (m->owner)
		mutex_pi_propagate(m->owner);
	return rc;
}

int k_mutex_lock(k_mutex_t *m, uint64_t timeout_ns)
{
	if (!m || m->obj.type != OBJ_MUTEX)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *t = sched_current();
	K_ASSERT_MSG(!t->is_idle, "k_mutex_lock: not in a thread");
	bsp_spin_lock(&g_sched.mutex_lock);
	int rc;
	if (m->owner == NULL) {
		rc = t->held_count < K_MUTEX_HELD_MAX ? 0 : -K_EAGAIN;
		if (rc == 0) {
			m->owner = t;
			held_add(t, m);
			sched_trace("lock", m->obj.id, t->id);
		}
	} else if (m->owner == t) {
		rc = -K_EDEADLK;
	} else if (timeout_ns == K_NO_WAIT) {
		rc = -K_ETIMEDOUT;
	} else if (t->held_count >= K_MUTEX_HELD_MAX) {
		rc = -K_EAGAIN;
	} else {
		wait_prepare(t, &m->waiters, &g_sched.mutex_lock, &m->obj);
		t->blocked_on_mutex = m;
		mutex_pi_propagate(m->owner);
		rc = sched_block(&g_sched.mutex_lock, timeout_ns);
		rc = mutex_after_wait(m, t, rc);
		if (rc == 0)
			sched_trace("lock", m->obj.id, t->id);
		bsp_spin_unlock(&g_sched.mutex_lock);
		sched_exit_if_killed(t);
		bsp_irq_restore(s);
		return rc;
	}
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return rc;
}

int k_mutex_unlock(k_mutex_t *m)
{
	if (!m || m->obj.type != OBJ_MUTEX)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *t = sched_current();
	bsp_spin_lock(&g_sched.mutex_lock);
	int rc = m->owner == t ? 0 : -K_EPERM;
	if (rc == 0)
		mutex_unlock_locked(m, t);
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return rc;
}

k_thread_t *k_mutex_owner(const k_mutex_t *m)
{
	K_ASSERT(m != NULL);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.mutex_lock);
	struct k_thread *o = m->owner;
	bsp_spin_unlock_irqrestore(&g_sched.mutex_lock, s);
	return o;
}

/* An exiting thread releases every mutex it still holds (hand-off to the
 * next waiter as in unlock). Interrupts off. */
void mutex_release_all(struct k_thread *t)
{
	K_ASSERT(!bsp_irq_enabled());
	bsp_spin_lock(&g_sched.mutex_lock);
	for (unsigned n = 0; !ql_empty(&t->held); n++) {
		K_ASSERT(n < K_MUTEX_HELD_MAX);
		struct k_mutex *m = ql_entry(t->held.next, struct k_mutex, held_link);
		mutex_unlock_locked(m, t);
	}
	K_ASSERT(t->held_count == 0);
	bsp_spin_unlock(&g_sched.mutex_lock);
}

static int mutex_check(const struct k_obj *o)
{
	const struct k_mutex *m = (const struct k_mutex *)(const void *)o;
	return o->type == OBJ_MUTEX && m->waiters.count == 0 ? 0 : -1;
}

OBJ_KIND(mutex, OBJ_MUTEX, "mutex", mutex_free_leftover, mutex_check, NULL);
