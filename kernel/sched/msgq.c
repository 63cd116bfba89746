/*
 * msgq.c — bounded FIFO of fixed-size messages. A put that finds a waiting
 * receiver copies straight into its buffer; a get that frees a slot moves
 * the first waiting sender's message in. Either way the woken thread's
 * transfer is complete before it runs.
 */
#include "sched_impl.h"

struct k_msgq {
	struct k_obj obj;
	size_t msg_bytes;   /* immutable */
	unsigned capacity;  /* immutable */
	uint8_t *ring;      /* immutable pointer; contents: lock */
	bsp_spinlock_t lock; /* lock order: level 2 (object) */
	/* lock */
	unsigned head;      /* oldest message */
	unsigned count;
	struct wait_queue senders;   /* wait_data: the message to send */
	struct wait_queue receivers; /* wait_data: the buffer to fill */
};

/* A word the compiler may alias with any object: messages are copied a
 * word at a time without breaking the caller's types. */
typedef uint32_t __attribute__((may_alias)) msg_word_t;

/* Copies n bytes (n <= K_MSGQ_MSG_MAX_BYTES). Word-aligned messages (the
 * usual case: the ring's slots are, whenever msg_bytes is a multiple of a
 * word) move a word at a time: a byte loop cost about 4 instructions a byte
 * on Cortex-M4F, most of a 16-byte put+get. */
static void copy_bytes(void *dst, const void *src, size_t n)
{
	K_ASSERT(n <= K_MSGQ_MSG_MAX_BYTES);
	K_ASSERT(dst != NULL && src != NULL);
	if ((((uintptr_t)dst | (uintptr_t)src | n) % sizeof(msg_word_t)) == 0) {
		msg_word_t *dw = dst;
		const msg_word_t *sw = src;
		const msg_word_t *end = sw + n / sizeof(msg_word_t);
		while (sw < end) /* bounded: n / 4 words */
			*dw++ = *sw++;
		return;
	}
	uint8_t *d = dst;
	const uint8_t *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static int msgq_create_deferred(k_msgq_t **out, const char *name, size_t msg_bytes, unsigned capacity)
{
	if (!out || msg_bytes == 0 || msg_bytes > K_MSGQ_MSG_MAX_BYTES || capacity == 0 ||
	    capacity > K_MSGQ_CAPACITY_MAX)
		return -K_EINVAL;
	k_mem_owner_t owner = proc_owner_of_caller();
	struct k_msgq *q = k_mem_zalloc(sizeof *q, owner);
	uint8_t *ring = k_mem_alloc(msg_bytes * capacity, owner);
	if (!q || !ring) {
		k_mem_free(ring);
		k_mem_free(q);
		return -K_ENOMEM;
	}
	q->msg_bytes = msg_bytes;
	q->capacity = capacity;
	q->ring = ring;
	bsp_spin_init(&q->lock);
	wq_init(&q->senders);
	wq_init(&q->receivers);
	int rc = obj_register(&q->obj, OBJ_MSGQ, name);
	if (rc < 0) {
		k_mem_free(ring);
		k_mem_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_msgq_create(k_msgq_t **out, const char *name, size_t msg_bytes, unsigned capacity)
{
	sched_kill_defer();
	int rc = msgq_create_deferred(out, name, msg_bytes, capacity);
	sched_kill_allow();
	return rc;
}

static int msgq_destroy_deferred(k_msgq_t *q)
{
	if (!q || q->obj.type != OBJ_MSGQ)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&q->lock);
	bool busy = q->senders.count != 0 || q->receivers.count != 0;
	bsp_spin_unlock_irqrestore(&q->lock, s);
	if (busy)
		return -K_EBUSY;
	obj_unregister(&q->obj);
	k_mem_free(q->ring);
	k_mem_free(q);
	return 0;
}

/* Kill-deferred: a kill cannot leave the object half made or half gone. */
int k_msgq_destroy(k_msgq_t *q)
{
	sched_kill_defer();
	int rc = msgq_destroy_deferred(q);
	sched_kill_allow();
	return rc;
}

/* The tracker frees a leftover queue (registry_lock held): its ring. */
static void msgq_free_leftover(struct k_obj *o)
{
	struct k_msgq *q = (struct k_msgq *)(void *)o;
	K_ASSERT(o->type == OBJ_MSGQ);
	K_ASSERT_MSG(q->senders.count == 0 && q->receivers.count == 0,
		     "reaped message queue still has waiters");
	k_mem_free(q->ring);
}

static uint8_t *slot(struct k_msgq *q, unsigned i)
{
	K_ASSERT(i < q->capacity);
	return q->ring + (size_t)i * q->msg_bytes;
}

/* Caller holds q->lock, interrupts saved in s. t waits on wq with `data`
 * (the message to hand over, or the buffer to fill) for the partner to
 * copy; drops the lock and restores s. Returns sched_block's code. */
static int msgq_wait(k_msgq_t *q, struct k_thread *t, struct wait_queue *wq, void *data, uint64_t timeout_ns,
		     bsp_irq_state_t s)
{
	wait_prepare(t, wq, &q->lock, &q->obj);
	t->wait_data = data;
	int rc = sched_block(&q->lock, timeout_ns);
	bsp_spin_unlock(&q->lock);
	sched_exit_if_killed(t);
	bsp_irq_restore(s);
	return rc;
}

/* Index of the slot `offset` places after the oldest message (offset <=
 * capacity, so one subtraction wraps it: no division on the hot path). */
static unsigned ring_index(const struct k_msgq *q, unsigned offset)
{
	K_ASSERT(q->head < q->capacity && offset <= q->capacity);
	unsigned i = q->head + offset;
	if (i >= q->capacity)
		i -= q->capacity;
	K_ASSERT(i < q->capacity);
	return i;
}

/* k_msgq_put's general path: q's lock fully held, interrupts saved in s;
 * drops both. */
static int msgq_put_locked(k_msgq_t *q, const void *msg, uint64_t timeout_ns, bsp_irq_state_t s)
{
	K_ASSERT(bsp_spin_held(&q->lock));
	int rc = 0;
	struct k_thread *r = wq_first(&q->receivers);
	if (r) {
		K_ASSERT(q->count == 0);
		copy_bytes(r->wait_data, msg, q->msg_bytes);
		(void)wait_wake_first(&q->receivers, 0);
		sched_trace_detail("post", q->obj.id, r->id, NULL);
	} else if (q->count < q->capacity) {
		copy_bytes(slot(q, ring_index(q, q->count)), msg, q->msg_bytes);
		q->count++;
		sched_trace_detail("post", q->obj.id, 0u, NULL);
	} else if (timeout_ns == K_NO_WAIT || sched_this_core()->current->is_idle) {
		rc = -K_ETIMEDOUT;
	} else {
		struct k_thread *t = sched_current();
		return msgq_wait(q, t, &q->senders, (void *)(uintptr_t)msg, timeout_ns, s);
	}
	bsp_spin_unlock_irqrestore(&q->lock, s);
	return rc;
}

int k_msgq_put(k_msgq_t *q, const void *msg, uint64_t timeout_ns)
{
	if (!q || q->obj.type != OBJ_MSGQ || !msg)
		return -K_EINVAL;
	bsp_irq_state_t s = obj_lock_fast(&q->lock);
	/* From isr only K_NO_WAIT: the current thread is the interrupted one,
	 * never the caller, and nothing may block. */
	K_ASSERT_MSG(timeout_ns == K_NO_WAIT || sched_this_core()->isr_depth == 0,
		     "k_msgq_put from isr must not wait");
	if (q->receivers.count == 0u && q->count < q->capacity) {
		/* Nobody waits and there is room: into the ring. */
		copy_bytes(slot(q, ring_index(q, q->count)), msg, q->msg_bytes);
		q->count++;
		sched_trace_detail("post", q->obj.id, 0u, NULL);
		obj_unlock_fast(&q->lock, s);
		return 0;
	}
	obj_lock_full(&q->lock);
	return msgq_put_locked(q, msg, timeout_ns, s);
}

/* k_msgq_get's general path: q's lock fully held, interrupts saved in s;
 * drops both. */
static int msgq_get_locked(k_msgq_t *q, struct k_thread *t, void *buf, uint64_t timeout_ns,
			   bsp_irq_state_t s)
{
	K_ASSERT(bsp_spin_held(&q->lock));
	int rc = 0;
	if (q->count > 0) {
		copy_bytes(buf, slot(q, q->head), q->msg_bytes);
		q->head = ring_index(q, 1u);
		q->count--;
		struct k_thread *w = wq_first(&q->senders);
		if (w) {
			copy_bytes(slot(q, ring_index(q, q->count)), w->wait_data, q->msg_bytes);
			q->count++;
			(void)wait_wake_first(&q->senders, 0);
			sched_trace_detail("receive", q->obj.id, w->id, NULL);
		} else {
			sched_trace_detail("receive", q->obj.id, 0u, NULL);
		}
	} else if (timeout_ns == K_NO_WAIT) {
		rc = -K_ETIMEDOUT;
	} else {
		K_ASSERT(q->senders.count == 0);
		return msgq_wait(q, t, &q->receivers, buf, timeout_ns, s);
	}
	bsp_spin_unlock_irqrestore(&q->lock, s);
	return rc;
}

int k_msgq_get(k_msgq_t *q, void *buf, uint64_t timeout_ns)
{
	if (!q || q->obj.type != OBJ_MSGQ || !buf)
		return -K_EINVAL;
	bsp_irq_state_t s = obj_lock_fast(&q->lock);
	struct k_thread *t = sched_current();
	K_ASSERT_MSG(!t->is_idle, "k_msgq_get: not in a thread");
	if (q->count > 0u && q->senders.count == 0u) {
		/* A message and no sender waiting for its slot: out of the ring. */
		copy_bytes(buf, slot(q, q->head), q->msg_bytes);
		q->head = ring_index(q, 1u);
		q->count--;
		sched_trace_detail("receive", q->obj.id, 0u, NULL);
		obj_unlock_fast(&q->lock, s);
		return 0;
	}
	obj_lock_full(&q->lock);
	return msgq_get_locked(q, t, buf, timeout_ns, s);
}

unsigned k_msgq_count(const k_msgq_t *q)
{
	K_ASSERT(q != NULL && q->obj.type == OBJ_MSGQ);
	struct k_msgq *w = (struct k_msgq *)(uintptr_t)q;
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&w->lock);
	unsigned n = w->count;
	bsp_spin_unlock_irqrestore(&w->lock, s);
	return n;
}

static int msgq_check(const struct k_obj *o)
{
	const struct k_msgq *q = (const struct k_msgq *)(const void *)o;
	if (o->type != OBJ_MSGQ || q->senders.count != 0 || q->receivers.count != 0)
		return -1;
	return q->count <= q->capacity && q->head < q->capacity ? 0 : -1;
}

OBJ_KIND(msgq, OBJ_MSGQ, "msgq", msgq_free_leftover, msgq_check, NULL);
