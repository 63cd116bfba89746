/*
 * stale_reply.c — a wrong timeout: a reply that arrives after the client gave
 * up is taken for the answer to its next request.
 *
 * A client sends REQUESTS requests to a server over a message queue and waits
 * for each reply on a reply queue with a timeout; on a timeout it moves on to
 * the next request. The server takes a variable time per request (a few
 * yields, more for some). In the bug the client takes whatever reply comes
 * next as the answer to its current request: after a timeout, the late reply
 * to the old request answers the new one. Twin: replies carry the request's
 * number and the client drops replies to requests it gave up on.
 * Oracle: every reply the client accepted answered the request it was for.
 */
#include "bugs.h"

#define SR_REQUESTS 4u
#define SR_TIMEOUT_NS 6000u
#define SR_WORK_SHORT 1u  /* server yields per request */
#define SR_WORK_LONG 12u  /* ... for request 1 */
#define SR_DRAIN_MAX 8u

static struct {
	k_msgq_t *req;
	k_msgq_t *rep;
	unsigned accepted, wrong, timeouts;
	bool fixed;
	int error;
} sr;

static void sr_server(void)
{
	for (unsigned i = 0; i < SR_REQUESTS; i++) {
		uint32_t r = 0;
		bug_note(&sr.error, k_msgq_get(sr.req, &r, K_FOREVER));
		unsigned work = r == 1u ? SR_WORK_LONG : SR_WORK_SHORT;
		for (unsigned w = 0; w < work; w++)
			k_thread_yield();
		bug_note(&sr.error, k_msgq_put(sr.rep, &r, K_FOREVER));
	}
}

static void sr_client(void)
{
	for (uint32_t i = 0; i < SR_REQUESTS; i++) {
		bug_note(&sr.error, k_msgq_put(sr.req, &i, K_FOREVER));
		for (unsigned d = 0; d < SR_DRAIN_MAX; d++) {
			uint32_t r = 0;
			int rc = k_msgq_get(sr.rep, &r, SR_TIMEOUT_NS);
			if (rc == -K_ETIMEDOUT) {
				sr.timeouts++;
				break;
			}
			bug_note(&sr.error, rc);
			if (sr.fixed && r != i)
				continue; /* a late reply to a request given up on */
			sr.accepted++;
			if (r != i)
				sr.wrong++;
			break;
		}
	}
}

static void sr_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	if ((uintptr_t)arg == 0u)
		sr_server();
	else
		sr_client();
}

static int sr_run(bool fixed)
{
	sr.req = sr.rep = NULL;
	sr.accepted = sr.wrong = sr.timeouts = 0;
	sr.fixed = fixed;
	sr.error = 0;
	int rc = k_msgq_create(&sr.req, "requests", sizeof(uint32_t), SR_REQUESTS);
	if (rc == 0)
		rc = k_msgq_create(&sr.rep, "replies", sizeof(uint32_t), SR_REQUESTS);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, sr_thread, "sr", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	/* Replies nobody took stay in the queue: drain before destroying. */
	for (unsigned i = 0; sr.rep && i < SR_REQUESTS; i++) {
		uint32_t r;
		if (k_msgq_get(sr.rep, &r, K_NO_WAIT) < 0)
			break;
	}
	if (sr.rep && rc == 0)
		rc = k_msgq_destroy(sr.rep);
	if (sr.req && rc == 0)
		rc = k_msgq_destroy(sr.req);
	return rc;
}

static int sr_check(char *msg, size_t cap)
{
	if (sr.error < 0)
		return stress_fail_err(msg, cap, "a queue call failed with ", sr.error);
	if (sr.wrong)
		return stress_fail2(msg, cap, "", sr.wrong, " replies answered the wrong request (",
				    sr.timeouts, " timeouts)");
	return 0;
}

BUG_MAINS(sr)
K_BUG_PROGRAM(stale_reply, "stale_reply", "wrong timeout (stale reply)", 2, true,
	      "after a timeout the late reply answers the next request", sr_bug, sr_twin,
	      sr_check);
