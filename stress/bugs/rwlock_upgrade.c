/*
 * rwlock_upgrade.c — upgrade deadlock on a readers-writer lock built from a
 * mutex and a condition variable.
 *
 * Two threads each read under a shared (read) lock and then, still holding
 * it, upgrade to the exclusive (write) lock, which waits until it is the only
 * reader. If both hold the read lock at once, each waits for the other to
 * leave: a deadlock. Twin: a thread releases its read lock, takes the write
 * lock, and re-reads the value before writing (the lock is never upgraded).
 * Oracle: the deadlock report (both waiting on the condition variable); the
 * end check: both increments landed.
 */
#include "bugs.h"

#define RU_THREADS 2u
#define RU_WAITS_MAX 64u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	k_cond_t *c;
	unsigned readers; /* under ru.m */
	bool writer;      /* under ru.m */
	unsigned value;
	bool fixed;
	int error;
} ru;

static void ru_wait_until(bool (*ok)(void))
{
	for (unsigned i = 0; i < RU_WAITS_MAX && !ok(); i++)
		bug_note(&ru.error, k_cond_wait(ru.c, ru.m, K_FOREVER));
}

static bool ru_no_writer(void) { return !ru.writer; }
static bool ru_alone(void) { return !ru.writer && ru.readers == 1u; }
static bool ru_empty(void) { return !ru.writer && ru.readers == 0u; }

static void ru_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < RU_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_gate_pass(ru.gate, &ru.error);
	bug_note(&ru.error, k_mutex_lock(ru.m, K_FOREVER));
	ru_wait_until(ru_no_writer);
	ru.readers++; /* read lock taken */
	bug_note(&ru.error, k_mutex_unlock(ru.m));
	unsigned seen = ru.value;
	bug_note(&ru.error, k_mutex_lock(ru.m, K_FOREVER));
	if (ru.fixed) {
		ru.readers--; /* release, then take the write lock afresh */
		bug_note(&ru.error, k_cond_broadcast(ru.c));
		ru_wait_until(ru_empty);
		seen = ru.value; /* re-read: it may have changed */
	} else {
		ru_wait_until(ru_alone); /* the upgrade: wait to be the only reader */
		ru.readers--;
	}
	ru.writer = true;
	bug_note(&ru.error, k_mutex_unlock(ru.m));
	ru.value = seen + 1u;
	bug_note(&ru.error, k_mutex_lock(ru.m, K_FOREVER));
	ru.writer = false;
	bug_note(&ru.error, k_cond_broadcast(ru.c));
	bug_note(&ru.error, k_mutex_unlock(ru.m));
}

static int ru_run(bool fixed)
{
	ru.gate = NULL;
	ru.m = NULL;
	ru.c = NULL;
	ru.readers = ru.value = 0;
	ru.writer = false;
	ru.fixed = fixed;
	ru.error = 0;
	int rc = bug_gate_create(&ru.gate);
	if (rc == 0)
		rc = k_mutex_create(&ru.m, "rw");
	if (rc == 0)
		rc = k_cond_create(&ru.c, "rw");
	k_thread_t *t[RU_THREADS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, RU_THREADS, ru_thread, "rw", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(ru.gate, RU_THREADS, &ru.error);
	int jr = bug_join(t, RU_THREADS);
	if (rc == 0)
		rc = jr;
	if (ru.c && rc == 0)
		rc = k_cond_destroy(ru.c);
	if (ru.m && rc == 0)
		rc = k_mutex_destroy(ru.m);
	if (ru.gate && rc == 0)
		rc = k_sem_destroy(ru.gate);
	return rc;
}

static int ru_check(char *msg, size_t cap)
{
	if (ru.error < 0)
		return stress_fail_err(msg, cap, "a sync call failed with ", ru.error);
	if (ru.value != RU_THREADS)
		return stress_fail(msg, cap, "value ", ru.value, " after two increments");
	return 0;
}

BUG_MAINS(ru)
K_BUG_PROGRAM(rwlock_upgrade, "rwlock_upgrade", "upgrade deadlock (readers-writer lock)",
	      RU_THREADS, true, "two readers both upgrade to writer", ru_bug, ru_twin, ru_check);
