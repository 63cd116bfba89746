/*
 * feedback.c — feedback-guided exploration: keep the schedules that did
 * something new, and mutate them.
 *
 * A schedule is an input of the `bytes` strategy (one byte per decision,
 * then random decisions seeded by the input: boot.c's bytes_then_random).
 * After each run the engine's features (sim_features_merge: pairs of
 * (write site, access site) across threads, and (thread, point, thread)
 * orderings at switches) are merged into what this exploration has seen;
 * an input that brought a new feature joins the corpus. The next input is
 * either fresh random bytes or a corpus entry mutated (bytes changed, a
 * range rewritten, cut, or grown). Everything is drawn from one PRNG seeded
 * by the exploration's seed, and the features are fixed by the runs, so an
 * exploration is the same in every process; a failing run is kept as a
 * trace of its decisions, like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim_assert.h"

/* One in this many inputs is fresh, the rest mutate the corpus. */
#define FEEDBACK_FRESH_ONE_IN 8u
#define FEEDBACK_FRESH_BYTES_MIN 16u
#define FEEDBACK_MUTATIONS_MAX 4u

void weft_feedback_init(struct weft_feedback *f, uint64_t seed)
{
	SIM_ASSERT(f != NULL);
	memset(f, 0, sizeof *f);
	sim_rng_seed(&f->rng, seed ^ 0x6665656462616b31ull);
	SIM_ASSERT(f->corpus_count == 0 && f->input_len == 0);
}

void weft_feedback_free(struct weft_feedback *f)
{
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(f->corpus_count <= WEFT_FEEDBACK_CORPUS_MAX);
	for (size_t i = 0; i < f->corpus_count; i++)
		free(f->corpus[i].bytes);
	f->corpus_count = 0;
}

static void feedback_fill(struct weft_feedback *f, size_t from, size_t to)
{
	SIM_ASSERT(from <= to && to <= WEFT_FEEDBACK_INPUT_MAX);
	for (size_t i = from; i < to; i++)
		f->input[i] = (uint8_t)sim_rng_next(&f->rng);
	SIM_ASSERT(f->input_len <= WEFT_FEEDBACK_INPUT_MAX);
}

/* One mutation of f->input (len >= 1). */
static void feedback_mutate_once(struct weft_feedback *f)
{
	SIM_ASSERT(f->input_len >= 1u && f->input_len <= WEFT_FEEDBACK_INPUT_MAX);
	size_t len = f->input_len;
	size_t at = (size_t)sim_rng_below(&f->rng, len);
	switch (sim_rng_below(&f->rng, 4u)) {
	case 0: /* one decision changed */
		f->input[at] = (uint8_t)sim_rng_next(&f->rng);
		break;
	case 1: { /* a range of decisions redrawn */
		size_t n = 1u + (size_t)sim_rng_below(&f->rng, len - at < 16u ? len - at : 16u);
		feedback_fill(f, at, at + n);
		break;
	}
	case 2: /* cut: the rest is left to the random tail */
		f->input_len = at + 1u;
		break;
	default: { /* grown by fresh decisions */
		size_t n = 1u + (size_t)sim_rng_below(&f->rng, 32u);
		size_t to = len + n < WEFT_FEEDBACK_INPUT_MAX ? len + n : WEFT_FEEDBACK_INPUT_MAX;
		feedback_fill(f, len, to);
		f->input_len = to;
		break;
	}
	}
	SIM_ASSERT(f->input_len >= 1u && f->input_len <= WEFT_FEEDBACK_INPUT_MAX);
}

void weft_feedback_next(struct weft_feedback *f)
{
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(f->corpus_count <= WEFT_FEEDBACK_CORPUS_MAX);
	if (f->corpus_count == 0 || sim_rng_below(&f->rng, FEEDBACK_FRESH_ONE_IN) == 0) {
		f->input_len = FEEDBACK_FRESH_BYTES_MIN +
			       (size_t)sim_rng_below(&f->rng, WEFT_FEEDBACK_INPUT_MAX - FEEDBACK_FRESH_BYTES_MIN);
		feedback_fill(f, 0, f->input_len);
		return;
	}
	const struct weft_feedback_entry *e = &f->corpus[sim_rng_below(&f->rng, f->corpus_count)];
	memcpy(f->input, e->bytes, e->len);
	f->input_len = e->len;
	unsigned n = 1u + (unsigned)sim_rng_below(&f->rng, FEEDBACK_MUTATIONS_MAX);
	for (unsigned i = 0; i < n; i++)
		feedback_mutate_once(f);
}

bool weft_feedback_result(struct weft_feedback *f)
{
	SIM_ASSERT(f != NULL);
	SIM_ASSERT(f->input_len >= 1u && f->input_len <= WEFT_FEEDBACK_INPUT_MAX);
	uint32_t fresh = sim_features_merge(f->seen);
	f->features += fresh;
	if (fresh == 0)
		return false;
	/* Full: the newest replaces a random entry (the seen features stay). */
	size_t slot = f->corpus_count < WEFT_FEEDBACK_CORPUS_MAX
			      ? f->corpus_count++
			      : (size_t)sim_rng_below(&f->rng, WEFT_FEEDBACK_CORPUS_MAX);
	struct weft_feedback_entry *e = &f->corpus[slot];
	if (e->bytes == NULL) {
		e->bytes = malloc(WEFT_FEEDBACK_INPUT_MAX);
		SIM_ASSERT(e->bytes != NULL); /* host out of memory: not a finding */
	}
	memcpy(e->bytes, f->input, f->input_len);
	e->len = f->input_len;
	return true;
}
