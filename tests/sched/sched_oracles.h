/*
 * sched_oracles.h — the scheduler's oracles as simulator hooks, the way
 * k/sched.h prescribes them: k_sched_check between steps; when every core
 * idles, a finished kernel ends the run and anything else is a deadlock
 * described by its wait-for chains.
 */
#ifndef WEFT_SCHED_ORACLES_H
#define WEFT_SCHED_ORACLES_H

#include <stdbool.h>
#include <stddef.h>

#include <k/sched.h>

static inline bool sched_oracle_step(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	return k_sched_check(msg, cap) == 0;
}

static inline bool sched_oracle_all_idle(void *ctx, char *msg, size_t cap)
{
	(void)ctx;
	if (k_sched_finished())
		return true;
	k_sched_deadlock_report(msg, cap);
	return false;
}

#endif /* WEFT_SCHED_ORACLES_H */
