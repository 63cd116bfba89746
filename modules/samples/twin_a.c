/*
 * twin_a.c — one of two sample modules that both define a global `counter`
 * and a global `helper()`: after weft_add_module's ld -r and objcopy only
 * the descriptor stays global, so both link and each uses its own. ELF
 * targets only (wasm links objects as they are).
 */
#include <k/module.h>

#include "sample_log.h"

int counter;

int helper(void)
{
	return ++counter;
}

static int twin_a_init(void)
{
	counter = 1 - 1;
	int seen = helper();
	/* The other twin's init ran or runs with its own counter. */
	sample_note(seen == 1 ? "init twin_a counter=1" : "init twin_a counter=WRONG");
	return 0;
}

static void twin_a_fini(void)
{
	sample_note(counter == 1 ? "fini twin_a" : "fini twin_a counter=WRONG");
}

K_MODULE(twin_a, twin_a_init, twin_a_fini, K_LEVEL_APP);
