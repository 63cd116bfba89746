/*
 * sample_log.c — the sample modules' event log and its expected contents
 * (sample_log.h). Plain freestanding C: it runs on every target.
 */
#include <k/assert.h>

#include "sample_log.h"

static const char *log_events[SAMPLE_LOG_MAX];
static size_t log_count;

/* Boot order: level, then name. File (link) order is alpha, beta, failing,
 * mid, twin_a, twin_b, zeta: an order by link would differ at the first. */
static const char *const expected_base[] = {
	"init zeta",    /* K_LEVEL_EARLY */
	"init beta",    /* K_LEVEL_CORE */
	"init alpha",   /* K_LEVEL_DRIVER, "alpha" < "mid" */
	"init mid",     /* K_LEVEL_DRIVER */
	"init failing", /* K_LEVEL_SERVICE: returns -K_EIO, never finished */
};
static const char *const expected_twins[] = {
	"init twin_a counter=1", /* K_LEVEL_APP: each twin's own counter */
	"init twin_b counter=101",
};
static const char *const expected_tail_twins[] = {"fini twin_b", "fini twin_a"};
static const char *const expected_tail[] = {"fini mid", "fini alpha", "fini beta", "fini zeta"};

void sample_note(const char *event)
{
	K_ASSERT(event != NULL);
	K_ASSERT(log_count < SAMPLE_LOG_MAX);
	log_events[log_count++] = event;
}

void sample_log_reset(void)
{
	log_count = 0;
	K_ASSERT(log_count == 0);
}

size_t sample_log_count(void)
{
	return log_count;
}

const char *sample_log_at(size_t index)
{
	K_ASSERT(index < log_count);
	return log_events[index];
}

static bool same(const char *a, const char *b)
{
	for (size_t i = 0; i < SAMPLE_LOG_MAX * 4u; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false;
}

static void put(char *msg, size_t cap, size_t *at, const char *s)
{
	for (size_t i = 0; s[i] != '\0' && *at + 1 < cap; i++)
		msg[(*at)++] = s[i];
	if (cap > 0)
		msg[*at < cap ? *at : cap - 1] = '\0';
}

/* Check events [*pos, *pos+n) against want[]; advances *pos. */
static int expect(const char *const *want, size_t n, size_t *pos, char *msg, size_t cap)
{
	for (size_t i = 0; i < n; i++, (*pos)++) {
		const char *got = *pos < log_count ? log_events[*pos] : "(nothing)";
		if (same(got, want[i]))
			continue;
		size_t at = 0;
		put(msg, cap, &at, "expected '");
		put(msg, cap, &at, want[i]);
		put(msg, cap, &at, "', got '");
		put(msg, cap, &at, got);
		put(msg, cap, &at, "'");
		return -1;
	}
	return 0;
}

int sample_log_check(bool twins, char *msg, size_t cap)
{
	K_ASSERT(msg != NULL && cap > 0);
	static const char *const main_event[] = {"main"};
	size_t pos = 0;
	int rc = expect(expected_base, sizeof expected_base / sizeof expected_base[0], &pos, msg, cap);
	if (rc == 0 && twins)
		rc = expect(expected_twins, 2, &pos, msg, cap);
	if (rc == 0)
		rc = expect(main_event, 1, &pos, msg, cap);
	if (rc == 0 && twins)
		rc = expect(expected_tail_twins, 2, &pos, msg, cap);
	if (rc == 0)
		rc = expect(expected_tail, sizeof expected_tail / sizeof expected_tail[0], &pos, msg, cap);
	if (rc == 0 && pos != log_count) {
		size_t at = 0;
		put(msg, cap, &at, "unexpected event after the last fini: ");
		put(msg, cap, &at, log_events[pos]);
		rc = -1;
	}
	return rc;
}
