/*
 * sim.h — the deterministic simulator engine.
 *
 * Generic: it knows nothing of the kernel (bsp/sim is the adapter). It runs N
 * virtual cores as host fibers on one host thread. Code running on a virtual
 * core calls sim_point() at every operation another core could observe; there
 * the engine asks a strategy which core runs next. Interrupts (timer, IPI,
 * device lines) are delivered at points where the core has them enabled.
 * Virtual time advances by a fixed cost per point and jumps to the next timer
 * deadline when every core idles. With timing decisions on (sim_config_t),
 * the strategy also decides, at each point where the running core could take
 * an interrupt, whether time runs ahead to that core's next timer deadline
 * (the slice ends, a timeout fires: a preemption can land at any enabled
 * point, so one core has many schedules) and whether pending interrupts are
 * taken now or a few points later — each within a bounded window.
 *
 * Contexts: every fiber may carry a small stable id (sim_context_init), and
 * the engine knows which context each core runs, which were switched out by
 * an interrupt handler (preempted: still runnable) and which are new, so
 * strategies can reason about threads, not only cores (PCT does).
 *
 * Determinism: the same binary, config and decision stream give the same run,
 * bit for bit. Nothing here reads host time, host randomness, or orders by
 * address.
 *
 * One run at a time per process; runs may be repeated without limit (explore,
 * fuzz): sim_run() releases everything it took.
 */
#ifndef SIM_H
#define SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_CORES_MAX 64u
#define SIM_MESSAGE_MAX 512u

/* ------------------------------------------------------------------ fibers */

/* A host fiber: its own stack and registers, switched by hand-written code
 * (x86_64, aarch64; ucontext elsewhere), annotated for ASan and Valgrind. */
typedef struct sim_fiber sim_fiber_t;

/* Carve a fiber out of [stack, stack+size): its control block lives inside
 * that memory, so nothing is allocated. entry(arg) runs on first switch and
 * must never return. Returns NULL if size is too small; any size from
 * SIM_FIBER_STACK_MIN_BYTES up (control block included) is accepted. */
#define SIM_FIBER_STACK_MIN_BYTES 4096u
sim_fiber_t *sim_fiber_init(void *stack, size_t size, void (*entry)(void *), void *arg);
/* The running host context (a thread's own stack, e.g. main's) as a fiber, so
 * that fibers can switch back to it: only its control block lives in
 * mem[size] (at least SIM_FIBER_HOST_BYTES). Returns NULL if size is too
 * small. Release it once nothing will switch to it again. */
#define SIM_FIBER_HOST_BYTES 8192u
sim_fiber_t *sim_fiber_init_host(void *mem, size_t size);
/* The stack behind f is about to be freed; f is not running. */
void sim_fiber_release(sim_fiber_t *f);
/* Low level: save the running fiber into `from` and run `to`. from == NULL:
 * the running fiber is finished and never resumes. Used by the engine; code on
 * a virtual core uses sim_core_switch(). */
void sim_fiber_switch(sim_fiber_t *from, sim_fiber_t *to);
/* The engine's word per fiber (its context id and state), 0 when made. */
uint64_t sim_fiber_tag(const sim_fiber_t *f);
void sim_fiber_set_tag(sim_fiber_t *f, uint64_t tag);

/* -------------------------------------------------------------- decisions */

enum sim_decision_kind {
	SIM_DECIDE_CORE = 0,  /* which ready core runs next (options: core ids) */
	SIM_DECIDE_FAULT = 1, /* inject a fault here? (options: 0 no, 1 yes) */
	SIM_DECIDE_VALUE = 2, /* a value a workload asked for (options: 0..n-1) */
	/* At an enabled point of a core whose timer is due within the window:
	 * 0 time runs as usual, 1 time runs ahead to that deadline now (the
	 * timer fires here: a slice end, a timeout). */
	SIM_DECIDE_ADVANCE = 3,
	/* At an enabled point of a core with interrupts pending that all came
	 * from outside it (timer, another core): 0 take them now, 1 defer them
	 * past this point (at most SIM_IRQ_DEFER_POINTS_MAX points in a row).
	 * A core's raise on itself is taken at once. */
	SIM_DECIDE_DEFER = 4,
	SIM_DECIDE_KINDS = 5,
};

/* Bounds of the timing decisions. A pending interrupt is deferred for at
 * most this many enabled points in a row, then taken: an IPI or a slice end
 * is late by a few kernel calls, never lost. */
#define SIM_IRQ_DEFER_POINTS_MAX 4u
/* Time may run ahead at one point to a timer deadline at most this far away
 * (sim_config_t.advance_window_ns; 0 means this). Time only ever moves
 * forward, and a timer fires only once time has reached its deadline, so
 * timeouts keep their meaning; the window bounds how much virtual time one
 * point may take. */
#define SIM_ADVANCE_WINDOW_NS_DEFAULT 100000u

/* Context ids: 0..SIM_CORES_MAX-1 are the cores' boot contexts (the engine
 * names them); ids from SIM_CONTEXT_FIRST are the caller's (sim_context_init),
 * small and stable (creation order, never an address). SIM_CONTEXT_IRQ(b) is
 * the pseudo-context of interrupt bit b (strategies may rank a handler like
 * a thread); SIM_CONTEXT_NONE a fiber nobody named. */
#define SIM_CONTEXT_FIRST SIM_CORES_MAX
#define SIM_CONTEXT_IRQ(bit) (0x80000000u + (bit))
#define SIM_CONTEXT_NONE UINT32_MAX
/* Contexts the engine remembers as ready per core (preempted there, or new).
 * A hint for strategies: past this many the oldest are forgotten. */
#define SIM_READY_CONTEXTS_MAX 32u

/* One choice put to a strategy. options[0..n-1] are the values it may pick
 * (sorted ascending); default_index is what the engine does with no strategy
 * (and what replay takes when a trace runs out): keep running the current
 * core — except at a spin point, where it is the next ready core after the
 * spinner, since the spinner cannot progress until someone else runs —,
 * inject no fault, value 0. current_index is the calling core's index in
 * options, or n when it is not ready (it idles). */
typedef struct sim_choice {
	unsigned kind;
	uint32_t n; /* >= 2: single-option points are not decisions */
	const uint32_t *options;
	uint32_t default_index;
	uint32_t current_index;
	uint32_t site;   /* fault site; the point kind for cores and ADVANCE;
			  * the pending interrupt mask for DEFER */
	uint64_t step;   /* step number of this choice */
	uint32_t core;   /* the calling core (CORE), the core at its enabled point
			  * (ADVANCE, DEFER) */
	/* The context each core runs, indexed by core id (NULL outside the
	 * engine: strategies then take the core id as the context). */
	const uint32_t *core_contexts;
	/* ADVANCE, DEFER: contexts known ready to run on `core` (preempted
	 * there, or new), oldest first. */
	const uint32_t *ready;
	uint32_t ready_count;
} sim_choice_t;

/* A strategy is a source of bounded decisions. choose() returns an index in
 * [0, n). It is called only inside sim_run. */
typedef struct sim_strategy {
	const char *name; /* "random", "pct", "bytes", "replay" */
	uint32_t (*choose)(struct sim_strategy *self, const sim_choice_t *choice);
	/* Called at sim_run start (may be NULL): reset per-run state. */
	void (*begin)(struct sim_strategy *self, unsigned cores);
	void *state;
} sim_strategy_t;

/* Built-in strategies (strategy.c). Each fills *s; state lives in *storage
 * (caller-owned, lives as long as s). */
typedef struct sim_strategy_storage {
	uint64_t words[96 + 2 * SIM_CORES_MAX]; /* pct: 96 words + two per core */
	const void *ptr;
	size_t len;
	size_t pos;
	uint32_t divergences;      /* replay: decisions that did not fit */
	char note[SIM_MESSAGE_MAX];/* replay: first divergence, said once */
} sim_strategy_storage_t;

/* random: uniform over core choices and values; a fault with probability
 * fault_per_million; time runs ahead (a preemption) at an enabled point with
 * a probability drawn per run from 1/2 .. 1/SIM_RANDOM_ADVANCE_RATE_MIN (so
 * some runs preempt often, others rarely); pending interrupts are deferred
 * with probability 1/2. */
#define SIM_RANDOM_ADVANCE_RATE_MIN 64u
/* At a memory point (SIM_POINT_MEM) the run's rate is divided by this: a
 * slice ends inside a stretch of work in proportion to its length, and a
 * plain access is a far shorter stretch than a kernel call — without it,
 * --mem-points would multiply preemptions per unit of work and inflate
 * virtual time (time-based oracles such as starvation would fire). */
#define SIM_RANDOM_MEM_ADVANCE_DIVISOR 64u
void sim_strategy_random(sim_strategy_t *s, sim_strategy_storage_t *st, uint64_t seed,
			 uint32_t fault_per_million);
/* PCT (Burckhardt et al.) with depth d over the run's contexts (threads) and
 * an estimate of `steps` points per run: every context gets a random
 * priority when first seen, d-1 change points in [1, steps] demote the
 * context running there below every other. At a core choice the core running
 * the highest-priority context runs; at an enabled point the running context
 * is preempted (time runs ahead to its slice end) when a context known ready
 * on that core outranks it, or a change point just demoted it; a pending
 * interrupt is deferred while the running context outranks the interrupt's
 * pseudo-context. The kernel still picks which thread runs after a
 * preemption, so a chain of at most SIM_PCT_PREEMPT_CHAIN_MAX preemptions
 * per core walks its queue to the top context. Two departures keep it from
 * reporting livelocks no hardware has: a core at a spin point is passed over
 * until some core unlocks, and a core that was ready but passed over for
 * half of SIM_PCT_FAIR_CHOICES choices in a row may get the next one (surely
 * once it waited SIM_PCT_FAIR_CHOICES; the longest-waiting first). */
#define SIM_PCT_FAIR_CHOICES 200u
#define SIM_PCT_PREEMPT_CHAIN_MAX 16u
void sim_strategy_pct(sim_strategy_t *s, sim_strategy_storage_t *st, uint64_t seed,
		      unsigned depth, uint64_t steps);
/* The probability bound PCT guarantees per run for one bug of depth d over
 * n threads (contexts) and k points: 1 / (n * k^(d-1)). */
double sim_pct_bound(unsigned threads, uint64_t steps, unsigned depth);
/* bytes: decisions drawn from a buffer (libFuzzer input); default when spent. */
void sim_strategy_bytes(sim_strategy_t *s, sim_strategy_storage_t *st, const uint8_t *data,
			size_t size);

/* ----------------------------------------------------------------- traces */

/* Version 2 added the ADVANCE and DEFER decisions (3 bits of kind per run
 * header); version 1 traces still load and replay, their runs never having
 * asked for either (replay takes the default there without consuming).
 * Version 3 added the stream's fit record (below): what the decisions depend
 * on, so a trace replays in any build whose code reaches the same points, and
 * says where it stops fitting in one that does not. */
#define SIM_TRACE_VERSION 3u
/* A fit checkpoint every this many decisions: the 32-bit hash of every
 * decision point reached so far. A changed run is located to within this
 * many decisions; the cost is 4 bytes per this many decisions. */
#define SIM_TRACE_FIT_EVERY 16u
#define SIM_TRACE_FIT_MAX (SIM_TRACE_DECISIONS_MAX / SIM_TRACE_FIT_EVERY)
#define SIM_TRACE_NAME_MAX 64u
#define SIM_TRACE_DECISIONS_MAX (1u << 24)

/* One recorded decision: the value picked (a core id, 0/1, a value), or
 * SIM_DECISION_DEFAULT: "whatever the default is here" (what shrinking
 * simplifies decisions to; replay takes the default without divergence). */
#define SIM_DECISION_DEFAULT UINT32_MAX
typedef struct sim_decision {
	uint8_t kind;
	uint32_t value;
} sim_decision_t;

/* The trace's identity is its fit record, not the binary that wrote it:
 * points_hash folds, for every decision in order, the point that asked for
 * it (kind, site, core, number of options); fit[i] is that hash's low 32 bits
 * after decision (i + 1) * fit_every. A build whose kernel and workload reach
 * the same points consumes the stream the same way, whatever its compiler
 * flags or build id. build_id only says which binary recorded it (a foreign
 * trace is a warning). fit_every 0: no fit record (versions 1, 2, and
 * streams made by hand or by shrinking, which replay leniently). */
typedef struct sim_trace {
	uint32_t version;
	char build_id[SIM_TRACE_NAME_MAX];
	char scenario[SIM_TRACE_NAME_MAX]; /* workload name */
	char strategy[SIM_TRACE_NAME_MAX]; /* e.g. "random", "pct:3" */
	uint32_t cores;
	uint64_t seed;
	uint32_t outcome;     /* enum sim_outcome of the recorded run */
	uint64_t final_hash;  /* state hash at the end of the recorded run */
	size_t count;         /* decisions */
	size_t capacity;
	sim_decision_t *decisions; /* heap-owned */
	uint32_t fit_every;   /* 0 or SIM_TRACE_FIT_EVERY */
	size_t fit_count;     /* == count / fit_every when fit_every != 0 */
	size_t fit_capacity;
	uint32_t *fit;        /* heap-owned checkpoints */
	uint64_t points_hash; /* over every decision point; 0 without fit record */
} sim_trace_t;

/* The fit hash after one more decision point (kind, site, core, n of the
 * choice): recording (the engine) and replay (strategy) use this same fold. */
uint64_t sim_trace_fit_step(uint64_t h, const sim_choice_t *choice);
/* Recording: fold the point of the decision just pushed into t->points_hash
 * and add a checkpoint when count reaches a multiple of SIM_TRACE_FIT_EVERY.
 * Returns false if memory is exhausted. */
bool sim_trace_fit_note(sim_trace_t *t, const sim_choice_t *choice);
/* Drop the fit record (a hand-made or shrunk stream: lenient replay). */
void sim_trace_fit_clear(sim_trace_t *t);

void sim_trace_init(sim_trace_t *t);
void sim_trace_free(sim_trace_t *t);
/* Append; returns false if SIM_TRACE_DECISIONS_MAX or memory is exhausted. */
bool sim_trace_push(sim_trace_t *t, unsigned kind, uint32_t value);
/* Index of the first decision where a and b differ (kind or value; a
 * shorter stream differs at its end), or -1 if the streams are the same. */
int64_t sim_trace_first_difference(const sim_trace_t *a, const sim_trace_t *b);
/* Same header (version, build id, scenario, strategy, cores, seed, outcome,
 * final hash), the same decisions and the same fit record. */
bool sim_trace_equal(const sim_trace_t *a, const sim_trace_t *b);

/* Encode into a heap buffer (*out, *size); returns false on no memory. */
bool sim_trace_encode(const sim_trace_t *t, uint8_t **out, size_t *size);
/* Decode. Returns 0, or -1 with one clear line in err[err_cap] naming the
 * problem (bad magic, unknown version, truncated at byte N, bad checksum,
 * field too long, ...). Never reads past size. If expect_build_id is not NULL
 * and differs, fails with a message naming both ids (a strict reader; weft
 * passes NULL and warns instead, the fit record deciding what replays). */
int sim_trace_decode(const uint8_t *data, size_t size, const char *expect_build_id,
		     sim_trace_t *t, char *err, size_t err_cap);
/* File helpers over encode/decode; same error contract. */
int sim_trace_save(const sim_trace_t *t, const char *path, char *err, size_t err_cap);
int sim_trace_load(const char *path, const char *expect_build_id, sim_trace_t *t, char *err,
		   size_t err_cap);

/* replay: decisions from a trace. When they run out, or a recorded value is
 * not among the options, it takes the default and counts a divergence (the
 * first is described in storage->note); it never fails the run. A trace with
 * a fit record is also checked point by point against it: at the first
 * checkpoint that differs (the code reached other points than the
 * recording), or the first decision that does not fit, the note says at
 * which decision, step and point the stream stopped fitting, and every later
 * choice takes its default. Without a fit record a decision that does not
 * fit takes the default and the rest of the stream is still consumed (what
 * shrinking relies on). */
void sim_strategy_replay(sim_strategy_t *s, sim_strategy_storage_t *st, const sim_trace_t *t);

/* -------------------------------------------------------------------- runs */

enum sim_outcome {
	SIM_OK = 0,
	SIM_FAIL_ASSERT = 1,   /* the code under test failed an assertion (panic) */
	SIM_FAIL_DEADLOCK = 2, /* every core idle, no timer pending, work blocked */
	SIM_FAIL_BUDGET = 3,   /* step budget exhausted: livelock or starvation */
	SIM_FAIL_ORACLE = 4,   /* an invariant check or end check failed */
};

/* Kinds of scheduling point (for logs and strategies; the engine treats all
 * alike). */
enum sim_point_kind {
	SIM_POINT_LOCK = 0,
	SIM_POINT_UNLOCK,
	SIM_POINT_ATOMIC,
	SIM_POINT_IRQ,
	SIM_POINT_IPI,
	SIM_POINT_SWITCH,
	SIM_POINT_IDLE,
	SIM_POINT_YIELD,
	/* A spin-wait retry: the core cannot progress until another core runs
	 * (a lock held elsewhere). Strategies must not pick it again and again
	 * (PCT hands such a step to another core). */
	SIM_POINT_SPIN,
	/* A plain load or store of memory shared between threads, made a point
	 * by the races build (memaccess.c) when mem_points is on. */
	SIM_POINT_MEM,
	SIM_POINT_KINDS,
};

typedef struct sim_config {
	unsigned cores;          /* 1..SIM_CORES_MAX */
	sim_strategy_t *strategy;/* NULL: always the default choice */
	uint64_t step_budget;    /* 0: unlimited */
	uint64_t step_cost_ns;   /* virtual time per point; 0 means 100 */
	size_t boot_stack_bytes; /* per core; 0 means 256 KiB */
	bool record_step_hashes; /* keep the hash after each step (determinism check) */
	bool log;                /* keep a readable event log (sim_log) */

	/* Adapter hooks (may be NULL), all given `ctx`. */
	void *ctx;
	/* Deliver interrupts: runs on `core`'s current fiber with the engine's
	 * interrupt flag off; irq_mask is a set of adapter-defined bits. */
	void (*irq_handler)(void *ctx, unsigned core, unsigned irq_mask);
	/* Every started core idles and no timer is armed. Return true if the run
	 * is over and fine (the engine ends it SIM_OK); false to fail it as a
	 * deadlock, with a description (the wait-for chain) in msg[cap]. */
	bool (*on_all_idle)(void *ctx, char *msg, size_t cap);
	/* Called between steps every check_every steps: return false (with a
	 * message) to fail the run SIM_FAIL_ORACLE. */
	bool (*on_step)(void *ctx, char *msg, size_t cap);
	uint64_t check_every;
	/* Time and interrupts as decisions (SIM_DECIDE_ADVANCE, _DEFER). Off:
	 * timers fire when time reaches them and pending interrupts are taken
	 * at the first enabled point, as the defaults of those decisions do. */
	bool timing_decisions;
	uint64_t advance_window_ns; /* 0: SIM_ADVANCE_WINDOW_NS_DEFAULT */
	/* Plain memory accesses (memaccess.c; only code built with the races
	 * instrumentation reports any). mem_points: an access to a word known
	 * shared between contexts is a SIM_POINT_MEM point; the words in
	 * mem_shared[0..mem_shared_count) (sorted keys, see sim_mem_key) are
	 * known shared from the start, others once a second context touches
	 * them. mem_learn: record which words each context touches, make no
	 * point (a calibration run; sim_mem_shared_export reads the result). */
	bool mem_points;
	bool mem_learn;
	/* Collect the run's features for feedback-guided exploration
	 * (sim_features_merge): (write site, access site) pairs of a word
	 * written by one context and touched by another (races build), and
	 * (context, point kind, context) orderings at every switch. */
	bool features;
	/* The kernel's never-rule (neverrule.c): a plain access (instrumented
	 * code) to a word another core wrote last, with no BSP primitive
	 * ordering the two (sim_mem_sync), fails the run naming both sites.
	 * At most SIM_NEVER_CORES_MAX cores. */
	bool never_rule;
	const uint64_t *mem_shared;
	size_t mem_shared_count;
} sim_config_t;

typedef struct sim_result {
	enum sim_outcome outcome;
	char message[SIM_MESSAGE_MAX]; /* what failed, one line */
	uint64_t steps;
	uint64_t time_ns;
	uint64_t final_hash;
	uint32_t contexts;       /* distinct contexts that ran (boot ones included) */
	uint64_t preemptions;    /* timer deadlines reached by an ADVANCE decision */
	sim_trace_t decisions;   /* every decision taken (kind, value): the trace body */
	uint64_t *step_hashes;   /* [steps] if record_step_hashes, else NULL */
	char *log;               /* NUL-terminated event log if cfg.log, else NULL */
	size_t log_len;
} sim_result_t;

/* Run main_fn(arg) on core 0's boot fiber until it calls sim_finish, a core
 * fails the run, or on_all_idle ends it. Secondary cores start only through
 * sim_core_start. Fills *out (release with sim_result_free). Returns the
 * outcome. Must not be called from inside a run.
 * main_fn returning ends the run as sim_finish does; a secondary core whose
 * entry returns halts (never ready again). When the run ends, every fiber
 * still suspended is abandoned: the engine frees its own boot stacks, while
 * fibers made with sim_fiber_init belong to their owner, who releases and
 * frees them after sim_run returns. step_budget N allows N points; the next
 * one fails SIM_FAIL_BUDGET. on_step with check_every 0 runs at every step. */
enum sim_outcome sim_run(const sim_config_t *cfg, void (*main_fn)(void *), void *arg,
			 sim_result_t *out);
void sim_result_free(sim_result_t *r);

/* ------------------------------------------- calls from inside a run */

/* True while sim_run is executing (the caller is on a virtual core). Outside a
 * run the calls below behave as one core that never switches: sim_point
 * returns at once, sim_core_id is 0, decisions take their default. This lets
 * unit tests call adapter-backed code directly. */
bool sim_running(void);
unsigned sim_core_id(void);
unsigned sim_core_count(void);

/* A scheduling point of `kind`: time advances, a step is counted, timers
 * fire, the strategy picks the next core; pending interrupts of the core that
 * resumes are delivered if it has them enabled. */
void sim_point(unsigned kind);

/* Start secondary core `core` at entry(arg) on an engine-owned boot stack.
 * Returns false if the core is out of range or already started. */
bool sim_core_start(unsigned core, void (*entry)(void *), void *arg);
/* The calling core waits until it has a pending interrupt (a point). Returns
 * with its interrupt flag as it was (normally off). */
void sim_core_idle(void);
/* Switch this core from its current fiber to `to` (not a point by itself;
 * the adapter makes one before). from_finished: the current fiber never
 * resumes. Returns when some core switches back to the saved fiber — possibly
 * on another core. */
void sim_core_switch(sim_fiber_t *to, bool from_finished);
sim_fiber_t *sim_core_fiber(void);

/* Name fiber f as context `id` (>= SIM_CONTEXT_FIRST, unique in the run,
 * stable across runs). Inside a run the context counts as ready on the
 * calling core until it first runs. */
void sim_context_init(sim_fiber_t *f, uint32_t id);
/* The context the calling core runs (its boot context's id outside a named
 * fiber; 0 outside a run). */
uint32_t sim_context_current(void);

/* Interrupts: per-core flag and pending mask. */
bool sim_irq_set_enabled(bool enabled); /* returns the previous flag; enabling delivers pending */
bool sim_irq_enabled(void);
void sim_irq_raise(unsigned core, unsigned irq_mask); /* e.g. IPI; not a point */

/* Virtual time and the per-core one-shot timer: when it fires, the core's
 * pending mask gets bit number `timer_irq` (an index, 0..31, not a mask). */
uint64_t sim_time_ns(void);
void sim_timer_set(uint64_t deadline_ns, unsigned timer_irq); /* UINT64_MAX cancels */

/* Event timers: extra one-shot timers for simulated devices (the adapter's
 * test device, say), apart from each core's own timer. When slot `slot`
 * (0..SIM_EVENT_TIMERS_MAX-1) reaches deadline_ns, core `core` gets bit
 * number `irq` (an index, 0..31) pending, as a timer would. Like core timers
 * they end an all-idle wait (virtual time jumps to the earliest), so a run
 * waiting for a device is not a deadlock. Setting a slot replaces its
 * previous program; UINT64_MAX cancels. Any core may arm any slot; not a
 * point. Every slot is disarmed when a run begins. */
#define SIM_EVENT_TIMERS_MAX 8u
void sim_event_timer_set(unsigned slot, unsigned core, uint64_t deadline_ns, unsigned irq);
/* The slot's armed deadline, or UINT64_MAX once it fired or was cancelled. */
uint64_t sim_event_timer_deadline(unsigned slot);

/* Decisions other than core choice, drawn from the same stream and recorded. */
bool sim_decide_fault(unsigned site);
uint32_t sim_decide_value(uint32_t n); /* in [0, n); n <= 1 returns 0 unrecorded */
#define SIM_DECIDE_VALUE_MAX 65536u     /* n above this is a caller bug (abort) */

/* Feed a value into the run's state hash (kernel state the adapter sees). */
void sim_hash_mix(uint64_t v);
/* Append one line to the event log (if enabled), prefixed with step, time and
 * core. */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True inside a run that keeps a log: an adapter may then gather what only
 * the log shows (names, source locations) and skip it otherwise. */
bool sim_log_enabled(void);

/* End the run. Never return. */
_Noreturn void sim_finish(void);
_Noreturn void sim_fail(enum sim_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------ plain memory accesses */

/* With the races build (-fsanitize-coverage=inline-8bit-counters,
 * trace-loads,trace-stores on chosen code), every load and store of that
 * code reaches the engine (memaccess_hooks.c). The engine keys an address by
 * something stable across processes — the word's offset inside the
 * executable image, or inside a memory range the adapter named — never by
 * the raw host address (ASLR moves it); addresses outside those (host heap,
 * the engine's boot stacks) and the running fiber's own stack are ignored.
 * Key 0 is no key. Words: 8 bytes. */
#define SIM_MEM_RANGES_MAX 4u
/* Words one run tracks. When the table is full a word not in it is taken
 * as shared (every access to it is a point): slower, never blind. */
#define SIM_MEM_WORDS_MAX 65536u
/* Keys a caller may pass as known shared (mem_shared), and
 * sim_mem_shared_export's most. */
#define SIM_MEM_SHARED_MAX 8192u

/* True in a binary built with the races instrumentation (the hooks exist). */
bool sim_mem_available(void);
/* Name range `slot` (0..SIM_MEM_RANGES_MAX-1) [base, base+bytes): words in it
 * are keyed by their offset (the kernel's memory regions). bytes 0 clears. */
void sim_mem_range(unsigned slot, const void *base, size_t bytes);
/* The stable key of address a, or 0 if it has none. */
uint64_t sim_mem_key(const void *a);
/* After a mem_learn run (before the next run starts): the keys of words two
 * or more contexts touched, ascending, at most cap. Returns how many. */
size_t sim_mem_shared_export(uint64_t *keys, size_t cap);
/* Counters of the last (or current) run. */
typedef struct sim_mem_stats {
	uint64_t accesses;   /* hooked accesses seen while on */
	uint64_t points;     /* SIM_POINT_MEM points made */
	uint64_t words;      /* words tracked */
	uint64_t overflowed; /* accesses to words the full table could not hold */
} sim_mem_stats_t;
void sim_mem_stats(sim_mem_stats_t *s);
/* Features (sim_config_t.features): a bitmap of SIM_FEATURE_BITS, hashed
 * from stable values only (sites are code offsets in the image, contexts
 * their ids). After a run, OR its features into seen[SIM_FEATURE_BITS / 8]
 * and return how many bits were new. */
#define SIM_FEATURE_BITS (1u << 16)
uint32_t sim_features_merge(uint8_t *seen);
/* The never-rule's synchronisation: the adapter calls this in each BSP
 * primitive that orders memory between cores (spinlock acquire and release,
 * atomics), naming the primitive's object (the lock, the atomic word). */
#define SIM_NEVER_CORES_MAX 8u
#define SIM_SYNC_OBJECTS_MAX 1024u
#define SIM_SYNC_ACQUIRE 1u
#define SIM_SYNC_RELEASE 2u
#define SIM_SYNC_BOTH 3u
void sim_mem_sync(const void *object, unsigned how);
/* The never-rule's distinct violations in the last run (each a (access
 * site, write site) pair; a run with any that would have ended well ends
 * SIM_FAIL_ORACLE), and the text of report i (NULL past the kept ones). */
#define SIM_NEVER_REPORTS_MAX 16u
uint32_t sim_never_reports(void);
const char *sim_never_report(uint32_t i);
/* Called by the hooks (memaccess_hooks.c): one plain access of `bytes` at a
 * from the code at return address pc. */
void sim_mem_access(const void *a, unsigned bytes, bool write, const void *pc);

/* ------------------------------------------- determinism and shrinking */

/* Run `run` twice with record_step_hashes and compare. Returns -1 if they
 * agree, else the first step (0-based) whose hash differs, described in msg. */
typedef enum sim_outcome (*sim_run_fn)(void *ctx, sim_strategy_t *strategy, sim_result_t *out);
int64_t sim_check_determinism(sim_run_fn run, void *ctx, sim_strategy_t *strategy_a,
			      sim_strategy_t *strategy_b, char *msg, size_t cap);

/* Shrinking (delta debugging over the decision stream): `still_fails` replays
 * candidate decisions and returns true if the same failure reproduces. Removes
 * chunks and replaces decisions by their default (0 / current core) while the
 * predicate holds; at most max_tests predicate calls. On return *t holds the
 * smallest failing stream found. Returns the number of predicate calls. */
typedef bool (*sim_shrink_pred)(void *ctx, const sim_trace_t *candidate);
size_t sim_shrink(sim_trace_t *t, sim_shrink_pred still_fails, void *ctx, size_t max_tests);
/* The same, saying why it ended: at a fixpoint (a whole round of every pass
 * found nothing better), at the budget of max_tests predicate calls, or
 * because *stop became nonzero (a signal handler's flag; may be NULL). The
 * predicate decides what "better" means (it may refuse a failing candidate
 * that is harder to read); *t is always the last candidate it accepted. */
enum sim_shrink_end { SIM_SHRINK_FIXPOINT = 0, SIM_SHRINK_BUDGET = 1, SIM_SHRINK_STOPPED = 2 };
typedef struct sim_shrink_status {
	size_t tests;
	enum sim_shrink_end end;
} sim_shrink_status_t;
sim_shrink_status_t sim_shrink_until(sim_trace_t *t, sim_shrink_pred still_fails, void *ctx,
				     size_t max_tests, const volatile int *stop);

/* ------------------------------------------------------------------ misc */

/* The running executable's GNU build id as hex (link with --build-id), or
 * "no-build-id": what trace headers carry to say which binary recorded them
 * (replay in another build warns; only a strict replay refuses it). */
const char *sim_build_id(void);

/* splitmix64 / xoshiro256** PRNG: the only randomness the engine uses. */
typedef struct sim_rng {
	uint64_t s[4];
} sim_rng_t;
void sim_rng_seed(sim_rng_t *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng_t *r);
uint64_t sim_rng_below(sim_rng_t *r, uint64_t n); /* uniform in [0, n), n > 0 */

/* 64-bit FNV-1a style mixing used for state hashes. */
uint64_t sim_hash64(uint64_t h, uint64_t v);

#endif /* SIM_H */
