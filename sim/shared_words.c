/*
 * shared_words.c — which words of a workload are shared between threads,
 * learnt before exploring it with --mem-points.
 *
 * The engine makes a plain access a point only once it knows the word is
 * shared; inside one run it learns that when a second thread touches the
 * word, which is too late for the first thread's accesses. So, once per
 * (workload, cores, process), a few calibration runs (random strategy, fixed
 * seeds 0..WEFT_MEM_CALIBRATION_RUNS-1, accesses recorded, no points) learn
 * the words two or more threads touch; every --mem-points run of that
 * workload then starts from that set. It is a fixed function of the binary,
 * the workload and the core count: a replay in another process learns the
 * same set and gets the same points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim_assert.h"

/* Calibration runs per (workload, cores): enough for every thread of the
 * bug programs and workloads to run its shared accesses at least once. */
#define WEFT_MEM_CALIBRATION_RUNS 8u
/* (workload, cores) pairs remembered; past it the oldest is relearnt. */
#define WEFT_MEM_CALIBRATIONS_MAX 64u

static struct shared_set {
	const struct k_workload *w;
	unsigned cores;
	size_t count;
	uint64_t *keys; /* sorted, heap */
} sets[WEFT_MEM_CALIBRATIONS_MAX];
static size_t sets_count;

/* Merge sorted b[0..nb) into the sorted set a (capacity SIM_MEM_SHARED_MAX). */
static size_t merge_keys(uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *tmp)
{
	SIM_ASSERT(na <= SIM_MEM_SHARED_MAX && nb <= SIM_MEM_SHARED_MAX);
	size_t i = 0, j = 0, n = 0;
	while ((i < na || j < nb) && n < SIM_MEM_SHARED_MAX) {
		uint64_t x = i < na ? a[i] : UINT64_MAX, y = j < nb ? b[j] : UINT64_MAX;
		uint64_t k = x < y ? x : y;
		i += x == k;
		j += y == k;
		tmp[n++] = k;
	}
	memcpy(a, tmp, n * sizeof a[0]);
	SIM_ASSERT(n >= na || n == SIM_MEM_SHARED_MAX);
	return n;
}

static void learn(struct shared_set *s)
{
	uint64_t *run_keys = malloc(SIM_MEM_SHARED_MAX * sizeof *run_keys);
	uint64_t *tmp = malloc(SIM_MEM_SHARED_MAX * sizeof *tmp);
	s->keys = malloc(SIM_MEM_SHARED_MAX * sizeof *s->keys);
	SIM_ASSERT(run_keys && tmp && s->keys); /* host out of memory: not a finding */
	s->count = 0;
	for (unsigned seed = 0; seed < WEFT_MEM_CALIBRATION_RUNS; seed++) {
		struct weft_run_options o;
		memset(&o, 0, sizeof o);
		o.cores = s->cores;
		o.seed = seed;
		o.quiet_console = true; /* a measurement, not a run to show */
		o.mem_learn = true;
		snprintf(o.strategy, sizeof o.strategy, "random");
		sim_result_t r;
		(void)weft_run_once(s->w, &o, &r, NULL, 0);
		sim_result_free(&r);
		size_t n = sim_mem_shared_export(run_keys, SIM_MEM_SHARED_MAX);
		s->count = merge_keys(s->keys, s->count, run_keys, n, tmp);
	}
	free(run_keys);
	free(tmp);
}

const uint64_t *weft_shared_words(const struct k_workload *w, unsigned cores, size_t *count)
{
	SIM_ASSERT(w != NULL && count != NULL);
	SIM_ASSERT(cores >= 1 && cores <= SIM_CORES_MAX);
	for (size_t i = 0; i < sets_count; i++) {
		if (sets[i].w == w && sets[i].cores == cores) {
			*count = sets[i].count;
			return sets[i].keys;
		}
	}
	struct shared_set *s;
	if (sets_count < WEFT_MEM_CALIBRATIONS_MAX) {
		s = &sets[sets_count++];
	} else { /* full: forget the first (it is relearnt the same if needed) */
		free(sets[0].keys);
		memmove(sets, sets + 1, (WEFT_MEM_CALIBRATIONS_MAX - 1u) * sizeof sets[0]);
		s = &sets[WEFT_MEM_CALIBRATIONS_MAX - 1u];
	}
	*s = (struct shared_set){.w = w, .cores = cores};
	learn(s);
	*count = s->count;
	return s->keys;
}
