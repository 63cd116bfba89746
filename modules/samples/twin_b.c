/*
 * twin_b.c — one of two sample modules that both define a global `counter`
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

static int twin_b_init(void)
{
	counter = 101 - 1;
	int seen = helper();
	/* The other twin's init ran or runs with its own counter. */
	sample_note(seen == 101 ? "init twin_b counter=101" : "init twin_b counter=WRONG");
	return 0;
}

static void twin_b_fini(void)
{
	sample_note(counter == 101 ? "fini twin_b" : "fini twin_b counter=WRONG");
}

K_MODULE(twin_b, twin_b_init, twin_b_fini, K_LEVEL_APP);
