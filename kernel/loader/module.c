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
#include <k/module.h>

/* Longest module name compared or printed: a longer one is cut, not read past. */
#define MODULE_NAME_MAX 64u

enum module_state {
	MODULE_NOT_STARTED = 0,
	MODULE_RUNNING = 1,
	MODULE_FAILED = 2,
};

static struct {
	const struct k_module *order[K_MODULES_MAX]; /* boot order */
	uint8_t state[K_MODULES_MAX];                /* enum module_state, by boot position */
	int init_rc[K_MODULES_MAX];                  /* what a failed init returned */
	size_t count;                                /* entries in order[] */
	bool booted;                                 /* k_module_boot ran this boot */
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
	for (size_t k = upto; k > 0; k--) {
		size_t i = k - 1;
		if (g_modules.state[i] != MODULE_RUNNING)
			continue;
		if (g_modules.order[i]->fini)
			g_modules.order[i]->fini();
		g_modules.state[i] = MODULE_NOT_STARTED;
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

int k_module_boot(void)
{
	/* A run the harness abandoned (a failed exploration) may have left the
	 * last boot's record: every boot starts from none. */
	g_modules.booted = false;
	g_modules.count = 0;
	struct k_section s = K_SECTION_REF(weft_modules);
	int n = k_module_boot_order(&s, g_modules.order, K_MODULES_MAX);
	if (n < 0) {
		say("modules: the linked module list is malformed: ");
		say(k_err_name(n));
		say("\n");
		return n;
	}
	g_modules.count = (size_t)n;
	g_modules.booted = true;
	for (size_t i = 0; i < g_modules.count; i++) {
		g_modules.state[i] = MODULE_NOT_STARTED;
		g_modules.init_rc[i] = 0;
	}
	for (size_t i = 0; i < g_modules.count; i++) {
		const struct k_module *m = g_modules.order[i];
		int rc = m->init();
		if (rc >= 0) {
			g_modules.state[i] = MODULE_RUNNING;
			continue;
		}
		bool required = (m->flags & K_MODULE_REQUIRED_FLAG) != 0;
		g_modules.state[i] = MODULE_FAILED;
		g_modules.init_rc[i] = rc;
		report_failure(m, rc, required);
		if (required) {
			finish_down_from(i);
			return rc;
		}
	}
	return 0;
}

void k_module_shutdown(void)
{
	if (!g_modules.booted)
		return;
	finish_down_from(g_modules.count);
	g_modules.booted = false;
}

int k_module_status(const char *name)
{
	K_ASSERT(name != NULL);
	K_ASSERT(g_modules.count <= K_MODULES_MAX);
	for (size_t i = 0; i < g_modules.count; i++) {
		if (name_cmp(g_modules.order[i]->name, name) != 0)
			continue;
		if (g_modules.state[i] == MODULE_FAILED)
			return g_modules.init_rc[i];
		return g_modules.state[i] == MODULE_RUNNING ? 1 : 0;
	}
	return -K_ENOENT;
}
