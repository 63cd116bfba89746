/*
 * modules_main.c — the static-module image on wasm: the sample modules
 * (modules/samples/) linked as plain objects and found through the table
 * the build generates (weft_module_table: wasm objects are not ELF, so no
 * ld -r / objcopy and no section walk), booted by k_boot on the wasm board.
 * The same check as on the simulator and on m4f decides (without the two
 * same-symbol modules, which need ELF symbol localisation). Prints the boot
 * order, then "1 passed, 0 failed" (exit 0) or the difference (exit 1).
 */
#include <stdio.h>

#include <k/module.h>
#include <k/sched.h>

#include "bsp_wasm.h"
#include "sample_log.h"

#define MODULES_REGION_BYTES (4u << 20)
#define MODULES_MSG_MAX 256u

static void modules_main(void *arg)
{
	(void)arg;
	sample_note("main");
}

int main(void)
{
	struct bsp_wasm_options o = {.seed = 1, .region_bytes = MODULES_REGION_BYTES};
	if (bsp_wasm_setup(&o) < 0) {
		printf("modules: no kernel memory\n0 passed, 1 failed\n");
		bsp_wasm_exit(1);
	}
	struct k_section list = K_SECTION_REF(weft_modules);
	printf("modules: %zu linked, from the %s\n", k_module_count(),
	       k_section_from_table(&list) ? "generated table" : "section");
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = modules_main;
	sample_log_reset();
	int rc = k_boot(&bc);
	for (size_t i = 0; i < sample_log_count(); i++)
		printf("  %s\n", sample_log_at(i));
	char msg[MODULES_MSG_MAX] = "";
	int check = sample_log_check(false, msg, sizeof msg);
	bool ok = rc == 0 && check == 0 && k_section_from_table(&list);
	if (!ok)
		printf("modules: %s\n", rc != 0 ? "k_boot failed" : check != 0 ? msg : "not from the table");
	printf("%u passed, %u failed\n", ok ? 1u : 0u, ok ? 0u : 1u);
	fflush(stdout);
	bsp_wasm_exit(ok ? 0 : 1);
}
