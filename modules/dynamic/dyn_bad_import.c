/*
 * dyn_bad_import.c — a module that calls a kernel function the kernel does
 * not export (bsp_console_write): the loader must refuse it (-K_ENOENT).
 */
#include <bsp.h>
#include <k/module.h>

static int bad_init(void)
{
	bsp_console_write("x", 1);
	return 0;
}

K_MODULE(dyn_bad_import, bad_init, 0, K_LEVEL_APP);
