/*
 * zeta.c — a sample static module (K_LEVEL_EARLY): notes its init and fini, so the
 * samples' check (sample_log.c) sees the boot order.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int zeta_init(void)
{
	sample_note("init zeta");
	return 0;
}

static void zeta_fini(void)
{
	sample_note("fini zeta");
}

K_MODULE(zeta, zeta_init, zeta_fini, K_LEVEL_EARLY);
