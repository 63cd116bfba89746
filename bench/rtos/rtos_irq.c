/*
 * rtos_irq.c — the RTOS benchmark cases that need k_thread_suspend/resume
 * and device interrupts (k/irq.h): preemptive, interrupt,
 * interrupt-preemption. See rtos.c for what an iteration is.
 */
#include <k/irq.h>
#include <k/sync.h>
#include <k/thread.h>

#include "rtos.h"

#define RTOS_LINE_SEM 0u
#define RTOS_LINE_RESUME 1u
#define PREEMPT_THREADS 5u

/* ------------------------------------------------------- preemptive */

static k_thread_t *chain[PREEMPT_THREADS];

/* Thread 0, least urgent, resumes thread 1 and counts; thread i (1..4)
 * waits suspended, counts, resumes thread i+1 (which preempts it) and
 * suspends itself again. */
static void preemptive_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	int rc = 0;
	if (i == 0u) {
		while (!rtos.stop) {
			/* Once stop is set, chain[1] may have left (-K_ESRCH):
			 * the release joins this thread first, so the handle is
			 * still valid. */
			int r = k_thread_resume(chain[1]);
			if (!rtos.stop)
				rc |= r;
			rtos.count[0]++;
		}
	} else {
		/* stop is checked before suspending too: the measuring thread,
		 * most urgent, sets it and resumes whoever is suspended at that
		 * moment; a thread it caught between the two finds it here. */
		while (!rtos.stop) {
			rc |= k_thread_suspend(k_thread_self());
			if (rtos.stop)
				break;
			rtos.count[i]++;
			if (i + 1u < PREEMPT_THREADS)
				rc |= k_thread_resume(chain[i + 1u]);
		}
	}
	rtos_note(rc);
}

void rtos_preemptive_start(void)
{
	/* Created most urgent first, so chain[i+1] exists before thread i
	 * can run (they all wait for the measuring thread to sleep). */
	for (unsigned n = PREEMPT_THREADS; n-- > 0u;)
		chain[n] = rtos_spawn(preemptive_thread, n, RTOS_PRIO_BASE + n);
}

void rtos_preemptive_release(void)
{
	/* Thread 0 first: it may resume chain[1] once more after stop, so
	 * chain[1] is not joined (freed) before thread 0 is gone. */
	for (unsigned i = 0; i < PREEMPT_THREADS; i++)
		rtos_release_thread(chain[i]);
}

/* -------------------------------------------------------- interrupt */

static k_sem_t *irq_sem;

static void irq_give(unsigned line, void *arg)
{
	(void)line;
	(void)arg;
	(void)k_sem_give(irq_sem);
}

static void interrupt_thread(void *arg)
{
	(void)arg;
	int rc = 0;
	while (!rtos.stop) {
		rc |= k_irq_raise(RTOS_LINE_SEM);
		rc |= k_sem_take(irq_sem, K_FOREVER);
		rtos.count[0]++;
	}
	rtos_note(rc);
}

void rtos_interrupt_start(void)
{
	rtos_note(k_sem_create(&irq_sem, "bench-irq", 0u, 1u));
	rtos_note(k_irq_connect(RTOS_LINE_SEM, irq_give, NULL));
	rtos_spawn(interrupt_thread, 0, RTOS_PRIO_BASE);
}

void rtos_interrupt_release(void)
{
}

void rtos_interrupt_stop(void)
{
	rtos_note(k_irq_disconnect(RTOS_LINE_SEM));
	rtos_note(k_sem_destroy(irq_sem));
}

/* ------------------------------------------- interrupt-preemption */

static k_thread_t *irq_urgent;
static k_thread_t *irq_raiser;

static void irq_resume(unsigned line, void *arg)
{
	(void)line;
	(void)arg;
	(void)k_thread_resume(irq_urgent);
}

static void irq_urgent_thread(void *arg)
{
	(void)arg;
	int rc = 0;
	while (!rtos.stop) { /* checked before suspending too (see above) */
		rc |= k_thread_suspend(k_thread_self());
		if (rtos.stop)
			break;
		rtos.count[1]++; /* not summed: count[0] is the iteration */
	}
	rtos_note(rc);
}

static void irq_raiser_thread(void *arg)
{
	(void)arg;
	int rc = 0;
	while (!rtos.stop) {
		rc |= k_irq_raise(RTOS_LINE_RESUME);
		rtos.count[0]++;
	}
	rtos_note(rc);
}

void rtos_irq_preempt_start(void)
{
	rtos_note(k_irq_connect(RTOS_LINE_RESUME, irq_resume, NULL));
	irq_urgent = rtos_spawn(irq_urgent_thread, 0, RTOS_PRIO_BASE + 1u);
	irq_raiser = rtos_spawn(irq_raiser_thread, 0, RTOS_PRIO_BASE);
}

void rtos_irq_preempt_release(void)
{
	/* The raiser first: its last interrupt may resume the urgent thread
	 * after stop, so that one is joined (freed) only after. */
	rtos_release_thread(irq_raiser);
	rtos_release_thread(irq_urgent);
}

void rtos_irq_preempt_stop(void)
{
	/* Every interrupt ran the urgent thread once, before the raiser
	 * counted it. */
	uint32_t raised = rtos.count[0], ran = rtos.count[1];
	if (ran + 1u < raised || raised + 1u < ran)
		rtos_note(-K_EIO);
	rtos_note(k_irq_disconnect(RTOS_LINE_RESUME));
}
