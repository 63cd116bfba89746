/*
 * k/sched.h — booting the kernel on N cores, and the scheduler's oracles:
 * the invariant checker, the deadlock (wait-for chain) report, starvation
 * and counters.
 *
 * How a harness runs the kernel (e.g. inside bsp_sim_run's main_fn, which
 * runs on core 0's boot context):
 *
 *     static void my_main(void *arg) { ...kernel calls...; }   // a k_thread
 *     struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
 *     bc.main = my_main; bc.main_arg = arg;
 *     int rc = k_boot(&bc);   // returns when every thread has exited
 *
 * k_boot resets every kernel global (memory manager included), so a harness
 * may boot a fresh kernel thousands of times in one process. It starts the
 * secondary cores, runs `main` as the first thread of the kernel process, and
 * turns core 0's boot context into core 0's idle loop; it returns once every
 * thread has exited and every stack is freed (then all kernel memory is free
 * again except what threads leaked, visible in k_mem_stats).
 *
 * Simulator hooks (sim_config_t): the checks below never take a lock and make
 * no scheduling point, so they may be called between simulator steps
 * (on_step, on_all_idle) while other cores are stopped anywhere; structures
 * whose spinlock is held at that moment are skipped (checked next time).
 *
 *     on_step:     return k_sched_check(msg, cap) == 0;
 *     on_all_idle: if (k_sched_finished()) return true;
 *                  k_sched_deadlock_report(msg, cap); return false;
 *
 * From a thread use the _thread forms: they take every scheduler lock
 * first (a snapshot no other core changes while it is read, on any target),
 * where the lock-free forms would read what other cores are writing.
 */
#ifndef K_SCHED_H
#define K_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/errno.h>
#include <k/thread.h>

/* Round-robin slice among equal priorities (virtual ns on the simulator).
 * Every thread switched to while an equal one is ready runs at most one
 * slice, and at least one unless it blocks, yields or is preempted by a
 * more urgent thread, before an equal one gets its turn. The longest slice
 * k_boot takes is K_SLICE_MAX_NS (the kernel may time a slice from a
 * cheap clock stamp, bsp.h, whose span is longer). */
#define K_SLICE_DEFAULT_NS ((uint64_t)50000u)
#define K_SLICE_MAX_NS ((uint64_t)1000000000u) /* 1 s */

struct k_boot_config {
	unsigned cores;            /* cores to run, 1..bsp_core_count(); 0: all */
	uint64_t slice_ns;         /* 0: K_SLICE_DEFAULT_NS; at most K_SLICE_MAX_NS */
	k_thread_entry_fn main;    /* first thread, in the kernel process */
	void *main_arg;
	unsigned main_priority;    /* K_PRIO_MIN..K_PRIO_MAX */
	size_t main_stack_bytes;   /* 0: K_STACK_DEFAULT_BYTES */
	bool skip_mem_init;        /* true: the caller already ran k_mem_init() */
};

#define K_BOOT_CONFIG_DEFAULT                                                      \
	((struct k_boot_config){.cores = 0, .slice_ns = 0, .main = NULL, .main_arg = NULL, \
				 .main_priority = K_PRIO_DEFAULT, .main_stack_bytes = 0, \
				 .skip_mem_init = false})

/* Boot on the calling core (it becomes core 0; call it on the BSP's boot
 * context, interrupts off or on), run until every thread has exited, return.
 * Returns 0; -K_EINVAL bad config (no main, bad cores or priority, a slice
 * above K_SLICE_MAX_NS); -K_ENOMEM
 * (memory init or the main thread failed); a negative code from k_mem_init;
 * the code of a required static module whose init failed (k/module.h: the
 * first thread runs the modules' inits before main and their finis after).
 * Panics (K_ASSERT) on a broken kernel invariant. */
int k_boot(const struct k_boot_config *cfg);

/* Cores the running kernel uses (0 before boot). */
unsigned k_sched_cores(void);

/* True once the booted kernel has no thread left (the run is over and fine). */
bool k_sched_finished(void);

/* ------------------------------------------------------------------ oracles */

/* Error codes of k_sched_check (negated). */
enum k_sched_check_error {
	K_SCHED_CHECK_OK = 0,
	K_SCHED_CHECK_RUNQ = 1,     /* a run queue: bitmap, list links, counts */
	K_SCHED_CHECK_PLACE = 2,    /* a thread not in exactly one place for its state */
	K_SCHED_CHECK_COUNT = 3,    /* totals (threads, per process) disagree */
	K_SCHED_CHECK_TIMERQ = 4,   /* a timer queue out of order or mislinked */
	K_SCHED_CHECK_MUTEX = 5,    /* owner / held list / inherited priority */
	K_SCHED_CHECK_AFFINITY = 6, /* a thread on a core its mask excludes */
};

/* Verify the scheduler's invariants: every thread is in exactly one place
 * (running on one core, in one run queue, in one wait queue, in one timer
 * queue as its state says, or dead); each run queue's bitmap matches its
 * lists and its count; timer queues are sorted; each mutex's owner holds it
 * in its list and its effective priority is what inheritance says. Returns 0,
 * or -K_SCHED_CHECK_* with one line in msg[cap] (msg may be NULL). No lock, no
 * scheduling point (see above). */
int k_sched_check(char *msg, size_t cap);

/* k_sched_check from a thread: takes the scheduler's locks (registry,
 * mutexes, every run queue, in the lock order, interrupts off), checks
 * everything under them (nothing is skipped as held) and releases them.
 * Thread context, holding no scheduler lock. Returns as k_sched_check. */
int k_sched_check_thread(char *msg, size_t cap);

/* Describe every blocked thread and what it waits for, following wait-for
 * chains (thread -> mutex -> owner -> ...) and naming cycles, and every
 * suspended thread, e.g.
 *   "deadlock: T3 'philo0' waits mutex#2 'fork1' held by T4 'philo1'
 *    waits mutex#3 'fork2' held by T3 (cycle); T7 'c' waits sem#1 'items';
 *    T9 'worker' (prio 32) suspended"
 * Writes at most cap bytes (NUL-terminated, truncated with "..."); returns
 * the number of blocked or suspended threads (0: none). No lock. */
size_t k_sched_deadlock_report(char *buf, size_t cap);
/* The same report from a thread, under the scheduler's locks (as
 * k_sched_check_thread). */
size_t k_sched_deadlock_report_thread(char *buf, size_t cap);

/* K_CONFIG_SCHED_WAIT_STATS (a plain constant, 1 unless the build says 0):
 * whether the scheduler stamps every thread it makes ready with the clock,
 * for k_sched_starvation_ns and k_sched_stats' ready_wait_max_ns. It costs a
 * clock read per wake-up or yield; at 0 (a shipped image that does not read
 * them) both report 0. Every simulator and test build keeps 1. */
#ifndef K_CONFIG_SCHED_WAIT_STATS
#define K_CONFIG_SCHED_WAIT_STATS 1
#endif

/* K_CONFIG_SCHED_LAZY_TIMER (a plain constant, 0 unless the build says 1):
 * whether a context switch leaves the hardware timer armed when it is
 * already due no later than the new deadline (the slice end of the thread
 * switched to moves later at every switch). The early interrupt finds
 * nothing due and re-arms (sched_tick), so one interrupt per slice is
 * traded for a timer call per switch. 0 re-arms at every switch: the
 * simulator's builds keep 0 so their recorded schedules keep their meaning
 * (weft-lazytimer, release preset, explores 1); the Cortex-M4F images
 * (tests and shipped) set 1. */
#ifndef K_CONFIG_SCHED_LAZY_TIMER
#define K_CONFIG_SCHED_LAZY_TIMER 0
#endif

/* K_CONFIG_TRACE_DETAIL (a plain constant, 1 unless the build says 0):
 * whether the kernel reports its log-only events (names, gives, posts,
 * signals, queueing, hand-overs) through bsp_trace_detail. They feed the
 * simulator's log and timeline and change no schedule; at 0 (a shipped
 * image, whose board ignores them anyway) the calls fold away. Every
 * simulator and test build keeps 1. */
#ifndef K_CONFIG_TRACE_DETAIL
#define K_CONFIG_TRACE_DETAIL 1
#endif

/* K_CONFIG_TRACE (a plain constant, 1 unless the build says 0): whether the
 * kernel reports its hashed events (switch, wake, lock, ...) through
 * bsp_trace_event. The simulator's state hash and log are built from them,
 * so every simulator, fuzz and test build keeps 1; at 0 (a shipped
 * Cortex-M4F image, whose board ignores them: bsp_trace_event is empty
 * there) the calls, their arguments and their kind strings fold away. */
#ifndef K_CONFIG_TRACE
#define K_CONFIG_TRACE 1
#endif

/* Starvation measure: the longest a currently ready thread has waited for a
 * core, in ns (0 if none waits, or K_CONFIG_SCHED_WAIT_STATS is 0). No lock. */
uint64_t k_sched_starvation_ns(void);

/* Latency oracle: 1 if a thread ready in core's run queue, allowed on core,
 * is more urgent than the thread running there (for an idle core: any such
 * thread), else 0; -K_EBUSY the core's run-queue lock is held (mid-update:
 * ask again later); -K_EINVAL no such core or no kernel booted. *switches
 * (may be NULL) receives the core's context-switch count, so a caller can
 * tell one wait from the next. The kernel's promise: such a core switches the
 * next time it takes interrupts (the waker sent it an IPI, or it is the
 * waker's own core), so a harness may fail a run in which the core enables
 * interrupts more than a small bound of times without switching (sim/boot.c:
 * WEFT_LATENCY_ENABLES_MAX). No lock, no scheduling point. */
int k_sched_urgent_waiting(unsigned core, uint64_t *switches);

struct k_sched_stats {
	uint64_t switches;        /* context switches, all cores */
	uint64_t preemptions;     /* switches forced by tick or wake-up */
	uint64_t migrations;      /* threads moved between cores */
	uint64_t ipis;            /* IPIs sent */
	uint64_t wakeups;         /* blocked/sleeping -> ready */
	uint64_t ticks;           /* slice timer interrupts */
	uint64_t ready_wait_max_ns; /* longest ready -> running wait seen (0: K_CONFIG_SCHED_WAIT_STATS off) */
	unsigned threads_live;    /* created and not yet exited */
	unsigned threads_total;   /* created since boot */
};

/* Counters since boot: each core's read under its run-queue lock in turn,
 * the thread counts under the registry lock (so each core's figures are
 * consistent, the sum a snapshot). Thread context, holding no scheduler
 * lock. */
void k_sched_stats(struct k_sched_stats *out);

/* The planted bug this kernel was built with (-DWEFT_PLANTED_BUG=name), or ""
 * for a correct kernel. Names: runq_migration_lock, lost_wakeup, pi_restore,
 * kill_mutex_race, double_enqueue. */
const char *k_sched_planted_bug(void);

#endif /* K_SCHED_H */
