/*
 * bsp_sim.h — the simulator adapter: implements bsp.h on the engine (sim.h),
 * plus the knobs a harness (tests, fuzz targets, the weft CLI) needs.
 *
 * Two modes:
 *  - direct: no run active. One core, points return at once, interrupts are a
 *    flag. Unit tests call kernel code straight from main().
 *  - run: inside bsp_sim_run(); every cross-core primitive is an engine
 *    scheduling point, bsp_panic fails the run with SIM_FAIL_ASSERT.
 *
 * Host memory regions are set by bsp_sim_setup() and stay until the next
 * setup or teardown, so a harness can boot a fresh kernel per run.
 */
#ifndef BSP_SIM_H
#define BSP_SIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsp.h"
#include "sim.h"

#define BSP_SIM_REGIONS_MAX 8u

struct bsp_sim_options {
	unsigned region_count;                      /* 1..BSP_SIM_REGIONS_MAX */
	size_t region_bytes[BSP_SIM_REGIONS_MAX];    /* sizes, any value */
	size_t region_misalign;                     /* offset each region base by this many bytes */
};

/* Allocate the host memory regions the next kernel boot sees (frees the
 * previous ones). Contents are filled with a junk pattern, not zero. */
void bsp_sim_setup(const struct bsp_sim_options *options);
/* Forget the regions and reset every adapter knob. The host memory behind
 * the regions (and, under ASan, the fibers' host stacks) stays for the next
 * setup: booting a kernel per input costs no allocation and no page fault,
 * only the junk fill of the regions handed out. */
void bsp_sim_teardown(void);
/* Free what teardown keeps (outside a run). For a host that is done with
 * the simulator, or a test of the allocation path. */
void bsp_sim_release_memory(void);

/* Fault injection by count, on top of the run's decisions: the n-th call
 * (1-based) of bsp_fault_inject(site) fails; with persist, every call after
 * it fails too. n == 0 disarms. Counts reset on each call. */
void bsp_sim_fail_nth(unsigned site, uint64_t n, bool persist);
/* bsp_fault_inject(site) calls since the last bsp_sim_fail_nth/setup. */
uint64_t bsp_sim_fault_calls(unsigned site);
/* In a run, let the strategy decide faults at `site` (a recorded decision at
 * every call). Off by default: a fault decision per allocation is noise
 * unless the workload is about faults. */
void bsp_sim_fault_decisions(unsigned site, bool enabled);

/* Direct mode only: when armed, bsp_panic long-jumps to *env (with value 1)
 * instead of aborting, so tests can check that misuse panics. NULL disarms.
 * The message is kept for bsp_sim_last_panic(). */
void bsp_sim_catch_panic(jmp_buf *env);
const char *bsp_sim_last_panic(void);

/* Console capture: when on, bsp_console_write appends to a buffer returned by
 * bsp_sim_console() instead of writing to stdout. */
void bsp_sim_console_capture(bool on);
const char *bsp_sim_console(void);

/* Events that may make new shared state visible to another core: a lock
 * released, an atomic written, a context switched, interrupts enabled.
 * Between two equal readings no kernel structure that is not under a held
 * lock has changed, so an invariant checker that skips held locks needs to
 * run only when the count moved (an exact saving, not sampling). */
uint64_t bsp_sim_publish_count(void);

/* How many times `core` has enabled interrupts in this run (counted as it
 * starts to: the point before the enable, where a pending interrupt is
 * taken right after). The latency oracle (sim/boot.c) counts these while a
 * more urgent thread waits on the core. 0 for a core out of range. */
uint64_t bsp_sim_irq_enables(unsigned core);
/* Arrivals the test device of `line` made (bsp_device_start) since the last
 * bsp_sim_setup; each arrival time was a decision of its run. */
uint64_t bsp_sim_device_arrivals(unsigned line);

/* Run main_fn(arg) on the engine with cfg; the adapter installs its own
 * irq_handler (cfg->irq_handler must be NULL). Returns the outcome. */
enum sim_outcome bsp_sim_run(const sim_config_t *cfg, void (*main_fn)(void *), void *arg,
			     sim_result_t *out);

#endif /* BSP_SIM_H */
