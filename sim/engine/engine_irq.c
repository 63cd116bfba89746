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
		sim_engine.core[v->core].pending_irq_mask |= v->irq_mask;
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
		k->pending_irq_mask |= k->timer_irq_mask;
		k->timer_deadline_ns = ENGINE_TIMER_NONE;
		engine_update_ready(c);
	}
	sim_engine_fire_events();
	sim_engine_recompute_deadline();
	SIM_ASSERT(sim_engine.next_deadline_ns > sim_engine.time_ns);
}

void sim_engine_deliver_irqs(void)
{
	for (unsigned round = 0; round < ENGINE_IRQ_ROUNDS_MAX; round++) {
		unsigned c = sim_engine.current;
		struct engine_core *k = &sim_engine.core[c];
		if (!k->irq_enabled || k->pending_irq_mask == 0)
			return;
		uint32_t mask = k->pending_irq_mask;
		k->pending_irq_mask = 0;
		k->irq_enabled = false;
		engine_update_ready(c);
		if (sim_engine.cfg.irq_handler != NULL)
			sim_engine.cfg.irq_handler(sim_engine.cfg.ctx, c, mask);
		/* The handler may have switched away and been resumed on
		 * another core: the flag returns on the core running now. */
		SIM_ASSERT(sim_engine.running);
		sim_engine.core[sim_engine.current].irq_enabled = true;
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
	if (enabled && !was && k->pending_irq_mask != 0)
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
	sim_engine.core[core].pending_irq_mask |= irq_mask;
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
