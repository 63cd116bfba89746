/*
 * k/thread.h — kernel threads: creation, exit, join, yield, sleep, priority
 * and affinity.
 *
 * A thread runs entry(arg) on its own stack, belongs to exactly one process
 * (k/proc.h) and is scheduled by a run queue per core (k/sched.h). Priorities:
 * K_PRIO_LEVELS levels, higher number = more urgent; among equals, round-robin
 * with a time slice. Affinity: a mask of cores (bit i = core i) the thread may
 * run on.
 *
 * States: ready (in a run queue), running (on a core), blocked (in a wait
 * queue of a sync object, maybe with a timeout), sleeping (in a core's timer
 * queue), dead (exited, waiting to be joined or freed).
 *
 * Killing: when the thread's process is killed (k_proc_kill) the thread stops
 * wherever it is; a blocking call it is in never returns to it (the thread
 * exits instead), and the mutexes it holds are released.
 *
 * Contexts: every call is for thread context (a kernel thread), interrupts
 * on, unless stated. Timeouts are relative, in nanoseconds of the BSP clock:
 * K_NO_WAIT (do not block) or K_FOREVER.
 */
#ifndef K_THREAD_H
#define K_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/errno.h>

/* ------------------------------------------------------------- constants */

/* Timeouts for every blocking call (relative, ns). */
#define K_NO_WAIT ((uint64_t)0)
#define K_FOREVER UINT64_MAX

/* Priority levels: K_PRIO_MIN (least urgent) .. K_PRIO_MAX (most urgent).
 * Each core's idle context is below every level and is not a k_thread the
 * caller ever sees. */
#define K_PRIO_LEVELS 64u
#define K_PRIO_MIN 0u
#define K_PRIO_MAX (K_PRIO_LEVELS - 1u)
#define K_PRIO_DEFAULT 32u

/* Affinity: bit i allows core i. 0 in an attribute means "every core". */
typedef uint64_t k_cpumask_t;
#define K_CPUMASK_ALL UINT64_MAX
#define K_CPUMASK_CORE(i) ((k_cpumask_t)1u << (i))

/* Stack sizes in bytes. The minimum is the BSP's; the default leaves room for
 * sanitizer-instrumented frames (a small target's build may set a smaller
 * default with -DK_STACK_DEFAULT_BYTES=...). */
#define K_STACK_MIN_BYTES 4096u
#ifndef K_STACK_DEFAULT_BYTES
#define K_STACK_DEFAULT_BYTES (64u * 1024u)
#endif
#define K_STACK_MAX_BYTES (8u * 1024u * 1024u)

/* Most threads alive at once (all processes); a named bound for every walk. */
#define K_THREADS_MAX 1024u

/* Thread creation flags. */
#define K_THREAD_DETACHED 1u /* nobody joins: freed as soon as it exits */

/* ----------------------------------------------------------------- types */

typedef struct k_thread k_thread_t; /* opaque */
typedef struct k_proc k_proc_t;     /* opaque, k/proc.h */
typedef void (*k_thread_entry_fn)(void *arg);

/* How to create a thread. Zero-initialised fields take the defaults, so
 * `struct k_thread_attr a = {0}` is valid (priority 0 then means K_PRIO_MIN:
 * use K_THREAD_ATTR_DEFAULT or set it). */
struct k_thread_attr {
	const char *name;   /* static string for logs and reports; NULL: "thread" */
	unsigned priority;  /* K_PRIO_MIN..K_PRIO_MAX */
	k_cpumask_t affinity; /* 0: every core */
	size_t stack_bytes; /* 0: K_STACK_DEFAULT_BYTES */
	k_proc_t *proc;     /* process it joins; NULL: the caller's */
	unsigned flags;     /* K_THREAD_* */
};

#define K_THREAD_ATTR_DEFAULT                                                      \
	((struct k_thread_attr){.name = NULL, .priority = K_PRIO_DEFAULT, .affinity = 0, \
				.stack_bytes = 0, .proc = NULL, .flags = 0})

/* ------------------------------------------------------------------ calls */

/* Create a thread that runs entry(arg), ready at once (it may run before this
 * returns, on any core its affinity allows). attr NULL: K_THREAD_ATTR_DEFAULT.
 * Its control block and stack are charged to its process. *out receives the
 * handle (out may be NULL only with K_THREAD_DETACHED).
 * Returns 0; -K_EINVAL bad priority, stack size, affinity with no started
 * core, NULL entry, or NULL out without DETACHED; -K_ENOMEM no memory;
 * -K_ESRCH the process is exiting or killed; -K_EAGAIN K_THREADS_MAX reached. */
int k_thread_create(k_thread_t **out, k_thread_entry_fn entry, void *arg,
		    const struct k_thread_attr *attr);

/* End the calling thread with exit_code: releases the mutexes it holds, wakes
 * its joiners; if it is the last thread of its process, the process exits with
 * exit_code. Returning from entry is k_thread_exit(0). */
_Noreturn void k_thread_exit(int exit_code);

/* Wait for t to exit, then free it (t is invalid afterwards) and store its
 * exit code in *exit_code (may be NULL). Each thread is joined at most once.
 * Returns 0; -K_ETIMEDOUT (t still alive, still joinable); -K_EDEADLK t is the
 * caller; -K_EINVAL t is NULL or detached. */
int k_thread_join(k_thread_t *t, uint64_t timeout_ns, int *exit_code);

/* Nobody will join t: it is freed once it exits. Returns 0, -K_EINVAL. */
int k_thread_detach(k_thread_t *t);

/* Give the core to the next ready thread of the same or higher priority. */
void k_thread_yield(void);

/* Sleep for at least duration_ns (K_NO_WAIT: yield). Returns 0. */
int k_thread_sleep_ns(uint64_t duration_ns);

/* The calling thread. any context except isr. */
k_thread_t *k_thread_self(void);

/* Small stable number of t (1, 2, ... in creation order of this boot), as used
 * in logs and deadlock reports. */
uint32_t k_thread_id(const k_thread_t *t);
const char *k_thread_name(const k_thread_t *t);
k_proc_t *k_thread_proc(const k_thread_t *t);

/* Base priority (as set) and effective priority (raised by priority
 * inheritance while t holds a mutex a more urgent thread waits for). */
unsigned k_thread_priority_get(const k_thread_t *t);
unsigned k_thread_priority_effective(const k_thread_t *t);
/* Set t's base priority; takes effect at once (requeue, preempt). Returns 0,
 * -K_EINVAL bad priority or t, -K_ESRCH t has exited. */
int k_thread_priority_set(k_thread_t *t, unsigned priority);

/* Restrict t to the cores in mask (bits of cores not started are ignored; the
 * rest must not be empty). The calling thread and a ready thread move at once;
 * a thread running on another core moves when that core takes the IPI this
 * sends (interrupt latency: it may run a few more kernel calls there), at the
 * latest at its next switch. Returns 0,
 * -K_EINVAL empty mask, -K_ESRCH t has exited, -K_EAGAIN t's home core changed
 * under every one of SCHED_WAKE_RETRIES_MAX attempts (other cores moving it). */
int k_thread_affinity_set(k_thread_t *t, k_cpumask_t mask);
k_cpumask_t k_thread_affinity_get(const k_thread_t *t);

/* Suspend t: it does not run again until k_thread_resume(t). A ready thread
 * leaves its run queue at once; t == the caller returns only after someone
 * resumed it; a thread running on another core leaves it when that core
 * takes the IPI this sends (its next interrupt-enabled point); a blocked or
 * sleeping thread keeps waiting and, when its wait ends (wake, timeout),
 * becomes suspended instead of ready, its call's result kept for when it
 * runs. Suspension does not nest: a second suspend returns -K_EBUSY (also
 * when t is the caller and another thread's suspend is on its way). A
 * suspended thread still holds its mutexes (priority inheritance still
 * raises it) and is still killable (a kill resumes it, and it exits).
 * thread context. Returns 0; -K_EINVAL t NULL; -K_ESRCH t has exited or is
 * being killed; -K_EBUSY already suspended. */
int k_thread_suspend(k_thread_t *t);

/* Make a suspended thread ready again (or, if its wait has not ended yet, let
 * it wait on as if never suspended). It preempts the caller's core, or gets an
 * IPI to its own, when more urgent than what runs there. thread or isr
 * context. Returns 0; -K_EINVAL t NULL or not suspended; -K_ESRCH exited. */
int k_thread_resume(k_thread_t *t);

/* The core the caller runs on right now (it may move right after unless its
 * affinity pins it). */
unsigned k_thread_core(void);

#endif /* K_THREAD_H */
