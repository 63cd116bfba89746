/*
 * memaccess_hooks.c — the callbacks clang's
 * -fsanitize-coverage=inline-8bit-counters,trace-loads,trace-stores calls
 * before each load and store of the instrumented code. Built only in the
 * races build (WEFT_MEM_POINTS), and linked into a binary only when its code
 * calls them: that is what makes sim_mem_available() true.
 *
 * Cheap on purpose: each forwards the address, size and the caller's return
 * address to sim_mem_access, which returns at once unless the run hooks
 * accesses. The counters themselves (inline-8bit-counters) are unused: the
 * coverage kind is only the vehicle load/store tracing needs.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

bool sim_mem_available(void)
{
	return true;
}

/* Instrumented modules register their counter arrays here at start-up. A
 * libFuzzer link has its own (strong) definition. */
__attribute__((weak)) void __sanitizer_cov_8bit_counters_init(char *start, char *end)
{
	(void)start;
	(void)end;
}

#define MEM_HOOK(name, bytes, write)                                           \
	void name(void *addr);                                                 \
	void name(void *addr)                                                  \
	{                                                                      \
		sim_mem_access(addr, bytes, write, __builtin_return_address(0)); \
	}

MEM_HOOK(__sanitizer_cov_load1, 1u, false)
MEM_HOOK(__sanitizer_cov_load2, 2u, false)
MEM_HOOK(__sanitizer_cov_load4, 4u, false)
MEM_HOOK(__sanitizer_cov_load8, 8u, false)
MEM_HOOK(__sanitizer_cov_load16, 16u, false)
MEM_HOOK(__sanitizer_cov_store1, 1u, true)
MEM_HOOK(__sanitizer_cov_store2, 2u, true)
MEM_HOOK(__sanitizer_cov_store4, 4u, true)
MEM_HOOK(__sanitizer_cov_store8, 8u, true)
MEM_HOOK(__sanitizer_cov_store16, 16u, true)
