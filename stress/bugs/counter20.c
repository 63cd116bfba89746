/*
 * counter20.c — atomicity violation with twenty threads (far more threads
 * than cores).
 *
 * Twenty threads each add 1 to a shared counter once, reading it in one
 * critical section and writing value+1 in a second one (a binary semaphore is
 * the lock). An increment is lost when another thread's whole increment lands
 * between a thread's two sections: with more threads than cores that needs
 * a thread to be overtaken by one queued behind it. Twin: one critical
 * section.
 * Oracle: the counter ends at 20.
 */
#include "bugs.h"

#define C20_THREADS 20u

static struct {
	k_sem_t *gate;
	k_sem_t *lock;
	unsigned counter;
	bool fixed;
	int error;
} c20;

static void c20_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < C20_THREADS); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_gate_pass(c20.gate, &c20.error);
	bug_note(&c20.error, k_sem_take(c20.lock, K_FOREVER));
	unsigned v = c20.counter;
	if (!c20.fixed) {
		bug_note(&c20.error, k_sem_give(c20.lock));
		bug_note(&c20.error, k_sem_take(c20.lock, K_FOREVER));
	}
	c20.counter = v + 1u;
	bug_note(&c20.error, k_sem_give(c20.lock));
}

static int c20_run(bool fixed)
{
	c20.gate = c20.lock = NULL;
	c20.counter = 0;
	c20.fixed = fixed;
	c20.error = 0;
	int rc = bug_gate_create(&c20.gate);
	if (rc == 0)
		rc = k_sem_create(&c20.lock, "counter", 1, 1);
	k_thread_t *t[C20_THREADS] = {0};
	if (rc == 0)
		rc = bug_spawn(t, C20_THREADS, c20_thread, "adder", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(c20.gate, C20_THREADS, &c20.error);
	int jr = bug_join(t, C20_THREADS);
	if (rc == 0)
		rc = jr;
	if (c20.lock && rc == 0)
		rc = k_sem_destroy(c20.lock);
	if (c20.gate && rc == 0)
		rc = k_sem_destroy(c20.gate);
	return rc;
}

static int c20_check(char *msg, size_t cap)
{
	if (c20.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", c20.error);
	if (c20.counter != C20_THREADS)
		return stress_fail2(msg, cap, "lost update: counter ", c20.counter, " after ",
				    C20_THREADS, " increments");
	return 0;
}

BUG_MAINS(c20)
K_BUG_PROGRAM(counter20, "counter20", "atomicity violation (20 threads)", C20_THREADS, true,
	      "twenty threads increment in two critical sections", c20_bug, c20_twin, c20_check);
