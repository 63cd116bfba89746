/*
 * philosophers5.c — lock-order deadlock in a ring: five dining philosophers,
 * more threads than cores.
 *
 * Philosopher i takes fork i, then fork i+1 (mod 5). If every philosopher
 * holds its left fork at once, each waits for its right one forever. With two
 * cores that needs each philosopher to block on its right fork before its
 * neighbour put it down, a chain of five races. Twin: the last philosopher
 * takes its forks in the other order (a global lock order: lower fork first).
 * Oracle: the deadlock report (a cycle of five mutexes); the end check counts
 * the meals.
 */
#include "bugs.h"

#define PH_SEATS 5u
#define PH_MEALS 2u

static struct {
	k_sem_t *gate;
	k_mutex_t *fork[PH_SEATS];
	/* Meals per seat: each philosopher counts its own (a shared counter
	 * would be a plain-access race of its own: the forks guard nothing else). */
	unsigned meals[PH_SEATS];
	bool fixed;
	int error;
} ph;

static void ph_philosopher(void *arg)
{
	K_ASSERT((uintptr_t)arg < PH_SEATS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	unsigned i = (unsigned)(uintptr_t)arg;
	K_ASSERT(i < PH_SEATS);
	unsigned left = i, right = (i + 1u) % PH_SEATS;
	unsigned first = left, second = right;
	if (ph.fixed && first > second) {
		first = right;
		second = left;
	}
	K_ASSERT(first != second);
	bug_gate_pass(ph.gate, &ph.error);
	for (unsigned m = 0; m < PH_MEALS; m++) {
		bug_note(&ph.error, k_mutex_lock(ph.fork[first], K_FOREVER));
		bug_note(&ph.error, k_mutex_lock(ph.fork[second], K_FOREVER));
		ph.meals[i]++;
		k_thread_yield(); /* eating: a neighbour may come for a fork */
		bug_note(&ph.error, k_mutex_unlock(ph.fork[second]));
		bug_note(&ph.error, k_mutex_unlock(ph.fork[first]));
	}
}

static int ph_run(bool fixed)
{
	for (unsigned i = 0; i < PH_SEATS; i++)
		ph.meals[i] = 0;
	ph.gate = NULL;
	ph.fixed = fixed;
	ph.error = 0;
	int rc = 0;
	for (unsigned i = 0; i < PH_SEATS; i++) {
		ph.fork[i] = NULL;
		if (rc == 0)
			rc = k_mutex_create(&ph.fork[i], "fork");
	}
	if (rc == 0)
		rc = bug_gate_create(&ph.gate);
	k_thread_t *t[PH_SEATS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, PH_SEATS, ph_philosopher, "philosopher", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(ph.gate, PH_SEATS, &ph.error);
	int jr = bug_join(t, PH_SEATS);
	if (rc == 0)
		rc = jr;
	for (unsigned i = 0; i < PH_SEATS; i++) {
		if (!ph.fork[i])
			continue;
		int dr = k_mutex_destroy(ph.fork[i]);
		if (rc == 0)
			rc = dr;
	}
	if (ph.gate && rc == 0)
		rc = k_sem_destroy(ph.gate);
	return rc;
}

static int ph_check(char *msg, size_t cap)
{
	if (ph.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", ph.error);
	unsigned meals = 0;
	for (unsigned i = 0; i < PH_SEATS; i++)
		meals += ph.meals[i];
	if (meals != PH_SEATS * PH_MEALS)
		return stress_fail(msg, cap, "only ", meals, " meals eaten");
	return 0;
}

BUG_MAINS(ph)
K_BUG_PROGRAM(philosophers5, "philosophers5", "lock-order deadlock (ring)", PH_SEATS, true,
	      "five philosophers each take the left fork first", ph_bug, ph_twin, ph_check);
