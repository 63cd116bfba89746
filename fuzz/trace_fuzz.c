/*
 * trace_fuzz.c — libFuzzer target for the trace reader (sim_trace_decode).
 *
 * Any input must decode cleanly or fail with one line; never crash, never
 * read past the input. Whatever decodes must survive encode -> decode
 * unchanged (abort otherwise). Inputs are tried with no expected build id
 * and with one taken from the input itself and one that cannot match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static void fuzz_die(const char *what)
{
	fprintf(stderr, "trace_fuzz: %s\n", what);
	abort();
}

static void check_error_line(int rc, const char *err)
{
	if (rc == 0)
		return;
	if (err[0] == '\0' || strchr(err, '\n') != NULL)
		fuzz_die("decode failed without one clear error line");
}

static void round_trip(const sim_trace_t *t)
{
	uint8_t *data;
	size_t size;
	if (!sim_trace_encode(t, &data, &size))
		fuzz_die("a decoded trace does not encode");
	sim_trace_t again;
	char err[SIM_MESSAGE_MAX];
	if (sim_trace_decode(data, size, t->build_id, &again, err, sizeof err) != 0) {
		fprintf(stderr, "trace_fuzz: re-decode failed: %s\n", err);
		abort();
	}
	if (!sim_trace_equal(t, &again))
		fuzz_die("encode -> decode changed the trace");
	sim_trace_free(&again);
	free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sim_trace_t t;
	char err[SIM_MESSAGE_MAX];
	int rc = sim_trace_decode(data, size, NULL, &t, err, sizeof err);
	check_error_line(rc, err);
	if (rc != 0) {
		if (t.decisions != NULL || t.count != 0)
			fuzz_die("a failed decode left decisions behind");
		if (t.fit != NULL || t.fit_count != 0)
			fuzz_die("a failed decode left a fit record behind");
		return 0;
	}
	round_trip(&t);

	/* With the right build id it decodes again; with another it must not. */
	sim_trace_t same;
	char build_id[SIM_TRACE_NAME_MAX];
	memcpy(build_id, t.build_id, sizeof build_id);
	if (sim_trace_decode(data, size, build_id, &same, err, sizeof err) != 0)
		fuzz_die("decode with its own build id failed");
	if (!sim_trace_equal(&t, &same))
		fuzz_die("two decodes of one input differ");
	sim_trace_free(&same);
	rc = sim_trace_decode(data, size, "\x01not-a-build", &same, err, sizeof err);
	if (rc == 0 || strstr(err, "another build") == NULL)
		fuzz_die("a foreign build id was accepted");
	sim_trace_free(&same);
	sim_trace_free(&t);
	return 0;
}
