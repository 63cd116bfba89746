/*
 * k/irq.h — device interrupts: handlers a workload, a test or a benchmark
 * connects to an interrupt line, software-raised interrupts, and the board's
 * test device (a source of interrupts whose arrival the target decides).
 *
 * Lines 0..K_IRQ_LINES-1 are the same on every target: on the simulator they
 * are engine interrupt bits (a raised line is taken at a point the strategy
 * decides, so a race between a thread and a handler is explored like any
 * other); on Cortex-M4F they are NVIC external interrupts the BSP reserves
 * (bsp.h, BSP_IRQ_LINE); on wasm they are delivered at the next interrupt
 * enable. Device interrupts are taken on core 0.
 *
 * A handler runs in isr context: interrupts off, no blocking call, on
 * the stack the target takes interrupts on (the interrupted thread's on the
 * simulator and wasm, the exception stack on Cortex-M4F). From isr it may call
 * k_sem_give, k_cond_signal, k_cond_broadcast, k_msgq_put with K_NO_WAIT,
 * k_thread_resume, k_irq_raise and k_in_isr; a thread it makes ready that is
 * more urgent than the interrupted one runs as soon as the handler returns
 * (on that core) or after an IPI (on another).
 */
#ifndef K_IRQ_H
#define K_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include <k/errno.h>

/* Device interrupt lines every target provides (equal to BSP_IRQ_LINES). */
#define K_IRQ_LINES 8u

typedef void (*k_irq_handler_fn)(unsigned line, void *arg);

/* Call fn(line, arg) in isr context each time `line` is taken. thread
 * context. Returns 0; -K_EINVAL line >= K_IRQ_LINES or fn NULL; -K_EBUSY a
 * handler is already connected to line. */
int k_irq_connect(unsigned line, k_irq_handler_fn fn, void *arg);

/* Remove line's handler and stop its test device. On return the handler is
 * not running on any core and will not be called again (a raise still pending
 * is dropped when core 0 takes it — unless a handler was connected to the
 * line again by then: the line, not the raise, is what the controller
 * keeps). thread context. Returns 0; -K_EINVAL bad line; -K_ENOENT nothing
 * connected. */
int k_irq_disconnect(unsigned line);

/* Pend `line` as a device would (software trigger). The handler runs once per
 * take, however many raises were pending (an interrupt line, not a counter).
 * any context, including isr. Returns 0; -K_EINVAL bad line; -K_ENOENT
 * nothing connected (the raise is dropped). */
int k_irq_raise(unsigned line);

/* Start the board's test device on `line`: it raises the line `count` times,
 * about one arrival every period_ns, the first about period_ns from now. On
 * the simulator each arrival time is a decision of the run (within
 * [period_ns/2, 3*period_ns/2] after the previous one, so virtual time stays
 * monotonic and timeouts keep their meaning), recorded in the trace, and the
 * next arrival is programmed only once core 0 took the previous one, so the
 * handler runs exactly once per arrival; on hardware it is a timer
 * peripheral. count 0 stops the device (an arrival already pending is still
 * taken); starting it again replaces the program. thread context. Returns 0;
 * -K_EINVAL bad line, period_ns 0 with count > 0; -K_ENOENT nothing connected;
 * -K_ENOSYS the target has no test device on that line. */
int k_irq_device_start(unsigned line, uint32_t count, uint64_t period_ns);

/* True when called from a handler (isr context). any. */
bool k_in_isr(void);

#endif /* K_IRQ_H */
