/*
 * plain.h — what the plain-access bug programs share (K_BUG_PROGRAM_PLAIN):
 * a group of threads that start together and are joined, and a lock the
 * twin takes where the bug takes none.
 *
 * In these programs the racing steps are plain loads and stores with no
 * kernel call between them, so without memory-access points (weft
 * --mem-points, the races build) the code between two kernel calls runs as
 * one step and the bug is never hit. Shared fields are `volatile` so that
 * each access in the source is one access in the binary, as the program
 * reads (the compiler may not merge or drop them).
 */
#ifndef WEFT_BUGS_PLAIN_H
#define WEFT_BUGS_PLAIN_H

#include "bugs.h"

/* Polls of a flag before a thread gives up looking (each yields the core):
 * bounded, and enough for the other side to have run long before. */
#define PLAIN_POLLS_MAX 64u

/* Run `count` threads of entry((void *)i), started together through a gate,
 * and join them. Returns 0 or the first error; *error collects the threads'. */
static inline int plain_group(k_thread_entry_fn entry, unsigned count, k_sem_t **gate, int *error)
{
	K_ASSERT(count >= 1u && count <= BUG_THREADS_MAX);
	K_ASSERT(gate != NULL && error != NULL);
	k_thread_t *t[BUG_THREADS_MAX] = {0};
	int rc = bug_gate_create(gate);
	if (rc == 0)
		rc = bug_spawn(t, count, entry, "plain", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(*gate, count, error);
	int jr = bug_join(t, count);
	if (rc == 0)
		rc = jr;
	if (*gate && rc == 0)
		rc = k_sem_destroy(*gate);
	*gate = NULL;
	return rc;
}

/* The twin's lock: taken only when `use` (the bug runs without it). */
static inline void plain_lock(k_mutex_t *m, bool use, int *error)
{
	K_ASSERT(error != NULL);
	K_ASSERT(!use || m != NULL);
	if (use)
		bug_note(error, k_mutex_lock(m, K_FOREVER));
}

static inline void plain_unlock(k_mutex_t *m, bool use, int *error)
{
	K_ASSERT(error != NULL);
	K_ASSERT(!use || m != NULL);
	if (use)
		bug_note(error, k_mutex_unlock(m));
}

/* A mutex made for the run, destroyed after it (rc keeps the first error). */
static inline int plain_mutex_done(k_mutex_t **m, int rc)
{
	K_ASSERT(m != NULL);
	int dr = *m ? k_mutex_destroy(*m) : 0;
	*m = NULL;
	return rc != 0 ? rc : dr;
}

#endif /* WEFT_BUGS_PLAIN_H */
