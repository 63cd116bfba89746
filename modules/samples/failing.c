/*
 * failing.c — a sample module whose init fails: boot must go on without it,
 * say so on the console, and never run its fini.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int failing_init(void)
{
	sample_note("init failing");
	return -K_EIO;
}

/* Never called: a module whose init failed is not finished. */
static void failing_fini(void)
{
	sample_note("fini failing (must not happen)");
}

K_MODULE(failing, failing_init, failing_fini, K_LEVEL_SERVICE);
