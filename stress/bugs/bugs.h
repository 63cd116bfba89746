/*
 * bugs.h — what the bug programs of stress/bugs/ share: spawning and joining
 * a group of threads, noting the first failed kernel call, and the two entry
 * points (bug, twin) of one program.
 *
 * A bug program is one small concurrent program written against the kernel's
 * public API with one known bug of a classic kind, whose racing steps are
 * separated by a kernel call, a preemption or an interrupt, and a twin: the
 * same program with the bug fixed. Both share one end check (the oracle);
 * the bug may also show as a deadlock report or an assertion. The twin must
 * hold under every schedule. docs/bugs.md lists them.
 *
 * Like every workload, a program keeps its state in file-scope globals that
 * its run function resets first (thousands of runs share one process).
 */
#ifndef WEFT_BUGS_H
#define WEFT_BUGS_H

#include <k/assert.h>
#include <k/irq.h>
#include <k/mem.h>

#include "stress.h"

/* Most threads one program creates (the benchmark's "up to 20"). */
#define BUG_THREADS_MAX 20u
/* Stacks: small, so that 20 threads fit the harness's kernel region. */
#define BUG_STACK_BYTES (8u * 1024u)
/* A bounded wait for things that should come soon: 1 ms of virtual time,
 * about 20 slices. A program that still waits after it reports a failure. */
#define BUG_PATIENCE_NS (1000u * 1000u)

/* Keep the first failed kernel call in *slot. */
static inline void bug_note(int *slot, int rc)
{
	if (rc < 0 && *slot == 0)
		*slot = rc;
}

/* Create one thread running entry(arg); *t is NULL on failure. */
static inline int bug_spawn_one(k_thread_t **t, k_thread_entry_fn entry, void *arg,
				const char *name, unsigned prio, k_cpumask_t mask)
{
	K_ASSERT(t != NULL && entry != NULL);
	K_ASSERT(prio <= K_PRIO_MAX);
	struct k_thread_attr a = stress_attr(name, prio, mask);
	a.stack_bytes = BUG_STACK_BYTES;
	int rc = k_thread_create(t, entry, arg, &a);
	if (rc < 0)
		*t = NULL;
	return rc;
}

/* Create `count` threads running entry((void *)i), i = 0..count-1, named
 * `name`, at priority prio, on the cores of mask (0: any). Returns 0 or the
 * first error (threads made before it still run: join them). */
static inline int bug_spawn(k_thread_t **t, unsigned count, k_thread_entry_fn entry,
			    const char *name, unsigned prio, k_cpumask_t mask)
{
	K_ASSERT(count <= BUG_THREADS_MAX);
	K_ASSERT(t != NULL && entry != NULL);
	for (unsigned i = 0; i < count; i++) {
		int rc = bug_spawn_one(&t[i], entry, (void *)(uintptr_t)i, name, prio, mask);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Join every non-NULL t[i] (forever: a thread that never ends is the
 * deadlock oracle's to report). Returns 0 or the first error. */
static inline int bug_join(k_thread_t **t, unsigned count)
{
	K_ASSERT(count <= BUG_THREADS_MAX);
	K_ASSERT(t != NULL);
	int first = 0;
	for (unsigned i = 0; i < count; i++) {
		if (!t[i])
			continue;
		int rc = k_thread_join(t[i], K_FOREVER, NULL);
		if (rc < 0 && first == 0)
			first = rc;
		t[i] = NULL;
	}
	return first;
}

/* A start gate: threads spawned one after another start tens of steps
 * apart, and a race between the first one's opening steps and the last
 * one's would hardly ever be tried. Each thread takes the gate first; main
 * opens it (one give per thread) once all exist, so they start together. */
static inline int bug_gate_create(k_sem_t **gate)
{
	K_ASSERT(gate != NULL);
	*gate = NULL;
	return k_sem_create(gate, "start", 0, BUG_THREADS_MAX);
}

static inline void bug_gate_pass(k_sem_t *gate, int *error)
{
	K_ASSERT(gate != NULL);
	bug_note(error, k_sem_take(gate, K_FOREVER));
}

static inline void bug_gate_open(k_sem_t *gate, unsigned count, int *error)
{
	K_ASSERT(count <= BUG_THREADS_MAX);
	for (unsigned i = 0; i < count; i++)
		bug_note(error, k_sem_give(gate));
}

/* Start a process running entry(NULL) named `name`, let it run for run_ns
 * of virtual time, kill it and reap it: the frame of the kill programs.
 * A process that ended before the kill is fine (-K_ESRCH). Returns 0 or the
 * first error of create, kill or wait; a failed sleep is noted in *error. */
static inline int bug_proc_run_then_kill(k_thread_entry_fn entry, const char *name,
					 uint64_t run_ns, int *error)
{
	K_ASSERT(entry != NULL && name != NULL && error != NULL);
	K_ASSERT(run_ns > 0);
	struct k_thread_attr a = stress_attr(name, K_PRIO_DEFAULT, 0);
	a.stack_bytes = BUG_STACK_BYTES;
	k_proc_t *p = NULL;
	int rc = k_proc_create(&p, name, entry, NULL, &a);
	if (rc < 0)
		return rc;
	bug_note(error, k_thread_sleep_ns(run_ns));
	rc = k_proc_kill(p, K_PROC_EXIT_KILLED);
	if (rc < 0 && rc != -K_ESRCH)
		return rc;
	return k_proc_wait(p, K_FOREVER, NULL);
}

/* Connect handler to device line `line`, start one thread running
 * entry((void *)0) named `name`, let the board's test device raise the line
 * `events` times every period_ns, join the thread and disconnect: the frame
 * of the thread-vs-handler programs. Returns 0 or the first error. */
static inline int bug_irq_with_thread(unsigned line, k_irq_handler_fn handler,
				      k_thread_entry_fn entry, const char *name, unsigned events,
				      uint64_t period_ns)
{
	K_ASSERT(handler != NULL && entry != NULL && name != NULL);
	K_ASSERT(events > 0 && period_ns > 0);
	int rc = k_irq_connect(line, handler, NULL);
	if (rc < 0)
		return rc;
	k_thread_t *t[1] = {0};
	rc = bug_spawn(t, 1, entry, name, K_PRIO_DEFAULT, 0);
	if (rc == 0)
		rc = k_irq_device_start(line, events, period_ns);
	int jr = bug_join(t, 1);
	int dr = k_irq_disconnect(line);
	if (rc == 0)
		rc = jr < 0 ? jr : dr;
	return rc;
}

/* The two entry points of a program whose body is `int run(bool fixed)`. */
#define BUG_MAINS(prefix)                                  \
	static int prefix##_bug(void) { return prefix##_run(false); } \
	static int prefix##_twin(void) { return prefix##_run(true); }

#endif /* WEFT_BUGS_H */
