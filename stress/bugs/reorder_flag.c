/*
 * reorder_flag.c — reordered writes: the flag before the data.
 *
 * A writer sets `data` and raises `ready`; a reader polls `ready` and, once
 * it sees it, reads `data`. The bug writes the two in the wrong order (ready
 * first): a reader that runs between the two stores sees ready with stale
 * data. Both stores are plain and adjacent, so only a memory point between
 * them exposes it. Twin: data first, then the flag (what an ordered store
 * would guarantee on hardware; the simulator is sequentially consistent).
 * Oracle: a reader that saw ready saw the data.
 */
#include "plain.h"

#define RF_DATA 42u

static struct {
	k_sem_t *gate;
	volatile unsigned data, ready;
	unsigned seen_ready, stale;
	bool fixed;
	int error;
} rf;

static void rf_write(void)
{
	if (rf.fixed) {
		rf.data = RF_DATA;
		rf.ready = 1u;
	} else {
		rf.ready = 1u;
		rf.data = RF_DATA;
	}
}

static void rf_read(void)
{
	for (unsigned i = 0; i < PLAIN_POLLS_MAX; i++) {
		if (rf.ready) {
			rf.seen_ready++;
			if (rf.data != RF_DATA)
				rf.stale++;
			return;
		}
		k_thread_yield();
	}
}

static void rf_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(rf.gate, &rf.error);
	if ((uintptr_t)arg == 0u)
		rf_write();
	else
		rf_read();
}

static int rf_run(bool fixed)
{
	rf.gate = NULL;
	rf.data = rf.ready = 0;
	rf.seen_ready = rf.stale = 0;
	rf.fixed = fixed;
	rf.error = 0;
	return plain_group(rf_thread, 2u, &rf.gate, &rf.error);
}

static int rf_check(char *msg, size_t cap)
{
	if (rf.error < 0)
		return stress_fail(msg, cap, "a kernel call failed with ", rf.error, "");
	if (rf.stale)
		return stress_fail_text(msg, cap, "reordered writes: the reader saw ready before the data");
	K_ASSERT(rf.seen_ready <= 1u);
	return 0;
}

BUG_MAINS(rf)
K_BUG_PROGRAM_PLAIN(reorder_flag, "reorder_flag", "reordered writes (flag before data)", 2u, true,
		    "the ready flag is stored before the data it announces", rf_bug, rf_twin,
		    rf_check);
