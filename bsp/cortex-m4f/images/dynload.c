/*
 * dynload.c — dynamic modules on the board: Thumb-2 objects the build
 * compiled from modules/dynamic/ (embedded in this image as bytes) loaded
 * by the kernel's loader into the board's executable pool, relocated with
 * the ARM relocations, run, unloaded, reloaded; refused when they import
 * what the kernel does not export or have no descriptor; unloaded when the
 * owning process is killed. "N passed, N failed"; exit 0 when none failed.
 */
#include <stddef.h>
#include <stdint.h>

#include <k/loader.h>
#include <k/mem.h>
#include <k/proc.h>
#include <k/sched.h>
#include <k/sync.h>

#include "bsp_m4f.h"

#define DYNLOAD_SLEEP_NS 1000000000ull

extern const unsigned char dyn_counter_thumb[], dyn_no_desc_thumb[], dyn_bad_import_thumb[];
extern const size_t dyn_counter_thumb_size, dyn_no_desc_thumb_size, dyn_bad_import_thumb_size;

static unsigned passed, failed;
static k_dynmod_t *child_module;
static k_sem_t *child_loaded;

static void verdict(const char *what, int ok)
{
	m4f_puts(ok ? "ok   " : "FAIL ");
	m4f_puts(what);
	m4f_puts("\n");
	if (ok)
		passed++;
	else
		failed++;
}

static int load_bump_unload(int by, int want)
{
	k_dynmod_t *m = NULL;
	const char *why = NULL;
	int rc = k_module_load(dyn_counter_thumb, dyn_counter_thumb_size, &m, &why);
	if (rc != 0) {
		m4f_puts("  refused: ");
		m4f_puts(k_err_name(rc));
		m4f_puts(" (");
		m4f_puts(why ? why : "-");
		m4f_puts(")\n");
		return 0;
	}
	int (*bump)(int) = (int (*)(int))k_dynmod_symbol(m, "dyn_counter_bump");
	int got = bump ? bump(by) : -1;
	return k_module_unload(m) == 0 && got == want;
}

static void child(void *arg)
{
	(void)arg;
	if (k_module_load(dyn_counter_thumb, dyn_counter_thumb_size, &child_module, NULL) != 0)
		child_module = NULL;
	(void)k_sem_give(child_loaded);
	for (;;)
		(void)k_thread_sleep_ns(DYNLOAD_SLEEP_NS);
}

static void dynload_main(void *arg)
{
	(void)arg;
	verdict("load, run, unload (Thumb-2 object)", load_bump_unload(5, 1005));
	verdict("reload: fresh data, init ran again", load_bump_unload(1, 1001));
	k_dynmod_t *m = NULL;
	verdict("no descriptor: -K_ENOEXEC",
		k_module_load(dyn_no_desc_thumb, dyn_no_desc_thumb_size, &m, NULL) == -K_ENOEXEC);
	verdict("import not exported: -K_ENOENT",
		k_module_load(dyn_bad_import_thumb, dyn_bad_import_thumb_size, &m, NULL) == -K_ENOENT);
	k_proc_t *p = NULL;
	int ok = k_sem_create(&child_loaded, "loaded", 0, 1) == 0 &&
		 k_proc_create(&p, "owner", child, NULL, NULL) == 0;
	ok = ok && k_sem_take(child_loaded, K_FOREVER) == 0 && child_module != NULL &&
	     k_module_unload(child_module) == -K_EPERM;
	/* Kill it whatever happened, or the boot never ends. */
	if (p)
		ok = k_proc_kill(p, 1) == 0 && k_proc_wait(p, K_FOREVER, NULL) == 0 && ok;
	struct k_loader_stats st;
	k_loader_stats(&st);
	verdict("killing the owner unloads", ok && st.live == 0 && st.reaped == 1 && st.exec_blocks == 0);
	(void)k_sem_destroy(child_loaded);
}

int m4f_main(const char *cmdline)
{
	(void)cmdline;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = dynload_main;
	bc.main_stack_bytes = 16u * 1024u;
	if (k_boot(&bc) != 0)
		failed++;
	(void)k_mem_check();
	m4f_puts(failed == 0 && passed == 5 ? "5 passed, 0 failed\n" : "some failed\n");
	return failed == 0 && passed == 5 ? 0 : 1;
}
