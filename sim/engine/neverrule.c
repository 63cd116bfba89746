/*
 * neverrule.c — the kernel's never-rule, checked: kernel code touches memory
 * shared between cores only through the BSP's primitives.
 *
 * With sim_config_t.never_rule, every plain access the instrumented kernel
 * makes (memaccess.c hands them over) is judged against happens-before as
 * the BSP's primitives create it: a vector clock per core; a spinlock or an
 * atomic is a synchronisation object the adapter names (sim_mem_sync) —
 * release copies the core's clock into the object, acquire joins the
 * object's clock into the core's; starting a core hands it the starter's
 * clock. A word remembers the core and clock of its last plain write. A
 * plain access by another core whose clock has not reached that write
 * (no release by the writer after it, acquired by this core) breaks the
 * rule. Each distinct (access site, write site) pair is reported once
 * (sim_never_report; at most SIM_NEVER_REPORTS_MAX kept, the rest counted)
 * and the run, if it would have ended well, fails at its end naming the
 * first — so one run shows every distinct violation it met. Sites are code
 * offsets in the image; the CLI and the tests symbolize them (addr2line).
 *
 * Only writes are remembered (the rule as stated: memory another core wrote
 * last); a read racing a later write is found when that write's word is
 * next read. Bounded: NEVER_CORES_MAX cores, SIM_SYNC_OBJECTS_MAX objects;
 * when the object table is full, further objects share one overflow object
 * (more ordering than real: a report may be missed, never invented).
 * Decisions use keys (offsets), never host addresses.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"

#define NEVER_TABLE_BITS 10u
_Static_assert((1u << NEVER_TABLE_BITS) == SIM_SYNC_OBJECTS_MAX, "object table is a power of two");
#define NEVER_PROBES_MAX 32u

struct never_object {
	uint64_t key;
	uint32_t gen;
	uint32_t clock[SIM_NEVER_CORES_MAX];
};

static struct {
	bool on;
	uint32_t gen;
	uint32_t clock[SIM_NEVER_CORES_MAX][SIM_NEVER_CORES_MAX]; /* [core][of core] */
	struct never_object overflow;
	struct never_object objects[SIM_SYNC_OBJECTS_MAX];
	uint64_t overflowed;
	uint32_t reports;   /* distinct violations this run (kept or not) */
	struct {
		uint32_t site, write_site;
		char text[SIM_MESSAGE_MAX];
	} report[SIM_NEVER_REPORTS_MAX];
} never;

void sim_engine_never_begin(const sim_config_t *cfg)
{
	SIM_ASSERT(cfg != NULL);
	SIM_ASSERT(!cfg->never_rule || cfg->cores <= SIM_NEVER_CORES_MAX);
	never.on = cfg->never_rule;
	memset(never.clock, 0, sizeof never.clock);
	for (unsigned c = 0; c < SIM_NEVER_CORES_MAX; c++)
		never.clock[c][c] = 1u; /* a write at clock 1 is after nothing */
	memset(&never.overflow, 0, sizeof never.overflow);
	never.overflowed = 0;
	never.reports = 0;
	if (++never.gen == 0) {
		memset(never.objects, 0, sizeof never.objects);
		never.gen = 1;
	}
}

bool sim_engine_never_on(void)
{
	return never.on;
}

static struct never_object *never_object(uint64_t key)
{
	if (key == 0)
		return &never.overflow;
	uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> (64u - NEVER_TABLE_BITS);
	for (unsigned probe = 0; probe < NEVER_PROBES_MAX; probe++) {
		struct never_object *o = &never.objects[(h + probe) & (SIM_SYNC_OBJECTS_MAX - 1u)];
		if (o->gen == never.gen && o->key == key)
			return o;
		if (o->gen != never.gen) {
			memset(o, 0, sizeof *o);
			o->key = key;
			o->gen = never.gen;
			return o;
		}
	}
	never.overflowed++;
	return &never.overflow;
}

void sim_mem_sync(const void *object, unsigned how)
{
	if (!never.on || !sim_engine.running)
		return;
	SIM_ASSERT(how != 0 && (how & ~(unsigned)SIM_SYNC_BOTH) == 0);
	unsigned c = sim_engine.current;
	SIM_ASSERT(c < SIM_NEVER_CORES_MAX);
	struct never_object *o = never_object(sim_mem_key(object));
	if (how & SIM_SYNC_ACQUIRE)
		for (unsigned i = 0; i < SIM_NEVER_CORES_MAX; i++)
			if (o->clock[i] > never.clock[c][i])
				never.clock[c][i] = o->clock[i];
	if (how & SIM_SYNC_RELEASE) {
		for (unsigned i = 0; i < SIM_NEVER_CORES_MAX; i++)
			if (never.clock[c][i] > o->clock[i])
				o->clock[i] = never.clock[c][i];
		never.clock[c][c]++;
	}
}

void sim_engine_never_core_start(unsigned starter, unsigned started)
{
	if (!never.on)
		return;
	SIM_ASSERT(starter < SIM_NEVER_CORES_MAX && started < SIM_NEVER_CORES_MAX);
	SIM_ASSERT(starter != started);
	for (unsigned i = 0; i < SIM_NEVER_CORES_MAX; i++)
		if (never.clock[starter][i] > never.clock[started][i])
			never.clock[started][i] = never.clock[starter][i];
	never.clock[starter][starter]++;
}

uint32_t sim_engine_never_clock(void)
{
	unsigned c = sim_engine.current;
	SIM_ASSERT(never.on && c < SIM_NEVER_CORES_MAX);
	return never.clock[c][c];
}

static void never_describe(uint64_t key, char *out, size_t cap)
{
	unsigned tag = (unsigned)(key >> 56);
	uint64_t offset = (key & ((1ull << 56) - 1u)) << 3;
	if (tag == 1u)
		snprintf(out, cap, "image+0x%" PRIx64, offset);
	else
		snprintf(out, cap, "region %u+0x%" PRIx64, tag - 2u, offset);
}

void sim_engine_never_check(uint64_t key, bool write, uint32_t site, unsigned writer,
			    uint32_t write_clock, uint32_t write_site)
{
	unsigned c = sim_engine.current;
	SIM_ASSERT(never.on && c < SIM_NEVER_CORES_MAX);
	SIM_ASSERT(writer < SIM_NEVER_CORES_MAX);
	if (writer == c || never.clock[c][writer] >= write_clock)
		return;
	uint32_t kept = never.reports < SIM_NEVER_REPORTS_MAX ? never.reports : SIM_NEVER_REPORTS_MAX;
	for (uint32_t i = 0; i < kept; i++)
		if (never.report[i].site == site && never.report[i].write_site == write_site)
			return; /* said once per pair */
	never.reports++;
	if (kept == SIM_NEVER_REPORTS_MAX)
		return; /* counted, not kept */
	char word[64];
	never_describe(key, word, sizeof word);
	never.report[kept].site = site;
	never.report[kept].write_site = write_site;
	snprintf(never.report[kept].text, sizeof never.report[kept].text,
		 "never-rule: core %u %s kernel word %s at site image+0x%" PRIx32
		 " with no BSP primitive since core %u wrote it at site image+0x%" PRIx32,
		 c, write ? "wrote" : "read", word, site, writer, write_site);
	sim_log("%s", never.report[kept].text);
}

uint32_t sim_never_reports(void)
{
	return never.reports;
}

const char *sim_never_report(uint32_t i)
{
	uint32_t kept = never.reports < SIM_NEVER_REPORTS_MAX ? never.reports : SIM_NEVER_REPORTS_MAX;
	return i < kept ? never.report[i].text : NULL;
}
