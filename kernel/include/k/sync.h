/*
 * k/sync.h — sleeping synchronisation between threads: mutex (owner tracking,
 * priority inheritance), counting semaphore, condition variable, message
 * queue. (Spinlocks are the BSP's, for kernel code with interrupts off.)
 *
 * Objects are allocated by the kernel, charged to the caller's process and
 * recorded in it: when the process is reaped (k_proc_wait) the objects it
 * still holds are destroyed. Names are static strings for logs and deadlock
 * reports (NULL allowed); every object also gets a small id in creation order.
 *
 * Every blocking call takes a relative timeout in ns: K_NO_WAIT (never block)
 * or K_FOREVER (k/thread.h). When it cannot complete in time it returns
 * -K_ETIMEDOUT — also for K_NO_WAIT when it would have had to block. Waiters
 * are woken most urgent first, FIFO among equals. A thread whose process is
 * killed while it waits never returns from the call: it exits.
 *
 * Contexts: thread context only, interrupts on; k_sem_give, k_cond_signal,
 * k_cond_broadcast and k_msgq_put with K_NO_WAIT may also be called with
 * interrupts off and from isr (an interrupt handler, k/irq.h).
 */
#ifndef K_SYNC_H
#define K_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/errno.h>
#include <k/thread.h>

/* Named bounds. */
#define K_PI_CHAIN_MAX 16u       /* mutexes followed by priority inheritance */
#define K_MUTEX_HELD_MAX 64u     /* mutexes one thread may hold at once */
#define K_MSGQ_MSG_MAX_BYTES 4096u
#define K_MSGQ_CAPACITY_MAX 65536u
#define K_SEM_LIMIT_MAX 0x7fffffffu

/* ------------------------------------------------------------------ mutex */

/* Not recursive. The owner's effective priority is raised to that of its most
 * urgent waiter (transitively, along chains of mutexes up to K_PI_CHAIN_MAX)
 * and restored when it unlocks. Unlock hands the mutex straight to the most
 * urgent waiter. A thread that exits or is killed while holding mutexes
 * releases them. */
typedef struct k_mutex k_mutex_t;

/* Returns 0, -K_ENOMEM. */
int k_mutex_create(k_mutex_t **out, const char *name);
/* Returns 0, -K_EBUSY (locked or waited on: nothing changes), -K_EINVAL. */
int k_mutex_destroy(k_mutex_t *m);
/* Returns 0 (caller owns m); -K_ETIMEDOUT; -K_EDEADLK the caller owns m
 * already; -K_EAGAIN the caller holds K_MUTEX_HELD_MAX mutexes; -K_EINVAL. */
int k_mutex_lock(k_mutex_t *m, uint64_t timeout_ns);
/* Returns 0, -K_EPERM the caller is not the owner, -K_EINVAL. */
int k_mutex_unlock(k_mutex_t *m);
/* Owner right now (NULL if free); a snapshot. */
k_thread_t *k_mutex_owner(const k_mutex_t *m);

/* -------------------------------------------------------------- semaphore */

typedef struct k_sem k_sem_t;

/* count starts at initial (<= limit); limit 1..K_SEM_LIMIT_MAX. Returns 0,
 * -K_EINVAL, -K_ENOMEM. */
int k_sem_create(k_sem_t **out, const char *name, unsigned initial, unsigned limit);
/* Returns 0, -K_EBUSY (threads wait on it), -K_EINVAL. */
int k_sem_destroy(k_sem_t *s);
/* Take one unit. Returns 0, -K_ETIMEDOUT, -K_EINVAL. */
int k_sem_take(k_sem_t *s, uint64_t timeout_ns);
/* Give one unit (to the most urgent waiter if any). Returns 0, -K_EAGAIN
 * (count at limit: nothing changes), -K_EINVAL. */
int k_sem_give(k_sem_t *s);
unsigned k_sem_count(const k_sem_t *s);

/* ----------------------------------------------------- condition variable */

typedef struct k_cond k_cond_t;

int k_cond_create(k_cond_t **out, const char *name);
int k_cond_destroy(k_cond_t *c); /* -K_EBUSY while threads wait */
/* Atomically unlock m (which the caller must own) and wait for a signal;
 * relock m before returning, also on timeout. Returns 0, -K_ETIMEDOUT,
 * -K_EPERM (caller does not own m), -K_EINVAL. Spurious wake-ups do not
 * happen, but callers should re-check their predicate anyway. */
int k_cond_wait(k_cond_t *c, k_mutex_t *m, uint64_t timeout_ns);
/* Wake the most urgent waiter / every waiter. Return 0, -K_EINVAL. */
int k_cond_signal(k_cond_t *c);
int k_cond_broadcast(k_cond_t *c);

/* ---------------------------------------------------------- message queue */

/* A bounded FIFO of fixed-size messages, copied in and out. */
typedef struct k_msgq k_msgq_t;

/* msg_bytes 1..K_MSGQ_MSG_MAX_BYTES, capacity 1..K_MSGQ_CAPACITY_MAX.
 * Returns 0, -K_EINVAL, -K_ENOMEM. */
int k_msgq_create(k_msgq_t **out, const char *name, size_t msg_bytes, unsigned capacity);
int k_msgq_destroy(k_msgq_t *q); /* -K_EBUSY while threads wait */
/* Copy msg_bytes from msg into the queue (straight to a waiting receiver if
 * any). Returns 0, -K_ETIMEDOUT (full), -K_EINVAL. */
int k_msgq_put(k_msgq_t *q, const void *msg, uint64_t timeout_ns);
/* Copy the oldest message into buf (msg_bytes). Returns 0, -K_ETIMEDOUT
 * (empty), -K_EINVAL. */
int k_msgq_get(k_msgq_t *q, void *buf, uint64_t timeout_ns);
unsigned k_msgq_count(const k_msgq_t *q);

#endif /* K_SYNC_H */
