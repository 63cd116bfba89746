/*
 * kill_block.c — a process killed in each kind of blocking call: its
 * resources all released, nobody else's touched.
 *
 * For each kind (mutex lock, semaphore take, condition wait, message-queue
 * put on a full queue and get on an empty one, join, sleep) main creates a
 * victim process. Its thread creates objects of its own (a semaphore, a
 * message queue, a mutex it keeps locked), locks two mutexes of the kernel
 * process, says it is armed, and blocks in that kind of call on an object of
 * the kernel process that nobody will satisfy. Main kills it (right away or
 * after a pause the schedule decides) and reaps it.
 * End check, per kind: the victim was reaped with the kill's code; its
 * memory owner holds nothing after the reap; the kernel process's memory is
 * what it was before the victim existed; the two mutexes it held are free
 * (main can take them at once); the object it waited on is as main left it:
 * the semaphore gives its next unit to main, the full queue still holds
 * main's message, the empty one keeps a message main puts, the cond's mutex
 * is free; nothing is left waiting (each object can be destroyed at the end).
 */
#include <k/mem.h>

#include "stress.h"

#define KB_EXIT_KILLED (-55)
#define KB_PAUSE_NS 3000u
#define KB_SLEEP_NS 1000000000u
#define KB_WAIT_NS 200000000u

enum kb_kind { KB_MUTEX = 0, KB_SEM, KB_COND, KB_PUT_FULL, KB_GET_EMPTY, KB_JOIN, KB_SLEEP, KB_KINDS };

static const char *const kb_names[KB_KINDS] = {"mutex", "sem", "cond", "put-full", "get-empty", "join", "sleep"};

static struct {
	k_mutex_t *held[2];      /* the victim locks both */
	k_mutex_t *blocker;      /* main holds it: the victim's lock waits */
	k_sem_t *never;          /* nobody gives it */
	k_mutex_t *cm;           /* the cond's mutex */
	k_cond_t *cond;          /* nobody signals it */
	k_msgq_t *full, *empty;
	k_sem_t *armed;          /* victim -> main: about to block */
	unsigned bad[KB_KINDS];  /* first failed promise per kind (a code) */
	int error;
} kb;

static void kb_note(int rc)
{
	if (rc < 0 && kb.error == 0)
		kb.error = rc;
}

static void kb_sleeper(void *arg)
{
	(void)arg;
	k_thread_sleep_ns(KB_SLEEP_NS);
}

static void kb_victim(void *arg)
{
	enum kb_kind kind = (enum kb_kind)(uintptr_t)arg;
	k_sem_t *own_sem;
	k_msgq_t *own_q;
	k_mutex_t *own_m;
	if (k_sem_create(&own_sem, "own.sem", 1, 2) < 0 || k_msgq_create(&own_q, "own.q", 16, 4) < 0 ||
	    k_mutex_create(&own_m, "own.m") < 0)
		k_thread_exit(-1);
	unsigned junk[4] = {1, 2, 3, 4};
	(void)k_msgq_put(own_q, junk, K_NO_WAIT);
	(void)k_mutex_lock(own_m, K_FOREVER);
	for (unsigned i = 0; i < 2; i++)
		(void)k_mutex_lock(kb.held[i], K_FOREVER);
	k_thread_t *child = NULL;
	if (kind == KB_JOIN) {
		struct k_thread_attr a = stress_attr("child", K_PRIO_DEFAULT, 0);
		if (k_thread_create(&child, kb_sleeper, NULL, &a) < 0)
			k_thread_exit(-1);
	}
	(void)k_sem_give(kb.armed);
	unsigned msg[4] = {9, 9, 9, 9};
	switch (kind) {
	case KB_MUTEX:
		(void)k_mutex_lock(kb.blocker, K_FOREVER);
		break;
	case KB_SEM:
		(void)k_sem_take(kb.never, K_FOREVER);
		break;
	case KB_COND:
		(void)k_mutex_lock(kb.cm, K_FOREVER);
		(void)k_cond_wait(kb.cond, kb.cm, K_FOREVER);
		break;
	case KB_PUT_FULL:
		(void)k_msgq_put(kb.full, msg, K_FOREVER);
		break;
	case KB_GET_EMPTY:
		(void)k_msgq_get(kb.empty, msg, K_FOREVER);
		break;
	case KB_JOIN:
		(void)k_thread_join(child, K_FOREVER, NULL);
		break;
	case KB_SLEEP:
	default:
		k_thread_sleep_ns(KB_SLEEP_NS);
		break;
	}
	/* Never reached when killed; a victim that got here broke a promise
	 * (nobody satisfies its call). */
	k_thread_exit(1);
}

static size_t kb_owner_bytes(k_mem_owner_t owner)
{
	struct k_mem_owner_stats st;
	if (k_mem_owner_stats(owner, &st) < 0)
		return (size_t)-1;
	return st.used_bytes;
}

/* The objects the victim touched are as main left them. Returns 0 or a
 * code naming the first broken promise. */
static unsigned kb_judge(enum kb_kind kind)
{
	for (unsigned i = 0; i < 2; i++) {
		if (k_mutex_lock(kb.held[i], K_NO_WAIT) != 0)
			return 10u + i; /* a mutex the victim held stayed owned */
		kb_note(k_mutex_unlock(kb.held[i]));
	}
	unsigned msg[4] = {0};
	switch (kind) {
	case KB_SEM:
		kb_note(k_sem_give(kb.never));
		if (k_sem_take(kb.never, K_NO_WAIT) != 0)
			return 20; /* the unit went to the dead waiter */
		break;
	case KB_COND:
		if (k_mutex_lock(kb.cm, K_NO_WAIT) != 0)
			return 30; /* the killed waiter kept the cond's mutex */
		kb_note(k_cond_signal(kb.cond));
		kb_note(k_mutex_unlock(kb.cm));
		break;
	case KB_PUT_FULL:
		if (k_msgq_count(kb.full) != 1u)
			return 40;
		if (k_msgq_get(kb.full, msg, K_NO_WAIT) != 0 || msg[0] != 7u)
			return 41; /* main's message is gone or replaced */
		if (k_msgq_put(kb.full, (unsigned[4]){7, 7, 7, 7}, K_NO_WAIT) != 0)
			return 42;
		break;
	case KB_GET_EMPTY:
		if (k_msgq_put(kb.empty, (unsigned[4]){5, 5, 5, 5}, K_NO_WAIT) != 0 || k_msgq_count(kb.empty) != 1u)
			return 50; /* handed to the dead receiver */
		if (k_msgq_get(kb.empty, msg, K_NO_WAIT) != 0 || msg[0] != 5u)
			return 51;
		break;
	default:
		break;
	}
	return 0;
}

static int kb_round(enum kb_kind kind, unsigned pause_ns)
{
	size_t kernel_before = kb_owner_bytes(K_MEM_OWNER_KERNEL);
	k_proc_t *p;
	struct k_thread_attr a = stress_attr("victim", K_PRIO_DEFAULT, 0);
	int rc = k_proc_create(&p, kb_names[kind], kb_victim, (void *)(uintptr_t)kind, &a);
	if (rc < 0)
		return rc;
	k_mem_owner_t owner = k_proc_mem_owner(p);
	if ((rc = k_sem_take(kb.armed, K_FOREVER)) < 0)
		return rc;
	if (pause_ns)
		k_thread_sleep_ns(pause_ns);
	if ((rc = k_proc_kill(p, KB_EXIT_KILLED)) < 0)
		return rc;
	int code = 0;
	if ((rc = k_proc_wait(p, KB_WAIT_NS, &code)) < 0)
		return rc;
	if (code != KB_EXIT_KILLED)
		kb.bad[kind] = 1; /* it finished a call nobody satisfies */
	else if (kb_owner_bytes(owner) != 0)
		kb.bad[kind] = 2; /* its memory owner still holds something */
	else if ((kb.bad[kind] = kb_judge(kind)) == 0 && kb_owner_bytes(K_MEM_OWNER_KERNEL) != kernel_before)
		kb.bad[kind] = 3; /* the kernel process's memory changed */
	return 0;
}

static int kb_create(void)
{
	int rc;
	if ((rc = k_mutex_create(&kb.held[0], "held0")) < 0 || (rc = k_mutex_create(&kb.held[1], "held1")) < 0 ||
	    (rc = k_mutex_create(&kb.blocker, "blocker")) < 0 || (rc = k_sem_create(&kb.never, "never", 0, 4)) < 0 ||
	    (rc = k_mutex_create(&kb.cm, "cm")) < 0 || (rc = k_cond_create(&kb.cond, "cond")) < 0 ||
	    (rc = k_msgq_create(&kb.full, "full", 4 * sizeof(unsigned), 1)) < 0 ||
	    (rc = k_msgq_create(&kb.empty, "empty", 4 * sizeof(unsigned), 1)) < 0 ||
	    (rc = k_sem_create(&kb.armed, "armed", 0, 1)) < 0)
		return rc;
	return k_msgq_put(kb.full, (unsigned[4]){7, 7, 7, 7}, K_NO_WAIT);
}

static int kb_destroy(void)
{
	unsigned msg[4];
	int rc;
	if ((rc = k_msgq_get(kb.full, msg, K_NO_WAIT)) < 0)
		return rc;
	k_mutex_t *ms[4] = {kb.held[0], kb.held[1], kb.blocker, kb.cm};
	for (unsigned i = 0; i < 4; i++)
		if ((rc = k_mutex_destroy(ms[i])) < 0)
			return rc;
	if ((rc = k_sem_destroy(kb.never)) < 0 || (rc = k_sem_destroy(kb.armed)) < 0 ||
	    (rc = k_cond_destroy(kb.cond)) < 0 || (rc = k_msgq_destroy(kb.full)) < 0)
		return rc;
	return k_msgq_destroy(kb.empty);
}

static int kill_block_main(void)
{
	kb = (__typeof__(kb)){0};
	int rc;
	if ((rc = kb_create()) < 0)
		return rc;
	if ((rc = k_mutex_lock(kb.blocker, K_FOREVER)) < 0)
		return rc;
	for (unsigned k = 0; k < KB_KINDS; k++)
		if ((rc = kb_round((enum kb_kind)k, (k % 2u) ? KB_PAUSE_NS : 0u)) < 0)
			return rc;
	if ((rc = k_mutex_unlock(kb.blocker)) < 0)
		return rc;
	return kb_destroy();
}

static int kill_block_check(char *msg, size_t cap)
{
	if (kb.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", kb.error);
	for (unsigned k = 0; k < KB_KINDS; k++) {
		if (kb.bad[k] == 0)
			continue;
		struct stress_msg m;
		stress_msg_init(&m, msg, cap);
		stress_puts(&m, "victim killed in ");
		stress_puts(&m, kb_names[k]);
		stress_puts(&m, ": promise broken (code ");
		stress_puti(&m, kb.bad[k]);
		stress_puts(&m, "; 1 not killed, 2 its memory not freed, 3 kernel memory changed, 1x a held mutex stayed "
				"owned, 20 sem unit lost, 30 cond mutex kept, 4x/5x queue contents wrong)");
		return -1;
	}
	return 0;
}

K_WORKLOAD(kill_block, "kill_block",
	   "a process killed in every blocking call: its resources released, nobody else's touched",
	   kill_block_main, kill_block_check);
