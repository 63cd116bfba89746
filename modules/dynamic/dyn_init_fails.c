/*
 * dyn_init_fails.c — a module whose init fails: the load returns the init's
 * code and leaves nothing loaded.
 */
#include <k/errno.h>
#include <k/module.h>

static int fails_init(void)
{
	return -K_EIO;
}

K_MODULE(dyn_init_fails, fails_init, 0, K_LEVEL_APP);
