/*
 * dynmod.c — dynamic modules (k/loader.h): load an ELF relocatable object
 * from memory, link it against the kernel's exports, run its init; unload;
 * and the module as a kind of object a process holds (the tracker frees it
 * when the owner is reaped).
 *
 * Memory: executable sections go into one block from the BSP
 * (bsp_mem_exec_alloc), every other loaded section into one block from the
 * memory manager, charged to the owning process. The image is only read.
 */
#include <bsp.h>
#include <k/assert.h>
#include <k/errno.h>
#include <k/loader.h>
#include <k/mem.h>
#include <k/module.h>

#include "../sched/sched_impl.h"
#include "loader_impl.h"

/* Global symbols a loaded module keeps for k_dynmod_symbol (the first ones
 * in symbol-table order; a module with more finds only those). */
#define DYNMOD_SYMBOLS_MAX 32u
#define DYNMOD_SYMBOL_NAME_MAX 48u
#define DESC_PREFIX "k_module_desc_"
#define DESC_SECTION "weft_modules"

enum dynmod_state { DYNMOD_LIVE = 1, DYNMOD_UNLOADING = 2 };

struct dynmod_symbol {
	char name[DYNMOD_SYMBOL_NAME_MAX];
	void *addr;
};

struct k_dynmod {
	struct k_obj obj;             /* OBJ_MODULE; obj.name is the descriptor's */
	bsp_atomic_t state;           /* enum dynmod_state: one unload wins */
	const struct k_module *desc;  /* inside data or exec */
	uint8_t *exec;                /* BSP executable block, or NULL */
	size_t exec_bytes;
	uint8_t *data;                /* memory-manager block, or NULL */
	size_t data_bytes;
	unsigned symbol_count;
	struct dynmod_symbol symbols[DYNMOD_SYMBOLS_MAX];
};

/* Everything a load needs only while it runs: on the heap, not on a
 * 4 KiB thread stack. */
struct load_ctx {
	struct elf_image img;
	struct elf_error err;
	uint8_t *addr[ELF_SECTIONS_MAX]; /* loaded address of each ALLOC section */
	uint64_t exec_total;
	uint64_t data_total;
};

static struct {
	bsp_atomic_t loads, unloads, reaped, refused, live, exec_blocks;
} stats;

/* --------------------------------------------------------------- helpers */

static bool str_eq(const char *a, const char *b, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false;
}

static bool str_prefix(const char *s, const char *prefix)
{
	for (size_t i = 0; prefix[i] != '\0'; i++) {
		K_ASSERT(i < ELF_NAME_MAX);
		if (s[i] != prefix[i])
			return false;
	}
	return true;
}

static bool loaded(const struct elf_section *s)
{
	return (s->flags & ELF_SHF_ALLOC) != 0 && s->size > 0;
}

static bool executable(const struct elf_section *s)
{
	return (s->flags & ELF_SHF_EXECINSTR) != 0;
}

static uint64_t align_up(uint64_t v, uint64_t align)
{
	K_ASSERT(align > 0 && (align & (align - 1)) == 0);
	return (v + align - 1) & ~(align - 1);
}

/* [p, p + len) lies inside the module's loaded blocks. */
static bool inside_module(const struct k_dynmod *m, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	uintptr_t e = (uintptr_t)m->exec, d = (uintptr_t)m->data;
	bool in_exec = m->exec && a >= e && a - e <= m->exec_bytes && len <= m->exec_bytes - (a - e);
	bool in_data = m->data && a >= d && a - d <= m->data_bytes && len <= m->data_bytes - (a - d);
	return in_exec || in_data;
}

static bool inside_exec(const struct k_dynmod *m, const void *p)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)1u; /* a Thumb address has bit 0 set */
	uintptr_t e = (uintptr_t)m->exec;
	return m->exec && a >= e && a - e < m->exec_bytes;
}

static const struct k_export *export_find(const char *name)
{
	loader_exports_linked();
	struct k_section s = K_SECTION_REF(weft_exports);
	size_t n = k_section_count(&s);
	for (size_t i = 0; i < n; i++) {
		const struct k_export *e = k_section_at(&s, i);
		if (str_eq(e->name, name, ELF_NAME_MAX))
			return e;
	}
	return NULL;
}

static int refuse(struct load_ctx *c, int rc, const char *why)
{
	K_ASSERT(rc < 0);
	K_ASSERT(why != NULL);
	c->err.why = why;
	return rc;
}

/* ---------------------------------------------------------------- layout */

static void layout(struct load_ctx *c)
{
	c->exec_total = 0;
	c->data_total = 0;
	for (unsigned i = 1; i < c->img.section_count; i++) {
		const struct elf_section *s = &c->img.sections[i];
		if (!loaded(s))
			continue;
		uint64_t *total = executable(s) ? &c->exec_total : &c->data_total;
		*total = align_up(*total, s->align) + s->size;
		K_ASSERT(*total <= (uint64_t)ELF_SECTIONS_MAX * (ELF_IMAGE_BYTES_MAX + ELF_ALIGN_MAX));
	}
}

static int allocate(struct load_ctx *c, struct k_dynmod *m, k_mem_owner_t owner)
{
	if (c->exec_total > 0) {
		m->exec = bsp_mem_exec_alloc((size_t)c->exec_total);
		if (!m->exec)
			return refuse(c, -K_ENOMEM, "no executable memory");
		m->exec_bytes = (size_t)c->exec_total;
		(void)bsp_atomic_fetch_add(&stats.exec_blocks, 1);
	}
	if (c->data_total > 0) {
		m->data = k_mem_alloc_aligned((size_t)c->data_total, ELF_ALIGN_MAX, owner);
		if (!m->data)
			return refuse(c, -K_ENOMEM, "no memory for data");
		m->data_bytes = (size_t)c->data_total;
	}
	return 0;
}

/* Copy each loaded section to its place (zeros for NOBITS). */
static void place_sections(struct load_ctx *c, struct k_dynmod *m)
{
	uint64_t exec_at = 0, data_at = 0;
	for (unsigned i = 0; i < c->img.section_count; i++) {
		const struct elf_section *s = &c->img.sections[i];
		c->addr[i] = NULL;
		if (!loaded(s))
			continue;
		uint64_t *at = executable(s) ? &exec_at : &data_at;
		uint8_t *base = executable(s) ? m->exec : m->data;
		*at = align_up(*at, s->align);
		K_ASSERT(*at + s->size <= (executable(s) ? m->exec_bytes : m->data_bytes));
		uint8_t *dst = base + *at;
		const uint8_t *src = c->img.bytes + s->offset;
		for (uint64_t k = 0; k < s->size; k++)
			dst[k] = s->type == ELF_SHT_NOBITS ? 0u : src[k];
		c->addr[i] = dst;
		*at += s->size;
	}
}

/* ------------------------------------------------------------ relocation */

/* The run-time address of symbol idx; thumb: a Thumb function (ARM). */
static int symbol_address(struct load_ctx *c, uint32_t idx, uint64_t *addr, bool *thumb)
{
	if (idx >= c->img.symbol_count)
		return refuse(c, -K_ENOEXEC, "relocation symbol out of range");
	struct elf_symbol sym;
	elf_symbol(&c->img, idx, &sym);
	*thumb = c->img.machine == ELF_EM_ARM && sym.type == ELF_STT_FUNC && (sym.value & 1u);
	uint64_t value = *thumb ? sym.value & ~(uint64_t)1u : sym.value;
	if (sym.shndx == ELF_SHN_ABS) {
		*addr = value;
		return 0;
	}
	if (sym.shndx != ELF_SHN_UNDEF) {
		if (!c->addr[sym.shndx])
			return refuse(c, -K_ENOEXEC, "relocation to unloaded section");
		*addr = (uint64_t)(uintptr_t)c->addr[sym.shndx] + value;
		return 0;
	}
	const char *name = elf_string(&c->img, c->img.strtab, sym.name);
	K_ASSERT(name != NULL); /* checked at parse */
	const struct k_export *e = name[0] ? export_find(name) : NULL;
	if (!e)
		return refuse(c, -K_ENOENT, "kernel does not export symbol");
	*addr = (uint64_t)(uintptr_t)e->addr;
	if (c->img.machine == ELF_EM_ARM) {
		/* A Thumb function's address carries bit 0; the relocation adds
		 * it back where the field wants it. Exported data is aligned. */
		*thumb = (*addr & 1u) != 0;
		*addr &= ~(uint64_t)1u;
	}
	return 0;
}

static int relocate_section(struct load_ctx *c, uint16_t rel)
{
	const struct elf_section *rs = &c->img.sections[rel];
	uint16_t target = (uint16_t)rs->info;
	if (!c->addr[target])
		return 0; /* relocations of a section not loaded (debug info) */
	struct reloc_place pl = {c->addr[target], c->img.sections[target].size, 0};
	uint32_t n = elf_reloc_count(&c->img, rel);
	K_ASSERT(n <= ELF_RELOCS_MAX);
	for (uint32_t i = 0; i < n; i++) {
		struct elf_reloc r;
		elf_reloc(&c->img, rel, i, &r);
		uint64_t s = 0;
		bool thumb = false;
		int rc = symbol_address(c, r.sym, &s, &thumb);
		if (rc < 0)
			return rc;
		pl.offset = r.offset;
		const char *why = NULL;
		rc = reloc_apply(c->img.machine, &pl, r.type, s, r.addend, thumb, &why);
		if (rc < 0)
			return refuse(c, rc, why);
	}
	return 0;
}

static int relocate(struct load_ctx *c)
{
	for (unsigned i = 1; i < c->img.section_count; i++) {
		uint32_t t = c->img.sections[i].type;
		if (t != ELF_SHT_REL && t != ELF_SHT_RELA)
			continue;
		int rc = relocate_section(c, (uint16_t)i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------ descriptor, names */

static bool is_descriptor(struct load_ctx *c, const struct elf_symbol *sym, const char *name)
{
	if (sym->bind != ELF_STB_GLOBAL || sym->shndx == ELF_SHN_UNDEF || sym->shndx >= c->img.section_count)
		return false;
	const char *sec = elf_string(&c->img, c->img.shstrndx, c->img.sections[sym->shndx].name);
	return str_prefix(name, DESC_PREFIX) && sec && str_eq(sec, DESC_SECTION, ELF_NAME_MAX);
}

/* A NUL within the module's blocks, at most ELF_NAME_MAX bytes on. */
static bool name_inside(const struct k_dynmod *m, const char *s)
{
	for (size_t i = 0; i < ELF_NAME_MAX; i++) {
		if (!inside_module(m, s + i, 1))
			return false;
		if (s[i] == '\0')
			return i > 0;
	}
	return false;
}

static int find_descriptor(struct load_ctx *c, struct k_dynmod *m)
{
	for (uint32_t i = 1; i < c->img.symbol_count; i++) {
		struct elf_symbol sym;
		elf_symbol(&c->img, i, &sym);
		const char *name = elf_string(&c->img, c->img.strtab, sym.name);
		if (!is_descriptor(c, &sym, name))
			continue;
		if (sym.size != sizeof(struct k_module) || !c->addr[sym.shndx] ||
		    sym.value % sizeof(void *) != 0)
			return refuse(c, -K_ENOEXEC, "bad descriptor size or place");
		const struct k_module *d = (const void *)(c->addr[sym.shndx] + sym.value);
		if (!d->name || !name_inside(m, d->name) || !d->init || !inside_exec(m, (const void *)d->init) ||
		    (d->fini && !inside_exec(m, (const void *)d->fini)))
			return refuse(c, -K_ENOEXEC, "descriptor points outside");
		m->desc = d;
		return 0;
	}
	return refuse(c, -K_ENOEXEC, "without a descriptor (K_MODULE)");
}

/* Keep the first DYNMOD_SYMBOLS_MAX global definitions for k_dynmod_symbol. */
static void keep_symbols(struct load_ctx *c, struct k_dynmod *m)
{
	m->symbol_count = 0;
	for (uint32_t i = 1; i < c->img.symbol_count && m->symbol_count < DYNMOD_SYMBOLS_MAX; i++) {
		struct elf_symbol sym;
		elf_symbol(&c->img, i, &sym);
		if (sym.bind != ELF_STB_GLOBAL || sym.shndx == ELF_SHN_UNDEF ||
		    sym.shndx >= c->img.section_count || !c->addr[sym.shndx])
			continue;
		const char *name = elf_string(&c->img, c->img.strtab, sym.name);
		struct dynmod_symbol *k = &m->symbols[m->symbol_count];
		size_t n = 0;
		while (name[n] != '\0' && n + 1 < DYNMOD_SYMBOL_NAME_MAX)
			n++;
		if (name[n] != '\0')
			continue; /* too long to keep */
		for (size_t j = 0; j <= n; j++)
			k->name[j] = name[j];
		k->addr = c->addr[sym.shndx] + sym.value;
		m->symbol_count++;
	}
	K_ASSERT(m->symbol_count <= DYNMOD_SYMBOLS_MAX);
}

/* ----------------------------------------------------------- load/unload */

static void blocks_free(struct k_dynmod *m)
{
	K_ASSERT(m != NULL);
	if (m->exec) {
		bsp_mem_exec_free(m->exec, m->exec_bytes);
		(void)bsp_atomic_fetch_add(&stats.exec_blocks, (uintptr_t)-1);
	}
	k_mem_free(m->data);
	m->exec = NULL;
	m->data = NULL;
}

/* Parse, place, link; m is allocated and empty. Not yet registered. */
static int build(struct load_ctx *c, struct k_dynmod *m, const void *image, size_t size,
		 uint16_t machine, k_mem_owner_t owner)
{
	int rc = elf_parse(&c->img, image, size, machine, &c->err);
	if (rc < 0)
		return rc;
	layout(c);
	rc = allocate(c, m, owner);
	if (rc < 0)
		return rc;
	place_sections(c, m);
	rc = relocate(c);
	if (rc == 0)
		rc = find_descriptor(c, m);
	if (rc == 0)
		keep_symbols(c, m);
	return rc;
}

static int load_deferred(const void *image, size_t size, k_dynmod_t **out, const char **why)
{
	unsigned machine = bsp_code_machine();
	K_ASSERT(BSP_CODE_MACHINE == BSP_CODE_MACHINE_ANY || machine == BSP_CODE_MACHINE);
	if ((machine != ELF_EM_X86_64 && machine != ELF_EM_ARM) || !ELF_HANDLES(machine)) {
		*why = "target cannot load code";
		return -K_ENOTSUP;
	}
	k_mem_owner_t owner = proc_owner_of_caller();
	struct load_ctx *c = k_mem_alloc(sizeof *c, owner);
	struct k_dynmod *m = k_mem_alloc(sizeof *m, owner);
	if (!c || !m) {
		k_mem_free(c);
		k_mem_free(m);
		*why = "no memory to load";
		return -K_ENOMEM;
	}
	*m = (struct k_dynmod){0};
	c->err.why = NULL;
	int rc = build(c, m, image, size, (uint16_t)machine, owner);
	*why = c->err.why;
	k_mem_free(c);
	if (rc == 0)
		rc = obj_register(&m->obj, OBJ_MODULE, m->desc->name);
	if (rc == 0) {
		bsp_atomic_store(&m->state, DYNMOD_LIVE);
		rc = m->desc->init();
		if (rc < 0) {
			*why = "init failed";
			obj_unregister(&m->obj);
		}
	}
	if (rc < 0) {
		blocks_free(m);
		k_mem_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int k_module_load(const void *image, size_t size, k_dynmod_t **out, const char **why)
{
	const char *local_why = NULL;
	if (!why)
		why = &local_why;
	*why = NULL;
	if (!image || !out) {
		*why = "no image or result pointer";
		return -K_EINVAL;
	}
	sched_kill_defer();
	int rc = load_deferred(image, size, out, why);
	sched_kill_allow();
	(void)bsp_atomic_fetch_add(rc == 0 ? &stats.loads : &stats.refused, 1);
	if (rc == 0)
		(void)bsp_atomic_fetch_add(&stats.live, 1);
	K_ASSERT(rc == 0 || *why != NULL);
	return rc;
}

static int unload_deferred(k_dynmod_t *m)
{
	if (!m || m->obj.type != OBJ_MODULE)
		return -K_EINVAL;
	if (m->obj.proc != (struct k_proc *)k_proc_self())
		return -K_EPERM;
	uintptr_t expected = DYNMOD_LIVE;
	if (!bsp_atomic_cas(&m->state, &expected, DYNMOD_UNLOADING))
		return -K_EINVAL; /* another thread is unloading it */
	if (m->desc->fini)
		m->desc->fini();
	obj_unregister(&m->obj);
	blocks_free(m);
	k_mem_free(m);
	return 0;
}

int k_module_unload(k_dynmod_t *m)
{
	sched_kill_defer();
	int rc = unload_deferred(m);
	sched_kill_allow();
	if (rc == 0) {
		(void)bsp_atomic_fetch_add(&stats.unloads, 1);
		(void)bsp_atomic_fetch_add(&stats.live, (uintptr_t)-1);
	}
	return rc;
}

const char *k_dynmod_name(const k_dynmod_t *m)
{
	if (!m || m->obj.type != OBJ_MODULE)
		return NULL;
	K_ASSERT(m->desc != NULL);
	return m->desc->name;
}

void *k_dynmod_symbol(const k_dynmod_t *m, const char *name)
{
	if (!m || !name || m->obj.type != OBJ_MODULE)
		return NULL;
	K_ASSERT(m->symbol_count <= DYNMOD_SYMBOLS_MAX);
	for (unsigned i = 0; i < m->symbol_count; i++)
		if (str_eq(m->symbols[i].name, name, DYNMOD_SYMBOL_NAME_MAX))
			return m->symbols[i].addr;
	return NULL;
}

void k_loader_stats(struct k_loader_stats *out)
{
	K_ASSERT(out != NULL);
	out->loads = bsp_atomic_load(&stats.loads);
	out->unloads = bsp_atomic_load(&stats.unloads);
	out->reaped = bsp_atomic_load(&stats.reaped);
	out->refused = bsp_atomic_load(&stats.refused);
	out->live = bsp_atomic_load(&stats.live);
	out->exec_blocks = bsp_atomic_load(&stats.exec_blocks);
	K_ASSERT(out->live <= out->loads);
}

int loader_check_image(const void *image, size_t size, uint16_t machine, const char **why)
{
	K_ASSERT(why != NULL);
	K_ASSERT(machine == ELF_EM_X86_64 || machine == ELF_EM_ARM);
	if (!ELF_HANDLES(machine)) {
		*why = "machine not built in";
		return -K_ENOTSUP;
	}
	struct load_ctx *c = k_mem_alloc(sizeof *c, K_MEM_OWNER_KERNEL);
	struct k_dynmod *m = k_mem_alloc(sizeof *m, K_MEM_OWNER_KERNEL);
	int rc = -K_ENOMEM;
	*why = "no memory to load";
	if (c && m) {
		*m = (struct k_dynmod){0};
		c->err.why = NULL;
		rc = build(c, m, image, size, machine, K_MEM_OWNER_KERNEL);
		*why = c->err.why;
		blocks_free(m);
	}
	k_mem_free(c);
	k_mem_free(m);
	return rc;
}

/* ------------------------------------------------- the tracker's object kind */

/* The owner was reaped: free the module's blocks (no fini: its process is
 * gone). registry_lock held; the tracker frees m itself. */
static void dynmod_release(struct k_obj *o)
{
	struct k_dynmod *m = (struct k_dynmod *)(void *)o;
	K_ASSERT(o->type == OBJ_MODULE);
	blocks_free(m);
	(void)bsp_atomic_fetch_add(&stats.reaped, 1);
	(void)bsp_atomic_fetch_add(&stats.live, (uintptr_t)-1);
}

static int dynmod_check(const struct k_obj *o)
{
	const struct k_dynmod *m = (const struct k_dynmod *)(const void *)o;
	if (o->type != OBJ_MODULE || !m->desc || bsp_atomic_load(&m->state) != DYNMOD_LIVE)
		return -1;
	return inside_module(m, m->desc, sizeof *m->desc) ? 0 : -1;
}

/* Counters are per boot, like every kernel global. Plain stores, as the
 * rest of the boot's resets: one core runs, nothing else can look, and a
 * BSP atomic here would be a scheduling point in every boot of every image
 * that links the loader (shifting every simulated run). */
static void dynmod_boot(void)
{
	stats.loads.value = 0;
	stats.unloads.value = 0;
	stats.reaped.value = 0;
	stats.refused.value = 0;
	stats.live.value = 0;
	stats.exec_blocks.value = 0;
	K_ASSERT(bsp_core_id() == 0);
}

OBJ_KIND(module, OBJ_MODULE, "module", dynmod_release, dynmod_check, dynmod_boot);
