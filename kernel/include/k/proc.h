/*
 * k/proc.h — processes: a set of threads sharing one set of resources.
 *
 * Process 0 is the kernel's (the main thread given to k_boot runs in it).
 * Every resource a process holds is recorded in it (threads, sync objects,
 * and — with the resource tracker — memory, handles, files, modules); each
 * process owns one memory-accounting slot (k/mem.h owner), so the tracker can
 * release everything at once and touch nobody else's.
 *
 * Life: created with its first thread (running) → exiting when its last
 * thread exits or it is killed → zombie (every thread gone, exit code kept)
 * → reaped by k_proc_wait, which frees the process and what it still holds.
 *
 * Contexts: thread context, interrupts on.
 */
#ifndef K_PROC_H
#define K_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/errno.h>
#include <k/thread.h>

/* Most processes alive (not yet reaped) at once, the kernel's included. */
#define K_PROCS_MAX 63u

/* Exit code of a process whose threads were stopped by k_proc_kill without
 * one given. */
#define K_PROC_EXIT_KILLED (-K_ECANCELED)

/* Create a process named `name` (static string) and its first thread
 * entry(arg) with attr (attr->proc ignored; NULL: K_THREAD_ATTR_DEFAULT). The
 * first thread is detached (its exit code becomes the process's when it is
 * the last). Returns 0 and *out; -K_EAGAIN K_PROCS_MAX reached; -K_ENOMEM;
 * -K_EINVAL as k_thread_create. */
int k_proc_create(k_proc_t **out, const char *name, k_thread_entry_fn entry, void *arg,
		  const struct k_thread_attr *attr);

/* Stop every thread of p wherever it is: running on another core (stopped by
 * an IPI), ready, blocked on a sync object (taken out of its wait queue; a
 * mutex it held or was just handed is released), sleeping, or not yet
 * started. Returns at once; the threads finish stopping on their own cores,
 * and k_proc_wait tells when all are gone. The process's exit code becomes
 * exit_code. If p is the caller's process, the caller exits too and this
 * never returns. Returns 0; -K_ESRCH p already exited or is being killed;
 * -K_EPERM p is the kernel's process; -K_EINVAL p NULL. */
int k_proc_kill(k_proc_t *p, int exit_code);

/* Wait until every thread of p has exited, store its exit code in *exit_code
 * (may be NULL), then reap it: everything it still holds is freed and p is
 * invalid afterwards. At most one waiter per process. Returns 0; -K_ETIMEDOUT
 * (p still alive and valid); -K_EDEADLK p is the caller's process; -K_EBUSY
 * another thread waits for p; -K_EINVAL. */
int k_proc_wait(k_proc_t *p, uint64_t timeout_ns, int *exit_code);

/* The caller's process; the kernel process. */
k_proc_t *k_proc_self(void);
k_proc_t *k_proc_kernel(void);

/* Small stable number (0 for the kernel, then 1, 2, ... in creation order). */
uint32_t k_proc_id(const k_proc_t *p);
const char *k_proc_name(const k_proc_t *p);
/* Threads of p not yet exited (a snapshot). */
unsigned k_proc_thread_count(const k_proc_t *p);
/* True once every thread of p has exited. */
bool k_proc_exited(const k_proc_t *p);
/* The memory owner slot (k/mem.h) p's allocations are charged to. */
uint32_t k_proc_mem_owner(const k_proc_t *p);

#endif /* K_PROC_H */
