/*
 * module.c — static modules (k/module.h): the boot order and the start and
 * finish of every module the build linked.
 *
 * The order is computed from the descriptors' contents only (level, then
 * name), never from where the linker put them, so the section and the
 * generated table give the same boot. State lives in one boot-local record,
 * touched only by the first kernel thread (k_boot runs k_module_boot and
 * k_module_shutdown there), so it needs no lock.
 */
#include <bsp.h>
#include <k/assert.h>
#include <k/errno.h>
#include <k/mem.h>
#include <k/module.h>

/* Longest module name compared or printed: a longer one is cut, not read past. */
#define MODULE_NAME_MAX 64u

enum module_state {
	MODULE_NOT_STARTED = 0,
	MODULE_RUNNING = 1,
	MODULE_FAILED = 2,
};

/* One boot's record, on the kernel heap while the modules run (so an image
 * without modules, or a kernel between boots, holds no memory for it). */
struct module_slot {
	const struct k_module *module;
	int init_rc;   /* what a failed init returned */
	uint8_t state; /* enum module_state */
};

/* Touched only by the first kernel thread (k_boot's), and read by
 * k_module_status from any thread while the modules run. */
static struct {
	struct module_slot *slots; /* boot order; NULL outside a boot */
	size_t count;
} g_modules;

static void say(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && n < MODULE_NAME_MAX * 2u)
		n++;
	bsp_console_write(s, n);
}

/* <0, 0, >0 as a's name sorts before, equal to, after b's (bytes, bounded). */
static int name_cmp(const char *a, const char *b)
{
	K_ASSERT(a != NULL && b != NULL);
	for (size_t i = 0; i < MODULE_NAME_MAX; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == '\0')
			return 0;
	}
	return 0;
}

static bool boots_before(const struct k_module *a, const struct k_module *b)
{
	K_ASSERT(a != NULL && b != NULL);
	if (a->level != b->level)
		return a->level < b->level;
	return name_cmp(a->name, b->name) < 0;
}

static bool module_valid(const struct k_module *m)
{
	return m->name != NULL && m->name[0] != '\0' && m->init != NULL &&
	       m->level <= K_LEVEL_MAX;
}

size_t k_module_count(void)
{
	struct k_section s = K_SECTION_REF(weft_modules);
	return k_section_count(&s);
}

int k_module_boot_order(const struct k_section *list, const struct k_module **out, size_t cap)
{
	K_ASSERT(list != NULL && out != NULL);
	size_t n = k_section_count(list);
	if (n > cap || n > K_MODULES_MAX)
		return -K_ENOSPC;
	/* Insertion sort: n is bounded by K_MODULES_MAX and the boot is once. */
	for (size_t i = 0; i < n; i++) {
		const struct k_module *m = k_section_at(list, i);
		if (!module_valid(m))
			return -K_EINVAL;
		size_t j = i;
		while (j > 0 && boots_before(m, out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = m;
	}
	for (size_t i = 1; i < n; i++)
		if (name_cmp(out[i - 1]->name, out[i]->name) == 0)
			return -K_EEXIST;
	for (size_t i = 1; i < n; i++)
		K_ASSERT(!boots_before(out[i], out[i - 1]));
	return (int)n;
}

/* Finish positions [0, upto) that are running, last first. */
static void finish_down_from(size_t upto)
{
	K_ASSERT(upto <= g_modules.count);
	K_ASSERT(upto == 0 || g_modules.slots != NULL);
	for (size_t k = upto; k > 0; k--) {
		struct module_slot *slot = &g_modules.slots[k - 1];
		if (slot->state != MODULE_RUNNING)
			continue;
		if (slot->module->fini)
			slot->module->fini();
		slot->state = MODULE_NOT_STARTED;
	}
}

static void report_failure(const struct k_module *m, int rc, bool required)
{
	say("module ");
	say(m->name);
	say(": init failed ");
	say(k_err_name(rc));
	say(required ? ", required: boot stops\n" : ", boot goes on without it\n");
}

/* The boot order into a fresh record on the kernel heap. */
static int record_create(void)
{
	struct k_section s = K_SECTION_REF(weft_modules);
	const struct k_module **order = k_mem_alloc(K_MODULES_MAX * sizeof *order, K_MEM_OWNER_KERNEL);
	if (!order)
		return -K_ENOMEM;
	int n = k_module_boot_order(&s, order, K_MODULES_MAX);
	if (n > 0) {
		g_modules.slots = k_mem_alloc((size_t)n * sizeof *g_modules.slots, K_MEM_OWNER_KERNEL);
		for (int i = 0; g_modules.slots && i < n; i++)
			g_modules.slots[i] = (struct module_slot){order[i], 0, MODULE_NOT_STARTED};
		if (!g_modules.slots)
			n = -K_ENOMEM;
	}
	k_mem_free(order);
	if (n < 0)
		return n;
	g_modules.count = (size_t)n;
	K_ASSERT(g_modules.count <= K_MODULES_MAX);
	return 0;
}

static void record_free(void)
{
	k_mem_free(g_modules.slots);
	g_modules.slots = NULL;
	g_modules.count = 0;
}

int k_module_boot(void)
{
	/* A run the harness abandoned (a failed exploration) may have left the
	 * last boot's pointer: its memory went with that kernel. */
	g_modules.slots = NULL;
	g_modules.count = 0;
	if (k_module_count() == 0)
		return 0;
	int rc = record_create();
	if (rc < 0) {
		say("modules: no boot order: ");
		say(k_err_name(rc));
		say(" (a malformed module list, or no memory)\n");
		return rc;
	}
	for (size_t i = 0; i < g_modules.count; i++) {
		struct module_slot *slot = &g_modules.slots[i];
		rc = slot->module->init();
		if (rc >= 0) {
			slot->state = MODULE_RUNNING;
			continue;
		}
		bool required = (slot->module->flags & K_MODULE_REQUIRED_FLAG) != 0;
		slot->state = MODULE_FAILED;
		slot->init_rc = rc;
		report_failure(slot->module, rc, required);
		if (required) {
			finish_down_from(i);
			record_free();
			return rc;
		}
	}
	return 0;
}

void k_module_shutdown(void)
{
	finish_down_from(g_modules.count);
	record_free();
}

int k_module_status(const char *name)
{
	K_ASSERT(name != NULL);
	K_ASSERT(g_modules.count <= K_MODULES_MAX);
	for (size_t i = 0; i < g_modules.count; i++) {
		const struct module_slot *slot = &g_modules.slots[i];
		if (name_cmp(slot->module->name, name) != 0)
			continue;
		if (slot->state == MODULE_FAILED)
			return slot->init_rc;
		return slot->state == MODULE_RUNNING ? 1 : 0;
	}
	return -K_ENOENT;
}
