/*
 * size_main.c — the minimal image behind the size figures: it boots the
 * kernel and uses the scheduler (threads, join, sleep, yield), every sync
 * object and the memory manager (heap and an object cache) once each, so
 * the linker keeps what a small application of them needs and nothing more.
 * It runs too (ctest m4f-size-core-runs): "1 passed, 0 failed", and checks
 * what it does, as its kernel takes the -Os build's paths (a size build's
 * general path where the shipped one has a fast one).
 */
#include <k/mem.h>
#include <k/sched.h>
#include <k/sync.h>
#include <k/thread.h>

#include "bsp_m4f.h"

static int size_rc;

static void size_note(int rc)
{
	if (rc < 0 && size_rc == 0)
		size_rc = rc;
}

static k_sem_t *size_sem;
static k_msgq_t *size_q;

static void size_worker(void *arg)
{
	(void)arg;
	uint32_t msg = 0;
	size_note(k_sem_take(size_sem, K_FOREVER));
	size_note(k_msgq_get(size_q, &msg, K_FOREVER));
	if (msg != 42u)
		size_note(-K_EIO);
}

/* The queue's ring once round (it holds one message's start from the
 * worker's) and its two refusals: every message back in order, whole.
 * These are the -Os build's paths (SCHED_OBJ_FAST_PATHS 0, sched_impl.h). */
static void size_ring_round(void)
{
	uint32_t msg;
	for (uint32_t i = 0; i < 4u; i++) {
		msg = 0x5a0000a5u + (i << 8);
		size_note(k_msgq_put(size_q, &msg, K_NO_WAIT));
	}
	size_note(k_msgq_put(size_q, &msg, K_NO_WAIT) == -K_ETIMEDOUT ? 0 : -K_EIO);
	for (uint32_t i = 0; i < 4u; i++) {
		msg = 0;
		size_note(k_msgq_get(size_q, &msg, K_NO_WAIT));
		if (msg != 0x5a0000a5u + (i << 8))
			size_note(-K_EIO);
	}
	size_note(k_msgq_get(size_q, &msg, K_NO_WAIT) == -K_ETIMEDOUT ? 0 : -K_EIO);
}

static void size_main(void *arg)
{
	(void)arg;
	k_mutex_t *m;
	k_cond_t *c;
	size_note(k_sem_create(&size_sem, "s", 0, 1));
	size_note(k_msgq_create(&size_q, "q", sizeof(uint32_t), 4));
	size_note(k_mutex_create(&m, "m"));
	size_note(k_cond_create(&c, "c"));
	k_thread_t *t;
	size_note(k_thread_create(&t, size_worker, NULL, NULL));
	size_note(k_mutex_lock(m, K_FOREVER));
	int rc = k_cond_wait(c, m, 1000); /* nobody signals: times out */
	size_note(rc == -K_ETIMEDOUT ? 0 : -K_EIO);
	size_note(k_cond_signal(c) == 0 ? 0 : -K_EIO);
	size_note(k_mutex_unlock(m));
	k_thread_yield();
	size_note(k_thread_sleep_ns(1000));
	uint32_t msg = 42u;
	size_note(k_msgq_put(size_q, &msg, K_FOREVER));
	size_note(k_sem_give(size_sem));
	size_note(k_thread_join(t, K_FOREVER, NULL));
	size_ring_round();
	void *p = k_mem_alloc(100, K_MEM_OWNER_KERNEL);
	k_cache_t *cache = k_cache_create("o", 32, 0);
	void *o = cache ? k_cache_alloc(cache, K_MEM_OWNER_KERNEL) : NULL;
	if (!p || !o)
		size_note(-K_ENOMEM);
	k_cache_free(cache, o);
	size_note(k_cache_destroy(cache));
	k_mem_free(p);
	size_note(k_cond_destroy(c));
	size_note(k_mutex_destroy(m));
	size_note(k_msgq_destroy(size_q));
	size_note(k_sem_destroy(size_sem));
}

int m4f_main(const char *cmdline)
{
	(void)cmdline;
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = size_main;
	int rc = k_boot(&bc);
	if (rc < 0 || size_rc < 0) {
		m4f_puts("0 passed, 1 failed\n");
		return 1;
	}
	m4f_puts("1 passed, 0 failed\n");
	return 0;
}
