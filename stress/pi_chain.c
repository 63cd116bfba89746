/*
 * pi_chain.c — priority inheritance through chains and hand-overs, checked
 * by the threads themselves with k_thread_priority_effective.
 *
 * Chain: low holds m1; mid holds m2 and waits for m1; high waits for m2. Low
 * polls its effective priority until it has inherited high's (bounded: a
 * chain that never carries it fails the check), then unlocks m1, which hands
 * it to mid. Mid, the waiter side of that hand-over, must run at high's
 * priority at once (high still waits for m2, which mid holds), still after
 * it unlocked m1, and at its own after it unlocked m2; low must be back at
 * its own after its unlock; high owns m2 when its lock returns.
 * Timeout: a waiter times out on m1 (held by the holder, which must fall back
 * to its own priority), later owns m2, and a more urgent thread waits for
 * m2: the inheritance must reach the owner through m2 alone (nothing of the
 * wait on m1 may be left to follow).
 */
#include "stress.h"

#define PI_LOW 10u
#define PI_MID 20u
#define PI_HIGH 30u
#define PI_POLL_NS 1000u
#define PI_POLLS_MAX 20000u
#define PI_TIMEOUT_NS 3000u
#define PI_ROUNDS 2u

static struct {
	k_mutex_t *m1, *m2;
	k_sem_t *low_has, *mid_has, *holder_has, *timed_out;
	unsigned low_max_seen;      /* highest effective priority low saw */
	unsigned low_after;         /* low's effective priority after its unlock */
	unsigned mid_after_handoff, mid_after_m1, mid_after_m2;
	unsigned high_eff;
	bool high_owner;
	int timed_rc;
	unsigned holder_after;      /* the holder's priority once the waiter left */
	unsigned waiter_max_seen, waiter_after;
	int error;
} pi;

static void pi_note(int rc)
{
	if (rc < 0 && pi.error == 0)
		pi.error = rc;
}

static unsigned eff_self(void)
{
	return k_thread_priority_effective(k_thread_self());
}

/* Poll (sleeping) until the caller runs at `want` or the bound; returns the
 * highest effective priority seen. */
static unsigned pi_poll_until(unsigned want)
{
	unsigned seen = eff_self();
	for (unsigned n = 0; seen < want && n < PI_POLLS_MAX; n++) {
		k_thread_sleep_ns(PI_POLL_NS);
		unsigned e = eff_self();
		if (e > seen)
			seen = e;
	}
	return seen;
}

static void pi_low(void *arg)
{
	(void)arg;
	pi_note(k_mutex_lock(pi.m1, K_FOREVER));
	pi_note(k_sem_give(pi.low_has));
	pi.low_max_seen = pi_poll_until(PI_HIGH);
	pi_note(k_mutex_unlock(pi.m1));
	pi.low_after = eff_self();
}

static void pi_mid(void *arg)
{
	(void)arg;
	pi_note(k_sem_take(pi.low_has, K_FOREVER));
	pi_note(k_mutex_lock(pi.m2, K_FOREVER));
	pi_note(k_sem_give(pi.mid_has));
	pi_note(k_mutex_lock(pi.m1, K_FOREVER));
	pi.mid_after_handoff = eff_self();
	pi_note(k_mutex_unlock(pi.m1));
	pi.mid_after_m1 = eff_self();
	pi_note(k_mutex_unlock(pi.m2));
	pi.mid_after_m2 = eff_self();
}

static void pi_high(void *arg)
{
	(void)arg;
	pi_note(k_sem_take(pi.mid_has, K_FOREVER));
	pi_note(k_mutex_lock(pi.m2, K_FOREVER));
	pi.high_eff = eff_self();
	pi.high_owner = k_mutex_owner(pi.m2) == k_thread_self();
	pi_note(k_mutex_unlock(pi.m2));
}

static void pi_holder(void *arg)
{
	(void)arg;
	pi_note(k_mutex_lock(pi.m1, K_FOREVER));
	pi_note(k_sem_give(pi.holder_has));
	pi_note(k_sem_take(pi.timed_out, K_FOREVER));
	pi.holder_after = eff_self();
	pi_note(k_mutex_unlock(pi.m1));
}

static void pi_timed_waiter(void *arg)
{
	(void)arg;
	pi_note(k_sem_take(pi.holder_has, K_FOREVER));
	pi.timed_rc = k_mutex_lock(pi.m1, PI_TIMEOUT_NS);
	if (pi.timed_rc == 0)
		pi_note(k_mutex_unlock(pi.m1));
	pi_note(k_sem_give(pi.timed_out));
	pi_note(k_mutex_lock(pi.m2, K_FOREVER));
	pi_note(k_sem_give(pi.mid_has));
	pi.waiter_max_seen = pi_poll_until(PI_HIGH);
	pi_note(k_mutex_unlock(pi.m2));
	pi.waiter_after = eff_self();
}

static int pi_run(k_thread_entry_fn *fn, const unsigned *prio, unsigned n)
{
	k_thread_t *t[4];
	int rc;
	for (unsigned i = 0; i < n; i++) {
		struct k_thread_attr a = stress_attr("pi", prio[i], 0);
		if ((rc = k_thread_create(&t[i], fn[i], NULL, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < n; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	return 0;
}

static int pi_chain_main(void)
{
	pi = (__typeof__(pi)){0};
	int rc;
	if ((rc = k_mutex_create(&pi.m1, "m1")) < 0 || (rc = k_mutex_create(&pi.m2, "m2")) < 0 ||
	    (rc = k_sem_create(&pi.low_has, "low_has", 0, 1)) < 0 ||
	    (rc = k_sem_create(&pi.mid_has, "mid_has", 0, 1)) < 0 ||
	    (rc = k_sem_create(&pi.holder_has, "holder_has", 0, 1)) < 0 ||
	    (rc = k_sem_create(&pi.timed_out, "timed_out", 0, 1)) < 0)
		return rc;
	k_thread_entry_fn chain[3] = {pi_low, pi_mid, pi_high};
	unsigned chain_prio[3] = {PI_LOW, PI_MID, PI_HIGH};
	if ((rc = pi_run(chain, chain_prio, 3)) < 0)
		return rc;
	k_thread_entry_fn timed[3] = {pi_holder, pi_timed_waiter, pi_high};
	unsigned timed_prio[3] = {PI_LOW, PI_MID, PI_HIGH};
	if ((rc = pi_run(timed, timed_prio, 3)) < 0)
		return rc;
	k_mutex_t *ms[2] = {pi.m1, pi.m2};
	for (unsigned i = 0; i < 2; i++)
		if ((rc = k_mutex_destroy(ms[i])) < 0)
			return rc;
	k_sem_t *ss[4] = {pi.low_has, pi.mid_has, pi.holder_has, pi.timed_out};
	for (unsigned i = 0; i < 4; i++)
		if ((rc = k_sem_destroy(ss[i])) < 0)
			return rc;
	return 0;
}

static int pi_chain_check(char *msg, size_t cap)
{
	if (pi.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", pi.error);
	if (pi.low_max_seen < PI_HIGH)
		return stress_fail(msg, cap, "the chain's last owner never inherited: it ran at ", pi.low_max_seen,
				   " at most");
	if (pi.mid_after_handoff < PI_HIGH)
		return stress_fail(msg, cap, "handed m1 while high waits for its m2, mid runs at ", pi.mid_after_handoff, "");
	if (pi.mid_after_m1 < PI_HIGH)
		return stress_fail(msg, cap, "mid unlocked m1 and fell to ", pi.mid_after_m1, " while high waits for m2");
	if (pi.mid_after_m2 != PI_MID || pi.low_after != PI_LOW)
		return stress_fail2(msg, cap, "after their unlocks mid runs at ", pi.mid_after_m2, ", low at ",
				    pi.low_after, "");
	if (pi.high_eff != PI_HIGH || !pi.high_owner)
		return stress_fail(msg, cap, "high's lock returned at priority ", pi.high_eff, " or without m2");
	if (pi.timed_rc != -K_ETIMEDOUT)
		return stress_fail(msg, cap, "the timed lock of a held mutex returned ", pi.timed_rc, "");
	if (pi.holder_after != PI_LOW)
		return stress_fail(msg, cap, "the waiter timed out, the holder still runs at ", pi.holder_after, "");
	if (pi.waiter_max_seen < PI_HIGH || pi.waiter_after != PI_MID)
		return stress_fail2(msg, cap, "owner of m2 after a timed-out wait: inherited ", pi.waiter_max_seen,
				    ", after unlock ", pi.waiter_after, "");
	return 0;
}

K_WORKLOAD(pi_chain, "pi_chain",
	   "priority inheritance along a chain, a hand-over and after a timed-out wait, checked by the threads",
	   pi_chain_main, pi_chain_check);
