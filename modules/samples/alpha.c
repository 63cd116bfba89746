/*
 * alpha.c — a sample static module (K_LEVEL_DRIVER): notes its init and fini, so the
 * samples' check (sample_log.c) sees the boot order.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int alpha_init(void)
{
	sample_note("init alpha");
	return 0;
}

static void alpha_fini(void)
{
	sample_note("fini alpha");
}

K_MODULE(alpha, alpha_init, alpha_fini, K_LEVEL_DRIVER);
