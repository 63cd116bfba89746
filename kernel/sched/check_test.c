/*
 * check_test.c — k_sched_check catches corrupted scheduler state.
 *
 * Each case breaks one invariant by hand, checks and repairs the state
 * holding every scheduler lock (sched_lock_all: registry, mutexes, every
 * run queue): no other core can see the broken state or be half-way
 * through changing what is checked, on any target, and what another core
 * reads later was written under the lock it takes (the never-rule holds).
 * So the checker (sched_check_held) skips nothing and one attempt is
 * enough. The thread's state is read under its run queue's lock too.
 */
#include "sched_impl.h"

#include <k/test.h>

/* Long enough to outlast every attempt below (64 sleeps of 1 us). */
static void sleep_long(void *arg)
{
	(void)arg;
	k_thread_sleep_ns(20000000u);
}

/* Bounds the polls for a thread to reach a state (its first run is the
 * schedule's choice). */
#define CHECK_TEST_POLLS_MAX 1000u
/* A checker message's buffer (the longest line is about 120 characters). */
#define CHECK_TEST_MSG_BYTES 200u

/* t's state, read under the lock that guards it. */
static enum thread_state state_of(k_thread_t *t)
{
	K_ASSERT(t != NULL);
	bsp_irq_state_t s = bsp_irq_save();
	unsigned cpu = sched_lock_thread(t);
	enum thread_state st = t->state;
	bsp_spin_unlock(&g_sched.core[cpu].rq.lock);
	bsp_irq_restore(s);
	K_ASSERT(st <= TS_DEAD);
	return st;
}

/* Breaks one invariant at a time on sleeping thread t, calls the checker and
 * repairs it, all under every scheduler lock. */
static void check_corruptions(k_thread_t *t, int *bitmap_rc, int *count_rc, int *place_rc,
			      int *prio_rc, int *total_rc, char *msg, size_t cap)
{
	K_ASSERT(t != NULL && msg != NULL && cap > 0);
	bsp_irq_state_t s;
	sched_lock_all(&s);
	struct sched_core *c = &g_sched.core[0];

	/* A bitmap bit for an empty list. */
	unsigned p = K_PRIO_MIN;
	for (; p < K_PRIO_LEVELS && (c->rq.bitmap >> p) & 1u; p++)
		;
	c->rq.bitmap ^= (uint64_t)1u << p;
	*bitmap_rc = sched_check_held(NULL, 0);
	c->rq.bitmap ^= (uint64_t)1u << p;

	/* A run-queue count that disagrees with the lists. */
	c->rq.count++;
	*count_rc = sched_check_held(NULL, 0);
	c->rq.count--;

	/* A sleeping thread that claims to be ready (in no run queue). */
	enum thread_state old = t->state;
	t->state = TS_READY;
	*place_rc = sched_check_held(NULL, 0);
	t->state = old;

	/* An effective priority no inheritance explains. */
	t->prio ^= 1u;
	*prio_rc = sched_check_held(NULL, 0);
	t->prio ^= 1u;

	/* A live-thread count off by one. */
	g_sched.threads_live++;
	*total_rc = sched_check_held(msg, cap);
	g_sched.threads_live--;
	K_ASSERT(t->state == old);
	sched_unlock_all(s);
}

/* True if msg begins with prefix (bounded: both are this file's). */
static bool starts_with(const char *msg, const char *prefix)
{
	K_ASSERT(msg != NULL && prefix != NULL);
	for (size_t i = 0; i < CHECK_TEST_MSG_BYTES && prefix[i] != '\0'; i++)
		if (msg[i] != prefix[i])
			return false;
	return true;
}

K_TEST(sched_check_catches_corruption)
{
	char msg[CHECK_TEST_MSG_BYTES];
	K_TEST_CHECK(k_sched_check_thread(msg, sizeof msg) == 0);

	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "sleeper";
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, sleep_long, NULL, &a) == 0);
	/* Until it sleeps: when it first runs is the schedule's choice (busy
	 * threads of earlier tests, deferred ticks), so no fixed delay is
	 * enough. */
	for (unsigned i = 0; i < CHECK_TEST_POLLS_MAX && state_of(t) != TS_SLEEPING; i++)
		k_thread_sleep_ns(100000u);

	/* It sleeps 20 ms: long enough for the one attempt under the locks. */
	int bitmap_rc = 0, count_rc = 0, place_rc = 0, prio_rc = 0, total_rc = 0;
	enum thread_state old = state_of(t);
	if (old == TS_SLEEPING)
		check_corruptions(t, &bitmap_rc, &count_rc, &place_rc, &prio_rc, &total_rc, msg, sizeof msg);

	K_TEST_CHECK(old == TS_SLEEPING);
	K_TEST_CHECK(bitmap_rc == -K_SCHED_CHECK_RUNQ);
	K_TEST_CHECK(count_rc == -K_SCHED_CHECK_RUNQ);
	K_TEST_CHECK(place_rc == -K_SCHED_CHECK_PLACE);
	K_TEST_CHECK(prio_rc == -K_SCHED_CHECK_MUTEX);
	K_TEST_CHECK(total_rc == -K_SCHED_CHECK_COUNT);
	/* The failure's own sentence and its number's label (check.c's table). */
	K_TEST_CHECK(starts_with(msg, "k_sched_check: thread counts disagree [after entries: "));
	K_TEST_CHECK(k_sched_check_thread(msg, sizeof msg) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}

static void return_now(void *arg)
{
	(void)arg;
}

/* The checker walks only the lists whose bitmap bit is set. A READY thread
 * hidden under a clear bit, with the count lowered to match (so the per-core
 * walk agrees with itself), is caught from the thread side; a corrupted
 * clear-bit head is caught by the rotating spot within K_PRIO_LEVELS calls. */
K_TEST(sched_check_catches_hidden_ready_thread)
{
	k_thread_t *self = k_thread_self();
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_CORE(0)) == 0);
	K_TEST_CHECK(k_thread_self()->cpu.value == 0);
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "waiting";
	a.priority = K_PRIO_MIN + 1u;
	a.affinity = K_CPUMASK_CORE(0);
	k_thread_t *t = NULL;
	K_TEST_CHECK(self->prio > a.priority);
	K_TEST_CHECK(k_thread_create(&t, return_now, NULL, &a) == 0);

	bsp_irq_state_t s;
	sched_lock_all(&s);
	struct sched_core *c = &g_sched.core[0];
	bool ready = t->state == TS_READY && t->cpu.value == 0;
	uint64_t bit = (uint64_t)1u << t->prio;
	int hidden_rc = -1, head_rc = 0;
	if (ready) {
		unsigned n = 0;
		for (const struct qlink *l = rq_level_first(&c->rq, t->prio); l != NULL && n <= K_THREADS_MAX;
		     l = rq_level_next(&c->rq, t->prio, l))
			n++;
		c->rq.bitmap &= ~bit;
		c->rq.count -= n;
		bsp_atomic_fetch_add(&c->nr_ready, (uintptr_t)0u - n); /* read lock-free elsewhere */
		hidden_rc = sched_check_held(NULL, 0);
		c->rq.count += n;
		bsp_atomic_fetch_add(&c->nr_ready, n);
		c->rq.bitmap |= bit;
	}

	/* A clear-bit head pointing into another (non-empty) list. */
	unsigned q = K_PRIO_MAX;
	for (; q > 0 && (c->rq.bitmap >> q) & 1u; q--)
		;
	struct qlink *saved = c->rq.first[q];
	c->rq.first[q] = &t->rq_link;
	for (unsigned i = 0; i < K_PRIO_LEVELS && head_rc == 0; i++)
		head_rc = sched_check_held(NULL, 0);
	c->rq.first[q] = saved;
	sched_unlock_all(s);

	K_TEST_CHECK(ready);
	K_TEST_CHECK(hidden_rc == -K_SCHED_CHECK_RUNQ);
	K_TEST_CHECK(head_rc == -K_SCHED_CHECK_RUNQ);
	K_TEST_CHECK(k_sched_check_thread(NULL, 0) == 0);
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_ALL) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}

static void park_self(void *arg)
{
	(void)arg;
	(void)k_thread_suspend(k_thread_self());
}

static bool has_text(const char *s, const char *needle)
{
	for (size_t i = 0; s[i] != '\0' && i < 200u; i++) {
		size_t j = 0;
		while (needle[j] != '\0' && s[i + j] == needle[j])
			j++;
		if (needle[j] == '\0')
			return true;
	}
	return false;
}

/* A suspended thread is in no queue, on no core, with its flag; a ready
 * thread never has the flag. Each broken in turn, then repaired. */
K_TEST(sched_check_catches_suspend_corruption)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "parked";
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, park_self, NULL, &a) == 0);
	bool parked = false;
	for (unsigned i = 0; i < CHECK_TEST_POLLS_MAX && !parked; i++) {
		bsp_irq_state_t s = bsp_irq_save();
		unsigned cpu = sched_lock_thread(t);
		parked = t->state == TS_SUSPENDED;
		bsp_spin_unlock(&g_sched.core[cpu].rq.lock);
		bsp_irq_restore(s);
		if (!parked)
			k_thread_sleep_ns(10000u);
	}
	K_TEST_CHECK(parked);
	static char flag_msg[200], core_msg[200], ready_msg[200];
	int flag_rc = 0, core_rc = 0, ready_rc = 0;
	if (parked) { /* a suspended thread stays so until resumed */
		bsp_irq_state_t s;
		sched_lock_all(&s);
		t->suspended = false; /* parked without its flag */
		flag_rc = sched_check_held(flag_msg, sizeof flag_msg);
		t->suspended = true;
		t->on_core = 0; /* parked and on a core */
		core_rc = sched_check_held(core_msg, sizeof core_msg);
		t->on_core = SCHED_CORE_NONE;
		t->state = TS_READY; /* ready with a suspension pending */
		ready_rc = sched_check_held(ready_msg, sizeof ready_msg);
		t->state = TS_SUSPENDED;
		sched_unlock_all(s);
	}
	K_TEST_CHECK(flag_rc == -K_SCHED_CHECK_PLACE);
	K_TEST_CHECK(has_text(flag_msg, "without its flag"));
	K_TEST_CHECK(core_rc == -K_SCHED_CHECK_PLACE);
	K_TEST_CHECK(has_text(core_msg, "queued or on a core"));
	K_TEST_CHECK(ready_rc == -K_SCHED_CHECK_PLACE);
	K_TEST_CHECK(has_text(ready_msg, "suspension pending"));
	K_TEST_CHECK(k_sched_check_thread(NULL, 0) == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}
