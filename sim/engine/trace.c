/*
 * trace.c — the trace file format: encode, decode, save, load.
 *
 * Format v2 (all integers unsigned LEB128 varints unless said otherwise; a
 * varint is at most 10 bytes and must fit its field):
 *
 *   magic        8 bytes  "WEFTTRC\0"
 *   version      varint   2 (1 is still read and written, see below)
 *   build id     string   varint length (<= SIM_TRACE_NAME_MAX-1) + bytes
 *   scenario     string   (no control bytes, no NUL, in any string)
 *   strategy     string
 *   cores        varint   1..SIM_CORES_MAX
 *   seed         varint   64 bits
 *   outcome      varint   an enum sim_outcome
 *   count        varint   decisions, <= SIM_TRACE_DECISIONS_MAX
 *   runs         until `count` decisions are described, each run is
 *                  header varint  (repeat - 1) << 3 | kind   (kind < 5)
 *                  value  varint  (value + 1) mod 2^32, so
 *                                 SIM_DECISION_DEFAULT is the single byte 0
 *                repeat identical (kind, value) pairs; repeat <= the
 *                decisions still owed
 *   fit          version 3 only: the stream's fit record (sim.h)
 *                  every   varint  0 (none) or 1..TRACE_FIT_EVERY_MAX
 *                  points  4 bytes little endian each, count / every of
 *                          them (none when every is 0)
 *                  hash    8 bytes little endian: points_hash
 *   final_hash   8 bytes  little endian
 *   checksum     4 bytes  little endian CRC-32 (IEEE, reflected) of every
 *                         byte before it
 *   nothing after the checksum.
 *
 * Version 1 is the same but for the run header, (repeat - 1) << 2 | kind
 * with kind < 3 (no timing decisions), and no fit record; version 2 has no
 * fit record. A trace keeps the version it was read with, so an old trace
 * round-trips byte for byte.
 *
 * Decoding never reads past `size`, bounds every count before trusting it,
 * allocates only once the whole file has been checked, and fails with one
 * line naming the problem and where.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_assert.h"

static const uint8_t trace_magic[8] = {'W', 'E', 'F', 'T', 'T', 'R', 'C', '\0'};

#define TRACE_CHECKSUM_BYTES 4u
#define TRACE_FILE_MAX_BYTES (512u << 20) /* far above any legal trace */
#define VARINT_MAX_BYTES 10u
#define TRACE_FIT_EVERY_MAX 4096u
#define TRACE_FIT_POINT_BYTES 4u

/* ---------------------------------------------------------------- CRC-32 */

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	/* Nibble table for the reflected polynomial 0xEDB88320. */
	static const uint32_t table[16] = {
		0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
		0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
		0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
	};
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ table[crc & 15u];
		crc = (crc >> 4) ^ table[crc & 15u];
	}
	return ~crc;
}

/* ---------------------------------------------------------------- encode */

typedef struct out_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
} out_buf_t;

static void out_bytes(out_buf_t *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if (o->cap - o->len < n) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap - o->len < n)
			cap *= 2;
		uint8_t *d = realloc(o->data, cap);
		if (!d) {
			o->failed = true;
			return;
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
}

static void out_varint(out_buf_t *o, uint64_t v)
{
	uint8_t b[VARINT_MAX_BYTES];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	out_bytes(o, b, n);
}

static void out_u64le(out_buf_t *o, uint64_t v)
{
	uint8_t b[8];
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	out_bytes(o, b, 8);
}

static void out_string(out_buf_t *o, const char *s)
{
	size_t n = strnlen(s, SIM_TRACE_NAME_MAX - 1);
	out_varint(o, n);
	out_bytes(o, s, n);
}

#define TRACE_V1_KINDS 3u
#define TRACE_V1_KIND_BITS 2u
#define TRACE_KIND_BITS 3u
_Static_assert(SIM_DECIDE_KINDS <= (1u << TRACE_KIND_BITS), "kinds fit the run header");

/* Bits of kind in a run header of format `version`. */
static unsigned trace_kind_bits(uint32_t version)
{
	return version == 1 ? TRACE_V1_KIND_BITS : TRACE_KIND_BITS;
}

static uint32_t trace_kinds(uint32_t version)
{
	return version == 1 ? TRACE_V1_KINDS : SIM_DECIDE_KINDS;
}

static bool trace_encodable(const sim_trace_t *t)
{
	if (t->cores < 1 || t->cores > SIM_CORES_MAX || t->outcome > SIM_FAIL_ORACLE)
		return false;
	if (t->count > SIM_TRACE_DECISIONS_MAX || (t->count && !t->decisions))
		return false;
	if (t->fit_every > TRACE_FIT_EVERY_MAX || (t->fit_every && t->version > 0 && t->version < 3))
		return false;
	if (t->fit_every && (t->fit_count != t->count / t->fit_every || (t->fit_count && !t->fit)))
		return false;
	if (!t->fit_every && t->fit_count)
		return false;
	uint32_t kinds = trace_kinds(t->version);
	for (size_t i = 0; i < t->count; i++)
		if (t->decisions[i].kind >= kinds)
			return false;
	return true;
}

/* Returns false on no memory, and also for a trace no decoder would accept
 * (cores outside 1..SIM_CORES_MAX, unknown outcome or decision kind, too
 * many decisions): better refused here than written and refused later. */
int64_t sim_trace_first_difference(const sim_trace_t *a, const sim_trace_t *b)
{
	size_t n = a->count < b->count ? a->count : b->count;
	for (size_t i = 0; i < n; i++) /* field by field: sim_decision_t has padding */
		if (a->decisions[i].kind != b->decisions[i].kind ||
		    a->decisions[i].value != b->decisions[i].value)
			return (int64_t)i;
	return a->count == b->count ? -1 : (int64_t)n;
}

static bool fit_equal(const sim_trace_t *a, const sim_trace_t *b)
{
	if (a->fit_every != b->fit_every || a->fit_count != b->fit_count ||
	    a->points_hash != b->points_hash)
		return false;
	for (size_t i = 0; i < a->fit_count; i++)
		if (a->fit[i] != b->fit[i])
			return false;
	return true;
}

bool sim_trace_equal(const sim_trace_t *a, const sim_trace_t *b)
{
	return a->version == b->version && strcmp(a->build_id, b->build_id) == 0 &&
	       strcmp(a->scenario, b->scenario) == 0 && strcmp(a->strategy, b->strategy) == 0 &&
	       a->cores == b->cores && a->seed == b->seed && a->outcome == b->outcome &&
	       a->final_hash == b->final_hash && sim_trace_first_difference(a, b) < 0 &&
	       fit_equal(a, b);
}

bool sim_trace_encode(const sim_trace_t *t, uint8_t **out, size_t *size)
{
	*out = NULL;
	*size = 0;
	if (!trace_encodable(t))
		return false;
	out_buf_t o = {0};
	/* A trace read as version 1 is written as version 1; anything else
	 * (0: filled by hand) as the current one. */
	uint32_t version = t->version == 1 || t->version == 2 ? t->version : SIM_TRACE_VERSION;
	unsigned kind_bits = trace_kind_bits(version);
	out_bytes(&o, trace_magic, sizeof trace_magic);
	out_varint(&o, version);
	out_string(&o, t->build_id);
	out_string(&o, t->scenario);
	out_string(&o, t->strategy);
	out_varint(&o, t->cores);
	out_varint(&o, t->seed);
	out_varint(&o, t->outcome);
	out_varint(&o, t->count);
	for (size_t i = 0; i < t->count && !o.failed;) {
		const sim_decision_t *d = &t->decisions[i];
		size_t repeat = 1;
		while (i + repeat < t->count && t->decisions[i + repeat].kind == d->kind &&
		       t->decisions[i + repeat].value == d->value)
			repeat++;
		out_varint(&o, (uint64_t)(repeat - 1) << kind_bits | d->kind);
		out_varint(&o, (uint32_t)(d->value + 1u));
		i += repeat;
	}
	if (version >= 3) {
		out_varint(&o, t->fit_every);
		for (size_t i = 0; i < t->fit_count; i++) {
			uint8_t b[TRACE_FIT_POINT_BYTES];
			for (unsigned k = 0; k < TRACE_FIT_POINT_BYTES; k++)
				b[k] = (uint8_t)(t->fit[i] >> (8 * k));
			out_bytes(&o, b, sizeof b);
		}
		out_u64le(&o, t->points_hash);
	}
	out_u64le(&o, t->final_hash);
	if (!o.failed) {
		uint32_t crc = crc32_update(0, o.data, o.len);
		uint8_t b[TRACE_CHECKSUM_BYTES];
		for (unsigned i = 0; i < TRACE_CHECKSUM_BYTES; i++)
			b[i] = (uint8_t)(crc >> (8 * i));
		out_bytes(&o, b, sizeof b);
	}
	if (o.failed) {
		free(o.data);
		return false;
	}
	*out = o.data;
	*size = o.len;
	return true;
}

/* ---------------------------------------------------------------- decode */

typedef struct in_buf {
	const uint8_t *data;
	size_t size, pos;
	char *err;
	size_t err_cap;
	bool failed;
} in_buf_t;

static bool in_fail(in_buf_t *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool in_fail(in_buf_t *in, const char *fmt, ...)
{
	if (!in->failed && in->err && in->err_cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(in->err, in->err_cap, fmt, ap);
		va_end(ap);
	}
	in->failed = true;
	return false;
}

static bool in_truncated(in_buf_t *in, const char *what)
{
	return in_fail(in, "trace truncated at byte %zu (reading %s)", in->size, what);
}

/* A varint of at most `max`. `what` names the field for messages. */
static bool in_varint(in_buf_t *in, uint64_t max, const char *what, uint64_t *v)
{
	size_t start = in->pos;
	uint64_t x = 0;
	for (unsigned i = 0; i < VARINT_MAX_BYTES; i++) {
		if (in->pos >= in->size)
			return in_truncated(in, what);
		uint8_t b = in->data[in->pos++];
		if (i == VARINT_MAX_BYTES - 1 && b > 1)
			return in_fail(in, "trace damaged: %s at byte %zu is a number wider than 64 bits",
				       what, start);
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			if (x > max)
				return in_fail(in, "trace damaged: %s at byte %zu is %llu (at most %llu)",
					       what, start, (unsigned long long)x,
					       (unsigned long long)max);
			*v = x;
			return true;
		}
	}
	return in_fail(in, "trace damaged: %s at byte %zu is a number wider than 64 bits", what,
		       start);
}

static bool in_string(in_buf_t *in, const char *what, char out[SIM_TRACE_NAME_MAX])
{
	uint64_t n;
	size_t at = in->pos;
	if (!in_varint(in, UINT64_MAX, what, &n))
		return false;
	if (n > SIM_TRACE_NAME_MAX - 1)
		return in_fail(in, "trace damaged: %s at byte %zu is %llu bytes long (at most %u)",
			       what, at, (unsigned long long)n, SIM_TRACE_NAME_MAX - 1);
	if (in->size - in->pos < n)
		return in_truncated(in, what);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = in->data[in->pos + i];
		if (c < 0x20 || c == 0x7f)
			return in_fail(in, "trace damaged: %s has a control byte 0x%02x at byte %zu",
				       what, c, in->pos + i);
		out[i] = (char)c;
	}
	out[n] = '\0';
	in->pos += n;
	return true;
}

static bool in_u64le(in_buf_t *in, const char *what, uint64_t *v)
{
	if (in->size - in->pos < 8)
		return in_truncated(in, what);
	uint64_t x = 0;
	for (unsigned i = 0; i < 8; i++)
		x |= (uint64_t)in->data[in->pos + i] << (8 * i);
	in->pos += 8;
	*v = x;
	return true;
}

static bool decode_header(in_buf_t *in, sim_trace_t *t, uint64_t *count)
{
	if (in->size < sizeof trace_magic) {
		if (memcmp(in->data, trace_magic, in->size) != 0)
			return in_fail(in, "not a weft trace (bad magic)");
		return in_truncated(in, "magic");
	}
	if (memcmp(in->data, trace_magic, sizeof trace_magic) != 0)
		return in_fail(in, "not a weft trace (bad magic)");
	in->pos = sizeof trace_magic;
	uint64_t v;
	if (!in_varint(in, UINT64_MAX, "format version", &v))
		return false;
	if (v < 1 || v > SIM_TRACE_VERSION)
		return in_fail(in, "trace format version %llu is not supported (this build reads 1..%u)",
			       (unsigned long long)v, SIM_TRACE_VERSION);
	t->version = (uint32_t)v;
	if (!in_string(in, "build id", t->build_id) || !in_string(in, "scenario", t->scenario) ||
	    !in_string(in, "strategy", t->strategy))
		return false;
	if (!in_varint(in, SIM_CORES_MAX, "core count", &v))
		return false;
	if (v < 1)
		return in_fail(in, "trace damaged: core count is 0 (1..%u allowed)", SIM_CORES_MAX);
	t->cores = (uint32_t)v;
	if (!in_varint(in, UINT64_MAX, "seed", &t->seed))
		return false;
	if (!in_varint(in, SIM_FAIL_ORACLE, "outcome", &v))
		return false;
	t->outcome = (uint32_t)v;
	return in_varint(in, SIM_TRACE_DECISIONS_MAX, "decision count", count);
}

/* Walks the runs. With `t->decisions` NULL it only checks them; otherwise it
 * fills them (the second pass, on a file already known to be sound). */
static bool decode_runs(in_buf_t *in, uint64_t count, sim_trace_t *t)
{
	uint64_t done = 0;
	unsigned kind_bits = trace_kind_bits(t->version);
	uint32_t kinds = trace_kinds(t->version);
	char what[64];
	while (done < count) {
		snprintf(what, sizeof what, "decision %llu", (unsigned long long)done);
		uint64_t header, value;
		if (!in_varint(in, UINT64_MAX, what, &header))
			return false;
		uint64_t kind = header & ((1u << kind_bits) - 1u), repeat = (header >> kind_bits) + 1;
		if (kind >= kinds)
			return in_fail(in, "trace damaged: decision %llu has unknown kind %llu",
				       (unsigned long long)done, (unsigned long long)kind);
		if (repeat > count - done)
			return in_fail(in,
				       "trace damaged: a run of %llu decisions at decision %llu "
				       "overflows the count %llu",
				       (unsigned long long)repeat, (unsigned long long)done,
				       (unsigned long long)count);
		if (!in_varint(in, UINT32_MAX, what, &value))
			return false;
		uint32_t decoded = (uint32_t)value - 1u; /* 0 encodes SIM_DECISION_DEFAULT */
		if (t->decisions) {
			for (uint64_t i = 0; i < repeat; i++) {
				t->decisions[done + i].kind = (uint8_t)kind;
				t->decisions[done + i].value = decoded;
			}
		}
		done += repeat;
	}
	return true;
}

/* The fit record (version 3). With `fill` false it only checks it;
 * otherwise t->fit (allocated by the caller) receives the checkpoints. */
static bool decode_fit(in_buf_t *in, uint64_t count, sim_trace_t *t, bool fill)
{
	if (t->version < 3)
		return true;
	uint64_t every;
	if (!in_varint(in, TRACE_FIT_EVERY_MAX, "fit interval", &every))
		return false;
	uint64_t points = every ? count / every : 0;
	SIM_ASSERT(points <= SIM_TRACE_DECISIONS_MAX);
	if ((in->size - in->pos) / TRACE_FIT_POINT_BYTES < points)
		return in_truncated(in, "fit record");
	for (uint64_t i = 0; fill && i < points; i++) {
		uint32_t x = 0;
		for (unsigned k = 0; k < TRACE_FIT_POINT_BYTES; k++)
			x |= (uint32_t)in->data[in->pos + i * TRACE_FIT_POINT_BYTES + k] << (8 * k);
		t->fit[i] = x;
	}
	in->pos += (size_t)points * TRACE_FIT_POINT_BYTES;
	t->fit_every = (uint32_t)every;
	t->fit_count = (size_t)points;
	return in_u64le(in, "points hash", &t->points_hash);
}

static bool decode_tail(in_buf_t *in, sim_trace_t *t)
{
	if (!in_u64le(in, "final hash", &t->final_hash))
		return false;
	size_t body = in->pos;
	if (in->size - in->pos < TRACE_CHECKSUM_BYTES)
		return in_truncated(in, "checksum");
	uint32_t stored = 0;
	for (unsigned i = 0; i < TRACE_CHECKSUM_BYTES; i++)
		stored |= (uint32_t)in->data[in->pos + i] << (8 * i);
	in->pos += TRACE_CHECKSUM_BYTES;
	if (crc32_update(0, in->data, body) != stored)
		return in_fail(in, "trace checksum mismatch: damaged file");
	if (in->pos != in->size)
		return in_fail(in, "trace damaged: %zu unexpected bytes after the end at byte %zu",
			       in->size - in->pos, in->pos);
	return true;
}

int sim_trace_decode(const uint8_t *data, size_t size, const char *expect_build_id,
		     sim_trace_t *t, char *err, size_t err_cap)
{
	sim_trace_init(t);
	if (err && err_cap)
		err[0] = '\0';
	static const uint8_t empty[1];
	in_buf_t in = {.data = data ? data : empty, .size = data ? size : 0,
		       .err = err, .err_cap = err_cap};
	uint64_t count = 0;
	if (!decode_header(&in, t, &count))
		return -1;
	size_t runs_at = in.pos;
	if (!decode_runs(&in, count, t) || !decode_fit(&in, count, t, false) ||
	    !decode_tail(&in, t)) {
		t->fit_every = 0;
		t->fit_count = 0;
		t->points_hash = 0;
		return -1;
	}
	if (expect_build_id && strcmp(expect_build_id, t->build_id) != 0) {
		in_fail(&in, "trace from another build (trace build id %s, this build %s)",
			t->build_id[0] ? t->build_id : "(none)",
			expect_build_id[0] ? expect_build_id : "(none)");
		sim_trace_fit_clear(t);
		return -1;
	}
	size_t fit_count = t->fit_count;
	if (fit_count > 0) {
		t->fit = malloc(fit_count * sizeof *t->fit);
		if (!t->fit) {
			in_fail(&in, "no memory for %zu fit points", fit_count);
			sim_trace_fit_clear(t);
			return -1;
		}
		t->fit_capacity = fit_count;
	}
	if (count > 0) {
		t->decisions = malloc((size_t)count * sizeof *t->decisions);
		if (!t->decisions) {
			in_fail(&in, "no memory for %llu trace decisions", (unsigned long long)count);
			sim_trace_fit_clear(t);
			return -1;
		}
		t->capacity = (size_t)count;
	}
	/* Second pass, on a file known to be sound: cannot fail. */
	in.pos = runs_at;
	bool filled = decode_runs(&in, count, t) && decode_fit(&in, count, t, true);
	SIM_ASSERT(filled);
	SIM_ASSERT(t->fit_count == fit_count);
	t->count = (size_t)count;
	return 0;
}

/* ------------------------------------------------------------------ files */

static void set_err(char *err, size_t err_cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_cap, const char *fmt, ...)
{
	if (!err || !err_cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_cap, fmt, ap);
	va_end(ap);
}

int sim_trace_save(const sim_trace_t *t, const char *path, char *err, size_t err_cap)
{
	uint8_t *data;
	size_t size;
	if (!sim_trace_encode(t, &data, &size)) {
		if (!trace_encodable(t))
			set_err(err, err_cap,
				"cannot save trace to %s: trace is invalid (cores %u, outcome %u)",
				path, (unsigned)t->cores, (unsigned)t->outcome);
		else
			set_err(err, err_cap, "cannot save trace to %s: no memory", path);
		return -1;
	}
	FILE *f = fopen(path, "wb");
	if (!f) {
		set_err(err, err_cap, "cannot write trace %s: %s", path, strerror(errno));
		free(data);
		return -1;
	}
	size_t written = fwrite(data, 1, size, f);
	int close_rc = fclose(f);
	free(data);
	if (written != size || close_rc != 0) {
		set_err(err, err_cap, "cannot write trace %s: %s", path,
			errno ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

int sim_trace_load(const char *path, const char *expect_build_id, sim_trace_t *t, char *err,
		   size_t err_cap)
{
	sim_trace_init(t);
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(err, err_cap, "cannot open trace %s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	while (data) {
		if (len == cap) {
			if (cap >= TRACE_FILE_MAX_BYTES)
				break;
			uint8_t *d = realloc(data, cap * 2);
			if (!d) {
				free(data);
				data = NULL;
				break;
			}
			data = d;
			cap *= 2;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool read_error = ferror(f) != 0;
	fclose(f);
	if (!data || read_error || len == cap) {
		set_err(err, err_cap, "cannot read trace %s: %s", path,
			!data ? "no memory" : read_error ? "read error" : "file too large");
		free(data);
		return -1;
	}
	char why[SIM_MESSAGE_MAX];
	int rc = sim_trace_decode(data, len, expect_build_id, t, why, sizeof why);
	free(data);
	if (rc != 0)
		set_err(err, err_cap, "%s: %s", path, why);
	return rc;
}
