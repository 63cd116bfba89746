/*
 * timeouts.c — timeouts racing wake-ups: a call that returned -K_ETIMEDOUT
 * did not also consume the resource, one that returned 0 did.
 *
 * Semaphore: TO_TAKERS threads take with a short timeout (about as long as a
 * giver's pause, so give and timeout race) until the givers are done; the
 * givers give TO_GIVES units in all. End: units taken (calls that returned 0)
 * + the count left == units given, and no give failed (the limit is high).
 * Mutex: TO_LOCKERS threads lock with a short timeout while a holder keeps
 * it for about as long; a lock that returned 0 must make the caller the
 * owner (k_mutex_unlock returns 0), one that returned -K_ETIMEDOUT must not
 * (the caller is not the owner: unlock is -K_EPERM).
 * Message queue: a receiver gets with a short timeout while a sender puts
 * TO_MSGS messages with pauses: every message is received exactly once, by
 * calls that returned 0.
 */
#include <k/assert.h>

#include "stress.h"

#define TO_TAKERS 2u
#define TO_GIVERS 2u
#define TO_GIVES_EACH 5u
#define TO_GIVES (TO_GIVERS * TO_GIVES_EACH)
#define TO_TIMEOUT_NS 2000u
#define TO_PAUSE_NS 1500u
#define TO_LOCKERS 2u
#define TO_LOCK_TRIES 4u
#define TO_MSGS 5u
#define TO_LOOPS_MAX 100000u

static struct {
	k_sem_t *units;
	k_mutex_t *m;
	k_msgq_t *q;
	k_sem_t *givers_done;    /* one unit per giver that finished */
	unsigned taken;          /* takes that returned 0 (main sums taken_by) */
	/* Per taker: each counts its own (one shared counter would be a
	 * plain-access race of the workload itself; the races build found it). */
	unsigned taken_by[TO_TAKERS], take_timeouts_by[TO_TAKERS];
	unsigned lock_ok_not_owner;     /* lock returned 0, unlock said not owner */
	unsigned lock_timeout_owner;    /* lock timed out, yet the caller owned it */
	unsigned lock_ok;                      /* under to.m */
	unsigned lock_timeouts_by[TO_LOCKERS]; /* per locker (not holding to.m) */
	unsigned msg_got[TO_MSGS];
	unsigned msg_bogus;
	unsigned give_failed;
	int error;
} to;

static void to_note(int rc)
{
	if (rc < 0 && to.error == 0)
		to.error = rc;
}

static void to_giver(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < TO_GIVES_EACH; i++) {
		k_thread_sleep_ns(TO_PAUSE_NS);
		if (k_sem_give(to.units) != 0)
			to.give_failed++;
	}
	to_note(k_sem_give(to.givers_done));
}

static void to_taker(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	K_ASSERT(me < TO_TAKERS);
	for (unsigned n = 0; n < TO_LOOPS_MAX && k_sem_count(to.givers_done) < TO_GIVERS; n++) {
		int rc = k_sem_take(to.units, TO_TIMEOUT_NS);
		if (rc == 0)
			to.taken_by[me]++;
		else if (rc == -K_ETIMEDOUT)
			to.take_timeouts_by[me]++;
		else
			to_note(rc);
	}
}

static void to_locker(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	K_ASSERT(me < TO_LOCKERS);
	for (unsigned i = 0; i < TO_LOCK_TRIES; i++) {
		int rc = k_mutex_lock(to.m, TO_TIMEOUT_NS);
		if (rc == 0) {
			to.lock_ok++;
			k_thread_sleep_ns(TO_PAUSE_NS);
			if (k_mutex_unlock(to.m) != 0)
				to.lock_ok_not_owner++;
		} else if (rc == -K_ETIMEDOUT) {
			to.lock_timeouts_by[me]++;
			if (k_mutex_unlock(to.m) != -K_EPERM)
				to.lock_timeout_owner++;
		} else {
			to_note(rc);
		}
	}
}

static void to_sender(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < TO_MSGS; i++) {
		k_thread_sleep_ns(TO_PAUSE_NS);
		unsigned v = i;
		to_note(k_msgq_put(to.q, &v, K_FOREVER));
	}
}

static void to_receiver(void *arg)
{
	(void)arg;
	unsigned got = 0;
	for (unsigned n = 0; n < TO_LOOPS_MAX && got < TO_MSGS; n++) {
		unsigned v = 0xdeadu;
		int rc = k_msgq_get(to.q, &v, TO_TIMEOUT_NS);
		if (rc == 0) {
			got++;
			if (v < TO_MSGS)
				to.msg_got[v]++;
			else
				to.msg_bogus++;
		} else if (rc != -K_ETIMEDOUT) {
			to_note(rc);
		}
	}
}

static int to_spawn(k_thread_t **t, k_thread_entry_fn fn, const char *name, uintptr_t index)
{
	struct k_thread_attr a = stress_attr(name, K_PRIO_DEFAULT, 0);
	return k_thread_create(t, fn, (void *)index, &a);
}

static int timeouts_main(void)
{
	to = (__typeof__(to)){0};
	int rc;
	if ((rc = k_sem_create(&to.units, "units", 0, K_SEM_LIMIT_MAX)) < 0 ||
	    (rc = k_sem_create(&to.givers_done, "givers_done", 0, TO_GIVERS)) < 0 ||
	    (rc = k_mutex_create(&to.m, "to.m")) < 0 ||
	    (rc = k_msgq_create(&to.q, "to.q", sizeof(unsigned), 1)) < 0)
		return rc;
	k_thread_t *t[TO_TAKERS + TO_GIVERS + TO_LOCKERS + 2];
	unsigned n = 0;
	for (unsigned i = 0; i < TO_TAKERS; i++)
		if ((rc = to_spawn(&t[n++], to_taker, "taker", i)) < 0)
			return rc;
	for (unsigned i = 0; i < TO_GIVERS; i++)
		if ((rc = to_spawn(&t[n++], to_giver, "giver", i)) < 0)
			return rc;
	for (unsigned i = 0; i < TO_LOCKERS; i++)
		if ((rc = to_spawn(&t[n++], to_locker, "locker", i)) < 0)
			return rc;
	if ((rc = to_spawn(&t[n++], to_sender, "sender", 0)) < 0 ||
	    (rc = to_spawn(&t[n++], to_receiver, "receiver", 0)) < 0)
		return rc;
	for (unsigned i = 0; i < n; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	for (unsigned i = 0; i < TO_TAKERS; i++)
		to.taken += to.taken_by[i];
	/* What is left in the semaphore was given and not taken. */
	unsigned left = k_sem_count(to.units);
	if (to.taken + left != TO_GIVES)
		to.taken = to.taken + left + 1000000u; /* flagged by the check */
	if ((rc = k_sem_destroy(to.units)) < 0 || (rc = k_sem_destroy(to.givers_done)) < 0 ||
	    (rc = k_mutex_destroy(to.m)) < 0)
		return rc;
	return k_msgq_destroy(to.q);
}

static int timeouts_check(char *msg, size_t cap)
{
	if (to.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", to.error);
	if (to.give_failed)
		return stress_fail(msg, cap, "", to.give_failed, " gives failed below the limit");
	if (to.taken >= 1000000u)
		return stress_fail2(msg, cap, "units taken + left = ", to.taken - 1000000u, ", given ", TO_GIVES,
				    " (a timed-out take consumed a unit, or a successful one did not)");
	if (to.lock_ok_not_owner)
		return stress_fail(msg, cap, "", to.lock_ok_not_owner, " timed locks returned 0 without ownership");
	if (to.lock_timeout_owner)
		return stress_fail(msg, cap, "", to.lock_timeout_owner, " timed locks returned -K_ETIMEDOUT but owned the mutex");
	unsigned lock_timeouts = 0;
	for (unsigned i = 0; i < TO_LOCKERS; i++)
		lock_timeouts += to.lock_timeouts_by[i];
	if (to.lock_ok + lock_timeouts != TO_LOCKERS * TO_LOCK_TRIES)
		return stress_fail(msg, cap, "timed locks accounted: ", to.lock_ok + lock_timeouts, "");
	if (to.msg_bogus)
		return stress_fail(msg, cap, "", to.msg_bogus, " messages received that were never sent");
	for (unsigned i = 0; i < TO_MSGS; i++)
		if (to.msg_got[i] != 1u)
			return stress_fail2(msg, cap, "message ", i, " received ", to.msg_got[i], " times");
	return 0;
}

K_WORKLOAD(timeouts, "timeouts",
	   "timed sem take, mutex lock and msgq get racing gives, unlocks and puts: a timeout never consumes",
	   timeouts_main, timeouts_check);
