/*
 * fuzz_harness.c — the schedule and the run counts every fuzz target shares
 * (fuzz_harness.h). Host-side only: reading the environment and printing at
 * exit never reach the simulator.
 */
#include "fuzz_harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"

#define WEFT_FUZZ_HASH_SEED 0x9E3779B97F4A7C15ull

/* A core at a spin point (the lock it wants is held by another core) that
 * runs again only reads the same held lock: a step of the budget and of the
 * host's time that no interleaving needs. Without timing decisions nothing
 * else moves either (no virtual time that a timeout could read), so such a
 * target's schedule never keeps a spinner: it picks among the other cores.
 * With timing decisions, spinning lets time pass, and is kept. */
static bool spin_skips(const struct weft_fuzz_schedule *f, const sim_choice_t *choice)
{
	return f->skip_spinner && choice->kind == SIM_DECIDE_CORE &&
	       choice->site == SIM_POINT_SPIN && choice->current_index < choice->n && choice->n > 1;
}

static uint32_t schedule_choose(sim_strategy_t *self, const sim_choice_t *choice)
{
	struct weft_fuzz_schedule *f = self->state;
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(choice->n > 0);
	bool skip = spin_skips(f, choice);
	uint32_t n = skip ? choice->n - 1u : choice->n;
	uint32_t pick = f->pos < f->size ? f->data[f->pos++] % n : (uint32_t)sim_rng_below(&f->rng, n);
	if (skip && pick >= choice->current_index)
		pick++;
	SIM_ASSERT(pick < choice->n && (!skip || pick != choice->current_index));
	return pick;
}

void weft_fuzz_schedule_init(sim_strategy_t *s, struct weft_fuzz_schedule *f, const char *name,
			     const uint8_t *data, size_t size, bool timing_decisions)
{
	SIM_ASSERT(s != NULL && f != NULL && name != NULL);
	SIM_ASSERT(data != NULL || size == 0);
	uint64_t h = WEFT_FUZZ_HASH_SEED;
	for (size_t i = 0; i < size; i++)
		h = sim_hash64(h, data[i]);
	f->data = data;
	f->size = size;
	f->pos = 0;
	f->skip_spinner = !timing_decisions;
	sim_rng_seed(&f->rng, h);
	memset(s, 0, sizeof *s);
	s->name = name;
	s->choose = schedule_choose;
	s->state = f;
}

static struct {
	bool registered;
	uint64_t runs;
	uint64_t steps;
} stats;

static void stats_print(void)
{
	fprintf(stderr, "weft_fuzz_stats: runs=%llu steps=%llu\n", (unsigned long long)stats.runs,
		(unsigned long long)stats.steps);
}

void weft_fuzz_count_run(const sim_result_t *r)
{
	SIM_ASSERT(r != NULL);
	if (!stats.registered) {
		stats.registered = true;
		if (getenv("WEFT_FUZZ_STATS") != NULL)
			atexit(stats_print);
	}
	stats.runs++;
	stats.steps += r->steps;
	SIM_ASSERT(stats.steps >= r->steps); /* 64 bits do not wrap here */
}
