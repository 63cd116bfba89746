/*
 * proc_test.c — self-tests of processes: exit of the last thread, kill of a
 * process whose threads are running on another core, ready, blocked on each
 * kind of object, sleeping, or not yet started; kill from inside; the
 * deadlock report on a real mutex cycle, ended by a kill.
 */
#include <bsp.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/test.h>
#include <k/thread.h>

#define POLL_SLEEP_NS 20000u
#define POLL_MAX 5000u
#define SPIN_MAX 2000000u
#define WAIT_NS 100000000u /* 100 ms virtual: far more than any kill needs */

static bool wait_at_least(bsp_atomic_t *a, uintptr_t want)
{
	for (unsigned i = 0; i < POLL_MAX; i++) {
		if (bsp_atomic_load(a) >= want)
			return true;
		k_thread_sleep_ns(POLL_SLEEP_NS);
	}
	return false;
}

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

/* ------------------------------------------------------------------ exit */

static void exit_five(void *arg)
{
	(void)arg;
	k_thread_exit(5);
}

K_TEST(proc_exit_code_of_last_thread)
{
	k_proc_t *p = NULL;
	K_TEST_CHECK(k_proc_create(&p, "five", exit_five, NULL, NULL) == 0);
	K_TEST_CHECK(k_proc_id(p) > 0);
	int code = 0;
	K_TEST_CHECK(k_proc_wait(p, WAIT_NS, &code) == 0);
	K_TEST_CHECK(code == 5);
	K_TEST_CHECK(k_proc_kill(k_proc_kernel(), 1) == -K_EPERM);
	K_TEST_CHECK(k_proc_wait(k_proc_self(), K_NO_WAIT, NULL) == -K_EINVAL);
}

/* ------------------------------------------------------------------ kill */

struct victims {
	k_mutex_t *m;       /* held by the test: a victim blocks on it */
	k_sem_t *sem;       /* never given */
	k_cond_t *cond;     /* never signalled */
	k_mutex_t *cond_m;
	k_msgq_t *q;        /* always empty */
	bsp_atomic_t started;
};

static void v_spin(void *arg)
{
	struct victims *v = arg;
	bsp_atomic_fetch_add(&v->started, 1);
	for (unsigned i = 0; i < SPIN_MAX; i++)
		(void)bsp_atomic_load(&v->started);
	K_TEST_CHECK(!"a killed spinner ran to its end");
}

static void v_mutex(void *arg)
{
	struct victims *v = arg;
	bsp_atomic_fetch_add(&v->started, 1);
	(void)k_mutex_lock(v->m, K_FOREVER);
	K_TEST_CHECK(!"a killed mutex waiter returned");
}

static void v_sem(void *arg)
{
	struct victims *v = arg;
	bsp_atomic_fetch_add(&v->started, 1);
	(void)k_sem_take(v->sem, K_FOREVER);
	K_TEST_CHECK(!"a killed semaphore waiter returned");
}

static void v_cond(void *arg)
{
	struct victims *v = arg;
	K_TEST_CHECK(k_mutex_lock(v->cond_m, K_FOREVER) == 0);
	bsp_atomic_fetch_add(&v->started, 1);
	(void)k_cond_wait(v->cond, v->cond_m, K_FOREVER);
	K_TEST_CHECK(!"a killed condition waiter returned");
}

static void v_msgq(void *arg)
{
	struct victims *v = arg;
	uint32_t buf;
	bsp_atomic_fetch_add(&v->started, 1);
	(void)k_msgq_get(v->q, &buf, K_FOREVER);
	K_TEST_CHECK(!"a killed receiver returned");
}

static void v_sleep(void *arg)
{
	struct victims *v = arg;
	bsp_atomic_fetch_add(&v->started, 1);
	k_thread_sleep_ns(1000000000u);
	K_TEST_CHECK(!"a killed sleeper returned");
}

/* First thread of the victim process: starts the others, then spins. */
static void v_first(void *arg)
{
	static const k_thread_entry_fn fns[] = {v_mutex, v_sem, v_cond, v_msgq, v_sleep, v_spin};
	for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
		a.name = "victim";
		a.flags = K_THREAD_DETACHED;
		K_TEST_CHECK(k_thread_create(NULL, fns[i], arg, &a) == 0);
	}
	v_spin(arg);
}

K_TEST(proc_kill_threads_wherever_they_are)
{
	static struct victims v;
	K_TEST_CHECK(k_mutex_create(&v.m, "held") == 0);
	K_TEST_CHECK(k_sem_create(&v.sem, "never", 0, 1) == 0);
	K_TEST_CHECK(k_cond_create(&v.cond, "never") == 0);
	K_TEST_CHECK(k_mutex_create(&v.cond_m, "cond-m") == 0);
	K_TEST_CHECK(k_msgq_create(&v.q, "empty", sizeof(uint32_t), 2) == 0);
	bsp_atomic_store(&v.started, 0);
	K_TEST_CHECK(k_mutex_lock(v.m, K_FOREVER) == 0);
	k_proc_t *p = NULL;
	K_TEST_CHECK(k_proc_create(&p, "victims", v_first, &v, NULL) == 0);
	K_TEST_CHECK(wait_at_least(&v.started, 7));
	k_thread_sleep_ns(200000u); /* let them all reach their waits */
	K_TEST_CHECK(k_proc_thread_count(p) == 7);
	K_TEST_CHECK(k_proc_kill(p, 99) == 0);
	K_TEST_CHECK(k_proc_kill(p, 98) == -K_ESRCH);
	int code = 0;
	K_TEST_CHECK(k_proc_wait(p, WAIT_NS, &code) == 0);
	K_TEST_CHECK(code == 99);
	/* Nobody waits any more; what the test holds is still its own. */
	K_TEST_CHECK(k_mutex_owner(v.m) == k_thread_self());
	K_TEST_CHECK(k_mutex_unlock(v.m) == 0);
	K_TEST_CHECK(k_mutex_owner(v.cond_m) == NULL);
	K_TEST_CHECK(k_mutex_destroy(v.m) == 0);
	K_TEST_CHECK(k_sem_destroy(v.sem) == 0);
	K_TEST_CHECK(k_cond_destroy(v.cond) == 0);
	K_TEST_CHECK(k_mutex_destroy(v.cond_m) == 0);
	K_TEST_CHECK(k_msgq_destroy(v.q) == 0);
	char msg[200];
	K_TEST_CHECK(k_sched_check_thread(msg, sizeof msg) == 0);
}

static void kill_own_process(void *arg)
{
	(void)arg;
	k_mutex_t *m;
	K_TEST_CHECK(k_mutex_create(&m, "left-behind") == 0);
	K_TEST_CHECK(k_mutex_lock(m, K_FOREVER) == 0);
	(void)k_proc_kill(k_proc_self(), 17);
	K_TEST_CHECK(!"k_proc_kill of the caller's process returned");
}

K_TEST(proc_kill_self_and_reap_leftovers)
{
	k_proc_t *p = NULL;
	K_TEST_CHECK(k_proc_create(&p, "suicide", kill_own_process, NULL, NULL) == 0);
	int code = 0;
	K_TEST_CHECK(k_proc_wait(p, WAIT_NS, &code) == 0);
	K_TEST_CHECK(code == 17);
}

static void never_runs_much(void *arg)
{
	(void)arg;
	k_thread_sleep_ns(1000000u);
}

K_TEST(proc_kill_before_start)
{
	for (unsigned i = 0; i < 3; i++) {
		k_proc_t *p = NULL;
		K_TEST_CHECK(k_proc_create(&p, "early", never_runs_much, NULL, NULL) == 0);
		K_TEST_CHECK(k_proc_kill(p, 3) == 0);
		int code = 0;
		K_TEST_CHECK(k_proc_wait(p, WAIT_NS, &code) == 0);
		K_TEST_CHECK(code == 3);
	}
}

/* ------------------------------------------------------- deadlock report */

struct cycle {
	k_mutex_t *a, *b;
	bsp_atomic_t holding;
};

static void lock_ab(void *arg)
{
	struct cycle *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->a, K_FOREVER) == 0);
	bsp_atomic_fetch_add(&c->holding, 1);
	while (bsp_atomic_load(&c->holding) < 2)
		k_thread_sleep_ns(POLL_SLEEP_NS);
	(void)k_mutex_lock(c->b, K_FOREVER);
}

static void lock_ba(void *arg)
{
	struct cycle *c = arg;
	K_TEST_CHECK(k_mutex_lock(c->b, K_FOREVER) == 0);
	bsp_atomic_fetch_add(&c->holding, 1);
	while (bsp_atomic_load(&c->holding) < 2)
		k_thread_sleep_ns(POLL_SLEEP_NS);
	(void)k_mutex_lock(c->a, K_FOREVER);
}

static void cycle_first(void *arg)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = "ba";
	a.flags = K_THREAD_DETACHED;
	K_TEST_CHECK(k_thread_create(NULL, lock_ba, arg, &a) == 0);
	lock_ab(arg);
}

K_TEST(deadlock_report_names_the_cycle)
{
	static struct cycle c;
	K_TEST_CHECK(k_mutex_create(&c.a, "fork-a") == 0);
	K_TEST_CHECK(k_mutex_create(&c.b, "fork-b") == 0);
	bsp_atomic_store(&c.holding, 0);
	k_proc_t *p = NULL;
	K_TEST_CHECK(k_proc_create(&p, "diners", cycle_first, &c, NULL) == 0);
	static char report[512];
	size_t blocked = 0;
	for (unsigned i = 0; i < POLL_MAX && blocked < 2; i++) {
		k_thread_sleep_ns(POLL_SLEEP_NS);
		blocked = k_sched_deadlock_report_thread(report, sizeof report);
	}
	K_TEST_CHECK(blocked == 2);
	K_TEST_CHECK(contains(report, "deadlock: "));
	K_TEST_CHECK(contains(report, "'fork-a'"));
	K_TEST_CHECK(contains(report, "'fork-b'"));
	K_TEST_CHECK(contains(report, "(cycle)"));
	/* Killing the process ends the cycle: its threads release both. */
	K_TEST_CHECK(k_proc_kill(p, 1) == 0);
	K_TEST_CHECK(k_proc_wait(p, WAIT_NS, NULL) == 0);
	K_TEST_CHECK(k_mutex_owner(c.a) == NULL && k_mutex_owner(c.b) == NULL);
	K_TEST_CHECK(k_mutex_destroy(c.a) == 0);
	K_TEST_CHECK(k_mutex_destroy(c.b) == 0);
	K_TEST_CHECK(k_sched_deadlock_report_thread(report, sizeof report) == 0);
}
