/*
 * order_init.c — order violation: a thread uses a queue its creator has not
 * made yet.
 *
 * The bug: main starts the worker first and creates the message queue the
 * worker reports into afterwards. If the worker runs before main's create
 * returned (another core, or a preemption of main on one core), it reads a
 * NULL queue and its put fails (-K_EINVAL), so its report never arrives.
 * Twin: the queue is created before the worker starts.
 * Oracle: main receives the worker's report (patience: BUG_PATIENCE_NS) and
 * the worker's put succeeded.
 */
#include "bugs.h"

#define OI_REPORT 0x600du

static struct {
	k_msgq_t *q; /* published by main; read once by the worker */
	int worker_rc;
	uint32_t received;
	int error;
} oi;

static void oi_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	uint32_t report = OI_REPORT;
	k_msgq_t *q = oi.q;
	oi.worker_rc = k_msgq_put(q, &report, K_NO_WAIT);
}

static int oi_run(bool fixed)
{
	oi.q = NULL;
	oi.worker_rc = 1; /* not run yet */
	oi.received = 0;
	oi.error = 0;
	k_thread_t *t[1] = {0};
	int rc = 0;
	if (fixed)
		rc = k_msgq_create(&oi.q, "reports", sizeof(uint32_t), 1);
	if (rc == 0)
		rc = bug_spawn(t, 1, oi_worker, "worker", K_PRIO_DEFAULT, 0);
	/* The bug: the queue is made only after the worker may have run. */
	if (rc == 0 && !fixed)
		rc = k_msgq_create(&oi.q, "reports", sizeof(uint32_t), 1);
	if (rc == 0) {
		int gr = k_msgq_get(oi.q, &oi.received, BUG_PATIENCE_NS);
		if (gr != -K_ETIMEDOUT)
			bug_note(&oi.error, gr);
	}
	int jr = bug_join(t, 1);
	K_ASSERT(t[0] == NULL);
	if (rc == 0)
		rc = jr;
	if (oi.q) {
		int dr = k_msgq_destroy(oi.q);
		if (rc == 0)
			rc = dr;
	}
	return rc;
}

static int oi_check(char *msg, size_t cap)
{
	if (oi.error < 0)
		return stress_fail_err(msg, cap, "a queue call of main failed with ", oi.error);
	if (oi.worker_rc != 0)
		return stress_fail(msg, cap, "the worker's put failed with ", oi.worker_rc,
				   " (it ran before the queue existed)");
	if (oi.received != OI_REPORT)
		return stress_fail_text(msg, cap, "main never received the worker's report");
	return 0;
}

BUG_MAINS(oi)
K_BUG_PROGRAM(order_init, "order_init", "order violation", 1, true,
	      "a worker starts before the queue it uses is created", oi_bug, oi_twin, oi_check);
