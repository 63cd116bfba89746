/*
 * same_decisions.h — for the engine tests: do two traces hold the same
 * decisions? Field by field: sim_decision_t has padding that memcmp would
 * compare.
 */
#ifndef WEFT_TESTS_SAME_DECISIONS_H
#define WEFT_TESTS_SAME_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

static inline bool same_decisions(const sim_trace_t *a, const sim_trace_t *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (a->decisions[i].kind != b->decisions[i].kind ||
		    a->decisions[i].value != b->decisions[i].value)
			return false;
	return true;
}

#endif
