/*
 * exports.c — the kernel symbols dynamic modules may reference (k/loader.h).
 * A module that names anything else is refused (-K_ENOENT). The list is the
 * public API a module needs to do work and cooperate: memory, threads,
 * synchronisation, its process.
 */
#include <k/loader.h>
#include <k/mem.h>
#include <k/proc.h>
#include <k/sync.h>
#include <k/thread.h>

/* The loader calls this, so linking the loader from the kernel's archive
 * links this file, and with it the exports (an archive member nobody
 * references would be left out, and every module refused). */
void loader_exports_linked(void)
{
}

K_EXPORT(k_mem_alloc);
K_EXPORT(k_mem_free);
K_EXPORT(k_thread_yield);
K_EXPORT(k_thread_sleep_ns);
K_EXPORT(k_proc_self);
K_EXPORT(k_proc_id);
K_EXPORT(k_mutex_create);
K_EXPORT(k_mutex_destroy);
K_EXPORT(k_mutex_lock);
K_EXPORT(k_mutex_unlock);
K_EXPORT(k_sem_create);
K_EXPORT(k_sem_destroy);
K_EXPORT(k_sem_take);
K_EXPORT(k_sem_give);
