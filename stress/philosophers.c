/*
 * philosophers.c — dining philosophers with a global lock order.
 *
 * PHILOSOPHERS threads around a table share one fork (a mutex) with each
 * neighbour. Each takes its lower-numbered fork first, then the higher one:
 * a total order on the mutexes, so no cycle can form and the run must never
 * deadlock. Each eats MEALS times. While eating it checks that it owns both
 * forks and that neither neighbour is eating.
 */
#include "stress.h"

#define PHILO_COUNT 4u
#define PHILO_MEALS 2u

static struct {
	k_mutex_t *fork[PHILO_COUNT];
	unsigned eating[PHILO_COUNT];
	unsigned meals[PHILO_COUNT];
	unsigned conflicts;
	int error;
} ph;

static void ph_note(int rc)
{
	if (rc < 0 && ph.error == 0)
		ph.error = rc;
}

static void ph_eat(unsigned i, k_mutex_t *a, k_mutex_t *b)
{
	unsigned left = (i + PHILO_COUNT - 1u) % PHILO_COUNT;
	unsigned right = (i + 1u) % PHILO_COUNT;
	ph.eating[i] = 1;
	if (ph.eating[left] || ph.eating[right])
		ph.conflicts++;
	if (k_mutex_owner(a) != k_thread_self() || k_mutex_owner(b) != k_thread_self())
		ph.conflicts++;
	k_thread_yield(); /* chew: let the others try meanwhile */
	if (ph.eating[left] || ph.eating[right])
		ph.conflicts++;
	ph.meals[i]++;
	ph.eating[i] = 0;
}

static void ph_philosopher(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	unsigned lo = i, hi = (i + 1u) % PHILO_COUNT;
	if (lo > hi) {
		unsigned t = lo;
		lo = hi;
		hi = t;
	}
	for (unsigned m = 0; m < PHILO_MEALS; m++) {
		int rc = k_mutex_lock(ph.fork[lo], K_FOREVER);
		if (rc < 0) {
			ph_note(rc);
			return;
		}
		rc = k_mutex_lock(ph.fork[hi], K_FOREVER);
		if (rc < 0) {
			ph_note(rc);
			ph_note(k_mutex_unlock(ph.fork[lo]));
			return;
		}
		ph_eat(i, ph.fork[lo], ph.fork[hi]);
		ph_note(k_mutex_unlock(ph.fork[hi]));
		ph_note(k_mutex_unlock(ph.fork[lo]));
		k_thread_yield(); /* think */
	}
}

static int philosophers_main(void)
{
	static const char *const names[PHILO_COUNT] = {"fork0", "fork1", "fork2", "fork3"};
	ph.conflicts = 0;
	ph.error = 0;
	int rc;
	for (unsigned i = 0; i < PHILO_COUNT; i++) {
		ph.eating[i] = ph.meals[i] = 0;
		if ((rc = k_mutex_create(&ph.fork[i], names[i])) < 0)
			return rc;
	}
	k_thread_t *t[PHILO_COUNT];
	for (unsigned i = 0; i < PHILO_COUNT; i++) {
		struct k_thread_attr a = stress_attr("philosopher", K_PRIO_DEFAULT, 0);
		if ((rc = k_thread_create(&t[i], ph_philosopher, (void *)(uintptr_t)i, &a)) < 0)
			return rc;
	}
	for (unsigned i = 0; i < PHILO_COUNT; i++)
		if ((rc = k_thread_join(t[i], K_FOREVER, NULL)) < 0)
			return rc;
	for (unsigned i = 0; i < PHILO_COUNT; i++)
		if ((rc = k_mutex_destroy(ph.fork[i])) < 0)
			return rc;
	return 0;
}

static int philosophers_check(char *msg, size_t cap)
{
	if (ph.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", ph.error);
	if (ph.conflicts)
		return stress_fail(msg, cap, "", ph.conflicts,
				   " times a philosopher ate beside an eating neighbour or without its forks");
	for (unsigned i = 0; i < PHILO_COUNT; i++)
		if (ph.meals[i] != PHILO_MEALS)
			return stress_fail2(msg, cap, "philosopher ", i, " ate ", ph.meals[i], " times");
	return 0;
}

K_WORKLOAD(philosophers, "philosophers",
	   "dining philosophers, forks taken in a global order; each eats its meals",
	   philosophers_main, philosophers_check);
