/*
 * bank_withdraw.c — check-then-act across two critical sections, with a
 * binary semaphore as the lock.
 *
 * An account holds BALANCE; two clerks each withdraw AMOUNT if the balance
 * covers it. The bug checks the balance in one critical section and debits it
 * in a second one: both clerks can pass the check before either debits, and
 * the account goes below zero. Twin: check and debit in one critical section.
 * Oracle: the balance never went negative, and it ends at BALANCE minus the
 * sum of the withdrawals granted.
 */
#include "bugs.h"

#define BW_CLERKS 2u
#define BW_BALANCE 100
#define BW_AMOUNT 60

static struct {
	k_sem_t *gate;
	k_sem_t *lock; /* binary: the account's lock */
	int balance;   /* under bw.lock */
	int balance_min;
	unsigned granted;
	bool fixed;
	int error;
} bw;

static void bw_lock(void)
{
	bug_note(&bw.error, k_sem_take(bw.lock, K_FOREVER));
}

static void bw_unlock(void)
{
	bug_note(&bw.error, k_sem_give(bw.lock));
}

static void bw_clerk(void *arg)
{
	K_ASSERT((uintptr_t)arg < BW_CLERKS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_gate_pass(bw.gate, &bw.error);
	bw_lock();
	bool covered = bw.balance >= BW_AMOUNT;
	if (!bw.fixed) {
		/* The bug: the check's answer is used in another section. */
		bw_unlock();
		bw_lock();
	}
	if (covered) {
		bw.balance -= BW_AMOUNT;
		bw.granted++;
		if (bw.balance < bw.balance_min)
			bw.balance_min = bw.balance;
	}
	bw_unlock();
}

static int bw_run(bool fixed)
{
	bw.gate = bw.lock = NULL;
	bw.balance = bw.balance_min = BW_BALANCE;
	bw.granted = 0;
	bw.fixed = fixed;
	bw.error = 0;
	int rc = bug_gate_create(&bw.gate);
	if (rc == 0)
		rc = k_sem_create(&bw.lock, "account", 1, 1);
	k_thread_t *t[BW_CLERKS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, BW_CLERKS, bw_clerk, "clerk", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(bw.gate, BW_CLERKS, &bw.error);
	int jr = bug_join(t, BW_CLERKS);
	if (rc == 0)
		rc = jr;
	if (bw.lock && rc == 0)
		rc = k_sem_destroy(bw.lock);
	if (bw.gate && rc == 0)
		rc = k_sem_destroy(bw.gate);
	return rc;
}

static int bw_check(char *msg, size_t cap)
{
	if (bw.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", bw.error);
	if (bw.balance_min < 0)
		return stress_fail(msg, cap, "overdrawn: the balance went to ", bw.balance_min, "");
	if (bw.balance != BW_BALANCE - (int)bw.granted * BW_AMOUNT)
		return stress_fail(msg, cap, "balance ", bw.balance, " does not match the withdrawals");
	return 0;
}

BUG_MAINS(bw)
K_BUG_PROGRAM(bank_withdraw, "bank_withdraw", "check-then-act", BW_CLERKS, true,
	      "balance checked and debited in two critical sections", bw_bug, bw_twin, bw_check);
