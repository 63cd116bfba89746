/*
 * story_print.c — the readable log (story.h): one line per event in focus,
 * "step  time  core  sentence   at file:line (k_call)", and repeats
 * collapsed: a line, or a pair of lines, that one core logs again and again
 * (a thread yielding to nobody, two threads trading a lock) is printed once,
 * then "... core C: the same again x N (steps A..B)". Each core's lines are
 * compared with that core's own (other cores' lines in between do not
 * break a repeat); lines count as the same when their sentence and source
 * are (step and time differ).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#include "sim_assert.h"
#include "story.h"

#define PRINT_WHERE_MAX 160u
#define PRINT_PERIOD_MAX 2u

struct printed {
	char text[WEFT_STORY_LINE_MAX];
	char where[PRINT_WHERE_MAX];
	unsigned core;
	uint64_t step, ns;
};

struct collapse {
	struct printed last[PRINT_PERIOD_MAX]; /* the last lines printed, newest first */
	unsigned have;
	unsigned period;   /* of the repeat being counted (0: none) */
	struct printed held[PRINT_PERIOD_MAX]; /* this round's lines, not printed yet */
	unsigned matched;  /* lines of the current round held so far */
	uint64_t repeats;  /* whole rounds collapsed */
	uint64_t first_step, last_step;
};

static bool same(const struct printed *a, const struct printed *b)
{
	return a->core == b->core && strcmp(a->text, b->text) == 0 && strcmp(a->where, b->where) == 0;
}

static void emit(FILE *out, const struct printed *p)
{
	fprintf(out, "step %7" PRIu64 "  %9.3f us  core %2u  %s", p->step, (double)p->ns / 1000.0,
		p->core, p->text);
	if (p->where[0])
		fprintf(out, "   at %s", p->where);
	fputc('\n', out);
}

static void remember(struct collapse *c, const struct printed *p)
{
	for (unsigned i = PRINT_PERIOD_MAX - 1; i > 0; i--)
		c->last[i] = c->last[i - 1];
	c->last[0] = *p;
	if (c->have < PRINT_PERIOD_MAX)
		c->have++;
}

/* End the repeat being counted: its count, then the lines of a round it
 * had begun (printed as they are). */
static void flush_repeats(FILE *out, struct collapse *c)
{
	if (c->repeats > 0)
		fprintf(out, "        ... core %u: the same %s again x %" PRIu64 " (steps %" PRIu64 "..%" PRIu64 ")\n",
			c->last[0].core, c->period == 1 ? "line" : "two lines", c->repeats, c->first_step,
			c->last_step);
	SIM_ASSERT(c->matched <= PRINT_PERIOD_MAX);
	for (unsigned i = 0; i < c->matched; i++) {
		emit(out, &c->held[i]);
		remember(c, &c->held[i]);
	}
	c->period = 0;
	c->matched = 0;
	c->repeats = 0;
}

/* Is p the next line of a round of `period` lines (the pattern is
 * last[period-1] .. last[0], of which `matched` are held)? */
static bool continues(const struct collapse *c, const struct printed *p, unsigned period,
		      unsigned matched)
{
	SIM_ASSERT(period >= 1 && period <= PRINT_PERIOD_MAX);
	SIM_ASSERT(matched < period);
	if (c->have < period)
		return false;
	return same(&c->last[period - 1u - matched], p);
}

/* Hold p as the next line of the current round. */
static void hold(struct collapse *c, const struct printed *p)
{
	c->held[c->matched++] = *p;
	if (c->matched == c->period) {
		c->matched = 0;
		c->repeats++;
		c->last_step = p->step;
	}
}

static void take(FILE *out, struct collapse *c, const struct printed *p)
{
	if (c->period) {
		if (continues(c, p, c->period, c->matched)) {
			hold(c, p);
			return;
		}
		flush_repeats(out, c);
	}
	for (unsigned period = 1; period <= PRINT_PERIOD_MAX; period++) {
		if (continues(c, p, period, 0)) {
			c->period = period;
			c->matched = 0;
			c->repeats = 0;
			c->first_step = c->last_step = p->step;
			hold(c, p);
			return;
		}
	}
	emit(out, p);
	remember(c, p);
}

void story_print(struct story *s, FILE *out)
{
	struct collapse *per_core = calloc(SIM_CORES_MAX + 1u, sizeof *per_core);
	if (!per_core) {
		fprintf(stderr, "weft: no memory to print the log\n");
		return;
	}
	size_t n = story_event_count(s);
	for (size_t i = 0; i < n; i++) {
		const struct story_event *e = story_event_at(s, i);
		if (!story_event_in_focus(s, e))
			continue;
		struct printed p;
		p.core = e->core;
		p.step = e->step;
		p.ns = e->ns;
		story_event_text(s, e, p.text, sizeof p.text);
		story_event_where(s, e, p.where, sizeof p.where);
		/* Lines of no core (free text) share the last slot. */
		take(out, &per_core[e->core < SIM_CORES_MAX ? e->core : SIM_CORES_MAX], &p);
	}
	for (unsigned core = 0; core <= SIM_CORES_MAX; core++)
		flush_repeats(out, &per_core[core]);
	free(per_core);
}
