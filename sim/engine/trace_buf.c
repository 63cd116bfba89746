/*
 * trace_buf.c — the in-memory decision stream of a trace: a growable array
 * with a hard cap (SIM_TRACE_DECISIONS_MAX), and its fit record (the points
 * the decisions were taken at). Encoding lives in trace.c.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

void sim_trace_init(sim_trace_t *t)
{
	memset(t, 0, sizeof *t);
	t->version = SIM_TRACE_VERSION;
}

void sim_trace_free(sim_trace_t *t)
{
	free(t->decisions);
	t->decisions = NULL;
	t->count = 0;
	t->capacity = 0;
	sim_trace_fit_clear(t);
}

void sim_trace_fit_clear(sim_trace_t *t)
{
	free(t->fit);
	t->fit = NULL;
	t->fit_every = 0;
	t->fit_count = 0;
	t->fit_capacity = 0;
	t->points_hash = 0;
}

/* The point, not the value: what was asked (kind), where (the point kind or
 * fault site, the interrupt mask), by which core, among how many options.
 * No step number: points that decide nothing (one ready core) may come and
 * go without changing what the stream means. */
uint64_t sim_trace_fit_step(uint64_t h, const sim_choice_t *choice)
{
	uint64_t v = (uint64_t)choice->kind | (uint64_t)(choice->core & 0xffu) << 8 |
		     (uint64_t)(choice->n & 0xffffu) << 16 | (uint64_t)choice->site << 32;
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

bool sim_trace_fit_note(sim_trace_t *t, const sim_choice_t *choice)
{
	if (t->count == 1) {
		SIM_ASSERT(t->fit_count == 0);
		t->fit_every = SIM_TRACE_FIT_EVERY;
		t->points_hash = 0;
	}
	SIM_ASSERT(t->fit_every == SIM_TRACE_FIT_EVERY);
	t->points_hash = sim_trace_fit_step(t->points_hash, choice);
	if (t->count % SIM_TRACE_FIT_EVERY != 0)
		return true;
	if (t->fit_count == t->fit_capacity) {
		size_t cap = t->fit_capacity ? t->fit_capacity * 2 : 64;
		if (cap > SIM_TRACE_FIT_MAX)
			cap = SIM_TRACE_FIT_MAX;
		if (cap <= t->fit_count)
			return false;
		uint32_t *f = realloc(t->fit, cap * sizeof *f);
		if (!f)
			return false;
		t->fit = f;
		t->fit_capacity = cap;
	}
	t->fit[t->fit_count++] = (uint32_t)t->points_hash;
	SIM_ASSERT(t->fit_count == t->count / SIM_TRACE_FIT_EVERY);
	return true;
}

bool sim_trace_push(sim_trace_t *t, unsigned kind, uint32_t value)
{
	if (kind >= SIM_DECIDE_KINDS || t->count >= SIM_TRACE_DECISIONS_MAX)
		return false;
	if (t->count == t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 256;
		if (cap > SIM_TRACE_DECISIONS_MAX)
			cap = SIM_TRACE_DECISIONS_MAX;
		sim_decision_t *d = realloc(t->decisions, cap * sizeof *d);
		if (!d)
			return false;
		t->decisions = d;
		t->capacity = cap;
	}
	t->decisions[t->count].kind = (uint8_t)kind;
	t->decisions[t->count].value = value;
	t->count++;
	return true;
}
