/*
 * timeline.h — `weft replay TRACE --html out.html`: one static,
 * self-contained page (inline SVG, a few lines of script, no external
 * resource) drawn from a run's story (story.h): a lane per core, threads as
 * coloured spans, blocks and wake-ups as arrows between threads, mutex
 * hand-overs, IPIs and timer ticks, the failing step marked; hovering any
 * mark shows the event and the source line of the kernel call behind it.
 *
 * Page contract (tests/timeline checks it in headless Chromium): one
 * element of class "lane" per core (data-core="N"), spans of class "span",
 * arrows of class "arrow", and, for a failed run, one element id="failure".
 */
#ifndef WEFT_TIMELINE_H
#define WEFT_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "story.h"

/* Marks drawn at most: a longer run shows its last part (where the failure
 * is) and says how much was left out. */
#define WEFT_TIMELINE_EVENTS_MAX 6000u

struct timeline_run {
	const char *workload;
	unsigned cores;
	const char *strategy;
	uint64_t seed;
	bool failed;
	const char *outcome;  /* "deadlock", ... */
	const char *message;  /* the failure line */
	uint64_t steps;       /* the run's last step */
};

/* Write the page to out. Returns false on a write error. */
bool timeline_write(struct story *s, const struct timeline_run *run, FILE *out);

#endif /* WEFT_TIMELINE_H */
