/*
 * modules.c — the static-module image: the sample modules (modules/samples/)
 * linked through weft_add_module (ld -r + objcopy, as on every ELF target),
 * collected from the `weft_modules` section, booted by k_boot on the board.
 * The samples' check (boot by level then name, fini in reverse, the failed
 * init skipped, the two same-symbol modules each with its own counter)
 * decides: "1 passed, 0 failed" and exit 0, else the difference and exit 1.
 */
#include <k/module.h>
#include <k/sched.h>

#include "bsp_m4f.h"
#include "sample_log.h"

#define MODULES_MSG_MAX 256u

static void modules_main(void *arg)
{
	(void)arg;
	sample_note("main");
}

int m4f_main(const char *cmdline)
{
	(void)cmdline;
	char msg[MODULES_MSG_MAX];
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = modules_main;
	sample_log_reset();
	int rc = k_boot(&bc);
	int check = sample_log_check(true, msg, sizeof msg);
	m4f_puts(k_module_count() == 7u ? "modules: 7 linked\n" : "modules: not 7 linked\n");
	if (rc != 0 || check != 0 || k_module_count() != 7u) {
		m4f_puts(rc != 0 ? "modules: k_boot failed\n" : "modules: ");
		m4f_puts(check != 0 ? msg : "");
		m4f_puts("\n0 passed, 1 failed\n");
		return 1;
	}
	m4f_puts("modules: boot order, reverse fini, failed init, same-symbol twins: ok\n");
	m4f_puts("1 passed, 0 failed\n");
	return 0;
}
