/*
 * test_strategy.c — the built-in strategies, driven directly with made-up
 * choices (no run needed): random, pct, bytes, replay.
 */
#include <string.h>

#include "check.h"
#include "sim.h"

static const uint32_t core_ids[SIM_CORES_MAX] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
	22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
	44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};
static const uint32_t no_yes[2] = {0, 1};

static double distance(double a, double b)
{
	return a > b ? a - b : b - a;
}

static sim_choice_t core_choice(uint32_t n, uint64_t step)
{
	sim_choice_t c = {.kind = SIM_DECIDE_CORE, .n = n, .options = core_ids,
			  .default_index = 0, .current_index = 0, .site = SIM_POINT_LOCK, .step = step};
	return c;
}

static sim_choice_t fault_choice(uint64_t step)
{
	sim_choice_t c = {.kind = SIM_DECIDE_FAULT, .n = 2, .options = no_yes,
			  .default_index = 0, .site = 7, .step = step};
	return c;
}

/* ------------------------------------------------------------------ random */

static void test_random_repeatable(void)
{
	sim_strategy_t a, b, c;
	sim_strategy_storage_t sa, sb, sc;
	sim_strategy_random(&a, &sa, 42, 0);
	sim_strategy_random(&b, &sb, 42, 0);
	sim_strategy_random(&c, &sc, 43, 0);
	CHECK(strcmp(a.name, "random") == 0);
	a.begin(&a, 8);
	b.begin(&b, 8);
	c.begin(&c, 8);
	uint32_t first[200];
	unsigned same = 0, differ = 0;
	for (unsigned i = 0; i < 200; i++) {
		sim_choice_t ch = core_choice(8, i);
		uint32_t x = a.choose(&a, &ch), y = b.choose(&b, &ch), z = c.choose(&c, &ch);
		first[i] = x;
		same += x == y;
		differ += x != z;
		CHECK(x < 8 && z < 8);
	}
	CHECK_EQ_U64(same, 200);
	CHECK(differ > 100);
	/* begin() starts the same stream again. */
	a.begin(&a, 8);
	unsigned again = 0;
	for (unsigned i = 0; i < 200; i++) {
		sim_choice_t ch = core_choice(8, i);
		again += a.choose(&a, &ch) == first[i];
	}
	CHECK_EQ_U64(again, 200);
}

static void test_random_uniform_and_faults(void)
{
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_random(&s, &st, 7, 50000); /* 5 % */
	s.begin(&s, 5);
	unsigned hits[5] = {0};
	for (unsigned i = 0; i < 5000; i++) {
		sim_choice_t ch = core_choice(5, i);
		hits[s.choose(&s, &ch)]++;
	}
	for (unsigned i = 0; i < 5; i++)
		CHECK(hits[i] > 850 && hits[i] < 1150); /* 1000 expected each */

	unsigned faults = 0;
	for (unsigned i = 0; i < 100000; i++) {
		sim_choice_t ch = fault_choice(i);
		faults += s.choose(&s, &ch) == 1;
	}
	CHECK(faults > 4500 && faults < 5500); /* 5000 expected */

	sim_strategy_random(&s, &st, 7, 0);
	s.begin(&s, 2);
	faults = 0;
	for (unsigned i = 0; i < 10000; i++) {
		sim_choice_t ch = fault_choice(i);
		faults += s.choose(&s, &ch) == 1;
	}
	CHECK_EQ_U64(faults, 0);
	sim_strategy_random(&s, &st, 7, 1000000);
	for (unsigned i = 0; i < 1000; i++) {
		sim_choice_t ch = fault_choice(i);
		faults += s.choose(&s, &ch) == 1;
	}
	CHECK_EQ_U64(faults, 1000);

	/* Values: uniform over a large range, every option reachable. */
	static uint32_t values[300];
	for (uint32_t i = 0; i < 300; i++)
		values[i] = i;
	bool seen[300] = {false};
	for (unsigned i = 0; i < 20000; i++) {
		sim_choice_t ch = {.kind = SIM_DECIDE_VALUE, .n = 300, .options = values};
		seen[s.choose(&s, &ch)] = true;
	}
	unsigned seen_count = 0;
	for (unsigned i = 0; i < 300; i++)
		seen_count += seen[i];
	CHECK_EQ_U64(seen_count, 300);
}

/* --------------------------------------------------------------------- pct */

static void test_pct_bound(void)
{
	CHECK(distance(sim_pct_bound(2, 100, 1), 0.5) < 1e-12);
	CHECK(distance(sim_pct_bound(2, 100, 2), 1.0 / 200) < 1e-12);
	CHECK(distance(sim_pct_bound(4, 50, 3), 1.0 / (4.0 * 50 * 50)) < 1e-15);
	CHECK(sim_pct_bound(0, 0, 0) == 1.0);
	CHECK(sim_pct_bound(64, 1000000, 200) >= 0.0);
}

/* Depth 1: no change point; the same core (the highest priority) always
 * runs, and which one it is depends on the seed. */
static void test_pct_highest_priority(void)
{
	bool top_seen[4] = {false};
	for (uint64_t seed = 1; seed <= 200; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		sim_strategy_pct(&s, &st, seed, 1, 100);
		CHECK(strcmp(s.name, "pct") == 0);
		s.begin(&s, 4);
		sim_choice_t ch = core_choice(4, 1);
		uint32_t top = s.choose(&s, &ch);
		top_seen[top] = true;
		unsigned stays = 0;
		/* Fewer choices than half the fairness bound: priorities alone. */
		for (uint64_t step = 2; step < 50; step++) {
			sim_choice_t c2 = core_choice(4, step);
			stays += s.choose(&s, &c2) == top;
		}
		CHECK_EQ_U64(stays, 48);
		/* Without the top core, the next one is stable too. */
		uint32_t others[3], k = 0;
		for (uint32_t c = 0; c < 4; c++)
			if (c != top)
				others[k++] = c;
		sim_choice_t c3 = {.kind = SIM_DECIDE_CORE, .n = 3, .options = others, .step = 100};
		uint32_t second = others[s.choose(&s, &c3)];
		CHECK(second != top);
		c3.step = 101;
		CHECK_EQ_U64(others[s.choose(&s, &c3)], second);
	}
	for (unsigned i = 0; i < 4; i++)
		CHECK(top_seen[i]);
}

/* A spin-wait point (SIM_POINT_SPIN) by the current core passes it over:
 * other cores run, a second spinner too is passed over, and once some core
 * unlocks the spinners compete by priority again. Past PCT_FAIR_CHOICES in a
 * row, one choice goes to another core. */
static void test_pct_spin(void)
{
	for (uint64_t seed = 1; seed <= 50; seed++) {
		sim_strategy_t s;
		sim_strategy_storage_t st;
		sim_strategy_pct(&s, &st, seed, 1, 100);
		s.begin(&s, 4);
		sim_choice_t ch = core_choice(4, 1);
		uint32_t top = s.choose(&s, &ch);
		sim_choice_t spin = core_choice(4, 2);
		spin.site = SIM_POINT_SPIN;
		spin.current_index = top; /* the top core spins */
		spin.default_index = (top + 1) % 4;
		uint32_t second = s.choose(&s, &spin);
		CHECK(second != top);
		spin.current_index = second; /* and the next one too */
		spin.default_index = (second + 1) % 4;
		spin.step = 3;
		uint32_t third = s.choose(&s, &spin);
		CHECK(third != top);
		CHECK(third != second);
		sim_choice_t plain = core_choice(4, 4);
		plain.default_index = third;
		plain.current_index = third;
		CHECK_EQ_U64(s.choose(&s, &plain), third); /* spinners stay passed over */
		sim_choice_t unlock = core_choice(4, 5);
		unlock.site = SIM_POINT_UNLOCK;
		unlock.default_index = third;
		unlock.current_index = third;
		CHECK_EQ_U64(s.choose(&s, &unlock), top); /* everyone may retry */
	}
	/* Fairness: the other core gets a choice after waiting between half the
	 * bound and the bound. */
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_pct(&s, &st, 5, 1, 100);
	s.begin(&s, 2);
	sim_choice_t ch = core_choice(2, 1);
	uint32_t top = s.choose(&s, &ch);
	uint64_t first_other = 0;
	for (uint64_t step = 2; step <= 10 * SIM_PCT_FAIR_CHOICES && !first_other; step++) {
		sim_choice_t c = core_choice(2, step);
		if (s.choose(&s, &c) != top)
			first_other = step;
	}
	CHECK(first_other > SIM_PCT_FAIR_CHOICES / 2);
	CHECK(first_other <= SIM_PCT_FAIR_CHOICES + 1);
}

/* Depth d: exactly d-1 demotions over a run of `steps` choices; each one
 * moves the running core below every initial priority, so after the first
 * change the top core differs. */
static void test_pct_change_points(void)
{
	for (unsigned depth = 2; depth <= 4; depth++) {
		unsigned runs_with_all_changes = 0;
		for (uint64_t seed = 1; seed <= 100; seed++) {
			sim_strategy_t s;
			sim_strategy_storage_t st;
			sim_strategy_pct(&s, &st, seed, depth, 50);
			s.begin(&s, 8);
			uint32_t prev = UINT32_MAX;
			unsigned switches = 0;
			for (uint64_t step = 1; step <= 50; step++) {
				sim_choice_t ch = core_choice(8, step);
				uint32_t c = s.choose(&s, &ch);
				if (prev != UINT32_MAX && c != prev)
					switches++;
				prev = c;
			}
			/* A change point at step 1 demotes before the first pick
			 * is seen, so there are at most depth-1 visible switches. */
			CHECK(switches <= depth - 1);
			runs_with_all_changes += switches == depth - 1;
		}
		CHECK(runs_with_all_changes > 50);
	}

	/* Two cores, depth 2: the first top core runs until the change point,
	 * then the other one runs to the end (a run no longer than the
	 * fairness bound, which would hand one choice back). */
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_pct(&s, &st, 99, 2, SIM_PCT_FAIR_CHOICES);
	s.begin(&s, 2);
	sim_choice_t first = core_choice(2, 1);
	uint32_t a = s.choose(&s, &first);
	uint64_t switched_at = 0;
	for (uint64_t step = 2; step <= SIM_PCT_FAIR_CHOICES; step++) {
		sim_choice_t ch = core_choice(2, step);
		uint32_t c = s.choose(&s, &ch);
		if (c != a && !switched_at)
			switched_at = step;
		if (switched_at)
			CHECK_EQ_U64(c, 1 - a);
	}
	CHECK(switched_at > 0);

	/* Same seed, same schedule; begin() restarts it. */
	sim_strategy_t t;
	sim_strategy_storage_t tt;
	sim_strategy_pct(&t, &tt, 99, 2, SIM_PCT_FAIR_CHOICES);
	t.begin(&t, 2);
	s.begin(&s, 2);
	unsigned same = 0;
	for (uint64_t step = 1; step <= 1000; step++) {
		sim_choice_t ch = core_choice(2, step);
		same += s.choose(&s, &ch) == t.choose(&t, &ch);
	}
	CHECK_EQ_U64(same, 1000);

	/* Values and faults come from the seeded rng, within range. */
	unsigned faults = 0;
	for (unsigned i = 0; i < 10000; i++) {
		sim_choice_t ch = fault_choice(i);
		faults += s.choose(&s, &ch) == 1;
	}
	CHECK(faults > 50 && faults < 200); /* 1 % */
}

/* ------------------------------------------------------------------- bytes */

static void test_bytes(void)
{
	const uint8_t data[] = {5, 7, 0xff, 0x34, 0x12, 9};
	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_bytes(&s, &st, data, sizeof data);
	CHECK(strcmp(s.name, "bytes") == 0);
	s.begin(&s, 4);
	sim_choice_t c4 = core_choice(4, 0);
	CHECK_EQ_U64(s.choose(&s, &c4), 1);  /* 5 % 4 */
	CHECK_EQ_U64(s.choose(&s, &c4), 3);  /* 7 % 4 */
	sim_choice_t c3 = core_choice(3, 0);
	CHECK_EQ_U64(s.choose(&s, &c3), 0);  /* 255 % 3 */
	sim_choice_t big = {.kind = SIM_DECIDE_VALUE, .n = 1000, .options = NULL};
	CHECK_EQ_U64(s.choose(&s, &big), 0x1234 % 1000); /* two bytes, LE */
	CHECK_EQ_U64(st.pos, 5);
	/* One byte left but a 2-byte choice: default, and the rest is spent. */
	big.default_index = 17;
	CHECK_EQ_U64(s.choose(&s, &big), 17);
	c4.default_index = 2;
	CHECK_EQ_U64(s.choose(&s, &c4), 2);
	CHECK_EQ_U64(s.choose(&s, &c4), 2);
	/* begin() rewinds. */
	s.begin(&s, 4);
	CHECK_EQ_U64(s.choose(&s, &c4), 1);
	/* Four bytes for n > 65536. */
	const uint8_t wide[] = {1, 0, 0, 1};
	sim_strategy_bytes(&s, &st, wide, sizeof wide);
	sim_choice_t huge = {.kind = SIM_DECIDE_VALUE, .n = 100000};
	CHECK_EQ_U64(s.choose(&s, &huge), 0x01000001u % 100000u);
	/* An empty buffer: always the default. */
	sim_strategy_bytes(&s, &st, NULL, 0);
	CHECK_EQ_U64(s.choose(&s, &c4), 2);
}

/* ------------------------------------------------------------------ replay */

static void test_replay(void)
{
	sim_trace_t t;
	sim_trace_init(&t);
	CHECK(sim_trace_push(&t, SIM_DECIDE_CORE, 3));
	CHECK(sim_trace_push(&t, SIM_DECIDE_CORE, SIM_DECISION_DEFAULT));
	CHECK(sim_trace_push(&t, SIM_DECIDE_FAULT, 1));
	CHECK(sim_trace_push(&t, SIM_DECIDE_CORE, 6)); /* will not be ready */
	CHECK(sim_trace_push(&t, SIM_DECIDE_VALUE, 2)); /* kind mismatch below */
	CHECK(sim_trace_push(&t, SIM_DECIDE_CORE, 1));

	sim_strategy_t s;
	sim_strategy_storage_t st;
	sim_strategy_replay(&s, &st, &t);
	CHECK(strcmp(s.name, "replay") == 0);
	for (unsigned round = 0; round < 2; round++) {
		s.begin(&s, 4);
		const uint32_t ready[3] = {1, 2, 3};
		sim_choice_t c = {.kind = SIM_DECIDE_CORE, .n = 3, .options = ready,
				  .default_index = 1, .step = 10};
		CHECK_EQ_U64(s.choose(&s, &c), 2); /* core 3 */
		c.step = 11;
		CHECK_EQ_U64(s.choose(&s, &c), 1); /* default, silently */
		CHECK_EQ_U64(st.divergences, 0);
		sim_choice_t f = fault_choice(12);
		CHECK_EQ_U64(s.choose(&s, &f), 1);
		c.step = 201;
		CHECK_EQ_U64(s.choose(&s, &c), 1); /* core 6 is not ready: default */
		CHECK_EQ_U64(st.divergences, 1);
		CHECK(strstr(st.note, "decision 3 (core 6) not ready at step 201") != NULL);
		c.step = 202;
		CHECK_EQ_U64(s.choose(&s, &c), 1); /* a value where a core is asked */
		CHECK_EQ_U64(st.divergences, 2);
		CHECK(strstr(st.note, "decision 3") != NULL); /* the first is kept */
		c.step = 203;
		CHECK_EQ_U64(s.choose(&s, &c), 0); /* core 1 */
		c.step = 204;
		CHECK_EQ_U64(s.choose(&s, &c), 1); /* exhausted */
		CHECK_EQ_U64(st.divergences, 3);
	}

	/* Exhaustion alone is described. */
	t.count = 1;
	s.begin(&s, 4);
	sim_choice_t c = core_choice(4, 5);
	CHECK_EQ_U64(s.choose(&s, &c), 3);
	c.step = 6;
	CHECK_EQ_U64(s.choose(&s, &c), 0);
	CHECK_EQ_U64(st.divergences, 1);
	CHECK(strstr(st.note, "exhausted after 1 decisions at step 6") != NULL);

	/* An empty trace: every choice is the default. */
	sim_trace_t empty;
	sim_trace_init(&empty);
	sim_strategy_replay(&s, &st, &empty);
	s.begin(&s, 2);
	c.default_index = 2;
	CHECK_EQ_U64(s.choose(&s, &c), 2);
	sim_trace_free(&t);
}

int main(void)
{
	test_random_repeatable();
	test_random_uniform_and_faults();
	test_pct_bound();
	test_pct_highest_priority();
	test_pct_change_points();
	test_pct_spin();
	test_bytes();
	test_replay();
	return check_report();
}
