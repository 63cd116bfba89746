/*
 * beta.c — a sample static module (K_LEVEL_CORE): notes its init and fini, so the
 * samples' check (sample_log.c) sees the boot order.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int beta_init(void)
{
	sample_note("init beta");
	return 0;
}

static void beta_fini(void)
{
	sample_note("fini beta");
}

K_MODULE(beta, beta_init, beta_fini, K_LEVEL_CORE);
