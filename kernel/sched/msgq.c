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
	unsigned copy_class; /* immutable: msg_bytes / 4 - 1 when msg_bytes is
			      * 1..MSGQ_UNROLL_WORDS whole words, else
			      * MSGQ_COPY_GENERAL (see msg_copy) */
	uint8_t *ring;      /* immutable pointer; contents: lock */
	uint8_t *ring_end;  /* immutable: ring + capacity * msg_bytes */
	bsp_spinlock_t lock; /* lock order: level 2 (object) */
	/* lock. The ends are slot pointers, not indexes: a put or get steps
	 * one by an add and a compare, with no multiply by msg_bytes. */
	uint8_t *head;      /* the oldest message's slot */
	uint8_t *tail;      /* the next free slot: head + count slots, wrapped */
	unsigned count;
	struct wait_queue senders;   /* wait_data: the message to send */
	struct wait_queue receivers; /* wait_data: the buffer to fill */
};

/* A word the compiler may alias with any object: messages are copied a
 * word at a time without breaking the caller's types. */
typedef uint32_t __attribute__((may_alias)) msg_word_t;

/* The same at any address: the caller's buffer need not be aligned. Where
 * the CPU loads unaligned words (Cortex-M4, x86, wasm) this is one load;
 * elsewhere the compiler splits it, so it is right on every target. */
typedef uint32_t __attribute__((may_alias, aligned(1))) msg_uword_t;

/* Messages of at most this many whole words are copied unrolled, the count
 * fixed at creation (k_msgq_create stores it as copy_class): no alignment
 * test, no loop, no call. Four words (16 bytes) keep the three copies of the
 * run short in flash. */
#define MSGQ_UNROLL_WORDS 4u
/* The class of every other size: copy_bytes. The unrolled classes are the
 * word count less one, so the switch indexes its table with no subtraction. */
#define MSGQ_COPY_GENERAL MSGQ_UNROLL_WORDS

/* Copies n bytes (n <= K_MSGQ_MSG_MAX_BYTES), the general way: word-aligned
 * messages a word at a time (a byte loop cost about 4 instructions a byte
 * on Cortex-M4F), others byte by byte. */
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

/* One message of q from src to dst: by its size class. A small whole-word
 * message (the usual kind: a few words of ids and values) is copied by a
 * jump into an unrolled run of word moves, a table step and two
 * instructions a word; any other size through copy_bytes. */
static inline void msg_copy(const struct k_msgq *q, void *dst, const void *src)
{
	K_ASSERT(q->copy_class == MSGQ_COPY_GENERAL ||
		 (q->copy_class + 1u) * sizeof(msg_word_t) == q->msg_bytes);
	K_ASSERT(q->copy_class <= MSGQ_COPY_GENERAL);
	if (!SCHED_OBJ_FAST_PATHS) {
		/* For size: every message the general way (one copy loop). */
		copy_bytes(dst, src, q->msg_bytes);
		return;
	}
	msg_uword_t *d = dst;
	const msg_uword_t *s = src;
	switch (q->copy_class) {
	case 3u:
		d[3] = s[3];
		__attribute__((fallthrough));
	case 2u:
		d[2] = s[2];
		__attribute__((fallthrough));
	case 1u:
		d[1] = s[1];
		__attribute__((fallthrough));
	case 0u:
		d[0] = s[0];
		break;
	default:
		copy_bytes(dst, src, q->msg_bytes);
		break;
	}
}

/* The size class k_msgq_create stores (see msg_copy); msg_bytes >= 1. */
static unsigned msgq_copy_class(size_t msg_bytes)
{
	K_STATIC_ASSERT(MSGQ_UNROLL_WORDS == 4u, "msg_copy unrolls exactly 4 cases");
	K_ASSERT(msg_bytes >= 1u);
	if (msg_bytes % sizeof(msg_word_t) != 0u || msg_bytes / sizeof(msg_word_t) > MSGQ_UNROLL_WORDS)
		return MSGQ_COPY_GENERAL;
	return (unsigned)(msg_bytes / sizeof(msg_word_t)) - 1u;
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
	/* A build for size copies every message the general way (msg_copy). */
	q->copy_class = SCHED_OBJ_FAST_PATHS ? msgq_copy_class(msg_bytes) : MSGQ_COPY_GENERAL;
	q->capacity = capacity;
	q->ring = ring;
	q->ring_end = ring + msg_bytes * capacity;
	q->head = ring;
	q->tail = ring;
	bsp_spin_init(&q->lock);
	wq_init(&q->senders);
	wq_init(&q->receivers);
	obj_add(&q->obj, OBJ_MSGQ, name);
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

/* The slot after p, wrapping at the ring's end (one add and a compare: no
 * index times msg_bytes, no division). */
static uint8_t *ring_next(const struct k_msgq *q, uint8_t *p)
{
	K_ASSERT(p >= q->ring && p < q->ring_end);
	uint8_t *n = p + q->msg_bytes;
	if (n == q->ring_end)
		n = q->ring;
	K_ASSERT(n >= q->ring && n < q->ring_end);
	return n;
}

/* Append msg at the tail (q held, room checked by the caller). The fields
 * are read before the copy: its word stores may alias anything. */
static inline void ring_push(struct k_msgq *q, const void *msg)
{
	K_ASSERT(q->count < q->capacity);
	uint8_t *at = q->tail;
	unsigned n = q->count;
	q->tail = ring_next(q, at);
	q->count = n + 1u;
	msg_copy(q, at, msg);
}

/* Take the oldest message into buf (q held, a message checked by the
 * caller). */
static inline void ring_pop(struct k_msgq *q, void *buf)
{
	K_ASSERT(q->count > 0u);
	uint8_t *at = q->head;
	unsigned n = q->count;
	q->head = ring_next(q, at);
	q->count = n - 1u;
	msg_copy(q, buf, at);
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

/* k_msgq_put's general path: q's lock fully held, interrupts saved in s;
 * drops both. */
static int msgq_put_locked(k_msgq_t *q, const void *msg, uint64_t timeout_ns, bsp_irq_state_t s)
{
	K_ASSERT(bsp_spin_held(&q->lock));
	int rc = 0;
	struct k_thread *r = wq_first(&q->receivers);
	if (r) {
		K_ASSERT(q->count == 0);
		msg_copy(q, r->wait_data, msg);
		(void)wait_wake_first(&q->receivers, 0);
		sched_trace_detail("post", q->obj.id, r->id, NULL);
	} else if (q->count < q->capacity) {
		ring_push(q, msg);
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
	if (SCHED_OBJ_FAST_PATHS && q->receivers.count == 0u && q->count < q->capacity) {
		/* Nobody waits and there is room: into the ring. */
		ring_push(q, msg);
		sched_trace_detail("post", q->obj.id, 0u, NULL);
		obj_unlock_fast(&q->lock, s);
		return 0;
	}
	obj_lock_full(&q->lock);
	return msgq_put_locked(q, msg, timeout_ns, s);
}

/* k_msgq_get's general path: q's lock fully held, interrupts saved in s;
 * drops both. */
static int msgq_get_locked(k_msgq_t *q, void *buf, uint64_t timeout_ns, bsp_irq_state_t s)
{
	K_ASSERT(bsp_spin_held(&q->lock));
	int rc = 0;
	if (q->count > 0) {
		ring_pop(q, buf);
		struct k_thread *w = wq_first(&q->senders);
		if (w) {
			ring_push(q, w->wait_data);
			(void)wait_wake_first(&q->senders, 0);
			sched_trace_detail("receive", q->obj.id, w->id, NULL);
		} else {
			sched_trace_detail("receive", q->obj.id, 0u, NULL);
		}
	} else if (timeout_ns == K_NO_WAIT) {
		rc = -K_ETIMEDOUT;
	} else {
		K_ASSERT(q->senders.count == 0);
		return msgq_wait(q, sched_current(), &q->receivers, buf, timeout_ns, s);
	}
	bsp_spin_unlock_irqrestore(&q->lock, s);
	return rc;
}

int k_msgq_get(k_msgq_t *q, void *buf, uint64_t timeout_ns)
{
	if (!q || q->obj.type != OBJ_MSGQ || !buf)
		return -K_EINVAL;
	bsp_irq_state_t s = obj_lock_fast(&q->lock);
	K_ASSERT_MSG(!sched_current()->is_idle, "k_msgq_get: not in a thread");
	if (SCHED_OBJ_FAST_PATHS && q->count > 0u && q->senders.count == 0u) {
		/* A message and no sender waiting for its slot: out of the ring. */
		ring_pop(q, buf);
		sched_trace_detail("receive", q->obj.id, 0u, NULL);
		obj_unlock_fast(&q->lock, s);
		return 0;
	}
	obj_lock_full(&q->lock);
	return msgq_get_locked(q, buf, timeout_ns, s);
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
	/* head on a slot of the ring, tail count slots after it (wrapped) */
	size_t ring_bytes = (size_t)(q->ring_end - q->ring);
	size_t h = (size_t)(q->head - q->ring);
	if (q->count > q->capacity || h >= ring_bytes || h % q->msg_bytes != 0u)
		return -1;
	size_t t = h + (q->count % q->capacity) * q->msg_bytes;
	if (t >= ring_bytes)
		t -= ring_bytes;
	return q->ring + t == q->tail ? 0 : -1;
}

OBJ_KIND(msgq, OBJ_MSGQ, "msgq", msgq_free_leftover, msgq_check, NULL);
