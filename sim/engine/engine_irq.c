/*
 * engine_irq.c — per-core interrupts and one-shot timers.
 *
 * Each core has an interrupt flag (off at start), a pending mask and one
 * timer (deadline, irq bit). Pending interrupts are delivered to the core
 * that resumes from a point, and when a core turns its flag on, by calling
 * cfg.irq_handler on that core's current fiber with the flag off. The
 * handler may switch fibers (preemption); when the interrupted fiber runs
 * again, on whatever core, that core's flag comes back on, as a return from
 * interrupt restores the interrupted context's flag.
 *
 * Timing decisions (cfg.timing_decisions). An enabled point is a point after
 * which the resuming core could take an interrupt before its next point: its
 * flag is on, or the point is the one that precedes turning it on
 * (SIM_POINT_IRQ), or its fiber returns from a handler that preempted it.
 * There, in this order:
 *  - ADVANCE: if the core's timer is armed and due within the window, the
 *    strategy may run time ahead to the deadline; the timer (and any other
 *    that is due by then) fires here. Default: no.
 *  - DEFER: if interrupts are pending and every one of them came from
 *    outside the core (its timer, another core's IPI or device raise: their
 *    arrival may be late), the strategy may leave them pending past this
 *    point, at most SIM_IRQ_DEFER_POINTS_MAX enabled points in a row.
 *    Default: take them now. An interrupt a core raised on itself is taken
 *    at once, as a processor takes a pending interrupt as soon as it
 *    enables them (kernels rely on it: a self-IPI after lowering the
 *    running thread's priority preempts it before the call returns).
 * Both defaults are the fixed behaviour of a run without timing decisions,
 * so shrinking towards defaults shrinks towards fewer preemptions.
 */
#include "engine_internal.h"

/* Interrupts raised while a handler runs are delivered in further rounds at
 * the same resume; past this many rounds the rest waits for the next point,
 * so a handler that keeps raising its own interrupt cannot hang a point. */
#define ENGINE_IRQ_ROUNDS_MAX 16u

/* The interrupt flag of the one core that exists outside a run. */
static bool engine_outside_irq_enabled;

void sim_engine_recompute_deadline(void)
{
	uint64_t earliest = ENGINE_TIMER_NONE;
	for (unsigned c = 0; c < sim_engine.cores; c++)
		if (sim_engine.core[c].timer_deadline_ns < earliest)
			earliest = sim_engine.core[c].timer_deadline_ns;
	for (unsigned e = 0; e < SIM_EVENT_TIMERS_MAX; e++)
		if (sim_engine.event[e].deadline_ns < earliest)
			earliest = sim_engine.event[e].deadline_ns;
	sim_engine.next_deadline_ns = earliest;
}

/* ------------------------------------------------------- event timers */

void sim_engine_events_reset(void)
{
	for (unsigned e = 0; e < SIM_EVENT_TIMERS_MAX; e++)
		sim_engine.event[e] = (struct engine_event){ENGINE_TIMER_NONE, 0u, 0u};
	SIM_ASSERT(sim_engine.event[0].deadline_ns == ENGINE_TIMER_NONE);
}

/* Every event timer whose deadline has come sets its bit on its core. */
static void sim_engine_fire_events(void)
{
	for (unsigned e = 0; e < SIM_EVENT_TIMERS_MAX; e++) {
		struct engine_event *v = &sim_engine.event[e];
		if (v->deadline_ns > sim_engine.time_ns)
			continue;
		SIM_ASSERT(v->core < sim_engine.cores && v->irq_mask != 0);
		struct engine_core *k = &sim_engine.core[v->core];
		/* A device's arrival comes from outside the core: DEFER may
		 * hold it (unless the bit is already pending). */
		k->deferrable_irq_mask |= v->irq_mask & ~k->pending_irq_mask;
		k->pending_irq_mask |= v->irq_mask;
		v->deadline_ns = ENGINE_TIMER_NONE;
		engine_update_ready(v->core);
	}
}

void sim_event_timer_set(unsigned slot, unsigned core, uint64_t deadline_ns, unsigned irq)
{
	SIM_ASSERT(slot < SIM_EVENT_TIMERS_MAX);
	if (!sim_engine.running)
		return;
	struct engine_event *v = &sim_engine.event[slot];
	if (deadline_ns == ENGINE_TIMER_NONE) {
		v->deadline_ns = ENGINE_TIMER_NONE;
		v->irq_mask = 0;
	} else {
		SIM_ASSERT(core < sim_engine.cores && irq < ENGINE_IRQ_BITS);
		v->deadline_ns = deadline_ns;
		v->core = core;
		v->irq_mask = 1u << irq;
	}
	sim_engine_recompute_deadline();
}

uint64_t sim_event_timer_deadline(unsigned slot)
{
	SIM_ASSERT(slot < SIM_EVENT_TIMERS_MAX);
	return sim_engine.running ? sim_engine.event[slot].deadline_ns : ENGINE_TIMER_NONE;
}

/* Every timer whose deadline has come sets its irq bit pending. */
void sim_engine_fire_timers(void)
{
	SIM_ASSERT(sim_engine.cores <= SIM_CORES_MAX);
	for (unsigned c = 0; c < sim_engine.cores; c++) {
		struct engine_core *k = &sim_engine.core[c];
		if (k->timer_deadline_ns > sim_engine.time_ns)
			continue;
		SIM_ASSERT(k->timer_irq_mask != 0);
		k->deferrable_irq_mask |= k->timer_irq_mask & ~k->pending_irq_mask;
		k->pending_irq_mask |= k->timer_irq_mask;
		k->timer_deadline_ns = ENGINE_TIMER_NONE;
		engine_update_ready(c);
	}
	sim_engine_fire_events();
	sim_engine_recompute_deadline();
	SIM_ASSERT(sim_engine.next_deadline_ns > sim_engine.time_ns);
}

static const uint32_t engine_binary_options[2] = {0, 1};

static uint32_t engine_timing_decide(unsigned kind, unsigned c, uint32_t site)
{
	struct engine_core *k = &sim_engine.core[c];
	sim_choice_t choice = {
		.kind = kind,
		.n = 2,
		.options = engine_binary_options,
		.default_index = 0,
		.current_index = 2,
		.site = site,
		.step = sim_engine.step,
		.core = c,
		.core_contexts = sim_engine.core_context,
		.ready = k->ready,
		.ready_count = k->ready_count,
	};
	return sim_engine_decide(&choice);
}

/* ADVANCE: run time ahead to core c's timer deadline, if the strategy says
 * so and it is due within the window. */
static void engine_offer_advance(unsigned c, unsigned point_kind)
{
	struct engine_core *k = &sim_engine.core[c];
	uint64_t deadline = k->timer_deadline_ns, now = sim_engine.time_ns;
	/* A due timer fired at the step's start: an armed one lies ahead. */
	if (deadline == ENGINE_TIMER_NONE || deadline <= now ||
	    deadline - now > sim_engine.advance_window_ns)
		return;
	SIM_ASSERT(deadline > now);
	if (engine_timing_decide(SIM_DECIDE_ADVANCE, c, point_kind) == 0)
		return;
	sim_engine.time_ns = deadline;
	sim_engine.preemptions++;
	sim_engine_fire_timers();
	SIM_ASSERT(k->pending_irq_mask != 0); /* its timer fired */
	sim_engine.hash = engine_mix(sim_engine.hash, deadline ^ ((uint64_t)SIM_DECIDE_ADVANCE << 60));
}

/* DEFER: true if core c's pending interrupts wait past this point. */
static bool engine_offer_defer(unsigned c)
{
	struct engine_core *k = &sim_engine.core[c];
	SIM_ASSERT(k->pending_irq_mask != 0);
	if ((k->pending_irq_mask & ~k->deferrable_irq_mask) != 0 ||
	    k->defer_count >= SIM_IRQ_DEFER_POINTS_MAX ||
	    engine_timing_decide(SIM_DECIDE_DEFER, c, k->pending_irq_mask) == 0) {
		k->defer_count = 0;
		return false;
	}
	k->defer_count++;
	k->deferred_at = sim_engine.step + 1u;
	sim_engine.hash = engine_mix(sim_engine.hash, ((uint64_t)SIM_DECIDE_DEFER << 60) | c);
	return true;
}

/* The decisions of an enabled point of the running core. Returns true if
 * pending interrupts may be taken now. */
static bool engine_enabled_point(unsigned point_kind)
{
	unsigned c = sim_engine.current;
	engine_offer_advance(c, point_kind);
	struct engine_core *k = &sim_engine.core[c];
	if (k->pending_irq_mask == 0)
		return false;
	return !engine_offer_defer(c);
}

void sim_engine_irq_point(unsigned kind)
{
	struct engine_core *k = &sim_engine.core[sim_engine.current];
	SIM_ASSERT(sim_engine.timing);
	/* At SIM_POINT_IRQ the flag comes on right after the point: what is
	 * pending then is taken there (sim_irq_set_enabled), unless deferred. */
	if (!k->irq_enabled && kind != SIM_POINT_IRQ)
		return;
	if (engine_enabled_point(kind) && k->irq_enabled)
		sim_engine_deliver_irqs();
}

void sim_engine_deliver_irqs(void)
{
	for (unsigned round = 0; round < ENGINE_IRQ_ROUNDS_MAX; round++) {
		unsigned c = sim_engine.current;
		struct engine_core *k = &sim_engine.core[c];
		if (!k->irq_enabled || k->pending_irq_mask == 0 || engine_deferred_now(k))
			return;
		uint32_t mask = k->pending_irq_mask;
		k->pending_irq_mask = 0;
		k->deferrable_irq_mask = 0;
		k->defer_count = 0;
		k->irq_enabled = false;
		k->in_irq = true;
		k->resumed_preempted = false;
		engine_update_ready(c);
		if (sim_engine.cfg.irq_handler != NULL)
			sim_engine.cfg.irq_handler(sim_engine.cfg.ctx, c, mask);
		/* The handler may have switched away and been resumed on
		 * another core: the flag returns on the core running now. */
		SIM_ASSERT(sim_engine.running);
		struct engine_core *now = &sim_engine.core[sim_engine.current];
		now->irq_enabled = true;
		now->in_irq = false;
		/* Back from a preemption: returning to the thread is an enabled
		 * point (a chain of preemptions walks a run queue). */
		if (sim_engine.timing && now->resumed_preempted) {
			now->resumed_preempted = false;
			if (!engine_enabled_point(SIM_POINT_SWITCH))
				return;
		}
	}
}

bool sim_irq_set_enabled(bool enabled)
{
	if (!sim_engine.running) {
		bool was = engine_outside_irq_enabled;
		engine_outside_irq_enabled = enabled;
		return was;
	}
	struct engine_core *k = &sim_engine.core[sim_engine.current];
	bool was = k->irq_enabled;
	k->irq_enabled = enabled;
	if (enabled && !was && k->pending_irq_mask != 0 && !engine_deferred_now(k))
		sim_engine_deliver_irqs();
	return was;
}

bool sim_irq_enabled(void)
{
	if (!sim_engine.running)
		return engine_outside_irq_enabled;
	return sim_engine.core[sim_engine.current].irq_enabled;
}

void sim_irq_raise(unsigned core, unsigned irq_mask)
{
	if (!sim_engine.running || irq_mask == 0)
		return;
	SIM_ASSERT(core < sim_engine.cores);
	struct engine_core *k = &sim_engine.core[core];
	/* A bit already pending keeps its arrival: a self-raised IPI that
	 * another core raises again is still taken at once. */
	uint32_t arriving = irq_mask & ~k->pending_irq_mask;
	k->pending_irq_mask |= irq_mask;
	if (core != sim_engine.current)
		k->deferrable_irq_mask |= arriving;
	else
		k->deferrable_irq_mask &= ~irq_mask;
	engine_update_ready(core);
}

void sim_timer_set(uint64_t deadline_ns, unsigned timer_irq)
{
	if (!sim_engine.running)
		return;
	struct engine_core *k = &sim_engine.core[sim_engine.current];
	if (deadline_ns == ENGINE_TIMER_NONE) {
		k->timer_deadline_ns = ENGINE_TIMER_NONE;
		k->timer_irq_mask = 0;
	} else {
		SIM_ASSERT(timer_irq < ENGINE_IRQ_BITS);
		k->timer_deadline_ns = deadline_ns;
		k->timer_irq_mask = 1u << timer_irq;
	}
	sim_engine_recompute_deadline();
}
