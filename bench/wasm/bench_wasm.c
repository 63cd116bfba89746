/*
 * bench_wasm.c — what a context switch costs on the wasm board, in node:
 * the bare Emscripten fiber switch (asyncify unwind + rewind, board only)
 * and a kernel thread switch (two equal threads yielding to each other), the
 * fiber switch measured in the same run as the baseline. JSON lines on
 * stdout; medians of BENCH_REPS runs. --smoke: one short run, output shape
 * only.
 *
 *   node bsp/wasm/run-node.js build/wasm/bench/wasm/bench_wasm.js [--smoke]
 */
#include <stdio.h>
#include <string.h>

#include <k/sched.h>
#include <k/thread.h>

#include "bench_util.h"
#include "bsp_wasm.h"

#define BENCH_REPS 7u
#define BENCH_FIBER_SWITCHES 100000u
#define BENCH_YIELDS 20000u
#define BENCH_STACK_BYTES (32u << 10)

static unsigned fiber_switches = BENCH_FIBER_SWITCHES;
static unsigned yields = BENCH_YIELDS;

/* ------------------------------------------------------- bare fibers */

static bsp_context_t boot_ctx, peer_ctx;

static void peer(void *arg)
{
	(void)arg;
	for (;;)
		bsp_context_switch(&peer_ctx, boot_ctx);
}

/* ns per one-way switch */
static double fiber_once(void)
{
	double t0 = now_ns();
	for (unsigned i = 0; i < fiber_switches / 2u; i++)
		bsp_context_switch(&boot_ctx, peer_ctx);
	return (now_ns() - t0) / (double)(fiber_switches / 2u * 2u);
}

/* ------------------------------------------------------ kernel threads */

static void yielder(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < yields; i++)
		k_thread_yield();
}

static void kernel_main(void *arg)
{
	(void)arg;
	k_thread_t *t[2];
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.stack_bytes = BENCH_STACK_BYTES;
	for (unsigned i = 0; i < 2u; i++)
		if (k_thread_create(&t[i], yielder, NULL, &a) < 0)
			bsp_panic(__FILE__, __LINE__, "bench: k_thread_create failed");
	for (unsigned i = 0; i < 2u; i++)
		(void)k_thread_join(t[i], K_FOREVER, NULL);
}

static uint64_t kernel_switches;

static double kernel_once(void)
{
	struct bsp_wasm_options o = {.seed = 1, .region_bytes = 4u << 20, .trace_to_js = false};
	if (bsp_wasm_setup(&o) < 0)
		bsp_panic(__FILE__, __LINE__, "bench: no memory for the kernel");
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = kernel_main;
	bc.main_stack_bytes = BENCH_STACK_BYTES;
	double t0 = now_ns();
	if (k_boot(&bc) < 0)
		bsp_panic(__FILE__, __LINE__, "bench: k_boot failed");
	double dt = now_ns() - t0;
	kernel_switches = bsp_wasm_switches();
	return dt / (double)kernel_switches;
}

int main(int argc, char **argv)
{
	unsigned reps = BENCH_REPS;
	if (argc > 1 && strcmp(argv[1], "--smoke") == 0) {
		reps = 1;
		fiber_switches = 1000;
		yields = 200;
	} else if (argc > 1) {
		fprintf(stderr, "usage: bench_wasm [--smoke]\n");
		bsp_wasm_exit(2);
	}
	struct bsp_wasm_options o = {.seed = 1, .region_bytes = 1u << 20, .trace_to_js = false};
	if (bsp_wasm_setup(&o) < 0)
		bsp_wasm_exit(1);
	static _Alignas(16) unsigned char stack[BENCH_STACK_BYTES];
	peer_ctx = bsp_context_init(stack, sizeof stack, peer, NULL);
	double fiber[BENCH_REPS], kernel[BENCH_REPS];
	for (unsigned r = 0; r < reps; r++)
		fiber[r] = fiber_once();
	for (unsigned r = 0; r < reps; r++)
		kernel[r] = kernel_once();
	double f = median(fiber, reps), k = median(kernel, reps);
	printf("{\"bench\":\"wasm\",\"case\":\"fiber-switch\",\"metric\":\"ns_per_switch\",\"value\":%.1f,\"unit\":\"ns\"}\n", f);
	printf("{\"bench\":\"wasm\",\"case\":\"kernel-yield\",\"metric\":\"ns_per_switch\",\"value\":%.1f,\"unit\":\"ns\","
	       "\"baseline\":\"fiber-switch\",\"baseline_value\":%.1f,\"ratio\":%.2f}\n", k, f, k / f);
	printf("{\"bench\":\"wasm\",\"case\":\"kernel-yield\",\"metric\":\"switches\",\"value\":%llu,\"unit\":\"count\"}\n",
	       (unsigned long long)kernel_switches);
	bsp_wasm_exit(0);
}
