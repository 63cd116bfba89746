/*
 * test_dynamic.c — dynamic modules on the simulator, with the real objects
 * the build compiles (modules/dynamic/): load, run, unload, reload; every
 * malformed case the loader must refuse, made by editing a copy of a real
 * object; ownership (only the owner unloads; killing the owner unloads).
 * At 1..N cores under several random schedules; after each boot nothing is
 * loaded, no executable block is held and no owner holds memory.
 *
 *   loader_dynamic --dir DIR [--cores N] [--seeds S]
 *
 * DIR holds dyn_counter.o, dyn_bad_import.o, dyn_no_desc.o, dyn_init_fails.o.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "check.h"
#include "sched/sched_oracles.h"

#include <k/loader.h>
#include <k/mem.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>

#define REGION_BYTES (16u << 20)
#define STEP_BUDGET 50000000u
#define OBJECT_BYTES_MAX (1u << 20)

struct object {
	uint8_t *bytes;
	size_t size;
};

static struct object counter, bad_import, no_desc, init_fails;
static size_t leaked;
static k_dynmod_t *child_module;
static k_sem_t *child_loaded;

static struct object read_object(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "loader_dynamic: cannot open %s\n", path);
		exit(2);
	}
	struct object o = {malloc(OBJECT_BYTES_MAX), 0};
	o.size = fread(o.bytes, 1, OBJECT_BYTES_MAX, f);
	fclose(f);
	if (o.size == 0 || o.size == OBJECT_BYTES_MAX) {
		fprintf(stderr, "loader_dynamic: %s is empty or too large\n", path);
		exit(2);
	}
	return o;
}

/* ------------------------------------------------------- mutated copies */

static uint8_t *copy_of(const struct object *o)
{
	uint8_t *c = malloc(o->size);
	memcpy(c, o->bytes, o->size);
	return c;
}

static Elf64_Shdr *shdr(uint8_t *b, unsigned i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	return (Elf64_Shdr *)(b + eh->e_shoff) + i;
}

static unsigned section_named(uint8_t *b, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	const char *names = (const char *)b + shdr(b, eh->e_shstrndx)->sh_offset;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (strcmp(names + shdr(b, i)->sh_name, name) == 0)
			return i;
	fprintf(stderr, "loader_dynamic: no section %s\n", name);
	exit(2);
}

static unsigned section_of_type(uint8_t *b, unsigned type)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (shdr(b, i)->sh_type == type)
			return i;
	exit(2);
}

static Elf64_Rela *first_text_rela(uint8_t *b)
{
	return (Elf64_Rela *)(b + shdr(b, section_named(b, ".rela.text"))->sh_offset);
}

enum mutation {
	M_CLASS, M_MACHINE, M_TYPE, M_TRUNCATED, M_OFFSET_PAST_END, M_OVERLAP, M_STRTAB,
	M_SYMBOL_NOWHERE, M_RELOC_TYPE, M_RELOC_OUTSIDE, M_RELOC_OVERFLOW, M_COUNT
};

static const struct {
	const char *what;
	int rc;
	const char *why; /* a part of the loader's reason */
} expected[M_COUNT] = {
	[M_CLASS] = {"wrong class", -K_ENOEXEC, "class"},
	[M_MACHINE] = {"wrong machine", -K_ENOEXEC, "machine"},
	[M_TYPE] = {"wrong type", -K_ENOEXEC, "type"},
	[M_TRUNCATED] = {"truncated header", -K_ENOEXEC, "truncated"},
	[M_OFFSET_PAST_END] = {"section offset past the end", -K_ENOEXEC, "past the end"},
	[M_OVERLAP] = {"overlapping sections", -K_ENOEXEC, "overlap"},
	[M_STRTAB] = {"string table without a terminator", -K_ENOEXEC, "terminator"},
	[M_SYMBOL_NOWHERE] = {"symbol pointing nowhere", -K_ENOEXEC, "pointing nowhere"},
	[M_RELOC_TYPE] = {"unknown relocation type", -K_ENOTSUP, "unknown relocation"},
	[M_RELOC_OUTSIDE] = {"relocation outside its section", -K_ENOEXEC, "outside its section"},
	[M_RELOC_OVERFLOW] = {"relocation that overflows", -K_ERANGE, "overflows"},
};

static size_t mutate(uint8_t *b, size_t size, enum mutation m)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	switch (m) {
	case M_CLASS: b[EI_CLASS] = ELFCLASS32; break;
	case M_MACHINE: eh->e_machine = EM_ARM; break;
	case M_TYPE: eh->e_type = ET_EXEC; break;
	case M_TRUNCATED: return 40;
	case M_OFFSET_PAST_END: shdr(b, section_named(b, ".text"))->sh_offset = size; break;
	case M_OVERLAP:
		shdr(b, section_named(b, ".rodata.str1.1"))->sh_offset =
			shdr(b, section_named(b, ".text"))->sh_offset + 4;
		break;
	case M_STRTAB: {
		Elf64_Shdr *s = shdr(b, section_named(b, ".strtab"));
		b[s->sh_offset + s->sh_size - 1] = 'x';
		break;
	}
	case M_SYMBOL_NOWHERE: {
		Elf64_Shdr *st = shdr(b, section_of_type(b, SHT_SYMTAB));
		Elf64_Sym *sym = (Elf64_Sym *)(b + st->sh_offset) + 1;
		sym->st_shndx = 60;
		break;
	}
	case M_RELOC_TYPE: {
		Elf64_Rela *r = first_text_rela(b);
		r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 0xff);
		break;
	}
	case M_RELOC_OUTSIDE: first_text_rela(b)->r_offset = 0x100000; break;
	case M_RELOC_OVERFLOW: {
		Elf64_Rela *r = first_text_rela(b);
		r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_32S);
		r->r_addend = (int64_t)1 << 40;
		break;
	}
	default: abort();
	}
	return size;
}

/* --------------------------------------------------------- kernel side */

static void expect_refused(const char *what, const uint8_t *b, size_t size, int rc_want,
			   const char *why_part)
{
	k_dynmod_t *m = NULL;
	const char *why = NULL;
	int rc = k_module_load(b, size, &m, &why);
	bool ok = rc == rc_want && why && strstr(why, why_part);
	if (!ok)
		printf("  %s: got %s (%s), expected %s (%s)\n", what, k_err_name(rc), why ? why : "-",
		       k_err_name(rc_want), why_part);
	CHECK(ok);
}

static void load_run_unload(int bump_by, int expect_total)
{
	k_dynmod_t *m = NULL;
	const char *why = NULL;
	int rc = k_module_load(counter.bytes, counter.size, &m, &why);
	if (rc != 0)
		printf("  load: %s (%s)\n", k_err_name(rc), why ? why : "-");
	CHECK(rc == 0);
	if (rc != 0)
		return;
	CHECK(strcmp(k_dynmod_name(m), "dyn_counter") == 0);
	int (*bump)(int) = (int (*)(int))k_dynmod_symbol(m, "dyn_counter_bump");
	CHECK(bump != NULL);
	CHECK(k_dynmod_symbol(m, "dyn_counter_init") == NULL); /* static: not kept */
	if (bump)
		CHECK(bump(bump_by) == expect_total);
	struct k_loader_stats st;
	k_loader_stats(&st);
	CHECK(st.live == 1 && st.exec_blocks == 1);
	CHECK(k_module_unload(m) == 0);
	k_loader_stats(&st);
	CHECK(st.live == 0 && st.exec_blocks == 0);
}

static void child_entry(void *arg)
{
	(void)arg;
	const char *why = NULL;
	int rc = k_module_load(counter.bytes, counter.size, &child_module, &why);
	CHECK(rc == 0);
	(void)k_sem_give(child_loaded);
	for (;;)
		(void)k_thread_sleep_ns(1000000000ull);
}

/* The loading process owns the module: another may not unload it; killing
 * the owner unloads it. */
static void ownership(void)
{
	CHECK(k_sem_create(&child_loaded, "loaded", 0, 1) == 0);
	k_proc_t *p = NULL;
	CHECK(k_proc_create(&p, "loader-child", child_entry, NULL, NULL) == 0);
	CHECK(k_sem_take(child_loaded, K_FOREVER) == 0);
	struct k_loader_stats st;
	k_loader_stats(&st);
	CHECK(st.live == 1);
	CHECK(k_module_unload(child_module) == -K_EPERM);
	CHECK(k_proc_kill(p, 3) == 0);
	int code = 0;
	CHECK(k_proc_wait(p, K_FOREVER, &code) == 0);
	CHECK(code == 3);
	k_loader_stats(&st);
	CHECK(st.live == 0 && st.reaped == 1 && st.exec_blocks == 0);
	CHECK(k_sem_destroy(child_loaded) == 0);
}

static void kernel_main(void *arg)
{
	(void)arg;
	load_run_unload(5, 1005);
	load_run_unload(1, 1001); /* reloaded: fresh data, init ran again */
	expect_refused("undefined symbol not exported", bad_import.bytes, bad_import.size,
		       -K_ENOENT, "does not export");
	expect_refused("module without a descriptor", no_desc.bytes, no_desc.size, -K_ENOEXEC,
		       "without a descriptor");
	expect_refused("init fails", init_fails.bytes, init_fails.size, -K_EIO, "init failed");
	for (unsigned m = 0; m < M_COUNT; m++) {
		uint8_t *b = copy_of(&counter);
		size_t n = mutate(b, counter.size, (enum mutation)m);
		expect_refused(expected[m].what, b, n, expected[m].rc, expected[m].why);
		free(b);
	}
	k_dynmod_t *out = NULL;
	CHECK(k_module_load(NULL, 10, &out, NULL) == -K_EINVAL);
	CHECK(k_module_unload(NULL) == -K_EINVAL);
	ownership();
	struct k_loader_stats st;
	k_loader_stats(&st);
	CHECK(st.loads == 3 && st.unloads == 2 && st.reaped == 1 && st.live == 0);
	CHECK(st.refused == 3 + M_COUNT); /* a NULL image is a bad call, not a refused image */
}

static void sim_main(void *arg)
{
	(void)arg;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	CHECK(k_boot(&bc) == 0);
	struct k_mem_stats ms;
	k_mem_stats(&ms);
	leaked = 0;
	for (unsigned i = 1; i < K_MEM_OWNERS_MAX; i++)
		leaked += ms.owner[i].used_bytes;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	unsigned cores = 1, seeds = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--cores"))
			cores = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seeds"))
			seeds = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	if (!dir || cores < 1 || cores > SIM_CORES_MAX || seeds < 1 || argc % 2 == 0) {
		fprintf(stderr, "usage: loader_dynamic --dir DIR [--cores N] [--seeds S]\n");
		return 2;
	}
	counter = read_object(dir, "dyn_counter.o");
	bad_import = read_object(dir, "dyn_bad_import.o");
	no_desc = read_object(dir, "dyn_no_desc.o");
	init_fails = read_object(dir, "dyn_init_fails.o");
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		struct bsp_sim_options opt = {.region_count = 1, .region_bytes = {REGION_BYTES}};
		bsp_sim_setup(&opt);
		bsp_sim_console_capture(true);
		unsigned before = check_failed_count;
		sim_strategy_t strat;
		sim_strategy_storage_t storage;
		sim_strategy_random(&strat, &storage, seed, 0);
		sim_config_t cfg = {.cores = cores, .strategy = &strat, .step_budget = STEP_BUDGET,
				    .on_step = sched_oracle_step, .check_every = 1,
				    .on_all_idle = sched_oracle_all_idle};
		sim_result_t res;
		enum sim_outcome outcome = bsp_sim_run(&cfg, sim_main, NULL, &res);
		if (outcome != SIM_OK)
			printf("  run: %s\n", res.message);
		CHECK(outcome == SIM_OK);
		CHECK_EQ_U64(leaked, 0);
		printf("cores %u seed %" PRIu64 ": %s\n", cores, seed,
		       check_failed_count == before ? "load, run, unload, reload, 14 refusals, kill unloads: ok"
						    : "FAILED");
		sim_result_free(&res);
		bsp_sim_teardown();
	}
	return check_report();
}
