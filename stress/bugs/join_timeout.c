/*
 * join_timeout.c — join misuse: a timed join whose failure is ignored.
 *
 * Main starts WORKERS workers that each fill their part of a result, joins
 * each with a timeout and, in the bug, reads the result as soon as the joins
 * returned, whatever they returned: a worker still running when its join
 * timed out has not written its part yet. (Main joins again afterwards, so
 * nothing leaks.) Twin: a timed-out join is retried until it succeeds.
 * Oracle: the result main read was complete.
 */
#include "bugs.h"

#define JT_WORKERS 3u
#define JT_TIMEOUT_NS 3000u
#define JT_WORK 3u /* yields per worker */
#define JT_RETRIES_MAX 1000u

static struct {
	unsigned part[JT_WORKERS];
	unsigned read_sum;
	bool fixed;
	int error;
} jt;

static void jt_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < JT_WORKERS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	unsigned i = (unsigned)(uintptr_t)arg;
	K_ASSERT(i < JT_WORKERS);
	for (unsigned w = 0; w < JT_WORK; w++)
		k_thread_yield();
	jt.part[i] = 1;
}

static int jt_run(bool fixed)
{
	for (unsigned i = 0; i < JT_WORKERS; i++)
		jt.part[i] = 0;
	jt.read_sum = 0;
	jt.fixed = fixed;
	jt.error = 0;
	k_thread_t *t[JT_WORKERS] = {0};
	int rc = bug_spawn(t, JT_WORKERS, jt_worker, "worker", K_PRIO_DEFAULT, 0);
	for (unsigned i = 0; i < JT_WORKERS; i++) {
		if (!t[i])
			continue;
		int jr = k_thread_join(t[i], JT_TIMEOUT_NS, NULL);
		for (unsigned r = 0; fixed && jr == -K_ETIMEDOUT && r < JT_RETRIES_MAX; r++)
			jr = k_thread_join(t[i], JT_TIMEOUT_NS, NULL);
		if (jr == 0)
			t[i] = NULL;
		else if (jr != -K_ETIMEDOUT)
			bug_note(&jt.error, jr);
	}
	for (unsigned i = 0; i < JT_WORKERS; i++)
		jt.read_sum += jt.part[i];
	int jr = bug_join(t, JT_WORKERS); /* the ones whose join timed out */
	return rc < 0 ? rc : jr;
}

static int jt_check(char *msg, size_t cap)
{
	if (jt.error < 0)
		return stress_fail_err(msg, cap, "a join failed with ", jt.error);
	if (jt.read_sum != JT_WORKERS)
		return stress_fail2(msg, cap, "main read the result with ", jt.read_sum, " of ",
				    JT_WORKERS, " parts written");
	return 0;
}

BUG_MAINS(jt)
K_BUG_PROGRAM(join_timeout, "join_timeout", "join misuse (timed join ignored)", JT_WORKERS, true,
	      "main reads the workers' results after joins that timed out", jt_bug, jt_twin,
	      jt_check);
