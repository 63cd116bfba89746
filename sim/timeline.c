/*
 * timeline.c — the timeline page (timeline.h).
 *
 * The x axis is the run's step number (every scheduling point is one step,
 * so a busy stretch is as wide as it deserves; virtual time jumps while
 * every core idles and would squeeze the story). Each core is a lane; a
 * span is the thread a core runs between two switches. Arrows go from the
 * lane where something happened (a give, an unlock, an IPI) to where the
 * thread it concerns next runs.
 */
#include "timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

#define TL_LEFT_PX 90u
#define TL_TOP_PX 40u
#define TL_LANE_PX 44u
#define TL_LANE_GAP_PX 26u
#define TL_WIDTH_MIN_PX 1200u
#define TL_WIDTH_MAX_PX 16000u
#define TL_PX_PER_EVENT 7u
#define TL_INFO_MAX 640u
#define TL_PALETTE 12u

static const char *const palette[TL_PALETTE] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2",
	"#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#8cd17d", "#a0cbe8",
};

struct tl {
	struct story *s;
	FILE *out;
	size_t first;      /* first event drawn */
	uint64_t step0, step1;
	double px_per_step;
	unsigned cores;
};

static double x_of(const struct tl *t, uint64_t step)
{
	uint64_t at = step < t->step0 ? t->step0 : step > t->step1 ? t->step1 : step;
	return TL_LEFT_PX + (double)(at - t->step0) * t->px_per_step;
}

static unsigned lane_y(unsigned core)
{
	return TL_TOP_PX + core * (TL_LANE_PX + TL_LANE_GAP_PX);
}

/* Text for an attribute or element: & < > " escaped. */
static void put_escaped(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*p, out);
		}
	}
}

/* The hover text of an event: step, core, sentence, source line. */
static void event_info(struct tl *t, const struct story_event *e, char *out, size_t cap)
{
	char text[WEFT_STORY_LINE_MAX], where[160];
	story_event_text(t->s, e, text, sizeof text);
	story_event_where(t->s, e, where, sizeof where);
	snprintf(out, cap, "step %" PRIu64 ", core %u: %s%s%s", e->step, e->core, text,
		 where[0] ? " — at " : "", where);
}

static void open_mark(struct tl *t, const char *cls, const char *info)
{
	fprintf(t->out, "<g class=\"%s\" data-info=\"", cls);
	put_escaped(t->out, info);
	fputs("\"><title>", t->out);
	put_escaped(t->out, info);
	fputs("</title>", t->out);
}

/* The step at which thread tid next starts running after event i, and on
 * which core; false if it never does. */
static bool next_run(const struct tl *t, size_t i, uint64_t tid, uint64_t *step, unsigned *core)
{
	size_t n = story_event_count(t->s);
	for (size_t j = i + 1; j < n; j++) {
		const struct story_event *e = story_event_at(t->s, j);
		if (e->kind[0] == 's' && strcmp(e->kind, "switch") == 0 && e->b == tid) {
			*step = e->step;
			*core = e->core;
			return true;
		}
	}
	return false;
}

static void span(struct tl *t, unsigned core, uint64_t tid, uint64_t from, uint64_t to)
{
	if (to <= from || core >= t->cores)
		return;
	char who[64], info[TL_INFO_MAX];
	story_thread_name(t->s, tid, who, sizeof who);
	snprintf(info, sizeof info, "%s runs on core %u, steps %" PRIu64 "..%" PRIu64, who, core, from, to);
	double x0 = x_of(t, from), x1 = x_of(t, to);
	open_mark(t, "span", info);
	fprintf(t->out, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"%u\" fill=\"%s\"/>", x0,
		lane_y(core) + 4u, x1 - x0, TL_LANE_PX - 8u,
		tid == 0 ? "#e0e0e0" : palette[tid % TL_PALETTE]);
	if (x1 - x0 > 8.0 * (double)strlen(who)) {
		fprintf(t->out, "<text x=\"%.1f\" y=\"%u\" class=\"label%s\">", x0 + 4.0, lane_y(core) + 27u,
			tid == 0 ? " idle" : "");
		put_escaped(t->out, who);
		fputs("</text>", t->out);
	}
	fputs("</g>\n", t->out);
}

/* Spans of every core: who ran from the window's start (learnt from the
 * switches before it) to each switch. */
static void draw_spans(struct tl *t)
{
	uint64_t running[SIM_CORES_MAX] = {0}, since[SIM_CORES_MAX];
	for (unsigned c = 0; c < SIM_CORES_MAX; c++)
		since[c] = t->step0;
	size_t n = story_event_count(t->s);
	for (size_t i = 0; i < n; i++) {
		const struct story_event *e = story_event_at(t->s, i);
		if (strcmp(e->kind, "switch") != 0 || e->core >= SIM_CORES_MAX)
			continue;
		if (i >= t->first)
			span(t, e->core, running[e->core], since[e->core], e->step);
		running[e->core] = e->b;
		since[e->core] = e->step > t->step0 ? e->step : t->step0;
	}
	for (unsigned c = 0; c < t->cores; c++)
		span(t, c, running[c], since[c], t->step1);
}

static void arrow(struct tl *t, const char *cls, const char *colour, double x0, unsigned y0,
		  double x1, unsigned y1, const char *info)
{
	open_mark(t, cls, info);
	fprintf(t->out,
		"<line x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" stroke=\"%s\" stroke-width=\"1.6\" "
		"marker-end=\"url(#head)\"/></g>\n",
		x0, y0, x1, y1, colour);
}

static void dot(struct tl *t, const char *cls, const char *colour, double x, unsigned y, const char *info)
{
	open_mark(t, cls, info);
	fprintf(t->out, "<circle cx=\"%.1f\" cy=\"%u\" r=\"3.5\" fill=\"%s\"/></g>\n", x, y, colour);
}

/* One event's mark, if it has one. */
static void draw_event(struct tl *t, size_t i)
{
	const struct story_event *e = story_event_at(t->s, i);
	if (!e->kind[0] || e->core >= t->cores)
		return;
	char info[TL_INFO_MAX];
	double x = x_of(t, e->step);
	unsigned mid = lane_y(e->core) + TL_LANE_PX / 2u;
	const char *k = e->kind;
	bool wakes = strcmp(k, "wake") == 0, hands = strcmp(k, "handover") == 0;
	if (wakes || hands) {
		uint64_t tid = wakes ? e->a : e->b, step;
		unsigned core;
		event_info(t, e, info, sizeof info);
		if (next_run(t, i, tid, &step, &core) && core < t->cores)
			arrow(t, "arrow", hands ? "#d35400" : "#2e7d32", x, mid, x_of(t, step),
			      lane_y(core) + 6u, info);
		else
			dot(t, "mark", hands ? "#d35400" : "#2e7d32", x, mid, info);
	} else if (strcmp(k, "ipi") == 0 && e->b < t->cores) {
		event_info(t, e, info, sizeof info);
		arrow(t, "arrow ipi", "#7b1fa2", x, mid, x + 3.0, lane_y((unsigned)e->b) + 4u, info);
	} else if (strcmp(k, "block") == 0 || strncmp(k, "wait.", 5) == 0) {
		event_info(t, e, info, sizeof info);
		dot(t, "mark block", "#c62828", x, lane_y(e->core) + TL_LANE_PX - 4u, info);
	} else if (strcmp(k, "tick") == 0 || strcmp(k, "preempt") == 0 || strcmp(k, "timeout") == 0) {
		event_info(t, e, info, sizeof info);
		open_mark(t, "mark tick", info);
		fprintf(t->out, "<line x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" stroke=\"#333\"/></g>\n",
			x, lane_y(e->core), x, lane_y(e->core) + 8u);
	} else if (strcmp(k, "give") == 0 || strcmp(k, "post") == 0 || strcmp(k, "signal") == 0 ||
		   strcmp(k, "broadcast") == 0 || strcmp(k, "unlock") == 0 || strcmp(k, "receive") == 0 ||
		   strcmp(k, "exit") == 0 || strcmp(k, "kill") == 0) {
		event_info(t, e, info, sizeof info);
		/* A give, post or signal that woke nobody: where a lost wake-up
		 * shows itself. */
		bool nobody = e->b == 0 && (strcmp(k, "give") == 0 || strcmp(k, "signal") == 0 ||
					    strcmp(k, "post") == 0 || strcmp(k, "broadcast") == 0);
		dot(t, nobody ? "mark nobody" : "mark", nobody ? "#ff6f00" : "#1565c0", x,
		    lane_y(e->core) + 4u, info);
	}
}

static void draw_lanes(struct tl *t)
{
	for (unsigned c = 0; c < t->cores; c++) {
		fprintf(t->out,
			"<g class=\"lane\" data-core=\"%u\"><rect x=\"%u\" y=\"%u\" width=\"%.1f\" height=\"%u\" "
			"fill=\"#fafafa\" stroke=\"#ccc\"/><text x=\"8\" y=\"%u\" class=\"core\">core %u</text></g>\n",
			c, TL_LEFT_PX, lane_y(c), x_of(t, t->step1) - TL_LEFT_PX, TL_LANE_PX,
			lane_y(c) + 27u, c);
	}
}

static void draw_failure(struct tl *t, const struct timeline_run *run)
{
	if (!run->failed)
		return;
	double x = x_of(t, run->steps);
	unsigned bottom = lane_y(t->cores) - TL_LANE_GAP_PX / 2u;
	char info[TL_INFO_MAX];
	snprintf(info, sizeof info, "FAIL (%s) at step %" PRIu64 ": %s", run->outcome, run->steps,
		 run->message);
	fputs("<g id=\"failure\" class=\"failure\" data-info=\"", t->out);
	put_escaped(t->out, info);
	fputs("\"><title>", t->out);
	put_escaped(t->out, info);
	fprintf(t->out,
		"</title><line x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" stroke=\"#d50000\" "
		"stroke-width=\"3\"/><text x=\"%.1f\" y=\"%u\" fill=\"#d50000\" text-anchor=\"end\">FAIL</text></g>\n",
		x, TL_TOP_PX - 14u, x, bottom, x - 4.0, TL_TOP_PX - 18u);
}

static const char page_head[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>weft timeline</title>\n<style>\n"
	"body{font:13px system-ui,sans-serif;margin:12px;color:#222}\n"
	"#info{position:sticky;top:0;background:#fff8e1;border:1px solid #e0c060;padding:6px;min-height:18px}\n"
	".scroll{overflow-x:auto;border:1px solid #ddd}\n"
	"text.label{font-size:11px;fill:#fff}\ntext.label.idle{fill:#555}\ntext.core{font-size:12px;font-weight:bold}\n"
	".fail{color:#d50000;font-weight:bold}\n.legend span{display:inline-block;margin-right:14px}\n"
	"g[data-info]:hover{opacity:.7;cursor:pointer}\n"
	"</style></head><body>\n";

static const char page_script[] =
	"<script>\n"
	"// Hover (or tap) a mark: its event and source line in the box above.\n"
	"var info=document.getElementById('info');\n"
	"document.querySelectorAll('[data-info]').forEach(function(g){\n"
	"  function show(){info.textContent=g.getAttribute('data-info');}\n"
	"  g.addEventListener('mouseover',show);g.addEventListener('click',show);});\n"
	"</script>\n</body></html>\n";

static void draw_header(struct tl *t, const struct timeline_run *run, size_t shown, size_t left_out)
{
	fputs(page_head, t->out);
	fputs("<h2>weft timeline: ", t->out);
	put_escaped(t->out, run->workload);
	fprintf(t->out, ", %u cores, strategy ", run->cores);
	put_escaped(t->out, run->strategy);
	fprintf(t->out, ", seed %" PRIu64 "</h2>\n<p>", run->seed);
	if (run->failed) {
		fputs("<span class=\"fail\">FAIL (", t->out);
		put_escaped(t->out, run->outcome);
		fputs(")</span> ", t->out);
		put_escaped(t->out, run->message);
	} else {
		fputs("The run held: every oracle passed.", t->out);
	}
	fprintf(t->out, " &mdash; %" PRIu64 " steps; showing steps %" PRIu64 "..%" PRIu64
		" (%zu events%s).</p>\n",
		run->steps, t->step0, t->step1, shown, left_out ? ", the earlier ones left out" : "");
	fputs("<p class=\"legend\"><span>spans: the thread each core runs (grey: T0, the core's idle loop)</span>"
	      "<span style=\"color:#2e7d32\">&#8594; wake-up</span>"
	      "<span style=\"color:#d35400\">&#8594; mutex hand-over</span>"
	      "<span style=\"color:#7b1fa2\">&#8594; IPI</span>"
	      "<span style=\"color:#c62828\">&#9679; wait / block</span>"
	      "<span style=\"color:#1565c0\">&#9679; give, post, signal, unlock, exit</span>"
	      "<span style=\"color:#ff6f00\">&#9679; give, post or signal that woke nobody</span>"
	      "<span>| tick, preemption, timeout</span></p>\n"
	      "<div id=\"info\">Hover over a mark to see the event and its source line.</div>\n",
	      t->out);
}

bool timeline_write(struct story *s, const struct timeline_run *run, FILE *out)
{
	SIM_ASSERT(s != NULL && run != NULL && out != NULL);
	struct tl t = {.s = s, .out = out};
	size_t n = story_event_count(s);
	t.first = n > WEFT_TIMELINE_EVENTS_MAX ? n - WEFT_TIMELINE_EVENTS_MAX : 0;
	t.cores = run->cores < SIM_CORES_MAX ? run->cores : SIM_CORES_MAX;
	t.step0 = n > 0 ? story_event_at(s, t.first)->step : 0;
	t.step1 = run->steps > t.step0 ? run->steps : t.step0 + 1;
	size_t shown = n - t.first;
	double width = (double)shown * TL_PX_PER_EVENT;
	width = width < TL_WIDTH_MIN_PX ? TL_WIDTH_MIN_PX : width > TL_WIDTH_MAX_PX ? TL_WIDTH_MAX_PX : width;
	t.px_per_step = width / (double)(t.step1 - t.step0);
	SIM_ASSERT(t.px_per_step > 0);
	draw_header(&t, run, shown, t.first);
	fprintf(out,
		"<div class=\"scroll\"><svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%u\"><defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
		"markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\"/></marker></defs>\n",
		width + TL_LEFT_PX + 40.0, lane_y(t.cores) + 10u);
	draw_lanes(&t);
	draw_spans(&t);
	for (size_t i = t.first; i < n; i++)
		draw_event(&t, i);
	draw_failure(&t, run);
	fputs("</svg></div>\n", out);
	fputs(page_script, out);
	return !ferror(out);
}
