/*
 * engine_internal.h — the state of the one run in progress, shared by
 * sim_engine.c (runs, points, cores, decisions), engine_irq.c (interrupts,
 * timers) and engine_log.c (event log, state hash). Not part of the API.
 */
#ifndef SIM_ENGINE_INTERNAL_H
#define SIM_ENGINE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "sim_assert.h"

#define ENGINE_STEP_COST_DEFAULT_NS 100u
#define ENGINE_BOOT_STACK_DEFAULT_BYTES (256u * 1024u)
#define ENGINE_TIMER_NONE UINT64_MAX
#define ENGINE_IRQ_BITS 32u

struct engine_core {
	sim_fiber_t *fiber;       /* the fiber this core runs (or resumes) */
	sim_fiber_t *boot_fiber;  /* engine-owned, on boot_stack */
	void *boot_stack;
	void (*entry)(void *);    /* what the boot fiber runs */
	void *arg;
	uint64_t timer_deadline_ns; /* ENGINE_TIMER_NONE: disarmed */
	uint32_t timer_irq_mask;
	uint32_t pending_irq_mask;
	/* Pending bits that arrived from outside the core (its timer, another
	 * core's raise): their arrival may be late, so DEFER may hold them. A
	 * core's raise on itself is taken at its next enabled point, as a
	 * processor takes a pending interrupt as soon as it enables them. */
	uint32_t deferrable_irq_mask;
	bool started;             /* through sim_run (core 0) or sim_core_start */
	bool halted;              /* its boot entry returned: never ready again */
	bool idle;                /* waits for a pending interrupt */
	bool irq_enabled;
	bool in_irq;              /* its fiber runs the interrupt handler */
	/* Its fiber was switched back in after being preempted: it resumes
	 * inside the handler, and returning from it is an enabled point. */
	bool resumed_preempted;
	/* Pending interrupts wait past the point of step deferred_at - 1 (the
	 * engine's step stays put while this core runs between two points, so
	 * the deferral ends by itself at its next point). 0: none. */
	uint64_t deferred_at;
	uint8_t defer_count;      /* deferrals in a row */
	uint32_t ready_count;     /* contexts known ready here */
	uint32_t ready[SIM_READY_CONTEXTS_MAX]; /* oldest first */
};

/* The fiber tag (sim_fiber_tag): the context id in the low 32 bits, and
 * flags. */
#define ENGINE_TAG_NAMED (1ull << 32)     /* has a context id */
#define ENGINE_TAG_PREEMPTED (1ull << 33) /* switched out inside the handler */
#define ENGINE_TAG_RAN (1ull << 34)       /* has run (counted in contexts) */

/* An event timer (sim_event_timer_set). */
struct engine_event {
	uint64_t deadline_ns;     /* ENGINE_TIMER_NONE: disarmed */
	uint32_t core;
	uint32_t irq_mask;
};

struct engine {
	bool running;
	sim_config_t cfg;
	sim_result_t *out;
	unsigned cores;
	unsigned current;         /* the core whose fiber the host thread runs */
	uint64_t ready_mask;      /* bit c: core c may be picked at a point */
	uint64_t step;
	uint64_t time_ns;
	uint64_t hash;
	uint64_t next_deadline_ns; /* earliest armed timer, ENGINE_TIMER_NONE if none */
	uint64_t step_cost_ns;
	uint64_t check_every;
	uint64_t check_countdown; /* steps until the next on_step call */
	size_t boot_stack_bytes;
	size_t step_hashes_capacity;
	size_t log_capacity;
	bool log_truncated;
	bool timing;              /* cfg.timing_decisions */
	uint64_t advance_window_ns;
	/* The context each core runs (core id -> context id), what strategies
	 * see as sim_choice_t.core_contexts. */
	uint32_t core_context[SIM_CORES_MAX];
	uint32_t contexts_ran;    /* distinct contexts that ran */
	uint64_t preemptions;     /* ADVANCE decisions that moved time */
	/* The options of the last core decision, kept while the ready set does
	 * not change (the common case: no rebuild per point). */
	uint64_t options_mask;
	uint32_t options_count;
	uint32_t options[SIM_CORES_MAX];
	uint8_t options_index[SIM_CORES_MAX]; /* core -> its index in options */
	sim_fiber_t *host;        /* sim_run's own context */
	struct engine_core core[SIM_CORES_MAX];
	struct engine_event event[SIM_EVENT_TIMERS_MAX];
};

extern struct engine sim_engine;

static inline bool engine_deferred_now(const struct engine_core *k)
{
	return k->deferred_at == sim_engine.step + 1u;
}

static inline void engine_update_ready(unsigned c)
{
	const struct engine_core *k = &sim_engine.core[c];
	bool ready = k->started && !k->halted && (!k->idle || k->pending_irq_mask != 0);
	uint64_t bit = 1ull << c;
	if (ready)
		sim_engine.ready_mask |= bit;
	else
		sim_engine.ready_mask &= ~bit;
}

/* One hash step for the per-point state (step, core, time): one multiply and
 * a shift, cheap enough to run at every point. */
static inline uint64_t engine_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* End the run from any core's fiber: back to sim_run, never returns. */
_Noreturn void sim_engine_end(enum sim_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void sim_engine_end_v(enum sim_outcome outcome, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* engine_irq.c */
void sim_engine_irq_point(unsigned kind);
void sim_engine_fire_timers(void);
void sim_engine_recompute_deadline(void);
void sim_engine_deliver_irqs(void);
void sim_engine_events_reset(void);

/* engine.c: put a choice to the strategy (or take the default), record it. */
uint32_t sim_engine_decide(const sim_choice_t *choice);

/* fiber.c: the usable stack of f ([*lo, *lo + *bytes); 0 bytes for the host
 * context). */
void sim_fiber_stack(const sim_fiber_t *f, const char **lo, size_t *bytes);

/* memaccess.c: a run begins (reset the per-run table from cfg); on_step and
 * on_all_idle run foreign code inside the engine: its accesses are not the
 * run's (depth counter, nests). */
void sim_engine_mem_begin(const sim_config_t *cfg);
void sim_engine_mem_hold(bool hold);
/* neverrule.c */
void sim_engine_never_begin(const sim_config_t *cfg);
bool sim_engine_never_on(void);
void sim_engine_never_core_start(unsigned starter, unsigned started);
uint32_t sim_engine_never_clock(void);
void sim_engine_never_check(uint64_t key, bool write, uint32_t site, unsigned writer,
			    uint32_t write_clock, uint32_t write_site);
/* A feature of the run (features on): v is hashed into the bitmap. */
void sim_engine_feature(uint64_t v);
extern bool sim_engine_features_on;

/* engine_log.c */
void sim_engine_log_begin(void);
void sim_engine_log_free(sim_result_t *r);

#endif /* SIM_ENGINE_INTERNAL_H */
