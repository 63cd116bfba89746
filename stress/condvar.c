/*
 * condvar.c — the condition variable's promises, checked at the end.
 *
 * Four phases, each with its own threads (joined before the next):
 *   handshake  — two threads pass a turn back and forth CV_ROUNDS times, each
 *                waiting (K_FOREVER) on the cond for its turn. A signal lost
 *                between a waiter's predicate check and its queueing leaves
 *                both asleep: a deadlock, reported with the wait-for chain.
 *   broadcast  — CV_WAITERS threads wait for a generation to change; one
 *                broadcast must wake all of them (none may stay asleep).
 *   order      — CV_WAITERS equal-priority waiters queue in ticket order
 *                (each takes its ticket under the mutex, and k_cond_wait
 *                queues it before the mutex is free again); signals one at a
 *                time must wake them in ticket order (FIFO among equals).
 *   poll       — CV_POLL_ROUNDS times, a waiter waits (K_FOREVER) for a flag
 *                that a signaller, polling the mutex with K_NO_WAIT on
 *                another core, sets and signals the moment the mutex is
 *                free: the narrowest race between a waiter giving up the
 *                mutex and queueing itself (a lost signal: a deadlock).
 *   timed      — a waiter with a short timeout races a single signal: a wait
 *                that returned 0 was woken by that signal (the flag is set
 *                when it holds the mutex again: no spurious wake-up), and
 *                the waiter never returns 0 more often than signals were
 *                sent; the mutex is held on every return, timeout included.
 */
#include "stress.h"

#define CV_ROUNDS 4u
#define CV_WAITERS 3u
#define CV_TIMED_ROUNDS 3u
#define CV_TIMED_NS 3000u      /* ~30 steps: the timeout races the signal */
#define CV_TIMED_LOOPS_MAX 100000u
#define CV_PAUSE_NS 1000u
#define CV_POLL_ROUNDS 6u

static struct {
	k_mutex_t *m;
	k_cond_t *c;
	k_sem_t *ack;
	/* m */
	unsigned turn;                 /* handshake: whose turn (0/1) */
	unsigned handshakes[2];
	unsigned gen;                  /* broadcast generation */
	unsigned woken_by_broadcast;
	unsigned next_ticket;          /* order: tickets handed out */
	unsigned queued;               /* order: waiters inside k_cond_wait */
	unsigned wake_order[CV_WAITERS];
	unsigned woken;
	bool flag;                     /* timed, poll: set by the signaller */
	unsigned polled;               /* poll: waits that saw the flag */
	unsigned signals_sent;
	unsigned timed_ok;             /* timed waits that returned 0 */
	unsigned spurious;             /* returned 0 with the flag clear */
	unsigned not_owner;            /* returned without the mutex */
	int error;
} cv;

static void cv_note(int rc)
{
	if (rc < 0 && cv.error == 0)
		cv.error = rc;
}

static void cv_wait_forever(void)
{
	int rc = k_cond_wait(cv.c, cv.m, K_FOREVER);
	cv_note(rc);
	if (k_mutex_owner(cv.m) != k_thread_self())
		cv.not_owner++;
}

static void cv_handshake(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < CV_ROUNDS; i++) {
		cv_note(k_mutex_lock(cv.m, K_FOREVER));
		for (unsigned n = 0; cv.turn != me && n < CV_TIMED_LOOPS_MAX; n++)
			cv_wait_forever();
		cv.handshakes[me]++;
		cv.turn = 1u - me;
		cv_note(k_cond_signal(cv.c));
		cv_note(k_mutex_unlock(cv.m));
	}
}

static void cv_broadcast_waiter(void *arg)
{
	(void)arg;
	cv_note(k_mutex_lock(cv.m, K_FOREVER));
	unsigned seen = cv.gen;
	cv.queued++;
	for (unsigned n = 0; cv.gen == seen && n < CV_TIMED_LOOPS_MAX; n++)
		cv_wait_forever();
	cv.woken_by_broadcast++;
	cv_note(k_mutex_unlock(cv.m));
}

static void cv_order_waiter(void *arg)
{
	(void)arg;
	cv_note(k_mutex_lock(cv.m, K_FOREVER));
	unsigned ticket = cv.next_ticket++;
	cv.queued++;
	cv_wait_forever();
	if (cv.woken < CV_WAITERS)
		cv.wake_order[cv.woken++] = ticket;
	cv_note(k_mutex_unlock(cv.m));
	cv_note(k_sem_give(cv.ack));
}

static void cv_poll_waiter(void *arg)
{
	(void)arg;
	cv_note(k_mutex_lock(cv.m, K_FOREVER));
	for (unsigned n = 0; !cv.flag && n < CV_TIMED_LOOPS_MAX; n++)
		cv_wait_forever();
	cv.polled++;
	cv_note(k_mutex_unlock(cv.m));
}

/* Take the mutex the moment it is free (K_NO_WAIT in a loop: no sleep, so
 * on another core it is taken at the waiter's unlock), set, signal. */
static void cv_poll_signaller(void *arg)
{
	(void)arg;
	unsigned n = 0;
	while (k_mutex_lock(cv.m, K_NO_WAIT) != 0 && n++ < CV_TIMED_LOOPS_MAX)
		k_thread_yield();
	cv.flag = true;
	cv_note(k_cond_signal(cv.c));
	cv_note(k_mutex_unlock(cv.m));
}

static void cv_timed_waiter(void *arg)
{
	(void)arg;
	cv_note(k_mutex_lock(cv.m, K_FOREVER));
	for (unsigned n = 0; !cv.flag && n < CV_TIMED_LOOPS_MAX; n++) {
		int rc = k_cond_wait(cv.c, cv.m, CV_TIMED_NS);
		if (rc != 0 && rc != -K_ETIMEDOUT)
			cv_note(rc);
		if (k_mutex_owner(cv.m) != k_thread_self())
			cv.not_owner++;
		if (rc == 0) {
			cv.timed_ok++;
			if (!cv.flag)
				cv.spurious++;
		}
	}
	cv_note(k_mutex_unlock(cv.m));
}

static int cv_spawn(k_thread_t **t, k_thread_entry_fn fn, void *arg, const char *name)
{
	struct k_thread_attr a = stress_attr(name, K_PRIO_DEFAULT, 0);
	return k_thread_create(t, fn, arg, &a);
}

static int cv_join_all(k_thread_t **t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int rc = k_thread_join(t[i], K_FOREVER, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Wait (sleeping, so other threads run on one core) until `count` waiters
 * have announced themselves under the mutex. Bounded. */
static int cv_wait_queued(unsigned count)
{
	for (unsigned n = 0; n < CV_TIMED_LOOPS_MAX; n++) {
		int rc = k_mutex_lock(cv.m, K_FOREVER);
		if (rc < 0)
			return rc;
		bool all = cv.queued >= count;
		k_mutex_unlock(cv.m);
		if (all)
			return 0;
		k_thread_sleep_ns(CV_PAUSE_NS);
	}
	return -K_ETIMEDOUT;
}

static int cv_phase_handshake(void)
{
	k_thread_t *t[2];
	int rc;
	for (unsigned i = 0; i < 2; i++)
		if ((rc = cv_spawn(&t[i], cv_handshake, (void *)(uintptr_t)i, "shake")) < 0)
			return rc;
	return cv_join_all(t, 2);
}

static int cv_phase_broadcast(void)
{
	k_thread_t *t[CV_WAITERS];
	int rc;
	cv.queued = 0;
	for (unsigned i = 0; i < CV_WAITERS; i++)
		if ((rc = cv_spawn(&t[i], cv_broadcast_waiter, NULL, "bwait")) < 0)
			return rc;
	if ((rc = cv_wait_queued(CV_WAITERS)) < 0)
		return rc;
	if ((rc = k_mutex_lock(cv.m, K_FOREVER)) < 0)
		return rc;
	cv.gen++;
	cv_note(k_cond_broadcast(cv.c));
	k_mutex_unlock(cv.m);
	return cv_join_all(t, CV_WAITERS);
}

static int cv_phase_order(void)
{
	k_thread_t *t[CV_WAITERS];
	int rc;
	cv.queued = 0;
	for (unsigned i = 0; i < CV_WAITERS; i++)
		if ((rc = cv_spawn(&t[i], cv_order_waiter, NULL, "owait")) < 0)
			return rc;
	/* Each counted itself under the mutex and then waited on the cond, so
	 * once all are counted and we hold the mutex, all are queued. */
	if ((rc = cv_wait_queued(CV_WAITERS)) < 0)
		return rc;
	for (unsigned i = 0; i < CV_WAITERS; i++) {
		if ((rc = k_mutex_lock(cv.m, K_FOREVER)) < 0)
			return rc;
		cv_note(k_cond_signal(cv.c));
		k_mutex_unlock(cv.m);
		if ((rc = k_sem_take(cv.ack, K_FOREVER)) < 0)
			return rc;
	}
	return cv_join_all(t, CV_WAITERS);
}

static int cv_phase_poll(void)
{
	for (unsigned r = 0; r < CV_POLL_ROUNDS; r++) {
		k_thread_t *t[2];
		int rc;
		cv.flag = false;
		if ((rc = cv_spawn(&t[0], cv_poll_waiter, NULL, "pwait")) < 0 ||
		    (rc = cv_spawn(&t[1], cv_poll_signaller, NULL, "psignal")) < 0)
			return rc;
		if ((rc = cv_join_all(t, 2)) < 0)
			return rc;
	}
	return 0;
}

static int cv_phase_timed(void)
{
	for (unsigned r = 0; r < CV_TIMED_ROUNDS; r++) {
		k_thread_t *t;
		int rc;
		cv.flag = false;
		if ((rc = cv_spawn(&t, cv_timed_waiter, NULL, "twait")) < 0)
			return rc;
		k_thread_sleep_ns(CV_TIMED_NS * r);
		if ((rc = k_mutex_lock(cv.m, K_FOREVER)) < 0)
			return rc;
		cv.flag = true;
		cv.signals_sent++;
		cv_note(k_cond_signal(cv.c));
		k_mutex_unlock(cv.m);
		if ((rc = k_thread_join(t, K_FOREVER, NULL)) < 0)
			return rc;
	}
	return 0;
}

static int condvar_main(void)
{
	cv = (__typeof__(cv)){0};
	int rc;
	if ((rc = k_mutex_create(&cv.m, "cv.m")) < 0 || (rc = k_cond_create(&cv.c, "cv.c")) < 0 ||
	    (rc = k_sem_create(&cv.ack, "cv.ack", 0, CV_WAITERS)) < 0)
		return rc;
	if ((rc = cv_phase_handshake()) < 0 || (rc = cv_phase_broadcast()) < 0 ||
	    (rc = cv_phase_order()) < 0 || (rc = cv_phase_poll()) < 0 || (rc = cv_phase_timed()) < 0)
		return rc;
	if ((rc = k_cond_destroy(cv.c)) < 0 || (rc = k_mutex_destroy(cv.m)) < 0)
		return rc;
	return k_sem_destroy(cv.ack);
}

static int condvar_check(char *msg, size_t cap)
{
	if (cv.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", cv.error);
	if (cv.not_owner)
		return stress_fail(msg, cap, "k_cond_wait returned ", cv.not_owner, " times without the mutex");
	for (unsigned s = 0; s < 2; s++)
		if (cv.handshakes[s] != CV_ROUNDS)
			return stress_fail2(msg, cap, "handshake side ", s, " did ", cv.handshakes[s], " rounds");
	if (cv.woken_by_broadcast != CV_WAITERS)
		return stress_fail(msg, cap, "one broadcast woke ", cv.woken_by_broadcast, " waiters");
	for (unsigned i = 0; i < CV_WAITERS; i++)
		if (cv.wake_order[i] != i)
			return stress_fail2(msg, cap, "signal ", i, " woke the waiter with ticket ", cv.wake_order[i],
					    " (equal priorities: FIFO promised)");
	if (cv.polled != CV_POLL_ROUNDS)
		return stress_fail(msg, cap, "poll: ", cv.polled, " waiters saw the flag");
	if (cv.spurious)
		return stress_fail(msg, cap, "", cv.spurious, " timed waits returned 0 with no signal sent");
	if (cv.timed_ok > cv.signals_sent)
		return stress_fail2(msg, cap, "timed waits returned 0 ", cv.timed_ok, " times for ", cv.signals_sent,
				    " signals");
	return 0;
}

K_WORKLOAD(condvar, "condvar",
	   "condition variables: handshake, broadcast, FIFO wake order, timed wait racing a signal",
	   condvar_main, condvar_check);
