/*
 * must.c — a required module whose init fails (test only): the boot stops,
 * main never runs, the modules already started are finished in reverse and
 * k_boot returns the module's code.
 */
#include <k/errno.h>
#include <k/module.h>

#include "sample_log.h"

static int must_init(void)
{
	sample_note("init must");
	return -K_EIO;
}

K_MODULE_REQUIRED(must, must_init, NULL, 25);
