/*
 * sync_test.c — self-tests of mutex (with priority inheritance), semaphore,
 * condition variable and message queue, each with its timeouts.
 */
#include <bsp.h>
#include <k/assert.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/test.h>
#include <k/thread.h>

#define POLL_SLEEP_NS 20000u
#define POLL_MAX 5000u
#define WORKERS 4u
#define ROUNDS 25u

static k_thread_t *spawn(k_thread_entry_fn fn, void *arg, unsigned prio, const char *name)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.priority = prio;
	a.name = name;
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, fn, arg, &a) == 0);
	return t;
}

static void join(k_thread_t *t)
{
	if (t)
		K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}

static bool wait_prio(k_thread_t *t, unsigned want)
{
	for (unsigned i = 0; i < POLL_MAX; i++) {
		if (k_thread_priority_effective(t) == want)
			return true;
		k_thread_sleep_ns(POLL_SLEEP_NS);
	}
	return false;
}

/* ------------------------------------------------------------------ mutex */

struct counter_ctx {
	k_mutex_t *m;
	bsp_atomic_t value; /* read-modify-written non-atomically under m */
};

static void count_under_mutex(void *arg)
{
	struct counter_ctx *c = arg;
	for (unsigned i = 0; i < ROUNDS; i++) {
		K_TEST_CHECK(k_mutex_lock(c->m, K_FOREVER) == 0);
		K_TEST_CHECK(k_mutex_owner(c->m) == k_thread_self());
		uintptr_t v = bsp_atomic_load(&c->value);
		k_thread_yield(); /* invite a race the mutex must prevent */
		bsp_atomic_store(&c->value, v + 1u);
		K_TEST_CHECK(k_mutex_unlock(c->m) == 0);
	}
}

K_TEST(mutex_mutual_exclusion)
{
	static struct counter_ctx c;
	K_TEST_CHECK(k_mutex_create(&c.m, "counter") == 0);
	bsp_atomic_store(&c.value, 0);
	k_thread_t *t[WORKERS];
	for (unsigned i = 0; i < WORKERS; i++)
		t[i] = spawn(count_under_mutex, &c, K_PRIO_DEFAULT, "counter");
	for (unsigned i = 0; i < WORKERS; i++)
		join(t[i]);
	K_TEST_CHECK(bsp_atomic_load(&c.value) == WORKERS * ROUNDS);
	K_TEST_CHECK(k_mutex_destroy(c.m) == 0);
}

static void try_lock_briefly(void *arg)
{
	k_mutex_t *m = arg;
	K_TEST_CHECK(k_mutex_lock(m, K_NO_WAIT) == -K_ETIMEDOUT);
	uint64_t t0 = bsp_clock_ns();
	K_TEST_CHECK(k_mutex_lock(m, 50000u) == -K_ETIMEDOUT);
	K_TEST_CHECK(bsp_clock_ns() - t0 >= 50000u);
	K_TEST_CHECK(k_mutex_unlock(m) == -K_EPERM);
}

K_TEST(mutex_errors_and_timeout)
{
	k_mutex_t *m;
	K_TEST_CHECK(k_mutex_create(&m, "m") == 0);
	K_TEST_CHECK(k_mutex_unlock(m) == -K_EPERM);
	K_TEST_CHECK(k_mutex_lock(m, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_lock(m, K_FOREVER) == -K_EDEADLK);
	K_TEST_CHECK(k_mutex_destroy(m) == -K_EBUSY);
	join(spawn(try_lock_briefly, m, K_PRIO_DEFAULT, "trylock"));
	K_TEST_CHECK(k_mutex_unlock(m) == 0);
	K_TEST_CHECK(k_mutex_owner(m) == NULL);
	K_TEST_CHECK(k_mutex_destroy(m) == 0);
	K_TEST_CHECK(k_mutex_lock(NULL, K_FOREVER) == -K_EINVAL);
}

/* Priority inheritance: a low thread holding what a high one waits for runs
 * at the high priority until it unlocks; with two mutexes it keeps what the
 * other still makes it inherit. */
struct pi_ctx {
	k_mutex_t *a, *b;
	k_sem_t *go;
	bsp_atomic_t phase;
};

static void pi_low(void *arg)
{
	struct pi_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->a, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_lock(c->b, K_FOREVER) == 0);
	bsp_atomic_store(&c->phase, 1);
	K_TEST_CHECK(k_sem_take(c->go, K_FOREVER) == 0);
	K_TEST_CHECK(k_thread_priority_effective(k_thread_self()) == 40);
	K_TEST_CHECK(k_mutex_unlock(c->a) == 0);
	/* a's waiter (40) got a; b's waiter (30) still waits on us. */
	K_TEST_CHECK(k_thread_priority_effective(k_thread_self()) == 30);
	K_TEST_CHECK(k_mutex_unlock(c->b) == 0);
	K_TEST_CHECK(k_thread_priority_effective(k_thread_self()) == 10);
}

static void pi_lock_a(void *arg)
{
	struct pi_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->a, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->a) == 0);
}

static void pi_lock_b(void *arg)
{
	struct pi_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->b, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->b) == 0);
}

K_TEST(mutex_priority_inheritance)
{
	static struct pi_ctx c;
	K_TEST_CHECK(k_mutex_create(&c.a, "pi-a") == 0);
	K_TEST_CHECK(k_mutex_create(&c.b, "pi-b") == 0);
	K_TEST_CHECK(k_sem_create(&c.go, "go", 0, 1) == 0);
	bsp_atomic_store(&c.phase, 0);
	k_thread_t *low = spawn(pi_low, &c, 10, "low");
	for (unsigned i = 0; i < POLL_MAX && bsp_atomic_load(&c.phase) == 0; i++)
		k_thread_sleep_ns(POLL_SLEEP_NS);
	k_thread_t *hb = spawn(pi_lock_b, &c, 30, "high-b");
	K_TEST_CHECK(wait_prio(low, 30));
	k_thread_t *ha = spawn(pi_lock_a, &c, 40, "high-a");
	K_TEST_CHECK(wait_prio(low, 40));
	K_TEST_CHECK(k_thread_priority_get(low) == 10);
	char msg[160];
	K_TEST_CHECK(k_sched_check_thread(msg, sizeof msg) == 0);
	K_TEST_CHECK(k_sem_give(c.go) == 0);
	join(low);
	join(ha);
	join(hb);
	K_TEST_CHECK(k_mutex_destroy(c.a) == 0);
	K_TEST_CHECK(k_mutex_destroy(c.b) == 0);
	K_TEST_CHECK(k_sem_destroy(c.go) == 0);
}

/* Transitive: low holds a; mid holds b and waits on a; high waits on b. */
struct chain_ctx {
	k_mutex_t *a, *b;
	k_sem_t *go;
};

static void chain_low(void *arg)
{
	struct chain_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->a, K_FOREVER) == 0);
	K_TEST_CHECK(k_sem_take(c->go, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->a) == 0);
}

static void chain_mid(void *arg)
{
	struct chain_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->b, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_lock(c->a, K_FOREVER) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->a) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->b) == 0);
}

static void chain_high(void *arg)
{
	struct chain_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->b, 100000000u) == 0);
	K_TEST_CHECK(k_mutex_unlock(c->b) == 0);
}

K_TEST(mutex_priority_inheritance_chain)
{
	static struct chain_ctx c;
	K_TEST_CHECK(k_mutex_create(&c.a, "chain-a") == 0);
	K_TEST_CHECK(k_mutex_create(&c.b, "chain-b") == 0);
	K_TEST_CHECK(k_sem_create(&c.go, "go", 0, 1) == 0);
	k_thread_t *low = spawn(chain_low, &c, 10, "low");
	/* low must own a before mid comes: a sleep is not enough once time
	 * and preemption are decisions (mid could take a first). */
	for (unsigned i = 0; i < POLL_MAX && k_mutex_owner(c.a) != low; i++)
		k_thread_sleep_ns(POLL_SLEEP_NS);
	K_TEST_CHECK(k_mutex_owner(c.a) == low);
	k_thread_t *mid = spawn(chain_mid, &c, 20, "mid");
	K_TEST_CHECK(wait_prio(low, 20));
	k_thread_t *high = spawn(chain_high, &c, 50, "high");
	K_TEST_CHECK(wait_prio(low, 50));
	K_TEST_CHECK(wait_prio(mid, 50));
	char report[512];
	size_t blocked = k_sched_deadlock_report_thread(report, sizeof report);
	K_TEST_CHECK(blocked >= 2);
	K_TEST_CHECK(k_sem_give(c.go) == 0);
	join(low);
	join(mid);
	join(high);
	K_TEST_CHECK(k_mutex_destroy(c.a) == 0);
	K_TEST_CHECK(k_mutex_destroy(c.b) == 0);
	K_TEST_CHECK(k_sem_destroy(c.go) == 0);
}

/* A waiter that times out gives back what its owner inherited from it. */
static void pi_timeout_waiter(void *arg)
{
	k_mutex_t *m = arg;
	K_TEST_CHECK(k_mutex_lock(m, 200000u) == -K_ETIMEDOUT);
}

K_TEST(mutex_pi_undone_on_timeout)
{
	k_mutex_t *m;
	K_TEST_CHECK(k_mutex_create(&m, "pi-timeout") == 0);
	k_thread_t *self = k_thread_self();
	unsigned base = k_thread_priority_get(self);
	K_TEST_CHECK(k_mutex_lock(m, K_FOREVER) == 0);
	k_thread_t *w = spawn(pi_timeout_waiter, m, base + 10u, "waiter");
	K_TEST_CHECK(wait_prio(self, base + 10u));
	join(w);
	K_TEST_CHECK(k_thread_priority_effective(self) == base);
	K_TEST_CHECK(k_mutex_unlock(m) == 0);
	K_TEST_CHECK(k_mutex_destroy(m) == 0);
}

/* -------------------------------------------------------------- semaphore */

struct pc_ctx {
	k_sem_t *items;
	k_sem_t *slots;
	bsp_atomic_t produced, consumed;
};

static void sem_producer(void *arg)
{
	struct pc_ctx *c = arg;
	for (unsigned i = 0; i < ROUNDS; i++) {
		K_TEST_CHECK(k_sem_take(c->slots, K_FOREVER) == 0);
		bsp_atomic_fetch_add(&c->produced, 1);
		K_TEST_CHECK(k_sem_give(c->items) == 0);
	}
}

static void sem_consumer(void *arg)
{
	struct pc_ctx *c = arg;
	for (unsigned i = 0; i < ROUNDS; i++) {
		K_TEST_CHECK(k_sem_take(c->items, K_FOREVER) == 0);
		bsp_atomic_fetch_add(&c->consumed, 1);
		K_TEST_CHECK(k_sem_give(c->slots) == 0);
	}
}

K_TEST(sem_producer_consumer)
{
	static struct pc_ctx c;
	K_TEST_CHECK(k_sem_create(&c.items, "items", 0, 4) == 0);
	K_TEST_CHECK(k_sem_create(&c.slots, "slots", 4, 4) == 0);
	bsp_atomic_store(&c.produced, 0);
	bsp_atomic_store(&c.consumed, 0);
	k_thread_t *t[4];
	t[0] = spawn(sem_producer, &c, K_PRIO_DEFAULT, "prod0");
	t[1] = spawn(sem_producer, &c, K_PRIO_DEFAULT, "prod1");
	t[2] = spawn(sem_consumer, &c, K_PRIO_DEFAULT, "cons0");
	t[3] = spawn(sem_consumer, &c, K_PRIO_DEFAULT + 1u, "cons1");
	for (unsigned i = 0; i < 4; i++)
		join(t[i]);
	K_TEST_CHECK(bsp_atomic_load(&c.produced) == 2u * ROUNDS);
	K_TEST_CHECK(bsp_atomic_load(&c.consumed) == 2u * ROUNDS);
	K_TEST_CHECK(k_sem_count(c.items) == 0);
	K_TEST_CHECK(k_sem_count(c.slots) == 4);
	K_TEST_CHECK(k_sem_destroy(c.items) == 0);
	K_TEST_CHECK(k_sem_destroy(c.slots) == 0);
}

K_TEST(sem_limits_and_timeout)
{
	k_sem_t *s;
	K_TEST_CHECK(k_sem_create(&s, "s", 2, 1) == -K_EINVAL);
	K_TEST_CHECK(k_sem_create(&s, "s", 1, 2) == 0);
	K_TEST_CHECK(k_sem_give(s) == 0);
	K_TEST_CHECK(k_sem_give(s) == -K_EAGAIN);
	K_TEST_CHECK(k_sem_take(s, K_NO_WAIT) == 0);
	K_TEST_CHECK(k_sem_take(s, K_NO_WAIT) == 0);
	K_TEST_CHECK(k_sem_take(s, K_NO_WAIT) == -K_ETIMEDOUT);
	uint64_t t0 = bsp_clock_ns();
	K_TEST_CHECK(k_sem_take(s, 70000u) == -K_ETIMEDOUT);
	K_TEST_CHECK(bsp_clock_ns() - t0 >= 70000u);
	K_TEST_CHECK(k_sem_count(s) == 0);
	K_TEST_CHECK(k_sem_destroy(s) == 0);
}

/* ---------------------------------------------------- condition variable */

struct cond_ctx {
	k_mutex_t *m;
	k_cond_t *c;
	unsigned ready; /* guarded by m */
	unsigned woken; /* guarded by m */
};

static void cond_waiter(void *arg)
{
	struct cond_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->m, K_FOREVER) == 0);
	for (unsigned i = 0; i < 1000u && c->ready == 0; i++)
		K_TEST_CHECK(k_cond_wait(c->c, c->m, K_FOREVER) == 0);
	K_TEST_CHECK(c->ready == 1);
	K_TEST_CHECK(k_mutex_owner(c->m) == k_thread_self());
	c->woken++;
	K_TEST_CHECK(k_mutex_unlock(c->m) == 0);
}

K_TEST(cond_broadcast_and_timeout)
{
	static struct cond_ctx c;
	K_TEST_CHECK(k_mutex_create(&c.m, "cm") == 0);
	K_TEST_CHECK(k_cond_create(&c.c, "cv") == 0);
	c.ready = 0;
	c.woken = 0;
	k_thread_t *t[3];
	for (unsigned i = 0; i < 3; i++)
		t[i] = spawn(cond_waiter, &c, K_PRIO_DEFAULT, "cwait");
	k_thread_sleep_ns(100000u);
	K_TEST_CHECK(k_mutex_lock(c.m, K_FOREVER) == 0);
	c.ready = 1;
	K_TEST_CHECK(k_cond_broadcast(c.c) == 0);
	K_TEST_CHECK(k_mutex_unlock(c.m) == 0);
	for (unsigned i = 0; i < 3; i++)
		join(t[i]);
	K_TEST_CHECK(c.woken == 3);
	/* Timeout: relocks the mutex before returning. */
	K_TEST_CHECK(k_mutex_lock(c.m, K_FOREVER) == 0);
	K_TEST_CHECK(k_cond_wait(c.c, c.m, 30000u) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_mutex_owner(c.m) == k_thread_self());
	K_TEST_CHECK(k_cond_signal(c.c) == 0);
	K_TEST_CHECK(k_mutex_unlock(c.m) == 0);
	K_TEST_CHECK(k_cond_wait(c.c, c.m, K_FOREVER) == -K_EPERM);
	K_TEST_CHECK(k_cond_destroy(c.c) == 0);
	K_TEST_CHECK(k_mutex_destroy(c.m) == 0);
}

/* ---------------------------------------------------------- message queue */

#define MSGS 40u

static void msgq_sender(void *arg)
{
	k_msgq_t *q = arg;
	for (uint32_t i = 0; i < MSGS; i++) {
		uint32_t msg[2] = {i, i * 3u + 1u};
		K_TEST_CHECK(k_msgq_put(q, msg, K_FOREVER) == 0);
	}
}

static void msgq_receiver(void *arg)
{
	k_msgq_t *q = arg;
	for (uint32_t i = 0; i < MSGS; i++) {
		uint32_t msg[2] = {0, 0};
		K_TEST_CHECK(k_msgq_get(q, msg, K_FOREVER) == 0);
		K_TEST_CHECK(msg[0] == i && msg[1] == i * 3u + 1u);
	}
}

K_TEST(msgq_fifo_blocking_both_ways)
{
	k_msgq_t *q;
	K_TEST_CHECK(k_msgq_create(&q, "q", 2 * sizeof(uint32_t), 3) == 0);
	k_thread_t *r = spawn(msgq_receiver, q, K_PRIO_DEFAULT, "recv");
	k_thread_t *s = spawn(msgq_sender, q, K_PRIO_DEFAULT, "send");
	join(s);
	join(r);
	K_TEST_CHECK(k_msgq_count(q) == 0);
	K_TEST_CHECK(k_msgq_destroy(q) == 0);
}

/* Every copy class of msgq.c: 1..4 whole words (4..16 bytes) are copied
 * unrolled by their class, at any buffer alignment; 20 bytes (whole words
 * beyond the unrolled ones) and 7 (not whole words) go through the general
 * copy, by words when aligned, by bytes when not. Each must carry every
 * byte, touch nothing beside the message, and keep the order as the ring's
 * ends wrap (two messages in a ring of two, twice). */
static void msgq_fill(uint8_t *p, size_t n, uint8_t seed)
{
	K_ASSERT(n <= 32u);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7u);
}

static bool msgq_bytes_are(const uint8_t *p, size_t n, uint8_t seed)
{
	K_ASSERT(n <= 32u);
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7u))
			return false;
	return true;
}

K_TEST(msgq_odd_sizes_and_unaligned_buffers)
{
	static const size_t sizes[] = {4u, 7u, 8u, 12u, 16u, 20u};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		k_msgq_t *q;
		K_TEST_CHECK(k_msgq_create(&q, "q", n, 2) == 0);
		uint32_t in_words[9], out_words[9];
		uint8_t *in = (uint8_t *)in_words, *out = (uint8_t *)out_words;
		/* First aligned in and out, then one byte off on both sides. */
		for (size_t off = 0; off < 2u; off++) {
			msgq_fill(in + off, n, (uint8_t)(k * 16u + off));
			K_TEST_CHECK(k_msgq_put(q, in + off, K_NO_WAIT) == 0);
			msgq_fill(in + off, n, (uint8_t)(k * 16u + off + 1u));
			K_TEST_CHECK(k_msgq_put(q, in + off, K_NO_WAIT) == 0);
			for (size_t i = 0; i < sizeof out_words; i++)
				out[i] = 0xA5u;
			K_TEST_CHECK(k_msgq_get(q, out + off, K_NO_WAIT) == 0);
			K_TEST_CHECK(msgq_bytes_are(out + off, n, (uint8_t)(k * 16u + off)));
			K_TEST_CHECK(out[off + n] == 0xA5u);
			if (off > 0)
				K_TEST_CHECK(out[off - 1u] == 0xA5u);
			K_TEST_CHECK(k_msgq_get(q, out + off, K_NO_WAIT) == 0);
			K_TEST_CHECK(msgq_bytes_are(out + off, n, (uint8_t)(k * 16u + off + 1u)));
		}
		K_TEST_CHECK(k_msgq_destroy(q) == 0);
	}
}

K_TEST(msgq_full_empty_timeouts)
{
	k_msgq_t *q;
	K_TEST_CHECK(k_msgq_create(&q, "q", 0, 3) == -K_EINVAL);
	K_TEST_CHECK(k_msgq_create(&q, "q", sizeof(uint32_t), 2) == 0);
	uint32_t v = 7, out = 0;
	K_TEST_CHECK(k_msgq_get(q, &out, K_NO_WAIT) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_msgq_get(q, &out, 20000u) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_msgq_put(q, &v, K_NO_WAIT) == 0);
	v = 8;
	K_TEST_CHECK(k_msgq_put(q, &v, K_NO_WAIT) == 0);
	K_TEST_CHECK(k_msgq_put(q, &v, K_NO_WAIT) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_msgq_put(q, &v, 20000u) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_msgq_count(q) == 2);
	K_TEST_CHECK(k_msgq_get(q, &out, K_NO_WAIT) == 0 && out == 7);
	K_TEST_CHECK(k_msgq_get(q, &out, K_NO_WAIT) == 0 && out == 8);
	K_TEST_CHECK(k_msgq_destroy(q) == 0);
}
