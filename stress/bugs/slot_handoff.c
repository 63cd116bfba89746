/*
 * slot_handoff.c — check-then-act on a full flag: a one-slot mailbox with
 * two producers.
 *
 * Producers put items with `if (!full) { slot = v; full = 1; }`, a consumer
 * takes them with `if (full) { got += slot; full = 0; }`; each side yields
 * and retries while it cannot go on. Two producers that both see the slot
 * empty both write it: one item is overwritten and lost. Twin: the test and
 * the update of each side under one mutex.
 * Oracle: the consumer received exactly what was sent (count and sum).
 * The consumer stops once it has every item or after a bounded number of
 * turns (a lost item never comes); main then takes what the slot still holds.
 */
#include "plain.h"

#define SH_PRODUCERS 2u
#define SH_ITEMS 2u /* per producer */
#define SH_TOTAL (SH_PRODUCERS * SH_ITEMS)
/* Retries of one side: enough for the other side to run many times over;
 * a consumer waiting for a lost item stops here. */
#define SH_RETRIES_MAX 200u

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	volatile unsigned full, slot;
	unsigned sent_sum[SH_PRODUCERS], sent[SH_PRODUCERS]; /* each its producer's */
	unsigned received, received_sum;
	bool fixed;
	int error;
} sh;

static bool sh_put(unsigned v)
{
	plain_lock(sh.m, sh.fixed, &sh.error);
	bool put = sh.full == 0u;
	if (put) {
		sh.slot = v;
		sh.full = 1u;
	}
	plain_unlock(sh.m, sh.fixed, &sh.error);
	return put;
}

static bool sh_take(void)
{
	plain_lock(sh.m, sh.fixed, &sh.error);
	bool took = sh.full != 0u;
	if (took) {
		sh.received_sum += sh.slot;
		sh.received++;
		sh.full = 0u;
	}
	plain_unlock(sh.m, sh.fixed, &sh.error);
	return took;
}

static void sh_producer(unsigned p)
{
	K_ASSERT(p < SH_PRODUCERS);
	for (unsigned k = 0; k < SH_ITEMS; k++) {
		unsigned v = 1u + p * SH_ITEMS + k; /* distinct, non-zero */
		bool put = false;
		for (unsigned r = 0; r < SH_RETRIES_MAX && !(put = sh_put(v)); r++)
			k_thread_yield();
		if (put) { /* a consumer starved for SH_RETRIES_MAX turns: not sent */
			sh.sent_sum[p] += v;
			sh.sent[p]++;
		}
	}
}

static void sh_thread(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	K_ASSERT(i <= SH_PRODUCERS);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(sh.gate, &sh.error);
	if (i < SH_PRODUCERS) {
		sh_producer((unsigned)i);
		return;
	}
	for (unsigned r = 0; r < SH_RETRIES_MAX * SH_TOTAL && sh.received < SH_TOTAL; r++)
		if (!sh_take())
			k_thread_yield();
}

static int sh_run(bool fixed)
{
	sh.gate = NULL;
	sh.m = NULL;
	sh.full = sh.slot = 0;
	for (unsigned p = 0; p < SH_PRODUCERS; p++)
		sh.sent_sum[p] = sh.sent[p] = 0;
	sh.received = sh.received_sum = 0;
	sh.fixed = fixed;
	sh.error = 0;
	int rc = k_mutex_create(&sh.m, "slot");
	if (rc == 0)
		rc = plain_group(sh_thread, SH_PRODUCERS + 1u, &sh.gate, &sh.error);
	/* Everyone joined: an item the consumer gave up waiting for is still
	 * in the slot, unless it was overwritten (the bug). */
	(void)sh_take();
	return plain_mutex_done(&sh.m, rc);
}

static int sh_check(char *msg, size_t cap)
{
	if (sh.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", sh.error, "");
	unsigned sent = 0, sent_sum = 0;
	for (unsigned p = 0; p < SH_PRODUCERS; p++) {
		sent += sh.sent[p];
		sent_sum += sh.sent_sum[p];
	}
	K_ASSERT(sent <= SH_TOTAL);
	if (sh.received != sent || sh.received_sum != sent_sum)
		return stress_fail2(msg, cap, "lost item: received ", sh.received, " of ", sent,
				    " items sent");
	return 0;
}

BUG_MAINS(sh)
K_BUG_PROGRAM_PLAIN(slot_handoff, "slot_handoff", "check-then-act (one-slot mailbox)",
		    SH_PRODUCERS + 1u, true, "two producers test then fill one slot", sh_bug,
		    sh_twin, sh_check);
