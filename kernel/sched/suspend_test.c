/*
 * suspend_test.c — self-tests of k_thread_suspend / k_thread_resume: error
 * codes; a ready, blocked, sleeping, self- or other-core-running thread
 * stops and continues where it was; its wait's result is kept; a resumed
 * more urgent thread runs before resume returns; a suspended thread is
 * still killable, keeps its mutexes and is boosted by inheritance; the
 * deadlock report names it.
 *
 * Tests wait for a thread to reach the state they need (state_of, under its
 * run-queue lock) rather than for a span of time, so they hold under any
 * schedule an exploration strategy picks.
 */
#include "sched_impl.h"

#include <bsp.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/test.h>
#include <k/thread.h>

#define SUS_SETTLE_NS 300000u     /* long enough for a thread to get where it goes */
#define SUS_POLL_MAX 20000u
#define SUS_POLL_NS 10000u
#define SUS_ROUNDS 16u
#define SUS_SPIN_MAX 10000000u

struct sus_ctx {
	bsp_atomic_t before;  /* reached the point where it will be stopped */
	bsp_atomic_t after;   /* went past it */
	bsp_atomic_t stop;
	bsp_atomic_t spins;
	k_sem_t *sem;
	k_mutex_t *m;
	int rc;
};

static void ctx_reset(struct sus_ctx *c)
{
	bsp_atomic_store(&c->before, 0);
	bsp_atomic_store(&c->after, 0);
	bsp_atomic_store(&c->stop, 0);
	bsp_atomic_store(&c->spins, 0);
	c->sem = NULL;
	c->m = NULL;
	c->rc = -1;
}

static k_thread_t *spawn(k_thread_entry_fn fn, void *arg, unsigned prio, k_cpumask_t aff,
			 const char *name)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.priority = prio;
	a.affinity = aff;
	a.name = name;
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, fn, arg, &a) == 0);
	return t;
}

static bool wait_flag(bsp_atomic_t *f, uintptr_t want)
{
	for (unsigned i = 0; i < SUS_POLL_MAX; i++) {
		if (bsp_atomic_load(f) == want)
			return true;
		k_thread_sleep_ns(SUS_POLL_NS);
	}
	return false;
}

static void mark_and_return(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->after, 1);
}

static enum thread_state state_of(k_thread_t *t)
{
	bsp_irq_state_t s = bsp_irq_save();
	unsigned cpu = sched_lock_thread(t);
	enum thread_state st = t->state;
	bsp_spin_unlock(&g_sched.core[cpu].rq.lock);
	bsp_irq_restore(s);
	return st;
}

static bool wait_state(k_thread_t *t, enum thread_state want)
{
	for (unsigned i = 0; i < SUS_POLL_MAX; i++) {
		if (state_of(t) == want)
			return true;
		k_thread_sleep_ns(SUS_POLL_NS);
	}
	return false;
}

static void sleep_briefly(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->before, 1);
	c->rc = k_thread_sleep_ns(SUS_SETTLE_NS);
	bsp_atomic_store(&c->after, 1);
}

K_TEST(suspend_error_codes)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	K_TEST_CHECK(k_thread_suspend(NULL) == -K_EINVAL);
	K_TEST_CHECK(k_thread_resume(NULL) == -K_EINVAL);
	K_TEST_CHECK(k_thread_resume(k_thread_self()) == -K_EINVAL); /* not suspended */
	k_thread_t *t = spawn(sleep_briefly, &c, K_PRIO_DEFAULT, 0, "short");
	K_TEST_CHECK(wait_flag(&c.before, 1));
	K_TEST_CHECK(k_thread_suspend(t) == 0);
	K_TEST_CHECK(k_thread_suspend(t) == -K_EBUSY);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_resume(t) == -K_EINVAL);
	K_TEST_CHECK(wait_flag(&c.after, 1));
	K_TEST_CHECK(wait_state(t, TS_DEAD)); /* exited, not yet joined */
	K_TEST_CHECK(k_thread_suspend(t) == -K_ESRCH);
	K_TEST_CHECK(k_thread_resume(t) == -K_ESRCH);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}

/* A ready thread (same core as the caller, less urgent) never runs while
 * suspended, and runs once resumed. */
K_TEST(suspend_ready_thread)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	k_thread_t *self = k_thread_self();
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_CORE(0)) == 0);
	k_thread_t *t = spawn(mark_and_return, &c, K_PRIO_MIN, K_CPUMASK_CORE(0), "ready");
	K_TEST_CHECK(k_thread_suspend(t) == 0); /* ready: we are more urgent */
	k_thread_sleep_ns(SUS_SETTLE_NS);        /* core 0 idles: it would run now */
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 1);
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_ALL) == 0);
}

static void take_sem(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->before, 1);
	c->rc = k_sem_take(c->sem, K_FOREVER);
	bsp_atomic_store(&c->after, 1);
}

/* A blocked thread: the give ends its wait, but it stays suspended; once
 * resumed its take returns the give's result. */
K_TEST(suspend_blocked_thread)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	K_TEST_CHECK(k_sem_create(&c.sem, "sus", 0, 1) == 0);
	k_thread_t *t = spawn(take_sem, &c, K_PRIO_DEFAULT, 0, "blocked");
	K_TEST_CHECK(wait_state(t, TS_BLOCKED)); /* in the take */
	K_TEST_CHECK(k_thread_suspend(t) == 0);
	K_TEST_CHECK(state_of(t) == TS_BLOCKED);   /* takes effect when the wait ends */
	K_TEST_CHECK(k_sem_give(c.sem) == 0);
	K_TEST_CHECK(state_of(t) == TS_SUSPENDED);
	k_thread_sleep_ns(SUS_SETTLE_NS);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 0);
	K_TEST_CHECK(k_sem_count(c.sem) == 0); /* the unit went to it */
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 1);
	K_TEST_CHECK(k_sem_destroy(c.sem) == 0);
}

/* Suspended and resumed while still blocked: it waits on as if never
 * suspended. */
K_TEST(suspend_resume_while_blocked)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	K_TEST_CHECK(k_sem_create(&c.sem, "sus2", 0, 1) == 0);
	k_thread_t *t = spawn(take_sem, &c, K_PRIO_DEFAULT, 0, "blocked2");
	K_TEST_CHECK(wait_state(t, TS_BLOCKED));
	K_TEST_CHECK(k_thread_suspend(t) == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	k_thread_sleep_ns(SUS_SETTLE_NS);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 0); /* still waiting */
	K_TEST_CHECK(state_of(t) == TS_BLOCKED);
	K_TEST_CHECK(k_sem_give(c.sem) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(k_sem_destroy(c.sem) == 0);
}

/* A sleeping thread whose sleep ends while suspended stays stopped. */
K_TEST(suspend_sleeping_thread)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	k_thread_t *t = spawn(sleep_briefly, &c, K_PRIO_DEFAULT, 0, "sleeper");
	K_TEST_CHECK(wait_state(t, TS_SLEEPING));
	K_TEST_CHECK(k_thread_suspend(t) == 0);
	K_TEST_CHECK(wait_state(t, TS_SUSPENDED)); /* its sleep ended */
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 1);
}

static void suspend_itself(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->before, 1);
	c->rc = k_thread_suspend(k_thread_self());
	bsp_atomic_store(&c->after, 1);
}

K_TEST(suspend_self)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	k_thread_t *t = spawn(suspend_itself, &c, K_PRIO_DEFAULT, 0, "self");
	K_TEST_CHECK(wait_state(t, TS_SUSPENDED));
	k_thread_sleep_ns(SUS_SETTLE_NS);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 0);
	K_TEST_CHECK(k_thread_suspend(t) == -K_EBUSY);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 1);
}

/* A more urgent thread that suspends itself, resumed in a loop from the
 * same core: each resume runs it to its next suspension before returning. */
static void suspend_loop(void *arg)
{
	struct sus_ctx *c = arg;
	for (unsigned i = 0; i < SUS_ROUNDS; i++) {
		bsp_atomic_fetch_add(&c->before, 1u);
		if (k_thread_suspend(k_thread_self()) != 0)
			c->rc = -2;
	}
	bsp_atomic_store(&c->after, 1);
}

K_TEST(suspend_resume_urgent_runs_first)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	c.rc = 0;
	k_thread_t *self = k_thread_self();
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_CORE(0)) == 0);
	unsigned prio = k_thread_priority_get(self);
	k_thread_t *t = spawn(suspend_loop, &c, prio + 1u, K_CPUMASK_CORE(0), "urgent");
	/* It ran at once (more urgent, same core) and parked itself. */
	K_TEST_CHECK(bsp_atomic_load(&c.before) == 1);
	unsigned behind = 0;
	for (unsigned i = 1; i < SUS_ROUNDS; i++) {
		K_TEST_CHECK(k_thread_resume(t) == 0);
		if (bsp_atomic_load(&c.before) != i + 1u)
			behind++;
	}
	K_TEST_CHECK(behind == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(bsp_atomic_load(&c.after) == 1);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_ALL) == 0);
}

static void spin_until_stopped(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->before, 1);
	for (unsigned i = 0; i < SUS_SPIN_MAX && bsp_atomic_load(&c->stop) == 0; i++)
		bsp_atomic_fetch_add(&c->spins, 1u);
	bsp_atomic_store(&c->after, 1);
}

/* A thread running on another core stops (its core's IPI) and goes on
 * once resumed. */
K_TEST(suspend_running_other_core)
{
	unsigned cores = k_sched_cores();
	if (cores < 2)
		K_TEST_SKIP("needs 2 cores");
	static struct sus_ctx c;
	ctx_reset(&c);
	k_thread_t *self = k_thread_self();
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_CORE(0)) == 0);
	k_thread_t *t = spawn(spin_until_stopped, &c, K_PRIO_DEFAULT, K_CPUMASK_CORE(cores - 1u), "spinner");
	K_TEST_CHECK(wait_flag(&c.before, 1));
	K_TEST_CHECK(k_thread_suspend(t) == 0);
	K_TEST_CHECK(wait_state(t, TS_SUSPENDED)); /* its core's IPI parked it */
	uintptr_t s1 = bsp_atomic_load(&c.spins);
	k_thread_sleep_ns(SUS_SETTLE_NS);
	uintptr_t s2 = bsp_atomic_load(&c.spins);
	K_TEST_CHECK(s1 == s2);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	for (unsigned i = 0; i < SUS_POLL_MAX && bsp_atomic_load(&c.spins) == s2; i++)
		k_thread_sleep_ns(SUS_POLL_NS);
	K_TEST_CHECK(bsp_atomic_load(&c.spins) != s2);
	bsp_atomic_store(&c.stop, 1);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_thread_affinity_set(self, K_CPUMASK_ALL) == 0);
}

/* A suspended thread's affinity moves its home: resumed, it runs where its
 * new mask says. */
static void report_core(void *arg)
{
	struct sus_ctx *c = arg;
	bsp_atomic_store(&c->before, 1);
	(void)k_thread_suspend(k_thread_self());
	c->rc = (int)k_thread_core();
	bsp_atomic_store(&c->after, 1);
}

K_TEST(suspend_affinity_moves_home)
{
	unsigned cores = k_sched_cores();
	if (cores < 2)
		K_TEST_SKIP("needs 2 cores");
	static struct sus_ctx c;
	ctx_reset(&c);
	k_thread_t *t = spawn(report_core, &c, K_PRIO_DEFAULT, K_CPUMASK_CORE(1), "mover");
	K_TEST_CHECK(wait_state(t, TS_SUSPENDED));
	K_TEST_CHECK(k_thread_affinity_set(t, K_CPUMASK_CORE(0)) == 0);
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
}

/* A suspended thread keeps its mutex; a waiter's priority is inherited by
 * it all the same; resumed, it unlocks and the waiter gets the mutex. */
static void hold_then_park(void *arg)
{
	struct sus_ctx *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->m, K_FOREVER) == 0);
	bsp_atomic_store(&c->before, 1);
	(void)k_thread_suspend(k_thread_self());
	K_TEST_CHECK(k_mutex_unlock(c->m) == 0);
	bsp_atomic_store(&c->after, 1);
}

static void lock_once(void *arg)
{
	struct sus_ctx *c = arg;
	c->rc = k_mutex_lock(c->m, K_FOREVER);
	if (c->rc == 0)
		K_TEST_CHECK(k_mutex_unlock(c->m) == 0);
}

K_TEST(suspend_keeps_mutex_and_inherits)
{
	static struct sus_ctx c;
	ctx_reset(&c);
	K_TEST_CHECK(k_mutex_create(&c.m, "sus-m") == 0);
	k_thread_t *o = spawn(hold_then_park, &c, K_PRIO_DEFAULT - 2u, 0, "owner");
	K_TEST_CHECK(wait_state(o, TS_SUSPENDED));
	K_TEST_CHECK(k_mutex_owner(c.m) == o);
	k_thread_t *w = spawn(lock_once, &c, K_PRIO_DEFAULT + 3u, 0, "waiter");
	bool boosted = false;
	for (unsigned i = 0; i < SUS_POLL_MAX && !boosted; i++) {
		boosted = k_thread_priority_effective(o) == K_PRIO_DEFAULT + 3u;
		if (!boosted)
			k_thread_sleep_ns(SUS_POLL_NS);
	}
	K_TEST_CHECK(boosted);
	K_TEST_CHECK(k_mutex_owner(c.m) == o);
	K_TEST_CHECK(k_thread_resume(o) == 0);
	K_TEST_CHECK(k_thread_join(w, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(k_thread_join(o, K_FOREVER, NULL) == 0);
	K_TEST_CHECK(c.rc == 0);
	K_TEST_CHECK(k_mutex_destroy(c.m) == 0);
}

/* Killing a process whose threads are suspended (self-suspended, and
 * suspended while blocked) ends them: the kill resumes them and they exit. */
static struct sus_ctx kill_ctx;

static void kill_victim_main(void *arg)
{
	(void)arg;
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "victim-self";
	k_thread_t *t = NULL;
	K_TEST_CHECK(k_thread_create(&t, suspend_itself, &kill_ctx, &a) == 0);
	K_TEST_CHECK(k_thread_detach(t) == 0);
	bsp_atomic_fetch_add(&kill_ctx.spins, 1u);
	(void)k_sem_take(kill_ctx.sem, K_FOREVER); /* never given */
	bsp_atomic_store(&kill_ctx.stop, 1);     /* never reached */
}

K_TEST(suspend_then_kill)
{
	struct sus_ctx *c = &kill_ctx;
	ctx_reset(c);
	K_TEST_CHECK(k_sem_create(&c->sem, "never", 0, 1) == 0);
	k_proc_t *p = NULL;
	K_TEST_CHECK(k_proc_create(&p, "victim", kill_victim_main, NULL, NULL) == 0);
	K_TEST_CHECK(wait_flag(&c->before, 1));
	K_TEST_CHECK(wait_flag(&c->spins, 1));
	k_thread_sleep_ns(SUS_SETTLE_NS); /* one suspended, one blocked */
	K_TEST_CHECK(k_proc_wait(p, K_NO_WAIT, NULL) == -K_ETIMEDOUT);
	K_TEST_CHECK(k_proc_kill(p, 7) == 0);
	int code = 0;
	K_TEST_CHECK(k_proc_wait(p, SUS_SETTLE_NS * 100u, &code) == 0);
	K_TEST_CHECK(code == 7);
	K_TEST_CHECK(bsp_atomic_load(&c->after) == 0);
	K_TEST_CHECK(bsp_atomic_load(&c->stop) == 0);
	K_TEST_CHECK(k_sem_destroy(c->sem) == 0);
}

/* The deadlock report lists a suspended thread as such. */
static bool contains(const char *s, const char *needle)
{
	for (size_t i = 0; s[i] != '\0' && i < 4096u; i++) {
		size_t j = 0;
		while (needle[j] != '\0' && s[i + j] == needle[j])
			j++;
		if (needle[j] == '\0')
			return true;
	}
	return false;
}

K_TEST(suspend_named_in_deadlock_report)
{
	static struct sus_ctx c;
	static char report[512];
	ctx_reset(&c);
	k_thread_t *t = spawn(suspend_itself, &c, K_PRIO_DEFAULT, 0, "sus-report");
	K_TEST_CHECK(wait_state(t, TS_SUSPENDED));
	size_t n = k_sched_deadlock_report_thread(report, sizeof report);
	K_TEST_CHECK(n >= 1u);
	K_TEST_CHECK(contains(report, "'sus-report' (prio 32) suspended"));
	K_TEST_CHECK(k_thread_resume(t) == 0);
	K_TEST_CHECK(k_thread_join(t, K_FOREVER, NULL) == 0);
}
