/*
 * migration.c — a storm of short threads whose affinity changes while they
 * run.
 *
 * WAVES waves of threads; in each, SELF threads move themselves (set their
 * own affinity each round, then check they now run on an allowed core) and
 * MOVED threads are moved by main (which rewrites their affinity while they
 * yield, then hands each its final mask through a semaphore; the thread then
 * yields once — a move reaches a thread running on another core by IPI, with
 * latency — and checks its core against it). Idle cores pull ready threads from busy ones
 * all along, so migrations race with wake-ups and picks; the kernel's own
 * invariant check (a thread on a core its mask excludes) runs between steps.
 * End check: every thread completed, no thread ever ran outside its mask.
 */
#include <k/sched.h>

#include "stress.h"

#define MIG_WAVES 2u
#define MIG_SELF 2u
#define MIG_MOVED 2u
#define MIG_PER_WAVE (MIG_SELF + MIG_MOVED)
#define MIG_ROUNDS 3u
#define MIG_MOVES 2u

struct mig_worker {
	k_thread_t *t;
	k_sem_t *final;        /* MOVED: main posts once the last mask is set */
	k_cpumask_t final_mask;
	unsigned index;
	unsigned outside_mask; /* written by the thread itself only */
	bool completed;
};

static struct {
	unsigned cores;
	struct mig_worker w[MIG_PER_WAVE];
	unsigned completed;    /* summed by main after each wave's joins */
	unsigned outside_mask;
	int error;
} mg;

static void mg_note(int rc)
{
	if (rc < 0 && mg.error == 0)
		mg.error = rc;
}

/* A mask of one or two cores, from a small number. */
static k_cpumask_t mg_mask(unsigned k)
{
	unsigned n = mg.cores;
	return K_CPUMASK_CORE(k % n) | K_CPUMASK_CORE((k * 7u + 3u) % n);
}

static void mg_check_core(struct mig_worker *w, k_cpumask_t mask)
{
	if (!(mask & K_CPUMASK_CORE(k_thread_core())))
		w->outside_mask++;
}

static void mg_self(void *arg)
{
	struct mig_worker *w = arg;
	for (unsigned r = 0; r < MIG_ROUNDS; r++) {
		k_cpumask_t mask = mg_mask(w->index * 5u + r);
		int rc = k_thread_affinity_set(k_thread_self(), mask);
		mg_note(rc);
		if (rc == 0)
			mg_check_core(w, mask);
		k_thread_yield();
	}
	w->completed = true;
}

static void mg_moved(void *arg)
{
	struct mig_worker *w = arg;
	for (unsigned r = 0; r < MIG_ROUNDS; r++)
		k_thread_yield();
	mg_note(k_sem_take(w->final, K_FOREVER));
	/* Main moved us from another core: its IPI reaches our core with
	 * latency (a decision of the run), and until then we may still run on
	 * the old core although the semaphore came after the move. Our own
	 * next switch applies the mask: check after one. */
	k_thread_yield();
	mg_check_core(w, w->final_mask);
	if (k_thread_affinity_get(k_thread_self()) != w->final_mask)
		w->outside_mask++;
	w->completed = true;
}

static int mg_wave(unsigned wave)
{
	int rc;
	for (unsigned i = 0; i < MIG_PER_WAVE; i++) {
		struct mig_worker *w = &mg.w[i];
		w->index = wave * MIG_PER_WAVE + i;
		w->final = NULL;
		w->outside_mask = 0;
		w->completed = false;
		bool moved = i >= MIG_SELF;
		if (moved && (rc = k_sem_create(&w->final, "final", 0, 1)) < 0)
			return rc;
		struct k_thread_attr a = stress_attr(moved ? "moved" : "mover", K_PRIO_DEFAULT,
						     mg_mask(w->index));
		if ((rc = k_thread_create(&w->t, moved ? mg_moved : mg_self, w, &a)) < 0)
			return rc;
	}
	for (unsigned m = 0; m < MIG_MOVES; m++) {
		for (unsigned i = MIG_SELF; i < MIG_PER_WAVE; i++) {
			struct mig_worker *w = &mg.w[i];
			w->final_mask = mg_mask(w->index * 3u + m + 1u);
			if ((rc = k_thread_affinity_set(w->t, w->final_mask)) < 0)
				return rc;
		}
		k_thread_yield();
	}
	for (unsigned i = MIG_SELF; i < MIG_PER_WAVE; i++)
		if ((rc = k_sem_give(mg.w[i].final)) < 0)
			return rc;
	for (unsigned i = 0; i < MIG_PER_WAVE; i++) {
		if ((rc = k_thread_join(mg.w[i].t, K_FOREVER, NULL)) < 0)
			return rc;
		mg.completed += mg.w[i].completed;
		mg.outside_mask += mg.w[i].outside_mask;
		if (mg.w[i].final && (rc = k_sem_destroy(mg.w[i].final)) < 0)
			return rc;
	}
	return 0;
}

static int migration_main(void)
{
	mg.cores = 0;
	mg.completed = mg.outside_mask = 0;
	mg.error = 0;
	mg.cores = k_sched_cores();
	if (mg.cores == 0)
		return -K_EINVAL;
	int rc;
	for (unsigned wave = 0; wave < MIG_WAVES; wave++)
		if ((rc = mg_wave(wave)) < 0)
			return rc;
	return 0;
}

static int migration_check(char *msg, size_t cap)
{
	if (mg.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", mg.error);
	if (mg.outside_mask)
		return stress_fail(msg, cap, "", mg.outside_mask,
				   " times a thread ran on a core outside its affinity");
	if (mg.completed != MIG_WAVES * MIG_PER_WAVE)
		return stress_fail2(msg, cap, "", mg.completed, " of ", MIG_WAVES * MIG_PER_WAVE,
				    " threads completed");
	return 0;
}

K_WORKLOAD(migration, "migration",
	   "waves of short threads whose affinity changes while they run; affinity honoured",
	   migration_main, migration_check);
