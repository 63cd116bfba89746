/*
 * test_shrink.c — delta debugging over pure predicates on the decision
 * stream (no run): reaches the known minimum, simplifies to defaults,
 * respects the test budget, is deterministic.
 */
#include <string.h>

#include "check.h"
#include "sim.h"

/* Fails iff the values `first` then `second` appear in order. */
typedef struct pair_pred {
	uint32_t first, second;
	size_t calls;
} pair_pred_t;

static bool contains_in_order(void *ctx, const sim_trace_t *t)
{
	pair_pred_t *p = ctx;
	p->calls++;
	bool seen_first = false;
	for (size_t i = 0; i < t->count; i++) {
		if (!seen_first && t->decisions[i].value == p->first)
			seen_first = true;
		else if (seen_first && t->decisions[i].value == p->second)
			return true;
	}
	return false;
}

static void fill_random(sim_trace_t *t, uint64_t seed, size_t count, uint32_t values)
{
	sim_rng_t r;
	sim_rng_seed(&r, seed);
	sim_trace_init(t);
	t->cores = 4;
	for (size_t i = 0; i < count; i++)
		sim_trace_push(t, SIM_DECIDE_VALUE, (uint32_t)sim_rng_below(&r, values));
}

static void test_known_minimum(void)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		sim_trace_t t;
		fill_random(&t, seed, 50 + 37 * seed, 8);
		pair_pred_t p = {.first = 3, .second = 5};
		if (!contains_in_order(&p, &t)) {
			sim_trace_free(&t);
			continue;
		}
		p.calls = 0;
		size_t tests = sim_shrink(&t, contains_in_order, &p, 100000);
		CHECK_EQ_U64(tests, p.calls);
		CHECK_EQ_U64(t.count, 2);
		if (t.count == 2) {
			CHECK_EQ_U64(t.decisions[0].value, 3);
			CHECK_EQ_U64(t.decisions[1].value, 5);
		}
		CHECK_EQ_U64(t.cores, 4); /* the header is kept */
		sim_trace_free(&t);
	}
}

/* Fails iff at least 3 decisions, and decision 2 is 7: the others shrink to
 * the default and the tail goes. */
static bool third_is_seven(void *ctx, const sim_trace_t *t)
{
	(void)ctx;
	return t->count >= 3 && t->decisions[2].value == 7;
}

static void test_simplify(void)
{
	sim_trace_t t;
	fill_random(&t, 3, 300, 8);
	t.decisions[2].value = 7;
	sim_shrink(&t, third_is_seven, NULL, 100000);
	CHECK_EQ_U64(t.count, 3);
	CHECK_EQ_U64(t.decisions[0].value, SIM_DECISION_DEFAULT);
	CHECK_EQ_U64(t.decisions[1].value, SIM_DECISION_DEFAULT);
	CHECK_EQ_U64(t.decisions[2].value, 7);
	sim_trace_free(&t);
}

static bool always(void *ctx, const sim_trace_t *t)
{
	(void)t;
	(*(size_t *)ctx)++;
	return true;
}

static bool never(void *ctx, const sim_trace_t *t)
{
	(void)t;
	(*(size_t *)ctx)++;
	return false;
}

static void test_budget_and_edges(void)
{
	sim_trace_t t;
	fill_random(&t, 9, 1000, 8);
	pair_pred_t p = {.first = 3, .second = 5};
	size_t tests = sim_shrink(&t, contains_in_order, &p, 10);
	CHECK_EQ_U64(tests, 10);
	CHECK_EQ_U64(p.calls, 10);
	CHECK(t.count < 1000);         /* halving made progress */
	CHECK(contains_in_order(&p, &t)); /* still failing */
	sim_trace_free(&t);

	/* Nothing to keep: the empty stream fails, one call. */
	size_t calls = 0;
	fill_random(&t, 9, 100, 8);
	CHECK_EQ_U64(sim_shrink(&t, always, &calls, 1000), 1);
	CHECK_EQ_U64(t.count, 0);
	sim_trace_free(&t);

	/* A predicate that never holds leaves the trace alone. */
	calls = 0;
	fill_random(&t, 9, 100, 8);
	sim_trace_t copy;
	fill_random(&copy, 9, 100, 8);
	tests = sim_shrink(&t, never, &calls, 100000);
	CHECK_EQ_U64(tests, calls);
	CHECK(tests < 1000);
	CHECK_EQ_U64(t.count, 100);
	CHECK(sim_trace_first_difference(&t, &copy) < 0);
	sim_trace_free(&copy);
	sim_trace_free(&t);

	/* Zero budget, empty trace. */
	fill_random(&t, 9, 10, 8);
	CHECK_EQ_U64(sim_shrink(&t, never, &calls, 0), 0);
	CHECK_EQ_U64(t.count, 10);
	sim_trace_free(&t);
	sim_trace_init(&t);
	CHECK_EQ_U64(sim_shrink(&t, never, &calls, 10), 0);
}

static void test_deterministic(void)
{
	sim_trace_t a, b;
	fill_random(&a, 77, 2000, 10);
	fill_random(&b, 77, 2000, 10);
	pair_pred_t pa = {.first = 3, .second = 5}, pb = pa;
	size_t ta = sim_shrink(&a, contains_in_order, &pa, 50);
	size_t tb = sim_shrink(&b, contains_in_order, &pb, 50);
	CHECK_EQ_U64(ta, tb);
	CHECK(sim_trace_first_difference(&a, &b) < 0);
	sim_trace_free(&a);
	sim_trace_free(&b);
}

int main(void)
{
	test_known_minimum();
	test_simplify();
	test_budget_and_edges();
	test_deterministic();
	return check_report();
}
