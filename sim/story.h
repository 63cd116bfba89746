/*
 * story.h — a run's event log read back as a story: each kernel event with
 * thread and object names, the source line of the kernel call that caused
 * it, repeats collapsed, optionally narrowed to one thread or object. The
 * timeline page (timeline.c) is drawn from the same parsed events.
 *
 * Input: the engine's log (sim_result_t.log): lines "STEP NS CORE: KIND A B
 * [@OFF,...] [=TEXT]" written by the simulator adapter (bsp_sim.c) for
 * bsp_trace_event / bsp_trace_detail, plus free-text lines of the adapter.
 * Display only: nothing here feeds a run.
 */
#ifndef WEFT_STORY_H
#define WEFT_STORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WEFT_STORY_KIND_MAX 24u
#define WEFT_STORY_TEXT_MAX 48u
#define WEFT_STORY_SITES_MAX 16u
/* A log longer than this many events keeps its last part (where a failure
 * is) and says so. */
#define WEFT_STORY_EVENTS_MAX (2u << 20)
#define WEFT_STORY_LINE_MAX 320u

struct story_event {
	uint64_t step;
	uint64_t ns;
	unsigned core;
	char kind[WEFT_STORY_KIND_MAX];
	uint64_t a, b;
	char text[WEFT_STORY_TEXT_MAX]; /* a name (name.* kinds) */
	uint32_t sites[WEFT_STORY_SITES_MAX]; /* call-site offsets, innermost first */
	unsigned site_count;
	uint64_t actor;        /* thread running on `core` when it happened */
	const char *raw;       /* a line that is not an event (points into the log) */
	size_t raw_len;
};

struct story;

/* Parse a log; NULL on no memory (message printed). */
struct story *story_parse(const char *log, size_t len);
void story_free(struct story *s);

size_t story_event_count(const struct story *s);
const struct story_event *story_event_at(const struct story *s, size_t i);
unsigned story_cores_seen(const struct story *s);

/* "T2 'ping'" (T0: "T0 (idle)"); "sem#3 'items'". */
void story_thread_name(const struct story *s, uint64_t tid, char *out, size_t cap);

/* The event as one sentence (without step, time, core, source). */
void story_event_text(const struct story *s, const struct story_event *e, char *out, size_t cap);
/* Where the kernel call behind e was made, "stress/pingpong.c:42 (k_sem_give)",
 * or "" when unknown (symbols resolved on first use: sim/symbols.c). */
void story_event_where(struct story *s, const struct story_event *e, char *out, size_t cap);
/* Thread ids an event is about (its actor first); returns how many. */
unsigned story_event_threads(const struct story_event *e, uint64_t out[3]);

/* --focus: a thread ("T2", "2" or its name) or an object ("sem#3", "#3" or
 * its name). Returns false with a message in err when it names nothing of
 * this run. */
bool story_focus_set(struct story *s, const char *spec, char *err, size_t cap);
bool story_event_in_focus(const struct story *s, const struct story_event *e);

/* Print the readable log: one line per event, repeats (one line, or a pair
 * of lines, over and over) collapsed into one with a count. */
void story_print(struct story *s, FILE *out);

#endif /* WEFT_STORY_H */
