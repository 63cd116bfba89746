/*
 * mid.c — a sample static module (K_LEVEL_DRIVER): notes its init and fini, so the
 * samples' check (sample_log.c) sees the boot order.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int mid_init(void)
{
	sample_note("init mid");
	return 0;
}

static void mid_fini(void)
{
	sample_note("fini mid");
}

K_MODULE(mid, mid_init, mid_fini, K_LEVEL_DRIVER);
