/*
 * harness.c — what the CLI needs that is not kernel boot: the workload
 * registry (read from the linker section), strategy strings, the build id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <k/workload.h>

#include "harness.h"

#define WEFT_WORKLOADS_MAX 256u

static const struct k_workload *sorted[WEFT_WORKLOADS_MAX];
static size_t sorted_count;
static bool sorted_ready;

static int by_name(const void *a, const void *b)
{
	const struct k_workload *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Name order, never link or address order: `weft list` and every index are
 * the same in every build. */
static void registry_load(void)
{
	if (sorted_ready)
		return;
	sorted_ready = true;
	if (!__start_weft_workloads || !__stop_weft_workloads)
		return;
	for (const struct k_workload *w = __start_weft_workloads; w < __stop_weft_workloads; w++) {
		if (sorted_count == WEFT_WORKLOADS_MAX) {
			fprintf(stderr, "weft: more than %u workloads; raise WEFT_WORKLOADS_MAX\n",
				WEFT_WORKLOADS_MAX);
			abort();
		}
		sorted[sorted_count++] = w;
	}
	qsort(sorted, sorted_count, sizeof sorted[0], by_name);
	for (size_t i = 1; i < sorted_count; i++) {
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			fprintf(stderr, "weft: two workloads named '%s'\n", sorted[i]->name);
			abort();
		}
	}
}

size_t weft_workload_count(void)
{
	registry_load();
	return sorted_count;
}

const struct k_workload *weft_workload_at(size_t i)
{
	registry_load();
	return i < sorted_count ? sorted[i] : NULL;
}

/* Bug programs (k/workload.h): a registry of their own, also in name
 * order, so a bug and its twin sit side by side. */
static const struct k_bug_program *bugs_sorted[WEFT_WORKLOADS_MAX];
static size_t bugs_count;
static bool bugs_ready;

static int bug_by_name(const void *a, const void *b)
{
	const struct k_bug_program *const *x = a, *const *y = b;
	return strcmp((*x)->workload.name, (*y)->workload.name);
}

static void bugs_load(void)
{
	if (bugs_ready)
		return;
	bugs_ready = true;
	if (!__start_weft_bugs || !__stop_weft_bugs)
		return;
	for (const struct k_bug_program *b = __start_weft_bugs; b < __stop_weft_bugs; b++) {
		if (bugs_count == WEFT_WORKLOADS_MAX) {
			fprintf(stderr, "weft: more than %u bug programs; raise WEFT_WORKLOADS_MAX\n",
				WEFT_WORKLOADS_MAX);
			abort();
		}
		bugs_sorted[bugs_count++] = b;
	}
	qsort(bugs_sorted, bugs_count, sizeof bugs_sorted[0], bug_by_name);
	for (size_t i = 1; i < bugs_count; i++) {
		if (strcmp(bugs_sorted[i - 1]->workload.name, bugs_sorted[i]->workload.name) == 0) {
			fprintf(stderr, "weft: two bug programs named '%s'\n",
				bugs_sorted[i]->workload.name);
			abort();
		}
	}
}

size_t weft_bug_count(void)
{
	bugs_load();
	return bugs_count;
}

const struct k_bug_program *weft_bug_at(size_t i)
{
	bugs_load();
	return i < bugs_count ? bugs_sorted[i] : NULL;
}

const struct k_bug_program *weft_bug_of(const struct k_workload *w)
{
	bugs_load();
	for (size_t i = 0; i < bugs_count; i++)
		if (&bugs_sorted[i]->workload == w)
			return bugs_sorted[i];
	return NULL;
}

const struct k_workload *weft_workload_find(const char *name)
{
	registry_load();
	for (size_t i = 0; i < sorted_count; i++)
		if (strcmp(sorted[i]->name, name) == 0)
			return sorted[i];
	bugs_load();
	for (size_t i = 0; i < bugs_count; i++)
		if (strcmp(bugs_sorted[i]->workload.name, name) == 0)
			return &bugs_sorted[i]->workload;
	return NULL;
}

const char *weft_workload_name(const struct k_workload *w)
{
	return w->name;
}

const char *weft_workload_summary(const struct k_workload *w)
{
	return w->summary;
}

bool weft_strategy_parse(const char *text, unsigned *depth, uint64_t *steps, char *err, size_t cap)
{
	*depth = 0;
	*steps = 0;
	if (!strcmp(text, "random") || !strcmp(text, "default"))
		return true;
	if (strncmp(text, "pct", 3) == 0 && (text[3] == '\0' || text[3] == ':')) {
		unsigned d = WEFT_PCT_DEPTH_DEFAULT;
		unsigned long long k = 0; /* not given: the run's measured length */
		char tail;
		int n = text[3] ? sscanf(text + 4, "%u:%llu%c", &d, &k, &tail) : 2;
		if (n < 1 || n > 2 || d < 1 || d > 16 || (n == 2 && k < 1) || k > (1ull << 40)) {
			snprintf(err, cap, "bad strategy '%s': use pct:D with D in 1..16 (or pct:D:STEPS)", text);
			return false;
		}
		*depth = d;
		*steps = k;
		return true;
	}
	snprintf(err, cap, "unknown strategy '%s' (random, pct:D)", text);
	return false;
}

const char *weft_build_id(void)
{
	return sim_build_id();
}
