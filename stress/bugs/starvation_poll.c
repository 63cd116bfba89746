/*
 * starvation_poll.c — starvation by a busy-waiting urgent thread. A program
 * for one core (both threads pinned to core 0).
 *
 * POLLER (urgent) waits for a flag that SETTER (less urgent) raises, by
 * polling it and yielding in between. A yield gives the core only to threads
 * of the same or higher priority, so once POLLER polls, SETTER never runs
 * again on that core and POLLER gives up after POLLS_MAX polls. Whether that
 * happens depends on whether SETTER got to the flag first. Twin: POLLER
 * sleeps between polls, which lets any thread run.
 * Oracle: POLLER saw the flag (within POLLS_MAX polls).
 */
#include "bugs.h"

#define SP_PRIO_SETTER 20u
#define SP_PRIO_POLLER 40u
#define SP_POLLS_MAX 200u
#define SP_POLL_SLEEP_NS 2000u
#define SP_SETTER_WORK 3u /* yields before SETTER raises the flag */

static struct {
	bool flag;
	bool seen;
	unsigned polls;
	bool fixed;
	int error;
} sp;

static void sp_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u) { /* SETTER */
		for (unsigned i = 0; i < SP_SETTER_WORK; i++)
			k_thread_yield();
		sp.flag = true;
		return;
	}
	for (sp.polls = 0; sp.polls < SP_POLLS_MAX; sp.polls++) { /* POLLER */
		if (sp.flag) {
			sp.seen = true;
			return;
		}
		if (sp.fixed)
			bug_note(&sp.error, k_thread_sleep_ns(SP_POLL_SLEEP_NS));
		else
			k_thread_yield();
	}
}

static int sp_run(bool fixed)
{
	sp.flag = sp.seen = false;
	sp.polls = 0;
	sp.fixed = fixed;
	sp.error = 0;
	k_thread_t *t[2] = {0};
	int rc = bug_spawn_one(&t[0], sp_thread, (void *)(uintptr_t)0u, "setter", SP_PRIO_SETTER,
			       K_CPUMASK_CORE(0));
	/* POLLER starts once main waits: SETTER may or may not be done. */
	if (rc == 0)
		rc = bug_spawn_one(&t[1], sp_thread, (void *)(uintptr_t)1u, "poller",
				   SP_PRIO_POLLER, K_CPUMASK_CORE(0));
	int jr = bug_join(t, 2);
	return rc < 0 ? rc : jr;
}

static int sp_check(char *msg, size_t cap)
{
	if (sp.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", sp.error);
	if (!sp.seen)
		return stress_fail(msg, cap, "POLLER gave up after ", sp.polls,
				   " polls: SETTER never ran (starved)");
	return 0;
}

BUG_MAINS(sp)
K_BUG_PROGRAM(starvation_poll, "starvation_poll", "starvation (busy wait by priority)", 2, true,
	      "an urgent thread polls with yields for a flag a less urgent one sets", sp_bug,
	      sp_twin, sp_check);
