/*
 * sem.c — counting semaphore. A give with waiters hands the unit straight
 * to the most urgent one (the count does not move), so a woken taker never
 * has to compete for it again.
 */
#include "sched_impl.h"

struct k_sem {
	struct k_obj obj;
	bsp_spinlock_t lock; /* lock order: level 2 (object) */
	/* lock */
	unsigned count;
	unsigned limit;
	struct wait_queue waiters;
};

static int sem_create_deferred(k_sem_t **out, const char *name, unsigned initial, unsigned limit)
{
	if (!out || limit == 0 || limit > K_SEM_LIMIT_MAX || initial > limit)
		return -K_EINVAL;
	struct k_sem *s = k_mem_zalloc(sizeof *s, proc_owner_of_caller());
	if (!s)
		return -K_ENOMEM;
	bsp_spin_init(&s->lock);
	s->count = initial;
	s->limit = limit;
	wq_init(&s->waiters);
	obj_add(&s->obj, OBJ_SEM, name);
	*out = s;
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_sem_create(k_sem_t **out, const char *name, unsigned initial, unsigned limit)
{
	sched_kill_defer();
	int rc = sem_create_deferred(out, name, initial, limit);
	sched_kill_allow();
	return rc;
}

static int sem_destroy_deferred(k_sem_t *s)
{
	if (!s || s->obj.type != OBJ_SEM)
		return -K_EINVAL;
	bsp_irq_state_t is = bsp_spin_lock_irqsave(&s->lock);
	bool busy = s->waiters.count != 0;
	bsp_spin_unlock_irqrestore(&s->lock, is);
	if (busy)
		return -K_EBUSY;
	obj_unregister(&s->obj);
	k_mem_free(s);
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_sem_destroy(k_sem_t *s)
{
	sched_kill_defer();
	int rc = sem_destroy_deferred(s);
	sched_kill_allow();
	return rc;
}

static void sem_release(struct k_obj *o)
{
	K_ASSERT(o->type == OBJ_SEM);
	K_ASSERT(o->proc != NULL);
	/* Nothing but the block itself, which the tracker frees. */
}

static int sem_check(const struct k_obj *o)
{
	const struct k_sem *s = (const struct k_sem *)(const void *)o;
	if (o->type != OBJ_SEM || s->waiters.count != 0 || s->count > s->limit)
		return -1;
	return 0;
}

OBJ_KIND(sem, OBJ_SEM, "sem", sem_release, sem_check, NULL);

/* k_sem_take with no unit to take: fail at once or wait. s's lock taken
 * fast (obj_lock_fast), interrupts saved in is; drops both. Out of line
 * and cold (laid out apart), so that the take that finds a unit saves no
 * registers and sets up no arguments for it; a wait costs a switch anyway. */
static __attribute__((noinline, cold)) int sem_take_wait(struct k_sem *s, uint64_t timeout_ns,
						   bsp_irq_state_t is)
{
	struct k_thread *t = sched_current();
	K_ASSERT(!t->is_idle);
	K_ASSERT(s->count == 0);
	if (timeout_ns == K_NO_WAIT) {
		obj_unlock_fast(&s->lock, is);
		return -K_ETIMEDOUT;
	}
	obj_lock_full(&s->lock);
	if (PLANTED_LOST_WAKEUP) {
		/* The planted bug: the count was checked, then the lock is
		 * dropped before sleeping; a give in this window finds no
		 * waiter, bumps the count, and nobody wakes us. */
		bsp_spin_unlock(&s->lock);
		bsp_spin_lock(&s->lock);
	}
	wait_prepare(t, &s->waiters, &s->lock, &s->obj);
	int rc = sched_block(&s->lock, timeout_ns);
	bsp_spin_unlock(&s->lock);
	sched_exit_if_killed(t);
	bsp_irq_restore(is);
	return rc;
}

int k_sem_take(k_sem_t *s, uint64_t timeout_ns)
{
	if (!s || s->obj.type != OBJ_SEM)
		return -K_EINVAL;
	bsp_irq_state_t is = obj_lock_fast(&s->lock);
	/* The caller is checked (a thread, not isr: sched_current asserts
	 * it) where assertions are on; the take itself needs no thread. */
	K_ASSERT_MSG(!sched_current()->is_idle, "k_sem_take: not in a thread");
	if (s->count > 0) {
		s->count--;
		obj_unlock_fast(&s->lock, is);
		return 0;
	}
	return sem_take_wait(s, timeout_ns, is);
}

/* k_sem_give with a waiter to hand the unit to; s's lock fully held,
 * interrupts saved in is. Drops both. */
static int sem_give_to_waiter(struct k_sem *s, bsp_irq_state_t is)
{
	K_ASSERT(bsp_spin_held(&s->lock));
	struct k_thread *woken = wait_wake_first(&s->waiters, 0);
	K_ASSERT(woken != NULL);
	sched_trace_detail("give", s->obj.id, woken->id, NULL);
	bsp_spin_unlock_irqrestore(&s->lock, is);
	return 0;
}

int k_sem_give(k_sem_t *s)
{
	if (!s || s->obj.type != OBJ_SEM)
		return -K_EINVAL;
	bsp_irq_state_t is = obj_lock_fast(&s->lock);
	if (s->waiters.count != 0u) {
		obj_lock_full(&s->lock);
		return sem_give_to_waiter(s, is);
	}
	int rc = 0;
	if (s->count < s->limit)
		s->count++;
	else
		rc = -K_EAGAIN;
	/* Logged even when it wakes nobody: a lost wake-up is a give that
	 * found no waiter. */
	sched_trace_detail("give", s->obj.id, 0u, rc < 0 ? "at its limit" : NULL);
	obj_unlock_fast(&s->lock, is);
	return rc;
}

unsigned k_sem_count(const k_sem_t *s)
{
	K_ASSERT(s != NULL && s->obj.type == OBJ_SEM);
	struct k_sem *w = (struct k_sem *)(uintptr_t)s;
	bsp_irq_state_t is = bsp_spin_lock_irqsave(&w->lock);
	unsigned n = w->count;
	bsp_spin_unlock_irqrestore(&w->lock, is);
	return n;
}
