/*
 * bsp_wasm.h — the WebAssembly board (Emscripten): bsp.h on one core, plus
 * the knobs the runner (bsp/wasm/weft_wasm.c) needs.
 *
 * What the board is:
 *  - One core. bsp_core_start always fails (-BSP_EINVAL), bsp_ipi_send(0)
 *    pends the IPI bit on that core.
 *  - Contexts are Emscripten fibers (emscripten_fiber_*, -sASYNCIFY): a
 *    switch unwinds the running wasm stack into the fiber's asyncify buffer
 *    and rewinds the other one. bsp_context_init splits the stack the kernel
 *    gives into the fiber record, the asyncify buffer and the C stack.
 *  - Time is virtual: every BSP primitive is a point that advances the clock
 *    by a cost drawn from the run's seed (BSP_WASM_POINT_COST_NS, +/- half),
 *    and an idle core jumps to the next deadline. Pending interrupts (timer,
 *    IPI, device lines) are taken at the first point where interrupts are on.
 *    No host time, no host randomness: a seed replays the same run.
 *  - Device lines (bsp_irq_line_raise) pend at once and are taken at the next
 *    point with interrupts on. The test device (bsp_device_start) is driven
 *    by the virtual clock: each arrival comes a seeded time in
 *    [period/2, 3*period/2] after the previous one (the simulator's window).
 *  - Memory regions come from the wasm heap (malloc), filled with junk.
 *  - Host files are unsupported: every bsp_file_* and bsp_dir_entry returns
 *    -BSP_ENOSYS. No executable memory (bsp_mem_exec_alloc returns NULL).
 *  - Console: stdout (node) or the page's print callback (browser).
 *  - Trace events (bsp_trace_event) go, when enabled, to Module.weftTrace
 *    (the page's activity view) with the virtual time.
 */
#ifndef BSP_WASM_H
#define BSP_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsp.h"

/* Mean virtual cost of one BSP primitive (the simulator's step cost). */
#define BSP_WASM_POINT_COST_NS 100u

struct bsp_wasm_options {
	uint64_t seed;         /* point costs and device arrivals; any value */
	size_t region_bytes;   /* the main memory region (a second small one is added) */
	bool trace_to_js;      /* forward bsp_trace_event to Module.weftTrace */
};

/* Called by the runner's main once per kernel boot, before k_boot: makes the
 * calling context core 0's boot context (first call only), frees the previous
 * regions and allocates fresh junk-filled ones, resets the clock, interrupts
 * and devices. Returns 0, -BSP_ENOMEM when the heap cannot give the regions. */
int bsp_wasm_setup(const struct bsp_wasm_options *options);

/* Called by bsp_core_idle when the core has nothing to wait for: interrupts
 * off, nothing pending, no timer, no device arrival. On one core this is the
 * end of the line (every thread blocked for ever): the hook reports and ends
 * the run; if it returns (or none is set) the board panics. */
typedef void (*bsp_wasm_stuck_fn)(void);
void bsp_wasm_on_stuck(bsp_wasm_stuck_fn fn);

/* Called by bsp_panic after it printed file, line and message, before the run
 * ends with exit status 1 (the runner prints its verdict line there). */
typedef void (*bsp_wasm_panic_fn)(void);
void bsp_wasm_on_panic(bsp_wasm_panic_fn fn);

/* End the run with exit status `status`: flush the console, tell the page
 * (Module.weftExit(status), if it set one: Emscripten's own onExit is not
 * called while fibers keep the runtime alive), then exit(). Never returns. */
_Noreturn void bsp_wasm_exit(int status);

/* Points taken and context switches made since the last setup. */
uint64_t bsp_wasm_points(void);
uint64_t bsp_wasm_switches(void);

#endif /* BSP_WASM_H */
