/*
 * wrong_lock.c — a counter guarded by the wrong lock.
 *
 * Two threads increment one counter, each inside a critical section — but
 * each thread takes its own mutex, so the sections exclude nobody. The
 * counter's load and store sit between a lock and an unlock with no kernel
 * call between them: only memory points can put the other thread's
 * increment there. Twin: both take the same mutex.
 * Oracle: the counter ends at threads x rounds.
 */
#include "plain.h"

#define WL_THREADS 2u
#define WL_ROUNDS 3u

static struct {
	k_sem_t *gate;
	k_mutex_t *m[WL_THREADS];
	volatile unsigned counter; /* meant to be under m[0] */
	bool fixed;
	int error;
} wl;

static void wl_thread(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	K_ASSERT(i < WL_THREADS);
	K_ASSERT(!k_in_isr());
	k_mutex_t *m = wl.m[wl.fixed ? 0u : i];
	bug_gate_pass(wl.gate, &wl.error);
	for (unsigned r = 0; r < WL_ROUNDS; r++) {
		bug_note(&wl.error, k_mutex_lock(m, K_FOREVER));
		wl.counter = wl.counter + 1u;
		bug_note(&wl.error, k_mutex_unlock(m));
	}
}

static int wl_run(bool fixed)
{
	wl.gate = NULL;
	wl.counter = 0;
	wl.fixed = fixed;
	wl.error = 0;
	int rc = 0;
	for (unsigned i = 0; i < WL_THREADS; i++) {
		wl.m[i] = NULL;
		if (rc == 0)
			rc = k_mutex_create(&wl.m[i], "wl");
	}
	if (rc == 0)
		rc = plain_group(wl_thread, WL_THREADS, &wl.gate, &wl.error);
	for (unsigned i = 0; i < WL_THREADS; i++)
		rc = plain_mutex_done(&wl.m[i], rc);
	return rc;
}

static int wl_check(char *msg, size_t cap)
{
	if (wl.error < 0)
		return stress_fail(msg, cap, "a mutex call failed with ", wl.error, "");
	if (wl.counter != WL_THREADS * WL_ROUNDS)
		return stress_fail2(msg, cap, "lost update under the wrong lock: counter ",
				    wl.counter, " after ", WL_THREADS * WL_ROUNDS, " increments");
	return 0;
}

BUG_MAINS(wl)
K_BUG_PROGRAM_PLAIN(wrong_lock, "wrong_lock", "wrong lock (each thread its own mutex)", WL_THREADS,
		    true, "a counter incremented under two different mutexes", wl_bug, wl_twin,
		    wl_check);
