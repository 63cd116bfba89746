/*
 * test_trace.c — the trace format: round trips, and every way a file can be
 * wrong (truncated at each length, each single bit flipped, another build,
 * another version, not a trace) gives one clean error line, never a crash.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sim.h"

static void make_trace(sim_trace_t *t, uint64_t seed, size_t count)
{
	sim_rng_t r;
	sim_rng_seed(&r, seed);
	sim_trace_init(t);
	snprintf(t->build_id, sizeof t->build_id, "test-build-%llu", (unsigned long long)(seed % 3));
	snprintf(t->scenario, sizeof t->scenario, "scenario-%llu", (unsigned long long)seed);
	snprintf(t->strategy, sizeof t->strategy, "pct:%u", (unsigned)(seed % 5));
	t->cores = 1 + (uint32_t)sim_rng_below(&r, SIM_CORES_MAX);
	t->seed = sim_rng_next(&r);
	t->outcome = (uint32_t)sim_rng_below(&r, SIM_FAIL_ORACLE + 1);
	t->final_hash = sim_rng_next(&r);
	for (size_t i = 0; i < count; i++) {
		unsigned kind = (unsigned)sim_rng_below(&r, SIM_DECIDE_KINDS);
		uint32_t value;
		switch (sim_rng_below(&r, 6)) {
		case 0:
			value = SIM_DECISION_DEFAULT;
			break;
		case 1:
			value = (uint32_t)sim_rng_next(&r); /* any 32-bit value */
			break;
		case 2: /* runs, as ping-pong schedules make */
			if (i > 0) {
				kind = t->decisions[i - 1].kind;
				value = t->decisions[i - 1].value;
				break;
			}
			/* fall through */
		default:
			value = (uint32_t)sim_rng_below(&r, 4);
		}
		sim_trace_push(t, kind, value);
	}
	/* Odd seeds carry a fit record (format 3): random checkpoints. */
	if (seed % 2 == 1) {
		t->fit_every = SIM_TRACE_FIT_EVERY;
		t->fit_count = count / SIM_TRACE_FIT_EVERY;
		t->fit = t->fit_count ? malloc(t->fit_count * sizeof *t->fit) : NULL;
		CHECK(t->fit_count == 0 || t->fit != NULL);
		t->fit_capacity = t->fit_count;
		for (size_t i = 0; i < t->fit_count; i++)
			t->fit[i] = (uint32_t)sim_rng_next(&r);
		t->points_hash = sim_rng_next(&r) | 1u;
	}
}

/* The fit record survives a round trip; a changed checkpoint is another
 * trace; a fit record that does not match the decision count is refused
 * by the encoder. */
static void test_fit_record(void)
{
	sim_trace_t t, back;
	make_trace(&t, 7, 100);
	CHECK_EQ_U64(t.fit_count, 100 / SIM_TRACE_FIT_EVERY);
	uint8_t *data;
	size_t size;
	CHECK(sim_trace_encode(&t, &data, &size));
	char err[SIM_MESSAGE_MAX];
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), 0);
	CHECK(sim_trace_equal(&t, &back));
	CHECK_EQ_U64(back.fit_count, t.fit_count);
	back.fit[2] ^= 1u;
	CHECK(!sim_trace_equal(&t, &back));
	back.fit_count--;
	uint8_t *bad;
	size_t bad_size;
	CHECK(!sim_trace_encode(&back, &bad, &bad_size));
	back.fit_count++;
	sim_trace_free(&back);
	free(data);
	sim_trace_free(&t);
}

/* A clean error: one non-empty line. */
static bool clean_error(const char *err)
{
	return err[0] != '\0' && strchr(err, '\n') == NULL;
}

static void test_round_trip(void)
{
	static const size_t counts[] = {0, 1, 2, 3, 100, 5000, 200000};
	for (unsigned i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			sim_trace_t t, back;
			make_trace(&t, seed * 100 + i, counts[i]);
			uint8_t *data;
			size_t size;
			CHECK(sim_trace_encode(&t, &data, &size));
			char err[SIM_MESSAGE_MAX];
			int rc = sim_trace_decode(data, size, t.build_id, &back, err, sizeof err);
			CHECK_EQ_U64(rc, 0);
			if (rc != 0)
				fprintf(stderr, "decode: %s\n", err);
			CHECK(sim_trace_equal(&t, &back));
			free(data);
			sim_trace_free(&back);
			sim_trace_free(&t);
		}
	}
	/* Extremes: empty and longest names, all 64-bit fields at their max. */
	sim_trace_t t, back;
	sim_trace_init(&t);
	memset(t.scenario, 'x', SIM_TRACE_NAME_MAX - 1);
	t.cores = SIM_CORES_MAX;
	t.seed = UINT64_MAX;
	t.final_hash = UINT64_MAX;
	t.outcome = SIM_FAIL_ORACLE;
	sim_trace_push(&t, SIM_DECIDE_VALUE, UINT32_MAX - 1);
	uint8_t *data;
	size_t size;
	CHECK(sim_trace_encode(&t, &data, &size));
	char err[SIM_MESSAGE_MAX];
	CHECK_EQ_U64(sim_trace_decode(data, size, "", &back, err, sizeof err), 0);
	CHECK(sim_trace_equal(&t, &back));
	free(data);
	sim_trace_free(&back);

	/* A long run of one decision encodes in a few bytes. */
	sim_trace_free(&t);
	t.cores = 2;
	size_t header_size;
	CHECK(sim_trace_encode(&t, &data, &header_size));
	free(data);
	for (unsigned i = 0; i < 100000; i++)
		sim_trace_push(&t, SIM_DECIDE_CORE, i / 50000);
	CHECK(sim_trace_encode(&t, &data, &size));
	CHECK(size - header_size < 16);
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), 0);
	CHECK(sim_trace_equal(&t, &back));
	free(data);
	sim_trace_free(&back);

	/* A trace no decoder would accept is refused by the encoder. */
	t.cores = 0;
	CHECK(!sim_trace_encode(&t, &data, &size));
	CHECK(data == NULL);
	sim_trace_free(&t);
}

static void test_truncation_and_bit_flips(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		sim_trace_t t, back;
		make_trace(&t, seed, seed == 1 ? 0 : 40 * seed);
		uint8_t *data;
		size_t size;
		CHECK(sim_trace_encode(&t, &data, &size));
		char err[SIM_MESSAGE_MAX];
		unsigned clean = 0, truncated_named = 0;
		for (size_t len = 0; len < size; len++) {
			/* An exact-size copy: ASan sees any read past it. */
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, data, len);
			int rc = sim_trace_decode(copy, len, NULL, &back, err, sizeof err);
			clean += rc == -1 && clean_error(err) && back.count == 0 &&
				 back.decisions == NULL;
			truncated_named += strstr(err, "truncated at byte") != NULL;
			free(copy);
		}
		CHECK_EQ_U64(clean, size);
		CHECK(truncated_named >= size - 8); /* the short ones are bad magic */
		unsigned flips_caught = 0;
		for (size_t bit = 0; bit < size * 8; bit++) {
			data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int rc = sim_trace_decode(data, size, NULL, &back, err, sizeof err);
			flips_caught += rc == -1 && clean_error(err);
			if (rc == 0)
				sim_trace_free(&back);
			data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		CHECK_EQ_U64(flips_caught, size * 8);
		/* And one byte more is refused too. */
		uint8_t *longer = malloc(size + 1);
		memcpy(longer, data, size);
		longer[size] = 0;
		CHECK_EQ_U64(sim_trace_decode(longer, size + 1, NULL, &back, err, sizeof err), -1);
		CHECK(strstr(err, "checksum") || strstr(err, "unexpected bytes"));
		free(longer);
		free(data);
		sim_trace_free(&t);
	}
}

static void test_messages(void)
{
	sim_trace_t t, back;
	make_trace(&t, 6, 60); /* even: no fit record (the tail sizes below) */
	snprintf(t.build_id, sizeof t.build_id, "abc123");
	uint8_t *data;
	size_t size;
	CHECK(sim_trace_encode(&t, &data, &size));
	char err[SIM_MESSAGE_MAX];

	CHECK_EQ_U64(sim_trace_decode(data, size, "def456", &back, err, sizeof err), -1);
	CHECK(strcmp(err, "trace from another build (trace build id abc123, this build def456)") == 0);
	CHECK_EQ_U64(sim_trace_decode(data, size, "abc123", &back, err, sizeof err), 0);
	sim_trace_free(&back);

	data[0] = 'X';
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), -1);
	CHECK(strcmp(err, "not a weft trace (bad magic)") == 0);
	data[0] = 'W';

	data[8] = 7; /* the version varint */
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), -1);
	CHECK(strcmp(err, "trace format version 7 is not supported (this build reads 1..3)") == 0);
	data[8] = SIM_TRACE_VERSION;

	data[size - 1] ^= 0x40;
	CHECK_EQ_U64(sim_trace_decode(data, size, NULL, &back, err, sizeof err), -1);
	CHECK(strcmp(err, "trace checksum mismatch: damaged file") == 0);
	data[size - 1] ^= 0x40;

	/* The tail is fit interval (1 byte here), points hash (8), final hash
	 * (8), checksum (4): 30 bytes from the end is inside the decisions. */
	CHECK_EQ_U64(sim_trace_decode(data, size - 30, NULL, &back, err, sizeof err), -1);
	CHECK(strstr(err, "trace truncated at byte") && strstr(err, "(reading decision"));
	CHECK_EQ_U64(sim_trace_decode(data, size - 15, NULL, &back, err, sizeof err), -1);
	CHECK(strstr(err, "trace truncated at byte") && strstr(err, "(reading points hash"));
	CHECK_EQ_U64(sim_trace_decode(data, 3, NULL, &back, err, sizeof err), -1);
	CHECK(strcmp(err, "trace truncated at byte 3 (reading magic)") == 0);
	CHECK_EQ_U64(sim_trace_decode(NULL, 0, NULL, &back, err, sizeof err), -1);
	CHECK(clean_error(err));
	CHECK_EQ_U64(sim_trace_decode((const uint8_t *)"hello world", 11, NULL, &back, err, sizeof err), -1);
	CHECK(strcmp(err, "not a weft trace (bad magic)") == 0);
	/* No error buffer at all is fine. */
	CHECK_EQ_U64(sim_trace_decode(data, 5, NULL, &back, NULL, 0), -1);

	/* Files. */
	char path[] = "/tmp/weft-test-trace-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_U64(sim_trace_save(&t, path, err, sizeof err), 0);
	CHECK_EQ_U64(sim_trace_load(path, "abc123", &back, err, sizeof err), 0);
	CHECK(sim_trace_equal(&t, &back));
	sim_trace_free(&back);
	CHECK_EQ_U64(sim_trace_load(path, "zzz", &back, err, sizeof err), -1);
	CHECK(strstr(err, path) && strstr(err, "another build"));
	unlink(path);
	CHECK_EQ_U64(sim_trace_load(path, NULL, &back, err, sizeof err), -1);
	CHECK(strstr(err, "cannot open trace") && clean_error(err));
	CHECK_EQ_U64(sim_trace_save(&t, "/nonexistent-dir/x.trace", err, sizeof err), -1);
	CHECK(strstr(err, "cannot write trace") && clean_error(err));
	free(data);
	sim_trace_free(&t);
}

int main(void)
{
	test_round_trip();
	test_fit_record();
	test_truncation_and_bit_flips();
	test_messages();
	return check_report();
}
