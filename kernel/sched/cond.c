/*
 * cond.c — condition variable. Wait queues itself under the cond's lock
 * before it releases the mutex, so a signal sent after the unlock always
 * finds it: no lost wake-up. Lock order: cond.lock, then mutex_lock.
 */
#include "sched_impl.h"

struct k_cond {
	struct k_obj obj;
	bsp_spinlock_t lock; /* lock order: level 2, before mutex_lock */
	/* lock */
	struct wait_queue waiters;
};

static int cond_create_deferred(k_cond_t **out, const char *name)
{
	if (!out)
		return -K_EINVAL;
	struct k_cond *c = k_mem_zalloc(sizeof *c, proc_owner_of_caller());
	if (!c)
		return -K_ENOMEM;
	bsp_spin_init(&c->lock);
	wq_init(&c->waiters);
	obj_add(&c->obj, OBJ_COND, name);
	*out = c;
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_cond_create(k_cond_t **out, const char *name)
{
	sched_kill_defer();
	int rc = cond_create_deferred(out, name);
	sched_kill_allow();
	return rc;
}

static int cond_destroy_deferred(k_cond_t *c)
{
	if (!c || c->obj.type != OBJ_COND)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&c->lock);
	bool busy = c->waiters.count != 0;
	bsp_spin_unlock_irqrestore(&c->lock, s);
	if (busy)
		return -K_EBUSY;
	obj_unregister(&c->obj);
	k_mem_free(c);
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_cond_destroy(k_cond_t *c)
{
	sched_kill_defer();
	int rc = cond_destroy_deferred(c);
	sched_kill_allow();
	return rc;
}

static void cond_release(struct k_obj *o)
{
	K_ASSERT(o->type == OBJ_COND);
	K_ASSERT(o->proc != NULL);
	/* Nothing but the block itself, which the tracker frees. */
}

static int cond_check(const struct k_obj *o)
{
	const struct k_cond *c = (const struct k_cond *)(const void *)o;
	return o->type == OBJ_COND && c->waiters.count == 0 ? 0 : -1;
}

OBJ_KIND(cond, OBJ_COND, "cond", cond_release, cond_check, NULL);

int k_cond_wait(k_cond_t *c, k_mutex_t *m, uint64_t timeout_ns)
{
	if (!c || c->obj.type != OBJ_COND || !m || m->obj.type != OBJ_MUTEX)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *t = sched_current();
	K_ASSERT_MSG(!t->is_idle, "k_cond_wait: not in a thread");
	bsp_spin_lock(&c->lock);
	bsp_spin_lock(&g_sched.mutex_lock);
	if (m->owner != t) {
		bsp_spin_unlock(&g_sched.mutex_lock);
		bsp_spin_unlock_irqrestore(&c->lock, s);
		return -K_EPERM;
	}
	mutex_unlock_locked(m, t);
	bsp_spin_unlock(&g_sched.mutex_lock);
	int rc = -K_ETIMEDOUT;
	if (timeout_ns != K_NO_WAIT) {
		wait_prepare(t, &c->waiters, &c->lock, &c->obj);
		rc = sched_block(&c->lock, timeout_ns);
	}
	bsp_spin_unlock(&c->lock);
	sched_exit_if_killed(t); /* a killed waiter exits here, without the mutex */
	bsp_irq_restore(s);
	int relock = k_mutex_lock(m, K_FOREVER);
	K_ASSERT(relock == 0);
	return rc;
}

int k_cond_signal(k_cond_t *c)
{
	if (!c || c->obj.type != OBJ_COND)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&c->lock);
	struct k_thread *woken = wait_wake_first(&c->waiters, 0);
	sched_trace_detail("signal", c->obj.id, woken ? woken->id : 0u, NULL);
	bsp_spin_unlock_irqrestore(&c->lock, s);
	return 0;
}

int k_cond_broadcast(k_cond_t *c)
{
	if (!c || c->obj.type != OBJ_COND)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&c->lock);
	unsigned woken = 0;
	for (; wait_wake_first(&c->waiters, 0) != NULL; woken++)
		K_ASSERT(woken < SCHED_WAITERS_MAX);
	sched_trace_detail("broadcast", c->obj.id, woken, NULL);
	bsp_spin_unlock_irqrestore(&c->lock, s);
	return 0;
}
