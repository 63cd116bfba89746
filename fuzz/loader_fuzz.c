/*
 * loader_fuzz.c — the dynamic-module loader (kernel/loader) on arbitrary
 * bytes: every header, section, string table, symbol and relocation of an
 * ELF relocatable object is external input.
 *
 * Input: byte 0 picks the machine (bit 0: x86_64 or ARM Thumb-2); the rest
 * is the object image. On a fresh simulated memory manager the loader does
 * everything k_module_load does but run the module (loader_check_image:
 * parse, allocate, place, relocate, find the descriptor, free): running
 * code from mutated bytes would test the bytes, not the loader. Oracles:
 * ASan/UBSan (no read or write outside the image or the module's blocks),
 * the return code is 0 or one of the documented refusals with a reason, and
 * afterwards every byte is back (k_mem_check, no owner holds memory).
 * Seeds: corpus/loader/ (real module objects of the build, and mutations).
 * The run goes through the shared harness path (fuzz_harness.h): the
 * machine from bsp_sim_setup (host memory reused from the previous input),
 * the schedule drawn from the input, the run counted for bench_fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_sim.h"
#include "fuzz_harness.h"
#include "../kernel/loader/loader_impl.h"

#include <k/errno.h>
#include <k/mem.h>

/* Small: the region is junk-filled again for every input; a module whose
 * sections do not fit is refused with -K_ENOMEM, a documented outcome. */
#define LOADER_REGION_BYTES (512u << 10)

static struct {
	const uint8_t *image;
	size_t size;
	uint16_t machine;
} fz;

static void fuzz_fail(const char *what, int rc, const char *why)
{
	fprintf(stderr, "loader_fuzz: %s (rc %d %s, why: %s)\n", what, rc, k_err_name(rc),
		why ? why : "(none)");
	abort();
}

static bool documented(int rc)
{
	return rc == 0 || rc == -K_ENOEXEC || rc == -K_ENOENT || rc == -K_ERANGE ||
	       rc == -K_ENOTSUP || rc == -K_ENOMEM;
}

static void boot_main(void *arg)
{
	(void)arg;
	if (k_mem_init() != 0)
		fuzz_fail("k_mem_init failed", 0, NULL);
	const char *why = NULL;
	int rc = loader_check_image(fz.image, fz.size, fz.machine, &why);
	if (!documented(rc))
		fuzz_fail("undocumented return code", rc, why);
	if (rc < 0 && why == NULL)
		fuzz_fail("refused without a reason", rc, why);
	k_mem_check();
	struct k_mem_stats st;
	k_mem_stats(&st);
	for (unsigned i = 0; i < K_MEM_OWNERS_MAX; i++)
		if (st.owner[i].used_bytes != 0)
			fuzz_fail("memory left after the load", rc, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fz.machine = (data[0] & 1u) ? 40u : 62u; /* ELF_EM_ARM : ELF_EM_X86_64 */
	/* A private copy, exactly as long as the input: ASan sees any read past it. */
	fz.size = size - 1;
	uint8_t *copy = malloc(fz.size ? fz.size : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 1, fz.size);
	fz.image = copy;
	struct bsp_sim_options o;
	memset(&o, 0, sizeof o);
	o.region_count = 1;
	o.region_bytes[0] = LOADER_REGION_BYTES;
	bsp_sim_setup(&o);
	sim_strategy_t strategy;
	struct weft_fuzz_schedule sched;
	sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	weft_fuzz_schedule_init(&strategy, &sched, "loader-fuzz", data, size, cfg.timing_decisions);
	cfg.cores = 1;
	cfg.strategy = &strategy;
	cfg.step_budget = 50u * 1000u * 1000u;
	sim_result_t r;
	enum sim_outcome out = bsp_sim_run(&cfg, boot_main, NULL, &r);
	if (out != SIM_OK) {
		fprintf(stderr, "loader_fuzz: run failed (%d): %s\n", (int)out, r.message);
		abort();
	}
	weft_fuzz_count_run(&r);
	sim_result_free(&r);
	bsp_sim_teardown(); /* as weft_run_once: the host memory stays */
	free(copy);
	return 0;
}
