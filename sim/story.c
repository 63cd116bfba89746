/*
 * story.c — the event log as a story (story.h): parse, name, narrate,
 * collapse repeats, focus.
 *
 * Thread T0 is a core's idle context (the loop a core runs when no thread
 * is ready): every core has one, all numbered 0.
 */
#include "story.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"
#include "symbols.h"

/* Thread ids with a name slot; a run making more threads shows the rest by
 * number only. */
#define STORY_THREADS_MAX 65536u
#define STORY_OBJECTS_MAX 4096u
#define STORY_TYPE_MAX 12u

struct story_object {
	char type[STORY_TYPE_MAX]; /* "sem", "mutex", ... */
	uint64_t id;
	char name[WEFT_STORY_TEXT_MAX];
};

struct story {
	struct story_event *events;
	size_t count;
	size_t dropped;          /* events cut from the front (WEFT_STORY_EVENTS_MAX) */
	unsigned cores;          /* highest core seen + 1 */
	char (*thread_names)[WEFT_STORY_TEXT_MAX]; /* [STORY_THREADS_MAX] */
	uint32_t *waiting_on;    /* [STORY_THREADS_MAX]: object index + 1, 0 none */
	struct story_object objects[STORY_OBJECTS_MAX];
	size_t object_count;
	struct weft_symbols *symbols;
	/* --focus */
	bool focus_on;
	bool focus_is_thread;
	uint64_t focus_thread;
	size_t focus_object; /* index in objects */
};

/* -------------------------------------------------------------- objects */

static size_t object_find(const struct story *s, const char *type, uint64_t id)
{
	for (size_t i = 0; i < s->object_count; i++)
		if (s->objects[i].id == id && strcmp(s->objects[i].type, type) == 0)
			return i;
	return SIZE_MAX;
}

/* The index of (type, id), made if new; SIZE_MAX when the table is full. */
static size_t object_get(struct story *s, const char *type, uint64_t id)
{
	size_t i = object_find(s, type, id);
	if (i != SIZE_MAX || s->object_count >= STORY_OBJECTS_MAX)
		return i;
	struct story_object *o = &s->objects[s->object_count];
	snprintf(o->type, sizeof o->type, "%s", type);
	o->id = id;
	o->name[0] = '\0';
	return s->object_count++;
}

static void object_name(const struct story *s, const char *type, uint64_t id, char *out, size_t cap)
{
	size_t i = object_find(s, type, id);
	const char *name = i == SIZE_MAX ? "" : s->objects[i].name;
	if (strcmp(type, "join") == 0 && !name[0] && id < STORY_THREADS_MAX)
		name = s->thread_names[id]; /* a join queue is named by its thread */
	if (name[0])
		snprintf(out, cap, "%s#%" PRIu64 " '%s'", type, id, name);
	else
		snprintf(out, cap, "%s#%" PRIu64, type, id);
}

void story_thread_name(const struct story *s, uint64_t tid, char *out, size_t cap)
{
	if (tid == 0) {
		snprintf(out, cap, "T0 (idle)");
		return;
	}
	const char *name = tid < STORY_THREADS_MAX ? s->thread_names[tid] : "";
	if (name[0])
		snprintf(out, cap, "T%" PRIu64 " '%s'", tid, name);
	else
		snprintf(out, cap, "T%" PRIu64, tid);
}

/* ---------------------------------------------------------------- parse */

/* The parts after "KIND A B": " @hex,hex" then " =text". */
static void parse_tail(struct story_event *e, const char *p)
{
	if (p[0] == ' ' && p[1] == '@') {
		p += 2;
		for (unsigned n = 0; n < WEFT_STORY_SITES_MAX && *p && *p != ' '; n++) {
			char *end;
			unsigned long v = strtoul(p, &end, 16);
			if (end == p)
				break;
			e->sites[e->site_count++] = (uint32_t)v;
			p = end;
			if (*p == ',')
				p++;
		}
		while (*p && *p != ' ')
			p++; /* frames past our bound */
	}
	if (p[0] == ' ' && p[1] == '=')
		snprintf(e->text, sizeof e->text, "%s", p + 2);
}

static bool parse_line(struct story_event *e, const char *line, size_t len)
{
	char buf[WEFT_STORY_LINE_MAX];
	memset(e, 0, sizeof *e);
	e->raw = line;
	e->raw_len = len;
	if (len >= sizeof buf)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	unsigned long long step, ns, a, b;
	unsigned core;
	int used = 0;
	char kind[WEFT_STORY_KIND_MAX];
	if (sscanf(buf, "%llu %llu %u: %23s %llu %llu%n", &step, &ns, &core, kind, &a, &b, &used) != 6) {
		unsigned long long s2, n2;
		if (sscanf(buf, "%llu %llu %u:%n", &s2, &n2, &core, &used) == 3) {
			e->step = s2;
			e->ns = n2;
			e->core = core;
			e->raw = line + used; /* free text after the prefix */
			e->raw_len = len - (size_t)used;
		}
		return false;
	}
	e->step = step;
	e->ns = ns;
	e->core = core;
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	e->a = a;
	e->b = b;
	e->raw = NULL;
	parse_tail(e, buf + used);
	return true;
}

/* What an event teaches the story: names, who runs where, who waits on
 * what. */
static void learn(struct story *s, struct story_event *e, uint64_t *running)
{
	if (e->core < SIM_CORES_MAX && e->core + 1u > s->cores)
		s->cores = e->core + 1u;
	e->actor = e->core < SIM_CORES_MAX ? running[e->core] : 0;
	if (!e->kind[0])
		return;
	if (strcmp(e->kind, "switch") == 0 && e->core < SIM_CORES_MAX)
		running[e->core] = e->b;
	if (strcmp(e->kind, "name.thread") == 0 && e->a < STORY_THREADS_MAX)
		snprintf(s->thread_names[e->a], WEFT_STORY_TEXT_MAX, "%s", e->text);
	else if (strncmp(e->kind, "name.", 5) == 0) {
		size_t i = object_get(s, e->kind + 5, e->a);
		if (i != SIZE_MAX)
			snprintf(s->objects[i].name, sizeof s->objects[i].name, "%s", e->text);
	} else if (strncmp(e->kind, "wait.", 5) == 0 && e->a < STORY_THREADS_MAX) {
		size_t i = object_get(s, e->kind + 5, e->b);
		s->waiting_on[e->a] = i == SIZE_MAX ? 0u : (uint32_t)(i + 1u);
	} else if (strcmp(e->kind, "block") == 0 && e->a < STORY_THREADS_MAX) {
		/* The object's kind, from the wait that came before: the block
		 * event itself carries only its id. */
		uint32_t w = s->waiting_on[e->a];
		if (w && s->objects[w - 1].id == e->b)
			snprintf(e->text, sizeof e->text, "%s", s->objects[w - 1].type);
	}
}

struct story *story_parse(const char *log, size_t len)
{
	struct story *s = calloc(1, sizeof *s);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += log[i] == '\n';
	lines++;
	size_t keep = lines < WEFT_STORY_EVENTS_MAX ? lines : WEFT_STORY_EVENTS_MAX;
	if (s) {
		s->events = calloc(keep, sizeof *s->events);
		s->thread_names = calloc(STORY_THREADS_MAX, sizeof *s->thread_names);
		s->waiting_on = calloc(STORY_THREADS_MAX, sizeof *s->waiting_on);
	}
	if (!s || !s->events || !s->thread_names || !s->waiting_on) {
		fprintf(stderr, "weft: no memory for the log (%zu lines)\n", lines);
		story_free(s);
		return NULL;
	}
	uint64_t running[SIM_CORES_MAX] = {0};
	size_t skip = lines - keep, start = 0, n = 0;
	for (size_t i = 0; i <= len && n < keep; i++) {
		if (i < len && log[i] != '\n')
			continue;
		if (i > start) {
			struct story_event e;
			parse_line(&e, log + start, i - start);
			learn(s, &e, running); /* names from the whole log, kept or not */
			if (skip > 0)
				skip--, s->dropped++;
			else
				s->events[n++] = e;
		}
		start = i + 1;
	}
	s->count = n;
	SIM_ASSERT(s->count <= keep);
	return s;
}

void story_free(struct story *s)
{
	if (!s)
		return;
	weft_symbols_free(s->symbols);
	free(s->events);
	free(s->thread_names);
	free(s->waiting_on);
	free(s);
}

size_t story_event_count(const struct story *s)
{
	return s->count;
}

const struct story_event *story_event_at(const struct story *s, size_t i)
{
	SIM_ASSERT(i < s->count);
	return &s->events[i];
}

unsigned story_cores_seen(const struct story *s)
{
	return s->cores;
}

/* ------------------------------------------------------------ narrate */

#define T_NAME 64u
#define O_NAME 96u

/* Events about one thread: "%T" is thread a. */
static const struct {
	const char *kind;
	const char *text; /* %T thread a, %B the word b */
} thread_kinds[] = {
	{"start", "%T created, ready on core %B"},
	{"wake", "%T woken, ready on core %B"},
	{"sleep", "%T sleeps (timer on core %B)"},
	{"timeout", "%T timed out: its wait or sleep ended by the clock (core %B)"},
	{"yield", "%T yields on core %B"},
	{"preempt", "%T preempted on core %B"},
	{"tick", "tick: the slice of %T is over on core %B"},
	{"steal", "%T stolen from core %B"},
	{"migrate", "%T moves to core %B"},
	{"prio", "%T effective priority now %B"},
	{"kick", "%T stopped by a kill (core %B)"},
	{"suspend", "%T suspended (by T%B or on core %B)"},
	{"suspended", "%T parked: its suspension took effect (core %B)"},
	{"resume", "%T resumed, home core %B"},
};

static void fill(char *out, size_t cap, const char *tmpl, const char *tname, uint64_t b)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n + 1 < cap; p++) {
		int w = 0;
		if (p[0] == '%' && p[1] == 'T')
			w = snprintf(out + n, cap - n, "%s", tname), p++;
		else if (p[0] == '%' && p[1] == 'B')
			w = snprintf(out + n, cap - n, "%" PRIu64, b), p++;
		else
			out[n] = *p, w = 1;
		if (w < 0)
			break;
		n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
	}
	out[n < cap ? n : cap - 1] = '\0';
}

/* Give, post, receive, signal, broadcast, hand-over, lock, unlock. */
static bool object_event(const struct story *s, const struct story_event *e, char *out, size_t cap)
{
	static const struct {
		const char *kind, *type, *verb, *woke, *none;
	} k[] = {
		{"give", "sem", "given by", "wakes", "no waiter: the count goes up"},
		{"post", "msgq", "gets a message from", "hands it to", "no receiver waiting: queued"},
		{"receive", "msgq", "read by", "frees the waiting sender", "no sender waiting"},
		{"signal", "cond", "signalled by", "wakes", "no waiter: lost, as a signal is"},
		{"handover", "mutex", "unlocked by", "hands it over to", NULL},
	};
	char obj[O_NAME], who[T_NAME], other[T_NAME];
	story_thread_name(s, e->actor, who, sizeof who);
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		if (strcmp(e->kind, k[i].kind) != 0)
			continue;
		object_name(s, k[i].type, e->a, obj, sizeof obj);
		story_thread_name(s, e->b, other, sizeof other);
		if (e->b != 0)
			snprintf(out, cap, "%s %s %s: %s %s", obj, k[i].verb, who, k[i].woke, other);
		else if (e->text[0])
			snprintf(out, cap, "%s %s %s: no waiter and the count is %s: -K_EAGAIN", obj,
				 k[i].verb, who, e->text);
		else
			snprintf(out, cap, "%s %s %s: %s", obj, k[i].verb, who, k[i].none ? k[i].none : "");
		return true;
	}
	if (strcmp(e->kind, "broadcast") == 0) {
		object_name(s, "cond", e->a, obj, sizeof obj);
		snprintf(out, cap, "%s broadcast by %s: wakes %" PRIu64 " waiter%s", obj, who, e->b,
			 e->b == 1 ? "" : "s");
		return true;
	}
	if (strcmp(e->kind, "lock") == 0 || strcmp(e->kind, "unlock") == 0) {
		object_name(s, "mutex", e->a, obj, sizeof obj);
		story_thread_name(s, e->b, other, sizeof other);
		snprintf(out, cap, "%s %s by %s", obj, e->kind[0] == 'l' ? "locked" : "unlocked", other);
		return true;
	}
	return false;
}

/* Switch, block, wait, exit, processes, interrupts, names. */
static bool other_event(const struct story *s, const struct story_event *e, char *out, size_t cap)
{
	char t1[T_NAME], t2[T_NAME], obj[O_NAME];
	story_thread_name(s, e->a, t1, sizeof t1);
	if (strcmp(e->kind, "switch") == 0) {
		story_thread_name(s, e->b, t2, sizeof t2);
		snprintf(out, cap, "switch %s -> %s", t1, t2);
	} else if (strcmp(e->kind, "block") == 0) {
		if (e->text[0])
			object_name(s, e->text, e->b, obj, sizeof obj);
		else
			snprintf(obj, sizeof obj, "object #%" PRIu64, e->b);
		snprintf(out, cap, "%s blocks on %s", t1, obj);
	} else if (strncmp(e->kind, "wait.", 5) == 0) {
		object_name(s, e->kind + 5, e->b, obj, sizeof obj);
		snprintf(out, cap, "%s queues itself to wait on %s", t1, obj);
	} else if (strcmp(e->kind, "exit") == 0) {
		snprintf(out, cap, "%s exits with code %d", t1, (int)(int32_t)(uint32_t)e->b);
	} else if (strcmp(e->kind, "ipi") == 0) {
		snprintf(out, cap, "IPI core %" PRIu64 " -> core %" PRIu64, e->a, e->b);
	} else if (strcmp(e->kind, "kill") == 0) {
		snprintf(out, cap, "process P%" PRIu64 " killed (%" PRIu64 " threads live)", e->a, e->b);
	} else if (strcmp(e->kind, "proc_exit") == 0) {
		snprintf(out, cap, "process P%" PRIu64 " exits with code %d", e->a, (int)(int32_t)(uint32_t)e->b);
	} else if (strcmp(e->kind, "proc_reap") == 0) {
		snprintf(out, cap, "process P%" PRIu64 " reaped", e->a);
	} else if (strcmp(e->kind, "irq") == 0 || strcmp(e->kind, "irq-drop") == 0) {
		snprintf(out, cap, "device line %" PRIu64 " %s (%" PRIu64 " so far)", e->a,
			 e->kind[3] ? "dropped: no handler" : "taken", e->b);
	} else if (strcmp(e->kind, "name.thread") == 0) {
		snprintf(out, cap, "%s made by %s", t1, (story_thread_name(s, e->actor, t2, sizeof t2), t2));
	} else if (strncmp(e->kind, "name.", 5) == 0) {
		object_name(s, e->kind + 5, e->a, obj, sizeof obj);
		story_thread_name(s, e->actor, t2, sizeof t2);
		snprintf(out, cap, "%s made by %s", obj, t2);
	} else {
		return false;
	}
	return true;
}

void story_event_text(const struct story *s, const struct story_event *e, char *out, size_t cap)
{
	SIM_ASSERT(cap > 0);
	if (!e->kind[0]) {
		size_t n = e->raw_len < cap - 1 ? e->raw_len : cap - 1;
		memcpy(out, e->raw ? e->raw : "", e->raw ? n : 0);
		out[e->raw ? n : 0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof thread_kinds / sizeof thread_kinds[0]; i++) {
		if (strcmp(e->kind, thread_kinds[i].kind) == 0) {
			char t[T_NAME];
			story_thread_name(s, e->a, t, sizeof t);
			fill(out, cap, thread_kinds[i].text, t, e->b);
			return;
		}
	}
	if (object_event(s, e, out, cap) || other_event(s, e, out, cap))
		return;
	snprintf(out, cap, "%s %" PRIu64 " %" PRIu64, e->kind, e->a, e->b);
}

unsigned story_event_threads(const struct story_event *e, uint64_t out[3])
{
	unsigned n = 0;
	out[n++] = e->actor;
	static const char *const a_is_thread[] = {
		"start", "wake", "sleep", "timeout", "yield", "preempt", "tick", "steal", "migrate",
		"prio", "kick", "suspend", "suspended", "resume", "switch", "block", "exit", "name.thread"};
	for (size_t i = 0; i < sizeof a_is_thread / sizeof a_is_thread[0]; i++)
		if (strcmp(e->kind, a_is_thread[i]) == 0 || strncmp(e->kind, "wait.", 5) == 0) {
			out[n++] = e->a;
			break;
		}
	static const char *const b_is_thread[] = {"switch", "give", "post", "receive", "signal",
						  "handover", "lock", "unlock"};
	for (size_t i = 0; i < sizeof b_is_thread / sizeof b_is_thread[0]; i++)
		if (strcmp(e->kind, b_is_thread[i]) == 0) {
			out[n++] = e->b;
			break;
		}
	SIM_ASSERT(n <= 3);
	return n;
}

/* ------------------------------------------------------------- source */

void story_event_where(struct story *s, const struct story_event *e, char *out, size_t cap)
{
	out[0] = '\0';
	if (e->site_count == 0)
		return;
	if (!s->symbols) {
		s->symbols = weft_symbols_new();
		for (size_t i = 0; i < s->count; i++)
			for (unsigned j = 0; j < s->events[i].site_count; j++)
				weft_symbols_want(s->symbols, s->events[i].sites[j]);
		weft_symbols_resolve(s->symbols);
	}
	weft_symbols_caller(s->symbols, e->sites, e->site_count, out, cap);
}

/* -------------------------------------------------------------- focus */

static bool all_digits(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static bool focus_thread(struct story *s, const char *spec)
{
	const char *digits = (spec[0] == 'T' || spec[0] == 't') ? spec + 1 : spec;
	if (all_digits(digits)) {
		s->focus_thread = strtoull(digits, NULL, 10);
		return true;
	}
	for (uint64_t t = 1; t < STORY_THREADS_MAX; t++)
		if (s->thread_names[t][0] && strcmp(s->thread_names[t], spec) == 0) {
			s->focus_thread = t;
			return true;
		}
	return false;
}

static bool focus_object(struct story *s, const char *spec)
{
	const char *hash = strchr(spec, '#');
	for (size_t i = 0; i < s->object_count; i++) {
		const struct story_object *o = &s->objects[i];
		bool by_name = o->name[0] && strcmp(o->name, spec) == 0;
		bool by_id = hash && all_digits(hash + 1) && strtoull(hash + 1, NULL, 10) == o->id &&
			     (hash == spec || (strncmp(spec, o->type, (size_t)(hash - spec)) == 0 &&
					       o->type[hash - spec] == '\0'));
		if (by_name || by_id) {
			s->focus_object = i;
			return true;
		}
	}
	return false;
}

bool story_focus_set(struct story *s, const char *spec, char *err, size_t cap)
{
	s->focus_on = true;
	if (strchr(spec, '#') == NULL && focus_thread(s, spec)) {
		s->focus_is_thread = true;
		return true;
	}
	if (focus_object(s, spec)) {
		s->focus_is_thread = false;
		return true;
	}
	snprintf(err, cap,
		 "--focus '%s' names no thread (T2, 2 or its name) or object (sem#3 or its name) of this run",
		 spec);
	return false;
}

bool story_event_in_focus(const struct story *s, const struct story_event *e)
{
	if (!s->focus_on)
		return true;
	if (!e->kind[0])
		return false;
	if (s->focus_is_thread) {
		uint64_t t[3];
		unsigned n = story_event_threads(e, t);
		for (unsigned i = 0; i < n; i++)
			if (t[i] == s->focus_thread)
				return true;
		return false;
	}
	const struct story_object *o = &s->objects[s->focus_object];
	char mine[O_NAME], theirs[O_NAME];
	object_name(s, o->type, o->id, mine, sizeof mine);
	char text[WEFT_STORY_LINE_MAX];
	story_event_text(s, e, text, sizeof text);
	(void)theirs;
	/* The object's full name followed by a space, a colon or the end. */
	const char *at = strstr(text, mine);
	size_t len = strlen(mine);
	return at && (at[len] == '\0' || at[len] == ' ' || at[len] == ':');
}
