/*
 * kill_storm.c — processes killed mid-run, wherever their threads are.
 *
 * A holder thread (kernel process) keeps taking and releasing a shared
 * mutex until main tells it to stop. Each round main creates one process
 * per kind:
 *   spin      — running: yields in a loop (on some core, or ready);
 *   mutex, mutex2 — contend for the shared mutex with the holder and each
 *               other (unlock hands it to a waiter: hand-offs race the kill);
 *   sem       — blocked on a semaphore nobody gives;
 *   sleep     — sleeping a long time;
 *   own       — holds a mutex of its own process and sleeps (the tracker
 *               must destroy it at reap), with a second thread spinning;
 * lets them run for a moment, kills them all, then waits for each with a
 * bounded timeout (the killer must never be left blocked).
 * End check: every victim was reaped with the kill's exit code (or its own,
 * if it finished first), the shared mutex is free and destroyable, the
 * holder ran and stopped when told, no wait timed out. The harness then checks
 * that no memory is left with any owner.
 */
#include "stress.h"

#define KS_ROUNDS 2u
#define KS_KINDS 6u
#define KS_SPIN_YIELDS 2000u
#define KS_HOLDER_ROUNDS_MAX 100000u
#define KS_HOLDER_PAUSE_NS 2000u
#define KS_SLEEP_NS 1000000000u      /* a victim's long sleep: 1 s virtual */
#define KS_WAIT_NS 200000000u        /* the killer's bound per victim: 0.2 s */
#define KS_EXIT_CODE (-77)
#define KS_EXIT_OWN 5

enum ks_kind { KS_SPIN = 0, KS_MUTEX, KS_MUTEX2, KS_SEM, KS_SLEEP, KS_OWN };

static struct {
	k_mutex_t *shared;
	k_sem_t *never;           /* nobody gives it */
	k_sem_t *stop;            /* main -> holder: the storm is over */
	unsigned holder_rounds;
	unsigned wait_timeouts;   /* k_proc_wait gave up on a victim */
	unsigned bad_exit_codes;
	unsigned reaped;
	bool shared_left_owned;   /* the shared mutex had an owner at the end */
	int error;
} ks;

static void ks_note(int rc)
{
	if (rc < 0 && ks.error == 0)
		ks.error = rc;
}

static void ks_spin(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < KS_SPIN_YIELDS; i++)
		k_thread_yield();
}

static void ks_victim(void *arg)
{
	switch ((enum ks_kind)(uintptr_t)arg) {
	case KS_SPIN:
		ks_spin(NULL);
		k_thread_exit(KS_EXIT_OWN);
	case KS_MUTEX:
	case KS_MUTEX2:
		/* Killed while waiting, while holding, or just handed the
		 * mutex by the holder or the other contender. */
		for (unsigned i = 0; i < KS_SPIN_YIELDS; i++) {
			if (k_mutex_lock(ks.shared, K_FOREVER) == 0) {
				k_thread_yield();
				k_mutex_unlock(ks.shared);
			}
		}
		k_thread_exit(KS_EXIT_OWN);
	case KS_SEM:
		(void)k_sem_take(ks.never, K_FOREVER);
		k_thread_exit(KS_EXIT_OWN);
	case KS_SLEEP:
		(void)k_thread_sleep_ns(KS_SLEEP_NS);
		k_thread_exit(KS_EXIT_OWN);
	case KS_OWN: {
		k_mutex_t *mine;
		if (k_mutex_create(&mine, "victim-own") == 0 && k_mutex_lock(mine, K_FOREVER) == 0) {
			struct k_thread_attr a = stress_attr("victim-spin", K_PRIO_DEFAULT, 0);
			a.flags = K_THREAD_DETACHED;
			(void)k_thread_create(NULL, ks_spin, NULL, &a);
			(void)k_thread_sleep_ns(KS_SLEEP_NS);
		}
		k_thread_exit(KS_EXIT_OWN);
	}
	}
	k_thread_exit(KS_EXIT_OWN);
}

/* Keeps the shared mutex contended (and handed over on unlock) all through
 * the storm, until main posts `stop`. */
static void ks_holder(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < KS_HOLDER_ROUNDS_MAX; i++) {
		if (k_sem_take(ks.stop, K_NO_WAIT) == 0)
			return;
		int rc = k_mutex_lock(ks.shared, K_FOREVER);
		ks_note(rc);
		if (rc < 0)
			return;
		k_thread_yield();
		ks_note(k_mutex_unlock(ks.shared));
		/* Sleep, not yield: a busy holder would keep its core forever
		 * under a strict-priority schedule (PCT) and main, which must
		 * tell it to stop, might never run. */
		ks_note(k_thread_sleep_ns(KS_HOLDER_PAUSE_NS));
		ks.holder_rounds++;
	}
}

static int ks_round(unsigned round)
{
	static const char *const names[KS_KINDS] = {"spin", "mutex", "mutex2", "sem", "sleep", "own"};
	k_proc_t *victim[KS_KINDS];
	int rc;
	for (unsigned k = 0; k < KS_KINDS; k++) {
		struct k_thread_attr a = stress_attr(names[k], K_PRIO_DEFAULT, 0);
		if ((rc = k_proc_create(&victim[k], names[k], ks_victim, (void *)(uintptr_t)k, &a)) < 0)
			return rc;
	}
	/* Let them get going: in the first round barely, in the second longer. */
	for (unsigned i = 0; i <= round; i++)
		k_thread_yield();
	for (unsigned k = 0; k < KS_KINDS; k++) {
		rc = k_proc_kill(victim[k], KS_EXIT_CODE);
		if (rc < 0 && rc != -K_ESRCH)
			return rc;
	}
	for (unsigned k = 0; k < KS_KINDS; k++) {
		int code = 0;
		rc = k_proc_wait(victim[k], KS_WAIT_NS, &code);
		if (rc == -K_ETIMEDOUT) {
			ks.wait_timeouts++;
			/* Still valid: wait for good, so nothing leaks from the check. */
			rc = k_proc_wait(victim[k], K_FOREVER, &code);
		}
		if (rc < 0)
			return rc;
		ks.reaped++;
		if (code != KS_EXIT_CODE && code != KS_EXIT_OWN)
			ks.bad_exit_codes++;
	}
	return 0;
}

static int kill_storm_main(void)
{
	ks.holder_rounds = ks.wait_timeouts = ks.bad_exit_codes = ks.reaped = 0;
	ks.shared_left_owned = false;
	ks.error = 0;
	int rc;
	if ((rc = k_mutex_create(&ks.shared, "shared")) < 0)
		return rc;
	if ((rc = k_sem_create(&ks.never, "never", 0, 1)) < 0)
		return rc;
	if ((rc = k_sem_create(&ks.stop, "stop", 0, 1)) < 0)
		return rc;
	k_thread_t *holder;
	struct k_thread_attr a = stress_attr("holder", K_PRIO_DEFAULT, 0);
	if ((rc = k_thread_create(&holder, ks_holder, NULL, &a)) < 0)
		return rc;
	for (unsigned r = 0; r < KS_ROUNDS; r++)
		if ((rc = ks_round(r)) < 0)
			return rc;
	if ((rc = k_sem_give(ks.stop)) < 0)
		return rc;
	if ((rc = k_thread_join(holder, K_FOREVER, NULL)) < 0)
		return rc;
	if ((rc = k_sem_destroy(ks.never)) < 0 || (rc = k_sem_destroy(ks.stop)) < 0)
		return rc;
	if (k_mutex_owner(ks.shared) != NULL) {
		ks.shared_left_owned = true; /* the end check says it */
		return 0;
	}
	return k_mutex_destroy(ks.shared);
}

static int kill_storm_check(char *msg, size_t cap)
{
	if (ks.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", ks.error);
	if (ks.shared_left_owned)
		return stress_fail_text(msg, cap,
					"the shared mutex is still owned after every user is gone"
					" (a killed waiter kept a hand-off?)");
	if (ks.wait_timeouts)
		return stress_fail(msg, cap, "the killer waited more than 0.2 s for ", ks.wait_timeouts,
				   " killed processes");
	if (ks.reaped != KS_ROUNDS * KS_KINDS)
		return stress_fail2(msg, cap, "", ks.reaped, " of ", KS_ROUNDS * KS_KINDS,
				    " victims reaped");
	if (ks.bad_exit_codes)
		return stress_fail(msg, cap, "", ks.bad_exit_codes,
				   " victims ended with an exit code neither the kill's nor their own");
	/* Zero rounds is legal: a schedule may keep the holder off every core
	 * until main has posted `stop`. */
	if (ks.holder_rounds >= KS_HOLDER_ROUNDS_MAX)
		return stress_fail(msg, cap, "the holder did ", ks.holder_rounds,
				   " rounds: it never saw the stop");
	return 0;
}

K_WORKLOAD(kill_storm, "kill_storm",
	   "processes killed while running, blocked on a mutex or semaphore, sleeping; all reaped",
	   kill_storm_main, kill_storm_check);
