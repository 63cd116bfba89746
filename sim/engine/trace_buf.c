/*
 * trace_buf.c — the in-memory decision stream of a trace: a growable array
 * with a hard cap (SIM_TRACE_DECISIONS_MAX). Encoding lives in trace.c.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

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
