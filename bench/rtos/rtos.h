/*
 * rtos.h — shared state of the RTOS benchmark cases (rtos.c, rtos_irq.c)
 * and what a target gives them (a console for JSON lines, main).
 */
#ifndef WEFT_BENCH_RTOS_H
#define WEFT_BENCH_RTOS_H

#include <stdbool.h>
#include <stdint.h>

#include <k/assert.h>
#include <k/errno.h>
#include <k/thread.h>

#define RTOS_COUNTERS 5u
#define RTOS_THREADS_MAX 8u
/* Bench threads sit below the measuring thread (K_PRIO_MAX). */
#define RTOS_PRIO_BASE 10u

struct rtos_case {
	const char *name;
	unsigned counters;     /* iterations = count[0] + ... + count[counters-1] */
	void (*start)(void);   /* create objects and threads (they wait for the CPU) */
	void (*release)(void); /* after stop is set: unblock whoever cannot see it */
	void (*stop)(void);    /* after every thread is joined: destroy objects */
};

struct rtos_state {
	volatile uint32_t count[RTOS_COUNTERS]; /* iterations, summed by the harness */
	volatile uint32_t stop;                 /* threads leave their loops */
	int error;                              /* first failed kernel call */
	unsigned threads;
	k_thread_t *thread[RTOS_THREADS_MAX];   /* joined by the harness */
	const char *only;                       /* run just this case (NULL: all) */
	unsigned failed;
	unsigned skipped;                       /* cases the kernel cannot run yet */
};

extern struct rtos_state rtos;

void rtos_note(int rc);
k_thread_t *rtos_spawn(k_thread_entry_fn fn, uintptr_t arg, unsigned prio);
int rtos_run(const char *only);
/* From a case's release (stop set): resume t until it has exited, join it. */
void rtos_release_thread(k_thread_t *t);

/* rtos_irq.c: the cases that need suspend/resume and interrupts. */
void rtos_preemptive_start(void);
void rtos_preemptive_release(void);
void rtos_interrupt_start(void);
void rtos_interrupt_release(void);
void rtos_interrupt_stop(void);
void rtos_irq_preempt_start(void);
void rtos_irq_preempt_release(void);
void rtos_irq_preempt_stop(void);

/* Given by the target's main file: stdout (JSON lines only) and stderr. */
void rtos_puts(const char *s);
void rtos_put_u64(uint64_t v);
void rtos_puts_err(const char *s);

#endif /* WEFT_BENCH_RTOS_H */
