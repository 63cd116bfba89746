/*
 * pingpong.c — two threads bounce a token over two semaphores.
 *
 * ping gives `ping` and takes `pong`; pong takes `ping` and gives `pong`,
 * ROUNDS times each. The token is a plain counter both threads advance; the
 * semaphores are the only thing ordering them, so each side must see exactly
 * the value the other left. A lost wake-up (a give that slips between a
 * take's count check and its sleep) leaves both blocked: a deadlock.
 */
#include "stress.h"

#define PINGPONG_ROUNDS 6u

static struct {
	k_sem_t *ping;
	k_sem_t *pong;
	unsigned token;          /* advanced by each side in turn */
	unsigned rounds_done[2]; /* per side */
	unsigned out_of_turn;    /* a side saw a token it did not expect */
	int error;               /* first failed kernel call */
} pp;

static void pp_note(int rc)
{
	if (rc < 0 && pp.error == 0)
		pp.error = rc;
}

static void pp_ping(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
		if (pp.token != 2u * i)
			pp.out_of_turn++;
		pp.token++;
		pp_note(k_sem_give(pp.ping));
		pp_note(k_sem_take(pp.pong, K_FOREVER));
		pp.rounds_done[0]++;
	}
}

static void pp_pong(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < PINGPONG_ROUNDS; i++) {
		pp_note(k_sem_take(pp.ping, K_FOREVER));
		if (pp.token != 2u * i + 1u)
			pp.out_of_turn++;
		pp.token++;
		pp_note(k_sem_give(pp.pong));
		pp.rounds_done[1]++;
	}
}

static int pingpong_main(void)
{
	pp.ping = pp.pong = NULL;
	pp.token = 0;
	pp.rounds_done[0] = pp.rounds_done[1] = 0;
	pp.out_of_turn = 0;
	pp.error = 0;
	int rc = k_sem_create(&pp.ping, "ping", 0, 1);
	if (rc < 0)
		return rc;
	rc = k_sem_create(&pp.pong, "pong", 0, 1);
	if (rc < 0)
		return rc;
	k_thread_t *a, *b;
	struct k_thread_attr aa = stress_attr("ping", K_PRIO_DEFAULT, 0);
	struct k_thread_attr ab = stress_attr("pong", K_PRIO_DEFAULT, 0);
	if ((rc = k_thread_create(&a, pp_ping, NULL, &aa)) < 0)
		return rc;
	if ((rc = k_thread_create(&b, pp_pong, NULL, &ab)) < 0)
		return rc;
	if ((rc = k_thread_join(a, K_FOREVER, NULL)) < 0)
		return rc;
	if ((rc = k_thread_join(b, K_FOREVER, NULL)) < 0)
		return rc;
	if ((rc = k_sem_destroy(pp.ping)) < 0)
		return rc;
	return k_sem_destroy(pp.pong);
}

static int pingpong_check(char *msg, size_t cap)
{
	if (pp.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", pp.error);
	if (pp.out_of_turn)
		return stress_fail(msg, cap, "", pp.out_of_turn, " bounces saw the token out of turn");
	for (unsigned s = 0; s < 2; s++)
		if (pp.rounds_done[s] != PINGPONG_ROUNDS)
			return stress_fail2(msg, cap, "side ", s, " did ", pp.rounds_done[s],
					    " rounds");
	if (pp.token != 2u * PINGPONG_ROUNDS)
		return stress_fail(msg, cap, "token ended at ", pp.token, "");
	return 0;
}

K_WORKLOAD(pingpong, "pingpong", "two threads bounce a token over two semaphores",
	   pingpong_main, pingpong_check);
