/*
 * sched_impl.h — the scheduler's private structures, shared by kernel/sched
 * and kernel/proc. Not a public header: nothing outside the kernel includes
 * it.
 *
 * Lock order (outermost first; never take an earlier lock while holding a
 * later one):
 *   0. irq line run locks     — held while a line's handler runs (isr, core
 *                               0), then the irq table lock (irq_lines.c);
 *                               the handler itself takes what its calls need
 *   1. g_sched.registry_lock  — thread and process lists, ids, refcounts,
 *                               join and process-wait queues
 *   2. object locks           — k_cond.lock, k_sem.lock, k_msgq.lock, then
 *                               g_sched.mutex_lock (every mutex, their wait
 *                               queues, held lists, base priorities: one lock
 *                               so priority-inheritance chains are walked
 *                               consistently); a cond lock may be held while
 *                               taking mutex_lock, never the reverse
 *   3. run-queue locks        — core.rq.lock, two at once only in ascending
 *                               core order (sched_lock_two)
 *   4. the memory manager's locks (k/mem.h), leaves
 * Every spinlock is taken with interrupts off.
 *
 * The switch protocol: a core holds its rq.lock across a context switch; the
 * context switched to releases it (sched_finish_switch). So a thread that is
 * being switched out is never visible to another core until its registers
 * are saved: waking it, stealing it or moving it all need that lock.
 * A thread's `cpu` changes only with the locks of both the old and the new
 * core held.
 * One core with a target that switches at the end of its interrupt handler
 * (SCHED_IRQ_SWITCH, below) finishes every switch before it instead: the
 * rq.lock is released right before bsp_context_switch / bsp_irq_switch
 * (interrupts stay off, and no other core exists), and
 * sched_finish_switch only frees a dead thread's stack. That allows a
 * second kind of saved context (bsp.h): a thread preempted by the kernel's
 * interrupt handler is saved there, interrupted, and resumes straight into
 * its interrupted code with interrupts on, running no kernel code first.
 * So what such a thread would check when it runs again is done for it
 * beforehand: a dead thread never switches to one (idle runs first and
 * frees its stack, sched_switch), and a kill replaces its context
 * (sched_kill_interrupted).
 */
#ifndef K_SCHED_IMPL_H
#define K_SCHED_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bsp.h>
#include <k/assert.h>
#include <k/errno.h>
#include <k/mem.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/section.h>
#include <k/sync.h>
#include <k/thread.h>

/* ----------------------------------------------------------- planted bugs */

/* Each is 1 only in a build configured with -DWEFT_PLANTED_BUG=<name>; the
 * code tests them in plain `if`s so both paths always compile. */
#ifdef WEFT_PLANTED_BUG_RUNQ_MIGRATION_LOCK
#define PLANTED_RUNQ_MIGRATION_LOCK 1
#else
#define PLANTED_RUNQ_MIGRATION_LOCK 0
#endif
#ifdef WEFT_PLANTED_BUG_LOST_WAKEUP
#define PLANTED_LOST_WAKEUP 1
#else
#define PLANTED_LOST_WAKEUP 0
#endif
#ifdef WEFT_PLANTED_BUG_PI_RESTORE
#define PLANTED_PI_RESTORE 1
#else
#define PLANTED_PI_RESTORE 0
#endif
#ifdef WEFT_PLANTED_BUG_KILL_MUTEX_RACE
#define PLANTED_KILL_MUTEX_RACE 1
#else
#define PLANTED_KILL_MUTEX_RACE 0
#endif
#ifdef WEFT_PLANTED_BUG_DOUBLE_ENQUEUE
#define PLANTED_DOUBLE_ENQUEUE 1
#else
#define PLANTED_DOUBLE_ENQUEUE 0
#endif

/* ---------------------------------------------------------------- limits */

#define SCHED_CORE_NONE 0xffffffffu
#define SCHED_WAKE_RETRIES_MAX 64u    /* a thread's core changed under us */
#define SCHED_TIMER_EXPIRE_MAX 64u    /* timers expired per interrupt */
#define SCHED_FIX_AFFINITY_MAX 8u     /* moves per post-switch affinity fix */
#define SCHED_WAITERS_MAX K_THREADS_MAX
#define SCHED_CHECK_OBJECTS_MAX 65536u

K_STATIC_ASSERT(K_PRIO_LEVELS == 64u, "the run-queue bitmap is one 64-bit word");
K_STATIC_ASSERT(BSP_CORES_MAX <= 64u, "affinity masks are 64-bit");

/* ------------------------------------------------------------------ lists */

/* Intrusive circular doubly linked list. A node not in a list has next ==
 * NULL, so "linked" is a cheap check against double insertion. */
struct qlink {
	struct qlink *next;
	struct qlink *prev;
};

static inline void ql_head_init(struct qlink *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool ql_empty(const struct qlink *h)
{
	return h->next == h;
}

static inline bool ql_linked(const struct qlink *n)
{
	return n->next != NULL;
}

static inline void ql_insert_before(struct qlink *pos, struct qlink *n)
{
	K_ASSERT_MSG(!ql_linked(n), "list: node inserted twice");
	K_ASSERT(pos->next != NULL && pos->prev != NULL);
	n->next = pos;
	n->prev = pos->prev;
	pos->prev->next = n;
	pos->prev = n;
}

static inline void ql_remove(struct qlink *n)
{
	K_ASSERT_MSG(ql_linked(n), "list: node removed but not linked");
	K_ASSERT_MSG(n->next->prev == n && n->prev->next == n, "list: links corrupted");
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = NULL;
	n->prev = NULL;
}

#define ql_entry(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---------------------------------------------------------- wait queues */

/* Threads blocked on one object, most urgent first, FIFO among equals.
 * Guarded by the owning object's lock. */
struct wait_queue {
	struct qlink head;
	unsigned count;
};

/* --------------------------------------------------------------- objects */

enum obj_type {
	OBJ_MUTEX = 1,
	OBJ_SEM = 2,
	OBJ_COND = 3,
	OBJ_MSGQ = 4,
	OBJ_THREAD_JOIN = 5, /* pseudo-object: a thread's join queue */
	OBJ_PROC_WAIT = 6,   /* pseudo-object: a process's wait queue */
	OBJ_MODULE = 7,      /* a loaded dynamic module (kernel/loader) */
	OBJ_KIND_MAX = 8,    /* one past the last type */
};

struct k_obj;

/* A kind of object a process may hold. Each block registers its kinds with
 * OBJ_KIND(...) (collected like K_TEST and K_MODULE, k/section.h: a kind
 * exists in an image exactly when its block is linked), so the resource
 * tracker frees a new kind without a change to the process code. */
struct obj_kind {
	uint32_t type;    /* enum obj_type */
	const char *name; /* "mutex": messages, reports */
	/* Free what a leftover object of this kind holds besides its own block
	 * (the tracker frees that): its process is gone. registry_lock held;
	 * must not block. */
	void (*release)(struct k_obj *o);
	/* 0 when the object is consistent and quiescent (no waiter, counts in
	 * bounds), else -1: the tracker asserts it before it releases. No lock.
	 * NULL in a build with K_CONFIG_ASSERT 0 (OBJ_KIND below): only
	 * assertions call it, so the function stays out of such an image. */
	int (*check)(const struct k_obj *o);
	/* At every boot, before any object exists: reset the block's globals
	 * of this kind (k_boot resets every kernel global). NULL: none. */
	void (*boot)(void);
};

#define OBJ_KIND(ident, type_, name_, release_, check_, boot_)                     \
	const struct obj_kind obj_kind_##ident K_SECTION_ITEM(weft_obj_kinds) =    \
		{type_, name_, release_, K_CONFIG_ASSERT ? (check_) : NULL, boot_}
K_SECTION_DECLARE(weft_obj_kinds, struct obj_kind);

/* Header of every sync object: its record in the owning process (the
 * resource tracker's entry). */
struct k_obj {
	uint32_t type;       /* enum obj_type; immutable */
	uint32_t id;         /* creation order; immutable */
	const char *name;    /* immutable */
	struct k_proc *proc; /* owner; immutable */
	struct qlink res_link; /* in proc->resources — registry_lock */
};

/* --------------------------------------------------------------- threads */

enum thread_state {
	TS_NEW = 0,    /* being created: in no queue yet */
	TS_READY,      /* in rq of `cpu` */
	TS_RUNNING,    /* current of core `on_core` (== cpu) */
	TS_BLOCKED,    /* in a wait queue (wait_q), maybe in timerq of `cpu` */
	TS_SLEEPING,   /* in timerq of `cpu` */
	TS_DEAD,       /* exited: in no queue */
	TS_SUSPENDED,  /* k_thread_suspend: in no run or timer queue, home `cpu`;
			* still in a wait queue if a timeout ended its wait and it
			* has not run since (it leaves the queue when it runs) */
};

struct k_thread {
	/* Immutable after creation. */
	uint32_t id;
	const char *name;
	struct k_proc *proc;
	void *stack;             /* NULL for an idle thread */
	size_t stack_bytes;
	k_thread_entry_fn entry;
	void *arg;
	bool is_idle;
	unsigned idle_core;

	/* The rq.lock of core `cpu` (held across the switch that saves it). */
	bsp_context_t ctx;
	bsp_atomic_t cpu;        /* home core; written holding old and new rq.lock */
	enum thread_state state;
	unsigned on_core;        /* core running it, else SCHED_CORE_NONE */
	unsigned prio;           /* effective priority; written holding mutex_lock too */
	k_cpumask_t affinity;
	struct qlink rq_link;    /* in rq level prio's ring when READY */
	struct qlink tq_link;    /* in rq.timers when it has a deadline */
	uint64_t deadline_ns;
	uint64_t ready_since_ns;
	/* k_thread_suspend asked and k_thread_resume not yet: true in state
	 * SUSPENDED, and in BLOCKED, SLEEPING, RUNNING (an IPI on its way) or
	 * NEW until the thread would next become ready, which it then does not
	 * (sched_requeue); never true in READY. A kill clears it. */
	bool suspended;

	/* The lock of the object it waits on (wait_lock). */
	struct qlink wq_link;
	struct wait_queue *wait_q;   /* NULL when not queued */
	bsp_spinlock_t *wait_lock;
	struct k_obj *wait_obj;
	int wait_result;             /* set by the waker */
	void *wait_data;             /* msgq: the buffer to copy to/from */

	/* g_sched.mutex_lock. */
	unsigned base_prio;
	struct qlink held;           /* mutexes it owns (k_mutex.held_link) */
	unsigned held_count;
	struct k_mutex *blocked_on_mutex;

	/* g_sched.registry_lock. */
	struct qlink all_link;       /* g_sched.threads */
	struct qlink proc_link;      /* proc->threads */
	int exit_code;
	bool exited;
	bool detached;
	unsigned refs;               /* 1 while its stack lives + 1 for the handle */
	struct wait_queue join_wq;
	struct k_obj join_obj;       /* names the join queue in reports */

	/* Atomic. */
	bsp_atomic_t killed;

	/* Only the thread itself (or isr on its core while it is current). */
	unsigned kill_defer;
};

/* ------------------------------------------------------------- processes */

enum proc_state {
	PS_RUNNING = 0,
	PS_KILLED,  /* killed: threads are stopping */
	PS_ZOMBIE,  /* every thread exited */
};

struct k_proc {
	/* Immutable. */
	uint32_t id;
	const char *name;
	k_mem_owner_t mem_owner;

	/* g_sched.registry_lock. */
	enum proc_state state;
	int exit_code;
	bool exit_code_set;
	unsigned threads_live;   /* not yet exited */
	unsigned stacks_live;    /* thread stacks not yet freed */
	struct qlink threads;    /* every TCB not yet freed */
	struct qlink resources;  /* sync objects it owns (k_obj.res_link) */
	struct wait_queue wait_wq;
	struct k_obj wait_obj;
	bool waited;
	struct qlink link;       /* g_sched.procs */
};

/* --------------------------------------------------------------- mutexes */

struct k_mutex {
	struct k_obj obj;
	/* g_sched.mutex_lock. */
	struct k_thread *owner;
	struct wait_queue waiters;
	struct qlink held_link;  /* in owner->held */
	struct qlink all_link;   /* g_sched.mutexes */
};

/* ----------------------------------------------------------------- cores */

struct runq {
	bsp_spinlock_t lock;     /* lock order: level 3, ascending core ids */
	/* rq.lock (the small fields first: the checker reads them every step) */
	uint64_t bitmap;         /* bit p set iff lists[p] is not empty */
	unsigned count;
	unsigned timer_count;
	struct qlink timers;     /* threads with a deadline, earliest first */
	/* One pointer per level, not a two-pointer sentinel (64 x 4 B of
	 * static RAM on the board): the rq_link of the level's first thread,
	 * NULL when the level is empty. A level's threads form a circular
	 * doubly linked ring of their rq_links with no head node in it, so
	 * first->prev is the tail. Walk a level with rq_level_first /
	 * rq_level_next; change it only through runq.c. */
	struct qlink *first[K_PRIO_LEVELS];
};

/* Level p of rq has no ready thread. */
static inline bool rq_level_empty(const struct runq *rq, unsigned p)
{
	K_ASSERT(p < K_PRIO_LEVELS);
	return rq->first[p] == NULL;
}

/* The first (next to run) rq_link of level p, or NULL when it is empty. */
static inline struct qlink *rq_level_first(const struct runq *rq, unsigned p)
{
	K_ASSERT(p < K_PRIO_LEVELS);
	return rq->first[p];
}

/* The rq_link after l in level p, or NULL when l is the level's tail (the
 * ring closes on the first). l must be in level p; an l unlinked meanwhile
 * (next NULL: a reader without the lock, latency.c) also ends the walk. */
static inline struct qlink *rq_level_next(const struct runq *rq, unsigned p,
					  const struct qlink *l)
{
	K_ASSERT(p < K_PRIO_LEVELS);
	K_ASSERT(l != NULL);
	struct qlink *n = l->next;
	return n == rq->first[p] ? NULL : n;
}

/* Unlink n from level p's ring (runq_remove's unlink; inline: it is on
 * every switch). The level's first moves on past n; true when n was
 * alone and the level is now empty (its first NULL). */
static inline bool rq_level_unlink(struct runq *rq, unsigned p, struct qlink *n)
{
	K_ASSERT(p < K_PRIO_LEVELS && rq->first[p] != NULL);
	K_ASSERT_MSG(ql_linked(n), "run queue: thread not queued");
	struct qlink *next = n->next, *prev = n->prev;
	K_ASSERT_MSG(next->prev == n && prev->next == n, "run queue: links corrupted");
	/* Branch-free for a ring of one too (n's own links, cleared below):
	 * small enough to stay inlined in the switch paths. */
	prev->next = next;
	next->prev = prev;
	n->next = NULL;
	n->prev = NULL;
	if (rq->first[p] == n)
		rq->first[p] = next == n ? NULL : next;
	return rq->first[p] == NULL;
}

struct sched_core_stats {
	uint64_t switches, preemptions, migrations, ipis, wakeups, ticks, ready_wait_max_ns;
};

struct sched_core {
	unsigned id;
	/* rq.lock */
	struct k_thread *current;
	struct k_thread *zombie;     /* dead thread whose stack the next context frees */
	/* SCHED_SLICE_STAMP: while stats.switches == slice_stamp_switch (the
	 * switch the stamp was taken for; any later switch makes it stale
	 * with nothing to clear), the running thread's slice started at
	 * slice_stamp (bsp_clock_stamp) and slice_end_ns is only a lower
	 * bound of its end, resolved by the tick. SCHED_NO_STAMP: none.
	 * Here, in the hole before the 8-byte fields (static RAM). */
	uint32_t slice_stamp;
	/* The running thread's slice end; BSP_TIMER_NONE when it has none
	 * (SCHED_SLICE_ON_DEMAND: nobody ready at its level). */
	uint64_t slice_end_ns;
	uint64_t timer_armed_ns;
	/* This core only, interrupts off: 1 while sched_irq runs handlers and
	 * the tick (k_in_isr), 0 before it returns. */
	unsigned isr_depth;
	/* This core only, interrupts off. Set by preempt_check while this
	 * core is in isr: a thread made ready here is more urgent than the
	 * running one (on one core, what sched_irq judges a device line by). */
	bool isr_wake_urgent;
	/* sched_irq's verdict for sched_irq_preempt, which the BSP calls right
	 * after it in the interrupted context: switch, move misplaced threads. */
	bool irq_resched;
	bool irq_fix;
	/* Beside the other flags: no padding between them (static RAM). */
	bool fix_affinity;           /* a thread here may not be allowed here */
	/* Atomic hints, read by other cores without the lock. A one-core
	 * build (BSP_CORES_MAX 1) has no reader and never reads or writes
	 * cur_prio (nr_ready stays 0). cur_prio shares its word with
	 * `handoff`, which only a one-core build uses (no static RAM for it
	 * on the board). */
	union {
		bsp_atomic_t cur_prio; /* running thread's prio + 1; 0 when idle */
		/* rq.lock. The direct hand-over (SCHED_IRQ_HANDOFF, one core
		 * only: never read or written elsewhere): a thread the kernel's
		 * interrupt handler made ready that runs when the handler
		 * ends, kept out of the lists so the preemption at its end
		 * takes it instead of picking (wake_hand_over,
		 * sched_irq_switch). Invariant: set only inside sched_irq,
		 * between a handler's wake-up and the preemption or the tick
		 * that takes it (sched_handoff_take, sched_handoff_flush), so
		 * nothing in thread context ever finds it set (k_sched_check
		 * fails if it does). While set, the thread is READY, in no
		 * list and not counted in rq.count, strictly more urgent than
		 * the interrupted thread (not idle), at least as urgent as
		 * every thread in the lists and made ready before those of
		 * its own level (so it runs first), and isr_wake_urgent is
		 * set. */
		struct k_thread *handoff;
	};
	bsp_atomic_t nr_ready;       /* rq.count */
	struct runq rq;
	/* rq.lock */
	struct sched_core_stats stats;
	struct k_thread idle;        /* this core's boot context */
	/* rq.lock. Last, so the fields above keep the offsets the hot
	 * paths' short loads reach (slice_stamp: above). */
	uint64_t slice_stamp_switch;
};

struct sched_global {
	unsigned cores;
	uint64_t slice_ns;
	k_cpumask_t cores_mask;
	bsp_atomic_t finished;       /* every thread gone: core 0 leaves k_boot */
	bsp_atomic_t booted;

	bsp_spinlock_t registry_lock; /* lock order: level 1 */
	/* registry_lock */
	struct qlink threads;
	struct qlink procs;
	unsigned threads_count;      /* TCBs on g.threads */
	unsigned threads_live;       /* not yet exited */
	unsigned threads_total;
	unsigned stacks_live;        /* stacks not yet freed */
	unsigned procs_count;
	uint32_t next_tid;
	uint32_t next_pid;
	uint32_t next_obj_id;
	struct k_proc *owner_slots[K_MEM_OWNERS_MAX];
	struct k_proc kernel_proc;

	bsp_spinlock_t mutex_lock;   /* lock order: level 2 (after cond locks) */
	/* mutex_lock */
	struct qlink mutexes;
	unsigned mutex_count;

	/* k_sched_check only (harness side, between steps): which clear-bit
	 * run-queue head it checks next. */
	unsigned check_spot;

	struct sched_core core[BSP_CORES_MAX];
};

extern struct sched_global g_sched;

/* ------------------------------------------------------ internal calls */

/* runq.c — caller holds rq->lock. */
void runq_init(struct runq *rq);
void runq_enqueue(struct sched_core *c, struct k_thread *t, bool at_head);
void runq_remove(struct sched_core *c, struct k_thread *t);
struct k_thread *runq_pick(struct sched_core *c, uint64_t now_ns);
struct k_thread *runq_rotate(struct sched_core *c, struct k_thread *t, uint64_t now_ns); /* one core */
unsigned runq_top_prio(const struct runq *rq); /* 0 if empty; else prio+1 */
/* The ready-wait accounting of t leaving the ready state at now_ns. */
void runq_note_wait(struct sched_core *c, const struct k_thread *t, uint64_t now_ns);
void timerq_insert(struct sched_core *c, struct k_thread *t, uint64_t deadline_ns);
void timerq_remove(struct sched_core *c, struct k_thread *t);

/* sched.c */
struct sched_core *sched_this_core(void);          /* irq off */
struct k_thread *sched_current(void);              /* irq off */
void sched_switch(struct sched_core *c);           /* rq.lock held; returns unlocked */
/* The same, next chosen and its slice end given (sched_slice_end). */
void sched_switch_to(struct sched_core *c, struct k_thread *next, uint64_t slice_end_ns);
/* One core only: the same when the running thread stopped alive and next
 * is another thread, not idle (no tests for those cases). */
void sched_switch_thread(struct sched_core *c, struct k_thread *next, uint64_t slice_end_ns);
uint64_t sched_slice_end(const struct sched_core *c, const struct k_thread *next, uint64_t now_ns);
void sched_finish_switch(void);
/* SCHED_IRQ_SWITCH: t was just killed by the running thread (interrupts
 * off; takes the rq.lock): if it is ready or suspended with an interrupted
 * context and outside a kill-deferred section, its context is replaced by
 * a new one that exits (it must not resume its code). */
void sched_kill_interrupted(struct k_thread *t);
void sched_slice_demand(struct sched_core *c, unsigned prio); /* a thread is ready at prio */
void sched_timer_rearm(struct sched_core *c);
void sched_kill_point(void);                       /* exit now if killed */
void sched_exit_if_killed(struct k_thread *t);     /* irq off: slow-path kill point */
void sched_kill_defer(void);                       /* enter a kill-deferred section */
void sched_kill_allow(void);                       /* leave it (kill point) */
bool sched_killed(struct k_thread *t);
void sched_irq_enable(void);
void sched_ipi(unsigned core);                     /* make core re-judge its queue */
void sched_requeue(struct sched_core *c, struct k_thread *t, bool at_head); /* -> ready or suspended */
/* A hashed event (bsp_trace_event). Folds to nothing when K_CONFIG_TRACE
 * is 0. A macro over one out-of-line function, as sched_trace_detail below:
 * the frames the simulator's log walks stay the same. */
void sched_trace_emit(const char *kind, uintptr_t a, uintptr_t b);
#define sched_trace(kind, a, b)                               \
	do {                                                  \
		if (K_CONFIG_TRACE)                           \
			sched_trace_emit((kind), (a), (b));   \
	} while (0)
/* A log-only event (bsp_trace_detail): not part of the state hash. Folds to
 * nothing when K_CONFIG_TRACE_DETAIL is 0. A macro, not an inline function:
 * the simulator's log finds the kernel call's caller by walking return
 * addresses, and an out-of-line wrapper would be one more frame to walk. */
void sched_trace_detail_emit(const char *kind, uintptr_t a, uintptr_t b, const char *text);
#define sched_trace_detail(kind, a, b, text)                          \
	do {                                                          \
		if (K_CONFIG_TRACE_DETAIL)                            \
			sched_trace_detail_emit((kind), (a), (b), (text)); \
	} while (0)

/* smp.c */
void sched_lock_two(unsigned a, unsigned b);
void sched_unlock_two(unsigned a, unsigned b);
unsigned sched_lock_thread(struct k_thread *t);    /* lock rq of t->cpu; returns it */
/* Every lock k_sched_check and k_sched_deadlock_report read under, in the
 * lock order (registry_lock, mutex_lock, each rq.lock ascending), with
 * interrupts off; thread context, holding no scheduler lock. Then
 * sched_check_held checks everything (nothing skipped as "held"). */
void sched_lock_all(bsp_irq_state_t *irq);
void sched_unlock_all(bsp_irq_state_t irq);
int sched_check_held(char *msg, size_t cap);
bool sched_wake(struct k_thread *t);               /* blocked/sleeping -> ready (or suspended) */
/* SCHED_IRQ_HANDOFF, c->rq.lock held: a handed-over thread goes to the
 * lists, at the head of its level (it was made ready before anything
 * queued there since); nothing when the slot is empty. */
void sched_handoff_flush(struct sched_core *c);
void sched_wake_from(struct k_thread *t, unsigned src); /* home lock held -> ready; unlocks */
void sched_place_new(struct k_thread *t);          /* choose a new thread's home */
void sched_make_ready(struct k_thread *t);         /* new thread -> ready */
bool sched_pull(struct sched_core *c);
void sched_fix_affinity(struct sched_core *c);
void sched_set_prio(struct k_thread *t, unsigned prio); /* mutex_lock held */
void sched_kick(struct k_thread *t);               /* kill: stop it wherever it is */
unsigned sched_thread_cpu(const struct k_thread *t); /* with its rq.lock held */

/* wait.c — caller holds the object lock. */
void wq_init(struct wait_queue *wq);
void wq_insert(struct wait_queue *wq, struct k_thread *t);
void wq_remove(struct wait_queue *wq, struct k_thread *t);
struct k_thread *wq_first(const struct wait_queue *wq);
void wait_prepare(struct k_thread *t, struct wait_queue *wq, bsp_spinlock_t *lock,
		  struct k_obj *obj);
struct k_thread *wait_wake_first(struct wait_queue *wq, int result);
int sched_block(bsp_spinlock_t *lock, uint64_t timeout_ns);
uint64_t sched_deadline(uint64_t timeout_ns);

/* mutex.c */
void mutex_release_all(struct k_thread *t);        /* exiting thread */
unsigned mutex_effective_prio(const struct k_thread *t); /* mutex_lock held */
void mutex_pi_propagate(struct k_thread *t);       /* mutex_lock held */
void mutex_unlock_locked(struct k_mutex *m, struct k_thread *t);

/* thread.c */
void thread_reap_stack(struct k_thread *t);        /* no lock; irq off */
void thread_free_locked(struct k_thread *t);       /* registry_lock held */
_Noreturn void thread_exit_now(int exit_code);
void thread_init_idle(struct sched_core *c);  /* c->idle filled with 0 */

/* irq_lines.c */
void irq_lines_init(void);                         /* k_boot */
void irq_lines_dispatch(unsigned irq_mask); /* sched_irq, core 0, >= 1 line bit */

/* proc.c */
void proc_boot_init(void);
void proc_thread_exited_locked(struct k_proc *p, struct k_thread *t, int exit_code);
void proc_stack_freed_locked(struct k_proc *p);
void proc_reap_all_locked(void);
/* Record o (type, name, a new id) in the calling thread's process: it
 * cannot fail (a list insert under registry_lock), so the creators have no
 * undo path for it. obj_register is the same with a status for callers
 * that treat it as one step among others that can fail (always 0). */
void obj_add(struct k_obj *o, enum obj_type type, const char *name);
static inline int obj_register(struct k_obj *o, enum obj_type type, const char *name)
{
	obj_add(o, type, name);
	return 0;
}
void obj_unregister(struct k_obj *o);
k_mem_owner_t proc_owner_of_caller(void);
void obj_free_locked(struct k_obj *o);
/* Boot: the table of kinds, from every OBJ_KIND the image links. */
void obj_kinds_init(void);
/* The registered kind of type, or NULL. any. */
const struct obj_kind *obj_kind_of(uint32_t type);             /* tracker: destroy a leftover */

/* report.c: a bounded text builder (no libc). */
struct kbuf {
	char *p;
	size_t cap;
	size_t len;
	bool truncated;
};
void kbuf_init(struct kbuf *b, char *p, size_t cap);
void kbuf_puts(struct kbuf *b, const char *s);
void kbuf_putu(struct kbuf *b, uint64_t v);
void kbuf_puti(struct kbuf *b, int64_t v);
const char *obj_type_name(uint32_t type);
/* The log kinds of an object type: "name.sem" when it is made, "wait.sem"
 * when a thread queues itself on it (static strings). */
const char *obj_name_kind(uint32_t type);
const char *obj_wait_kind(uint32_t type);

/* Helpers. */
/* A 64-bit shift by a variable costs a 32-bit CPU about eight instructions,
 * on every affinity check of a switch; a one-core build (BSP_CORES_MAX 1, a
 * constant the compiler folds) knows the answer. */
/* The cores this boot runs on (g_sched.cores_mask). A one-core build
 * (BSP_CORES_MAX 1) boots one core only (k_boot's check), so it is core 0's
 * bit, folded: the affinity checks and masks need no 64-bit load. */
static inline k_cpumask_t sched_cores_mask(void)
{
	return BSP_CORES_MAX == 1u ? (k_cpumask_t)1u : g_sched.cores_mask;
}

static inline k_cpumask_t core_bit(unsigned core)
{
	K_ASSERT(core < BSP_CORES_MAX);
	if (BSP_CORES_MAX == 1u)
		return 1u;
	return (k_cpumask_t)1u << core;
}

/* Core `core` of g_sched.core. On one core (BSP_CORES_MAX 1, folded) it
 * is core 0 whatever the index says, so a path that carries a core index
 * (a thread's home, a wake-up's target) does no index arithmetic there
 * (the index times the core's size). */
static inline struct sched_core *sched_core_at(unsigned core)
{
	K_ASSERT(core < g_sched.cores);
	if (BSP_CORES_MAX == 1u)
		return &g_sched.core[0];
	return &g_sched.core[core];
}

/* Slices on demand, on one core only (BSP_CORES_MAX 1, folded): a thread
 * switched to gets a slice only when another thread is ready at its level
 * (round-robin has someone to hand over to); otherwise its slice end is
 * BSP_TIMER_NONE and the switch reads no clock. When a thread becomes ready
 * at the running thread's level and the running one has no slice, the
 * slice starts then (sched_slice_demand), so the newcomer still waits at
 * most one slice. Several cores keep a slice per switch: a waker on another
 * core could not arm this core's timer. */
#define SCHED_SLICE_ON_DEMAND (BSP_CORES_MAX == 1u)

/* One core with the lazy timer (BSP_CORES_MAX 1 and
 * K_CONFIG_SCHED_LAZY_TIMER, folded): the armed timer is kept no later
 * than the first timeout where timeouts are queued (timerq_insert re-arms
 * for an earlier one; removals and expiries only make it early), so a
 * switch tests only the new slice end against it. With several cores a
 * timeout may be queued on another core's queue, whose timer this core
 * cannot arm: the switch tests both there. */
#define SCHED_TIMER_SLICE_ONLY (BSP_CORES_MAX == 1u && K_CONFIG_SCHED_LAZY_TIMER)

/* The yield's slice from a stamp, on one core (BSP_CORES_MAX 1, folded):
 * the thread a yield switches to gets a whole slice from the switch, but
 * the switch reads only a cheap stamp of the clock (bsp_clock_stamp, one
 * load on Cortex-M4F) and keeps the yielder's slice end as a lower bound
 * of the new one (the yielder started earlier). The timer, armed no later
 * than that bound, fires no later than the true end; the tick then turns
 * the stamp into the true end (bsp_clock_stamp_ns) and, when it has not
 * come yet, re-arms for it: the slice is exact, an early interrupt paid
 * per slice instead of a clock read per yield. The stamp stays valid:
 * the tick comes within a slice (K_SLICE_MAX_NS) of the stamp, less than
 * BSP_CLOCK_STAMP_SPAN_NS. Several cores time every slice as before. */
#define SCHED_SLICE_STAMP (BSP_CORES_MAX == 1u)
#define SCHED_NO_STAMP UINT64_MAX /* slice_stamp_switch: no stamped slice */

/* c's running thread has no slice end (BSP_TIMER_NONE, UINT64_MAX). A
 * slice end is a clock reading plus a slice, far below 2^64 - 2^32 ns
 * (584 years), so the high word alone tells it: one load, not two. */
static inline bool sched_slice_none(const struct sched_core *c)
{
	bool none = (uint32_t)(c->slice_end_ns >> 32) == UINT32_MAX;
	K_ASSERT(none == (c->slice_end_ns == BSP_TIMER_NONE));
	return none;
}

/* Whether c's running thread has a stamped slice (see above). */
static inline bool sched_slice_stamped(const struct sched_core *c)
{
	return SCHED_SLICE_STAMP && c->slice_stamp_switch == c->stats.switches;
}

/* The switch's hot helpers (sched.c) are forced inline where the build
 * optimizes for speed (each a call of its own cost the cooperative case 12
 * instructions an iteration, measured); a build for size (-Os: the m4f
 * size images, like K_CONFIG_MEM_INLINE=0 there) keeps them out of line,
 * one copy each (left to choose, the compiler still copied
 * sched_switch_begin into both switches: 6 B more). A compiler's macro,
 * not a target's. `unused`: a header's helper (sched_switch_yield) is not
 * used by every file that includes it. */
#ifdef __OPTIMIZE_SIZE__
#define SCHED_HOT_INLINE __attribute__((noinline, unused))
#else
#define SCHED_HOT_INLINE inline __attribute__((always_inline))
#endif

/* The message queue's fast paths (k_msgq_put into the ring, k_msgq_get out
 * of it, the unrolled copy of a small message) are copies of what its
 * general path also does, kept for speed; a build for size (-Os) lets the
 * general path serve: the same answers, and on several cores the same locks
 * in the same order (obj_lock_full takes nothing there). A compiler's macro,
 * not a target's. */
#ifdef __OPTIMIZE_SIZE__
#define SCHED_OBJ_FAST_PATHS 0
#else
#define SCHED_OBJ_FAST_PATHS 1
#endif

/* The interrupt's preemption switched in the handler, on one core, where
 * the target can (BSP_CORES_MAX 1 and BSP_IRQ_TAIL_SWITCH, bsp.h; folded):
 * the kernel's handler itself puts the interrupted thread back in line,
 * picks the next one and has the BSP switch the two contexts when it
 * returns (sched_irq_switch), instead of asking the interrupted context to
 * call sched_irq_preempt in thread mode (a second exception frame and a
 * trip through Thread mode on Cortex-M4F). The preempted thread's context
 * is then an interrupted one (bsp.h), and every switch on that build is
 * finished before it (the protocol at the top). The simulator's builds
 * and wasm keep 0: their order of scheduling points is unchanged. */
#define SCHED_IRQ_SWITCH (BSP_CORES_MAX == 1u && BSP_IRQ_TAIL_SWITCH)

/* The one-core yield keeps the running slice end (BSP_CORES_MAX 1 with
 * the lazy timer, folded): the thread a yield rotates in gets the stamped
 * slice (SCHED_SLICE_STAMP) whose lower bound is the yielder's end, the
 * value c->slice_end_ns already holds, and the armed timer is no later
 * than that end already (SCHED_TIMER_SLICE_ONLY: every switch to a thread
 * and every tick leave it so while a thread runs; timerq_insert only moves
 * it earlier). So the yield's switch stores no slice end and tests no
 * timer (sched_switch_yield). */
#define SCHED_YIELD_KEEPS_SLICE (SCHED_SLICE_STAMP && SCHED_TIMER_SLICE_ONLY)

/* SCHED_YIELD_KEEPS_SLICE: the yield's switch, inlined in k_thread_yield
 * (thread.c) so the whole one-core yield is one frame: no call to the
 * rotation or to the switch, and the stamp's switch count is the new
 * switch counter itself (one 64-bit add for both). prev, the running
 * thread, stopped alive and READY, rotated behind next at its level; next
 * runs with the kept slice end as the lower bound of its stamped slice.
 * The same effects, counts and scheduling points (weft-board: the lock,
 * the switch, sched_finish_switch after it) as sched_switch_thread given
 * that bound. With SCHED_IRQ_SWITCH the switch is finished before it, so
 * after it only a stack left by a thread that died and switched here is
 * looked at (sched_finish_switch when there is one). Returns when prev
 * runs again. */
static SCHED_HOT_INLINE void sched_switch_yield(struct sched_core *c, struct k_thread *prev,
						struct k_thread *next)
{
	K_ASSERT(SCHED_YIELD_KEEPS_SLICE && c->id == 0u);
	K_ASSERT(bsp_spin_held(&c->rq.lock));
	K_ASSERT(prev == c->current && prev != next && !next->is_idle);
	K_ASSERT(prev->state == TS_READY && prev->on_core == SCHED_CORE_NONE);
	K_ASSERT(!ql_linked(&next->rq_link) && sched_thread_cpu(next) == c->id);
	K_ASSERT(c->slice_end_ns != BSP_TIMER_NONE);
	K_ASSERT_MSG(c->timer_armed_ns <= c->slice_end_ns, "yield: timer armed after the slice end");
	c->slice_stamp = bsp_clock_stamp();
	uint64_t switches = c->stats.switches + 1u;
	c->stats.switches = switches;
	c->slice_stamp_switch = switches; /* the stamp is this switch's */
	next->state = TS_RUNNING;
	next->on_core = 0u; /* c->id: the one core */
	c->current = next;
	sched_trace("switch", prev->id, next->id);
	if (!SCHED_IRQ_SWITCH) {
		bsp_context_switch(&prev->ctx, next->ctx);
		sched_finish_switch(); /* releases the rq.lock */
		return;
	}
	bsp_spin_unlock(&c->rq.lock);
	bsp_context_switch(&prev->ctx, next->ctx);
	if (__builtin_expect(c->zombie != NULL, 0))
		sched_finish_switch();
	K_ASSERT(c->zombie == NULL && c->current == prev);
}

/* The direct hand-over, where the interrupt's preemption is switched in
 * the handler (SCHED_IRQ_SWITCH, folded): a thread a handler wakes or
 * resumes that is more urgent than the interrupted thread and than every
 * ready thread goes to sched_core.handoff instead of the run queue, and
 * the preemption at the handler's end runs it without a pick (the thread
 * the pick would have taken). Its ready wait is accounted as the queue's
 * (K_CONFIG_SCHED_WAIT_STATS: from the wake-up to the switch). A build
 * for size (-Os, SCHED_OBJ_FAST_PATHS 0) leaves it out: the run queue
 * serves, with the same order (handoff_test.c holds both builds to it). */
#define SCHED_IRQ_HANDOFF (SCHED_IRQ_SWITCH && SCHED_OBJ_FAST_PATHS)

/* The handed-over thread, taken out of the slot; NULL when there is none
 * (always, where SCHED_IRQ_HANDOFF is 0: folded). c->rq.lock held. */
static inline struct k_thread *sched_handoff_take(struct sched_core *c)
{
	if (!SCHED_IRQ_HANDOFF)
		return NULL;
	K_ASSERT(bsp_spin_held(&c->rq.lock));
	struct k_thread *t = c->handoff;
	if (t != NULL) {
		K_ASSERT(t->state == TS_READY && !ql_linked(&t->rq_link));
		K_ASSERT(runq_top_prio(&c->rq) <= t->prio + 1u); /* equals queued after it */
		c->handoff = NULL;
	}
	return t;
}

/* "The caller did not read the clock": sched_slice_end reads it if the
 * thread switched to gets a slice. Only where slices are on demand. */
#define SCHED_CLOCK_UNREAD UINT64_MAX

/* The clock a switch needs before its pick: for the ready-wait accounting
 * and the slice; SCHED_CLOCK_UNREAD when neither may need it yet. */
static inline uint64_t sched_switch_clock(void)
{
	if (SCHED_SLICE_ON_DEMAND && !K_CONFIG_SCHED_WAIT_STATS)
		return SCHED_CLOCK_UNREAD;
	return bsp_clock_ns();
}

/* An object's lock on a path that touches only the object's own fields
 * (a count, a ring): no wait queue, no scheduler call. On a one-core build
 * (BSP_CORES_MAX 1, folded) interrupts off already exclude everyone, since
 * every holder of an object lock holds it with interrupts off, so the lock
 * word is left alone; with several cores the lock is taken. A path that
 * goes on to a wait queue or sched_block calls obj_lock_full first: from
 * then on the lock is held on every build, as wait.c asserts, and is
 * dropped with bsp_spin_unlock / bsp_spin_unlock_irqrestore. */
static inline bsp_irq_state_t obj_lock_fast(bsp_spinlock_t *lock)
{
	if (BSP_CORES_MAX == 1u)
		return bsp_irq_save();
	return bsp_spin_lock_irqsave(lock);
}

static inline void obj_unlock_fast(bsp_spinlock_t *lock, bsp_irq_state_t is)
{
	if (BSP_CORES_MAX == 1u) {
		K_ASSERT(!bsp_spin_held(lock));
		bsp_irq_restore(is);
		return;
	}
	bsp_spin_unlock_irqrestore(lock, is);
}

static inline void obj_lock_full(bsp_spinlock_t *lock)
{
	K_ASSERT(!bsp_irq_enabled());
	if (BSP_CORES_MAX == 1u)
		bsp_spin_lock(lock);
	K_ASSERT(bsp_spin_held(lock));
}

/* sched_fix_affinity where one was asked for. A one-core build
 * (BSP_CORES_MAX 1, folded) never asks: every mask is cut to the online
 * cores and refused when empty (thread.c), so it holds core 0 and no thread
 * is misplaced; the call and the mover's code fold away. */
static inline void sched_fix_affinity_asked(struct sched_core *c)
{
	K_ASSERT_MSG(BSP_CORES_MAX > 1u, "affinity fix asked on a one-core build");
	if (BSP_CORES_MAX > 1u)
		sched_fix_affinity(c);
}

#endif /* K_SCHED_IMPL_H */
