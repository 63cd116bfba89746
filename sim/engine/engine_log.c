/*
 * engine_log.c — the readable event log of a run (cfg.log): one line per
 * sim_log call, "step time core: text", in a growable buffer handed to the
 * caller in result.log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define ENGINE_LOG_INITIAL_BYTES 4096u
/* A run that logs more than this keeps the first part and says so once. */
#define ENGINE_LOG_BYTES_MAX ((size_t)64 << 20)
#define ENGINE_LOG_PREFIX_BYTES 64u

static const char engine_log_cut[] = "(log truncated)\n";

void sim_engine_log_begin(void)
{
	sim_result_t *r = sim_engine.out;
	if (!sim_engine.cfg.log)
		return;
	r->log = malloc(ENGINE_LOG_INITIAL_BYTES);
	SIM_ASSERT(r->log != NULL);
	r->log[0] = '\0';
	r->log_len = 0;
	sim_engine.log_capacity = ENGINE_LOG_INITIAL_BYTES;
	sim_engine.log_truncated = false;
}

void sim_engine_log_free(sim_result_t *r)
{
	free(r->log);
	r->log = NULL;
	r->log_len = 0;
}

/* Room for `more` bytes plus the NUL; false once the cap is reached. */
static bool engine_log_reserve(size_t more)
{
	sim_result_t *r = sim_engine.out;
	size_t need = r->log_len + more + 1;
	if (need <= sim_engine.log_capacity)
		return true;
	if (need > ENGINE_LOG_BYTES_MAX)
		return false;
	size_t cap = sim_engine.log_capacity;
	while (cap < need)
		cap *= 2;
	if (cap > ENGINE_LOG_BYTES_MAX)
		cap = ENGINE_LOG_BYTES_MAX;
	char *p = realloc(r->log, cap);
	SIM_ASSERT(p != NULL); /* host out of memory: not a finding */
	r->log = p;
	sim_engine.log_capacity = cap;
	return true;
}

static void engine_log_truncate(void)
{
	sim_result_t *r = sim_engine.out;
	if (sim_engine.log_truncated)
		return;
	sim_engine.log_truncated = true;
	size_t cut = sizeof engine_log_cut - 1;
	SIM_ASSERT(sim_engine.log_capacity > cut);
	if (r->log_len + cut + 1 > sim_engine.log_capacity)
		r->log_len = sim_engine.log_capacity - cut - 1;
	memcpy(r->log + r->log_len, engine_log_cut, cut + 1);
	r->log_len += cut;
}

bool sim_log_enabled(void)
{
	return sim_engine.running && sim_engine.cfg.log && !sim_engine.log_truncated;
}

void sim_log(const char *fmt, ...)
{
	if (!sim_engine.running || !sim_engine.cfg.log || sim_engine.log_truncated)
		return;
	sim_result_t *r = sim_engine.out;
	if (!engine_log_reserve(ENGINE_LOG_PREFIX_BYTES)) {
		engine_log_truncate();
		return;
	}
	int prefix = snprintf(r->log + r->log_len, ENGINE_LOG_PREFIX_BYTES + 1,
			      "%" PRIu64 " %" PRIu64 " %u: ", sim_engine.step, sim_engine.time_ns,
			      sim_engine.current);
	SIM_ASSERT(prefix > 0 && (size_t)prefix <= ENGINE_LOG_PREFIX_BYTES);
	va_list ap;
	va_start(ap, fmt);
	va_list again;
	va_copy(again, ap);
	int text = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	SIM_ASSERT(text >= 0);
	if (!engine_log_reserve((size_t)prefix + (size_t)text + 1)) {
		va_end(again);
		r->log[r->log_len] = '\0';
		engine_log_truncate();
		return;
	}
	char *at = r->log + r->log_len + prefix;
	vsnprintf(at, (size_t)text + 1, fmt, again);
	va_end(again);
	at[text] = '\n';
	at[text + 1] = '\0';
	r->log_len += (size_t)prefix + (size_t)text + 1;
}
