/*
 * strategy.c — the built-in sources of decisions: random, pct, bytes, replay.
 *
 * Each strategy keeps all its state in the caller-owned
 * sim_strategy_storage_t (no allocation) and resets it in begin(), so one
 * strategy value can drive any number of runs and the same seed always gives
 * the same decisions. The words[] array is used through small accessors, one
 * layout per strategy (documented above each one); it is never reinterpreted
 * as another type.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

#define WORDS_COUNT (sizeof(((sim_strategy_storage_t *)0)->words) / sizeof(uint64_t))

static sim_strategy_storage_t *storage_of(sim_strategy_t *s)
{
	return (sim_strategy_storage_t *)s->state;
}

_Static_assert(sizeof(sim_rng_t) == 4 * sizeof(uint64_t), "the rng state is words[0..3]");

static void rng_load(const sim_strategy_storage_t *st, sim_rng_t *r)
{
	for (unsigned i = 0; i < 4; i++)
		r->s[i] = st->words[i];
}

static void rng_store(sim_strategy_storage_t *st, const sim_rng_t *r)
{
	for (unsigned i = 0; i < 4; i++)
		st->words[i] = r->s[i];
}

/* Index of `value` among choice->options, or choice->n if absent. Options
 * are sorted ascending (sim.h), so a binary search is exact. */
static uint32_t option_index(const sim_choice_t *choice, uint32_t value)
{
	uint32_t lo = 0, hi = choice->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (choice->options[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < choice->n && choice->options[lo] == value)
		return lo;
	return choice->n;
}

/* A yes/no choice (fault, advance, defer): `yes` picks option 1, otherwise
 * option 0. Falls back to the default when the options are not the
 * documented {0, 1}. */
static uint32_t binary_index(const sim_choice_t *choice, bool yes)
{
	uint32_t i = option_index(choice, yes ? 1u : 0u);
	return i < choice->n ? i : choice->default_index;
}

/* ------------------------------------------------------------------ random */
/* words: [0..3] rng, [4] seed, [5] fault_per_million, [6] this run's
 * preemption rate as a shift: time runs ahead with probability 2^-shift. */

enum { RANDOM_SEED = 4, RANDOM_FAULT_PPM = 5, RANDOM_ADVANCE_SHIFT = 6 };
#define RANDOM_ADVANCE_SHIFT_MAX ((uint64_t)__builtin_ctz(SIM_RANDOM_ADVANCE_RATE_MIN))
_Static_assert((SIM_RANDOM_MEM_ADVANCE_DIVISOR & (SIM_RANDOM_MEM_ADVANCE_DIVISOR - 1)) == 0,
	       "the memory-point divisor is a power of two");
_Static_assert((SIM_RANDOM_ADVANCE_RATE_MIN & (SIM_RANDOM_ADVANCE_RATE_MIN - 1)) == 0,
	       "the slowest preemption rate is a power of two");

static void random_begin(sim_strategy_t *s, unsigned cores)
{
	(void)cores;
	sim_strategy_storage_t *st = storage_of(s);
	sim_rng_t r;
	sim_rng_seed(&r, st->words[RANDOM_SEED]);
	/* One rate per run, from 1/2 to 1/SIM_RANDOM_ADVANCE_RATE_MIN: a bug
	 * needing one preemption at one point is found by sparse runs, one
	 * needing several close together by dense ones. */
	st->words[RANDOM_ADVANCE_SHIFT] = 1 + sim_rng_below(&r, RANDOM_ADVANCE_SHIFT_MAX);
	SIM_ASSERT(st->words[RANDOM_ADVANCE_SHIFT] <= RANDOM_ADVANCE_SHIFT_MAX);
	rng_store(st, &r);
}

static uint32_t random_choose(sim_strategy_t *s, const sim_choice_t *choice)
{
	sim_strategy_storage_t *st = storage_of(s);
	/* The generator lives in words[0..3]: used in place, it is the hot path
	 * of every random campaign (one call per decision). */
	sim_rng_t *r = (sim_rng_t *)(void *)st->words;
	if (choice->kind == SIM_DECIDE_FAULT) {
		bool yes = sim_rng_below(r, 1000000u) < st->words[RANDOM_FAULT_PPM];
		return binary_index(choice, yes);
	}
	if (choice->kind == SIM_DECIDE_ADVANCE) {
		uint64_t shift = st->words[RANDOM_ADVANCE_SHIFT];
		if (choice->site == SIM_POINT_MEM)
			shift += (uint64_t)__builtin_ctz(SIM_RANDOM_MEM_ADVANCE_DIVISOR);
		bool yes = (sim_rng_next(r) & ((1ull << shift) - 1u)) == 0;
		return binary_index(choice, yes);
	}
	return (uint32_t)sim_rng_below(r, choice->n);
}

void sim_strategy_random(sim_strategy_t *s, sim_strategy_storage_t *st, uint64_t seed,
			 uint32_t fault_per_million)
{
	memset(st, 0, sizeof *st);
	st->words[RANDOM_SEED] = seed;
	st->words[RANDOM_FAULT_PPM] = fault_per_million;
	s->name = "random";
	s->choose = random_choose;
	s->begin = random_begin;
	s->state = st;
	random_begin(s, SIM_CORES_MAX);
}

/* --------------------------------------------------------------------- pct */
/*
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS'10) over the
 * run's contexts (threads). Each context gets a random initial priority the
 * first time a choice names it: a hash of the run's salt and its id, above
 * every change priority (random keys rank the contexts like a random
 * permutation, without knowing their number in advance). d-1 change points
 * k_1..k_{d-1} are drawn uniformly in [1, steps]; at the first decision of a
 * step >= k_i the context that would run there gets priority i, below every
 * initial one. A bug needing d ordering constraints over n threads and k
 * points is then hit with probability at least 1/(n * k^(d-1)).
 *
 * The levers the engine gives:
 *  - CORE: the core whose context ranks highest runs (spinners passed over,
 *    weak fairness: see below);
 *  - ADVANCE at an enabled point: preempt the running context (time runs to
 *    its slice end) when a context known ready on that core outranks it, or
 *    a change point just demoted it. The kernel then picks the next thread by
 *    its own rules; if that one is outranked too it is preempted at its first
 *    enabled point, at most min(ready + 1, SIM_PCT_PREEMPT_CHAIN_MAX) times
 *    in a row per core (a ready thread the kernel will not run here must not
 *    turn into a storm of preemptions);
 *  - DEFER: an interrupt is a pseudo-context (SIM_CONTEXT_IRQ(bit)) with its
 *    own random priority; it waits (within the engine's bound) while the
 *    running context outranks it.
 * Contexts the engine cannot know to be ready (woken from a block) rank only
 * once they run.
 *
 * words: [0..3] rng, [4] seed, [5] steps, [6] depth, [7] cores, [8] salt,
 * [9] spinning cores, [10] ready cores at the last core choice, [11] change
 * points fired, [12..33] change points: step in the low 63 bits, bit 63 =
 * fired; [34..55] demotions: context id (low 32) and priority (high 32), one
 * per fired change point; [64..127] per core: choices waited (fairness);
 * [128..191] per core: preemption chain (bits 0..7), last answer was a
 * preemption (bit 8), last context seen (high 32).
 * Faults and values come from the same rng (after the schedule was drawn):
 * values uniform, a fault with probability PCT_FAULT_PER_MILLION.
 */

enum { PCT_SEED = 4, PCT_STEPS = 5, PCT_DEPTH = 6, PCT_CORES = 7, PCT_SALT = 8, PCT_SPIN = 9,
       PCT_OPTIONS = 10, PCT_FIRED_COUNT = 11, PCT_CHANGE = 12, PCT_DEMOTED = 34,
       PCT_WAIT = 64, PCT_CHAIN = 128 };
#define PCT_CHANGES_MAX ((unsigned)(PCT_DEMOTED - PCT_CHANGE))
#define PCT_DEPTH_MAX (1u + PCT_CHANGES_MAX)
_Static_assert(PCT_DEMOTED + PCT_CHANGES_MAX <= PCT_WAIT, "pct demotions overlap");
_Static_assert(PCT_WAIT + SIM_CORES_MAX <= PCT_CHAIN, "pct wait counters overlap");
_Static_assert(PCT_CHAIN + SIM_CORES_MAX <= WORDS_COUNT, "pct chains overflow the storage");
/* Weak fairness (SIM_PCT_FAIR_CHOICES): real cores all progress at once;
 * without it a core whose thread polls (a timed wait in a loop) would keep a
 * lower core from ever running, a livelock no hardware has. */
#define PCT_FAIR_CHOICES SIM_PCT_FAIR_CHOICES
#define PCT_FIRED (1ull << 63)
/* Initial priorities lie above this bit; change priorities 1..d-1 below. */
#define PCT_INITIAL_BIT (1ull << 62)
#define PCT_CHAIN_MASK 0xffull
#define PCT_CHAIN_PREEMPTED (1ull << 8)
/* PCT is about schedules; faults still come, rarely, so a PCT campaign also
 * walks error paths without drowning in them. */
#define PCT_FAULT_PER_MILLION 10000u

_Static_assert(SIM_PCT_PREEMPT_CHAIN_MAX <= PCT_CHAIN_MASK, "a chain count fits its byte");

/* The context a core choice's option runs: the engine names it; a caller
 * without contexts (unit tests) ranks cores. */
static uint32_t pct_core_context(const sim_choice_t *choice, uint32_t core)
{
	if (choice->core_contexts == NULL || core >= SIM_CORES_MAX)
		return core;
	return choice->core_contexts[core];
}

static uint64_t pct_priority(const sim_strategy_storage_t *st, uint32_t context)
{
	uint64_t fired = st->words[PCT_FIRED_COUNT];
	SIM_ASSERT(fired <= PCT_CHANGES_MAX);
	for (uint64_t i = 0; i < fired; i++) {
		uint64_t w = st->words[PCT_DEMOTED + i];
		if ((uint32_t)w == context)
			return w >> 32;
	}
	return PCT_INITIAL_BIT | (sim_hash64(st->words[PCT_SALT], context) >> 2);
}

/* Demote `context` to change priority `priority` (1..d-1). */
static void pct_demote(sim_strategy_storage_t *st, uint32_t context, unsigned priority)
{
	uint64_t fired = st->words[PCT_FIRED_COUNT];
	SIM_ASSERT(priority >= 1 && priority < PCT_DEPTH_MAX);
	uint64_t w = ((uint64_t)priority << 32) | context;
	for (uint64_t i = 0; i < fired; i++) {
		if ((uint32_t)st->words[PCT_DEMOTED + i] == context) {
			st->words[PCT_DEMOTED + i] = w;
			return;
		}
	}
	SIM_ASSERT(fired < PCT_CHANGES_MAX);
	st->words[PCT_DEMOTED + fired] = w;
	st->words[PCT_FIRED_COUNT] = fired + 1;
}

static void pct_begin(sim_strategy_t *s, unsigned cores)
{
	sim_strategy_storage_t *st = storage_of(s);
	if (cores == 0 || cores > SIM_CORES_MAX)
		cores = SIM_CORES_MAX;
	unsigned depth = (unsigned)st->words[PCT_DEPTH];
	uint64_t steps = st->words[PCT_STEPS];
	SIM_ASSERT(depth >= 1 && depth <= PCT_DEPTH_MAX);
	sim_rng_t r;
	sim_rng_seed(&r, st->words[PCT_SEED]);
	for (unsigned i = PCT_CORES; i < WORDS_COUNT; i++)
		st->words[i] = 0;
	st->words[PCT_CORES] = cores;
	st->words[PCT_SALT] = sim_rng_next(&r);
	/* Change point i (priority i) for i in 1..d-1, at a step in [1, steps]. */
	for (unsigned i = PCT_CHANGE; i < (unsigned)PCT_DEMOTED; i++)
		st->words[i] = PCT_FIRED;
	for (unsigned i = 1; i < depth; i++)
		st->words[PCT_CHANGE + i - 1] = 1 + sim_rng_below(&r, steps);
	rng_store(st, &r);
}

/* Fire every change point due at `step` (in step order, ties to the lower
 * index): each demotes `context`, the one about to run. Returns whether one
 * fired. At most depth-1 fire per run: the loop is bounded. */
static bool pct_fire_changes(sim_strategy_storage_t *st, uint64_t step, uint32_t context)
{
	bool any = false;
	for (unsigned fired = 0; fired < PCT_CHANGES_MAX; fired++) {
		int found = -1;
		uint64_t found_step = 0;
		for (unsigned i = 0; i < PCT_CHANGES_MAX; i++) {
			uint64_t w = st->words[PCT_CHANGE + i];
			if ((w & PCT_FIRED) || w > step)
				continue;
			if (found < 0 || w < found_step) {
				found = (int)i;
				found_step = w;
			}
		}
		if (found < 0)
			break;
		st->words[PCT_CHANGE + (unsigned)found] |= PCT_FIRED;
		pct_demote(st, context, (unsigned)found + 1);
		any = true;
	}
	return any;
}

/* Index of the option whose context ranks highest, skipping cores in
 * `skip_mask`; n if every option is skipped. */
static uint32_t pct_top_except(const sim_strategy_storage_t *st, const sim_choice_t *choice,
			       uint64_t skip_mask)
{
	uint32_t best = choice->n;
	uint64_t best_priority = 0;
	for (uint32_t i = 0; i < choice->n; i++) {
		uint32_t core = choice->options[i];
		if (core >= SIM_CORES_MAX || (skip_mask >> core) & 1u)
			continue;
		uint64_t p = pct_priority(st, pct_core_context(choice, core));
		if (best == choice->n || p > best_priority) {
			best_priority = p;
			best = i;
		}
	}
	return best;
}

/* Spin-waits (SIM_POINT_SPIN: the current core retries a lock another core
 * holds) make no progress until the holder runs. Strict priorities would
 * pick the spinner again and again and report a livelock no hardware has.
 * So a spinning core is passed over until some core unlocks (then every
 * spinner may retry) or it reaches another kind of point. */
static uint64_t pct_update_spinners(sim_strategy_storage_t *st, const sim_choice_t *choice)
{
	uint64_t spin = st->words[PCT_SPIN];
	uint32_t current = choice->current_index < choice->n ? choice->options[choice->current_index]
							     : SIM_CORES_MAX;
	uint64_t bit = current < SIM_CORES_MAX ? 1ull << current : 0;
	if (choice->site == SIM_POINT_SPIN)
		spin |= bit;
	else if (choice->site == SIM_POINT_UNLOCK)
		spin = 0;
	else
		spin &= ~bit;
	st->words[PCT_SPIN] = spin;
	return spin;
}

/* Weak fairness. words[PCT_WAIT + c] counts the choices in a row at which
 * core c was ready and not chosen (reset when it is chosen or stops being
 * ready). The longest waiter gets a choice within PCT_FAIR_CHOICES: no ready
 * core waits for ever, whatever the others do. */
static uint32_t pct_fair(sim_strategy_storage_t *st, const sim_choice_t *choice, uint32_t top)
{
	uint64_t ready = 0;
	for (uint32_t i = 0; i < choice->n; i++)
		ready |= 1ull << choice->options[i];
	for (uint64_t gone = st->words[PCT_OPTIONS] & ~ready; gone != 0; gone &= gone - 1)
		st->words[PCT_WAIT + (unsigned)__builtin_ctzll(gone)] = 0;
	st->words[PCT_OPTIONS] = ready;
	uint64_t longest = 0;
	uint32_t starved = choice->n;
	for (uint32_t i = 0; i < choice->n; i++) {
		uint64_t waited = st->words[PCT_WAIT + choice->options[i]];
		if (i != top && waited > longest) {
			longest = waited;
			starved = i;
		}
	}
	/* The window is jittered: a fixed one can line up with a loop of the
	 * code under test (the starved core always arriving while the other
	 * holds the lock it needs). Past half the bound the longest waiter gets
	 * the choice with probability 2/PCT_FAIR_CHOICES; at the bound always. */
	if (starved < choice->n && longest >= PCT_FAIR_CHOICES / 2u) {
		bool now = longest >= PCT_FAIR_CHOICES;
		if (!now) {
			sim_rng_t r;
			rng_load(st, &r);
			now = sim_rng_below(&r, PCT_FAIR_CHOICES / 2u) == 0;
			rng_store(st, &r);
		}
		if (now)
			top = starved;
	}
	for (uint32_t i = 0; i < choice->n; i++) {
		uint64_t *w = &st->words[PCT_WAIT + choice->options[i]];
		*w = i == top ? 0 : *w + 1;
	}
	SIM_ASSERT(top < choice->n);
	return top;
}

static uint32_t pct_choose_core(sim_strategy_storage_t *st, const sim_choice_t *choice)
{
	uint64_t spin = pct_update_spinners(st, choice);
	uint32_t top = pct_top_except(st, choice, spin);
	if (top == choice->n) {
		/* Every ready core spins: the holder is not ready (a bug the
		 * oracles will name); any choice keeps the run going. */
		sim_rng_t r;
		rng_load(st, &r);
		top = (uint32_t)sim_rng_below(&r, choice->n);
		rng_store(st, &r);
		return pct_fair(st, choice, top);
	}
	if (pct_fire_changes(st, choice->step, pct_core_context(choice, choice->options[top]))) {
		top = pct_top_except(st, choice, spin);
		SIM_ASSERT(top < choice->n);
	}
	return pct_fair(st, choice, top);
}

/* The highest priority among the contexts known ready on the choice's core,
 * other than `running`; 0 if none. */
static uint64_t pct_ready_top(const sim_strategy_storage_t *st, const sim_choice_t *choice,
			      uint32_t running)
{
	uint64_t best = 0;
	SIM_ASSERT(choice->ready_count <= SIM_READY_CONTEXTS_MAX);
	for (uint32_t i = 0; i < choice->ready_count && choice->ready != NULL; i++) {
		uint64_t p = choice->ready[i] == running ? 0 : pct_priority(st, choice->ready[i]);
		if (p > best)
			best = p;
	}
	return best;
}

/* ADVANCE: preempt the running context if it is outranked (see above). */
static uint32_t pct_choose_advance(sim_strategy_storage_t *st, const sim_choice_t *choice)
{
	unsigned core = choice->core < SIM_CORES_MAX ? choice->core : 0;
	uint32_t running = pct_core_context(choice, core);
	uint64_t *chain_word = &st->words[PCT_CHAIN + core];
	uint64_t chain = *chain_word & PCT_CHAIN_MASK;
	/* A context that came in by itself (not through our preemption)
	 * starts a new chain. */
	if ((uint32_t)(*chain_word >> 32) != running && !(*chain_word & PCT_CHAIN_PREEMPTED))
		chain = 0;
	bool demoted = pct_fire_changes(st, choice->step, running);
	bool outranked = pct_ready_top(st, choice, running) > pct_priority(st, running);
	uint64_t chain_max = (uint64_t)choice->ready_count + 1u;
	if (chain_max > SIM_PCT_PREEMPT_CHAIN_MAX)
		chain_max = SIM_PCT_PREEMPT_CHAIN_MAX;
	bool preempt = (demoted || outranked) && chain < chain_max;
	if (preempt)
		chain++;
	else if (!outranked)
		chain = 0;
	SIM_ASSERT(chain <= SIM_PCT_PREEMPT_CHAIN_MAX);
	*chain_word = ((uint64_t)running << 32) | (preempt ? PCT_CHAIN_PREEMPTED : 0) | chain;
	return binary_index(choice, preempt);
}

/* DEFER: the pending interrupt waits while the running context outranks
 * the pseudo-context of its lowest pending bit. */
static uint32_t pct_choose_defer(sim_strategy_storage_t *st, const sim_choice_t *choice)
{
	unsigned core = choice->core < SIM_CORES_MAX ? choice->core : 0;
	uint32_t running = pct_core_context(choice, core);
	(void)pct_fire_changes(st, choice->step, running);
	/* The interrupt of a preemption PCT just decided is taken: deferring
	 * it would undo the decision. */
	uint64_t chain_word = st->words[PCT_CHAIN + core];
	if ((chain_word & PCT_CHAIN_PREEMPTED) && (uint32_t)(chain_word >> 32) == running)
		return binary_index(choice, false);
	unsigned bit = choice->site ? (unsigned)__builtin_ctz(choice->site) : 0;
	bool defer = pct_priority(st, running) > pct_priority(st, SIM_CONTEXT_IRQ(bit));
	return binary_index(choice, defer);
}

static uint32_t pct_choose(sim_strategy_t *s, const sim_choice_t *choice)
{
	sim_strategy_storage_t *st = storage_of(s);
	if (choice->kind == SIM_DECIDE_CORE)
		return pct_choose_core(st, choice);
	if (choice->kind == SIM_DECIDE_ADVANCE)
		return pct_choose_advance(st, choice);
	if (choice->kind == SIM_DECIDE_DEFER)
		return pct_choose_defer(st, choice);
	sim_rng_t r;
	rng_load(st, &r);
	uint32_t index;
	if (choice->kind == SIM_DECIDE_FAULT)
		index = binary_index(choice, sim_rng_below(&r, 1000000u) < PCT_FAULT_PER_MILLION);
	else
		index = (uint32_t)sim_rng_below(&r, choice->n);
	rng_store(st, &r);
	return index;
}

void sim_strategy_pct(sim_strategy_t *s, sim_strategy_storage_t *st, uint64_t seed,
		      unsigned depth, uint64_t steps)
{
	memset(st, 0, sizeof *st);
	/* Depth is bounded by the storage; 1 means no change point at all. */
	if (depth < 1)
		depth = 1;
	if (depth > PCT_DEPTH_MAX)
		depth = PCT_DEPTH_MAX;
	if (steps < 1)
		steps = 1;
	if (steps > (PCT_FIRED - 1))
		steps = PCT_FIRED - 1;
	st->words[PCT_SEED] = seed;
	st->words[PCT_STEPS] = steps;
	st->words[PCT_DEPTH] = depth;
	s->name = "pct";
	s->choose = pct_choose;
	s->begin = pct_begin;
	s->state = st;
	pct_begin(s, SIM_CORES_MAX);
}

double sim_pct_bound(unsigned threads, uint64_t steps, unsigned depth)
{
	double n = threads ? (double)threads : 1.0;
	double k = steps ? (double)steps : 1.0;
	double denominator = n;
	for (unsigned i = 1; i < depth && denominator < 1e300; i++)
		denominator *= k;
	return 1.0 / denominator;
}

/* ------------------------------------------------------------------- bytes */
/* ptr/len: the buffer, pos: the next unread byte. One byte per choice when
 * n <= 256 (byte % n); 2 bytes (little endian) when n <= 65536, else 4. A
 * choice that finds too few bytes left takes its default and spends the
 * rest, so the end of the input is the end of the fuzzer's influence. */

static void bytes_begin(sim_strategy_t *s, unsigned cores)
{
	(void)cores;
	storage_of(s)->pos = 0;
}

static uint32_t bytes_choose(sim_strategy_t *s, const sim_choice_t *choice)
{
	sim_strategy_storage_t *st = storage_of(s);
	const uint8_t *data = st->ptr;
	size_t width = choice->n <= 256u ? 1 : choice->n <= 65536u ? 2 : 4;
	if (st->pos > st->len || st->len - st->pos < width) {
		st->pos = st->len;
		return choice->default_index;
	}
	uint32_t v = 0;
	for (size_t i = 0; i < width; i++)
		v |= (uint32_t)data[st->pos + i] << (8 * i);
	st->pos += width;
	return v % choice->n;
}

void sim_strategy_bytes(sim_strategy_t *s, sim_strategy_storage_t *st, const uint8_t *data,
			size_t size)
{
	memset(st, 0, sizeof *st);
	st->ptr = data;
	st->len = data ? size : 0;
	s->name = "bytes";
	s->choose = bytes_choose;
	s->begin = bytes_begin;
	s->state = st;
}

/* ------------------------------------------------------------------ replay */
/* ptr: the trace, pos: the next recorded decision. Without a fit record one
 * recorded decision is consumed per choice, fitting or not, so a shrunk or
 * edited stream stays aligned with the run that consumes it. With one
 * (sim_trace_t), the points reached are folded as at recording time and
 * compared at every checkpoint; once the stream stops fitting, every later
 * choice takes its default.
 * words: [0] fit hash of the points reached, [1] choices seen, [2] stopped. */

enum { REPLAY_FIT_HASH = 0, REPLAY_SEEN = 1, REPLAY_STOPPED = 2 };

static const char *point_name(const sim_choice_t *choice)
{
	static const char *const names[SIM_POINT_KINDS] = {
		"a lock point", "an unlock point", "an atomic point", "an irq point",
		"an ipi point", "a switch point", "an idle point", "a yield point", "a spin point",
	};
	if (choice->kind == SIM_DECIDE_CORE && choice->site < SIM_POINT_KINDS)
		return names[choice->site];
	if (choice->kind == SIM_DECIDE_FAULT)
		return "a fault site";
	if (choice->kind == SIM_DECIDE_VALUE)
		return "a value request";
	return "an interrupt-enabled point";
}

static const char *kind_name(unsigned kind)
{
	switch (kind) {
	case SIM_DECIDE_CORE:
		return "core";
	case SIM_DECIDE_FAULT:
		return "fault";
	case SIM_DECIDE_VALUE:
		return "value";
	case SIM_DECIDE_ADVANCE:
		return "advance";
	case SIM_DECIDE_DEFER:
		return "defer";
	default:
		return "unknown";
	}
}

static void replay_begin(sim_strategy_t *s, unsigned cores)
{
	(void)cores;
	sim_strategy_storage_t *st = storage_of(s);
	st->pos = 0;
	st->divergences = 0;
	st->note[0] = '\0';
	st->words[REPLAY_FIT_HASH] = 0;
	st->words[REPLAY_SEEN] = 0;
	st->words[REPLAY_STOPPED] = 0;
}

static uint32_t replay_diverge(sim_strategy_storage_t *st, const sim_choice_t *choice,
			       const sim_decision_t *d, size_t index)
{
	if (st->divergences < UINT32_MAX)
		st->divergences++;
	if (st->divergences > 1)
		return choice->default_index;
	unsigned long long step = (unsigned long long)choice->step;
	if (!d)
		snprintf(st->note, sizeof st->note,
			 "replay: trace exhausted after %zu decisions at step %llu (%s choice); "
			 "took defaults from here",
			 index, step, kind_name(choice->kind));
	else if (d->kind != choice->kind)
		snprintf(st->note, sizeof st->note,
			 "replay: decision %zu was a %s choice but step %llu asks for a %s choice; "
			 "took default",
			 index, kind_name(d->kind), step, kind_name(choice->kind));
	else if (d->kind == SIM_DECIDE_CORE)
		snprintf(st->note, sizeof st->note,
			 "replay: decision %zu (core %u) not ready at step %llu; took default",
			 index, (unsigned)d->value, step);
	else
		snprintf(st->note, sizeof st->note,
			 "replay: decision %zu (%s %u) not among the %u options at step %llu; "
			 "took default",
			 index, kind_name(d->kind), (unsigned)d->value, (unsigned)choice->n, step);
	return choice->default_index;
}

/* The stream stopped fitting at this choice: say where, once, and take
 * defaults from here on. */
static uint32_t replay_stop(sim_strategy_storage_t *st, const sim_choice_t *choice,
			    const char *why)
{
	SIM_ASSERT(st->words[REPLAY_STOPPED] == 0);
	SIM_ASSERT(st->words[REPLAY_SEEN] >= 1);
	st->words[REPLAY_STOPPED] = 1;
	if (st->divergences < UINT32_MAX)
		st->divergences++;
	snprintf(st->note, sizeof st->note,
		 "replay: the recorded stream stopped fitting at decision %llu (step %llu, core %u: "
		 "the %s choice at %s): %s; took defaults from here",
		 (unsigned long long)(st->words[REPLAY_SEEN] - 1), (unsigned long long)choice->step,
		 (unsigned)choice->core, kind_name(choice->kind), point_name(choice), why);
	return choice->default_index;
}

/* Replay of a trace with a fit record: check the point, then the value. */
static uint32_t replay_choose_fit(sim_strategy_storage_t *st, const sim_trace_t *t,
				  const sim_choice_t *choice)
{
	if (st->words[REPLAY_STOPPED])
		return choice->default_index;
	SIM_ASSERT(t->fit_every > 0);
	uint64_t seen = ++st->words[REPLAY_SEEN];
	st->words[REPLAY_FIT_HASH] = sim_trace_fit_step(st->words[REPLAY_FIT_HASH], choice);
	if (seen > t->count)
		return replay_stop(st, choice, "the run asks for more decisions than were recorded");
	if (seen % t->fit_every == 0) {
		uint64_t k = seen / t->fit_every;
		SIM_ASSERT(k <= t->fit_count);
		if ((uint32_t)st->words[REPLAY_FIT_HASH] != t->fit[k - 1])
			return replay_stop(st, choice,
					   "the code reached other points than the recording "
					   "within the last checkpoint's decisions");
	}
	const sim_decision_t *d = &t->decisions[seen - 1];
	st->pos = (size_t)seen;
	if (d->value == SIM_DECISION_DEFAULT)
		return choice->default_index;
	if (d->kind != choice->kind)
		return replay_stop(st, choice, "the recording has another kind of choice here");
	uint32_t i = option_index(choice, d->value);
	if (i >= choice->n)
		return replay_stop(st, choice, "the recorded value is not among the options");
	return i;
}

static uint32_t replay_choose(sim_strategy_t *s, const sim_choice_t *choice)
{
	sim_strategy_storage_t *st = storage_of(s);
	const sim_trace_t *t = st->ptr;
	if (t != NULL && t->fit_every > 0)
		return replay_choose_fit(st, t, choice);
	size_t count = t ? t->count : 0;
	/* A version 1 run never asked for timing decisions: its stream has
	 * none to consume, and the default is what that run did. */
	if (t != NULL && t->version == 1 &&
	    (choice->kind == SIM_DECIDE_ADVANCE || choice->kind == SIM_DECIDE_DEFER))
		return choice->default_index;
	if (st->pos >= count)
		return replay_diverge(st, choice, NULL, count);
	size_t index = st->pos++;
	const sim_decision_t *d = &t->decisions[index];
	if (d->value == SIM_DECISION_DEFAULT)
		return choice->default_index;
	if (d->kind != choice->kind)
		return replay_diverge(st, choice, d, index);
	uint32_t i = option_index(choice, d->value);
	if (i >= choice->n)
		return replay_diverge(st, choice, d, index);
	return i;
}

void sim_strategy_replay(sim_strategy_t *s, sim_strategy_storage_t *st, const sim_trace_t *t)
{
	memset(st, 0, sizeof *st);
	st->ptr = t;
	st->len = t ? t->count : 0;
	s->name = "replay";
	s->choose = replay_choose;
	s->begin = replay_begin;
	s->state = st;
}
