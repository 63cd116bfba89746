/*
 * loader_churn.c — dynamic modules loaded, used and unloaded on every core
 * while a process that holds one is killed.
 *
 * The image is the harness's (weft_workload_module: `weft run --module`'s,
 * or the simulator's default dyn_counter.o). LC_WORKERS processes each load
 * it LC_ROUNDS times, call its dyn_counter_bump (each load has its own data,
 * so the answer is exactly 1000 + the bump) and unload it; meanwhile a
 * victim process loads it, says so, and keeps using it until main kills it.
 * End check: every worker's answers were right; the victim's module went
 * with it (the tracker unloaded it); nothing is left loaded or mapped
 * (k_loader_stats: live 0, no executable block); loads = unloads + reaped.
 * On a target that cannot load code (no image, or -K_ENOTSUP) the workload
 * checks that refusal instead and says so.
 */
#include <k/loader.h>

#include "stress.h"

#define LC_WORKERS 3u
#define LC_ROUNDS 4u
#define LC_EXIT_KILLED (-77)

typedef int (*lc_bump_fn)(int);

static struct {
	const void *image;
	size_t size;
	bool cannot_load;           /* the target refused with -K_ENOTSUP */
	k_sem_t *victim_ready;
	int worker_error[LC_WORKERS]; /* first wrong thing per worker (a code) */
	int victim_error;
	int main_error;
	struct k_loader_stats before;
} lc;

static int lc_use_once(unsigned round)
{
	k_dynmod_t *m = NULL;
	int rc = k_module_load(lc.image, lc.size, &m, NULL);
	if (rc < 0)
		return rc;
	lc_bump_fn bump = (lc_bump_fn)k_dynmod_symbol(m, "dyn_counter_bump");
	int want = 1000 + (int)round + 1;
	int got = bump ? bump((int)round + 1) : -1;
	rc = k_module_unload(m);
	if (rc < 0)
		return rc;
	return got == want ? 0 : -K_EIO;
}

static void lc_worker(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	for (unsigned r = 0; r < LC_ROUNDS && lc.worker_error[i] == 0; r++) {
		lc.worker_error[i] = lc_use_once(r);
		k_thread_yield();
	}
}

static void lc_victim(void *arg)
{
	(void)arg;
	k_dynmod_t *m = NULL;
	int rc = k_module_load(lc.image, lc.size, &m, NULL);
	if (rc < 0) {
		lc.victim_error = rc;
		(void)k_sem_give(lc.victim_ready);
		return;
	}
	lc_bump_fn bump = (lc_bump_fn)k_dynmod_symbol(m, "dyn_counter_bump");
	(void)k_sem_give(lc.victim_ready);
	for (;;) { /* until killed: the module stays loaded */
		if (bump)
			(void)bump(1);
		k_thread_yield();
	}
}

static int loader_churn_main(void)
{
	for (unsigned i = 0; i < LC_WORKERS; i++)
		lc.worker_error[i] = 0;
	lc.victim_error = 0;
	lc.main_error = 0;
	lc.cannot_load = false;
	lc.image = weft_workload_module ? weft_workload_module(&lc.size) : NULL;
	k_loader_stats(&lc.before);
	if (!lc.image) {
		static const uint8_t not_elf[4] = {0x7f, 'E', 'L', 'F'};
		int rc = k_module_load(not_elf, sizeof not_elf, &(k_dynmod_t *){NULL}, NULL);
		lc.cannot_load = true;
		lc.main_error = rc == -K_ENOTSUP ? 0 : -K_EPERM;
		return 0;
	}
	int rc = k_sem_create(&lc.victim_ready, "lc_ready", 0, 1);
	if (rc < 0)
		return rc;
	k_proc_t *victim = NULL, *workers[LC_WORKERS];
	if ((rc = k_proc_create(&victim, "lc_victim", lc_victim, NULL, NULL)) < 0)
		return rc;
	for (unsigned i = 0; i < LC_WORKERS; i++) {
		struct k_thread_attr a = stress_attr("lc_worker", K_PRIO_DEFAULT, K_CPUMASK_ALL);
		if ((rc = k_proc_create(&workers[i], "lc_worker", lc_worker, (void *)(uintptr_t)i, &a)) < 0)
			return rc;
	}
	if ((rc = k_sem_take(lc.victim_ready, K_FOREVER)) < 0)
		return rc;
	k_thread_yield(); /* the workers run meanwhile, on other cores too */
	if ((rc = k_proc_kill(victim, LC_EXIT_KILLED)) < 0 && rc != -K_ESRCH)
		return rc;
	int code = 0;
	if ((rc = k_proc_wait(victim, K_FOREVER, &code)) < 0)
		return rc;
	if (lc.victim_error == 0 && code != LC_EXIT_KILLED)
		lc.main_error = -K_EIO;
	for (unsigned i = 0; i < LC_WORKERS; i++)
		if ((rc = k_proc_wait(workers[i], K_FOREVER, NULL)) < 0)
			return rc;
	return k_sem_destroy(lc.victim_ready);
}

static int loader_churn_check(char *msg, size_t cap)
{
	if (lc.cannot_load)
		return lc.main_error == 0 ? 0
					  : stress_fail_text(msg, cap, "no module image, yet the loader did not say -K_ENOTSUP");
	if (lc.victim_error < 0)
		return stress_fail_err(msg, cap, "the victim's load failed:", lc.victim_error);
	if (lc.main_error < 0)
		return stress_fail_text(msg, cap, "the victim did not end with the kill's exit code");
	for (unsigned i = 0; i < LC_WORKERS; i++)
		if (lc.worker_error[i] < 0)
			return stress_fail_err(msg, cap, "a worker's load/use/unload went wrong:", lc.worker_error[i]);
	struct k_loader_stats st;
	k_loader_stats(&st);
	uint64_t loads = st.loads - lc.before.loads;
	uint64_t gone = (st.unloads - lc.before.unloads) + (st.reaped - lc.before.reaped);
	if (st.live != 0 || st.exec_blocks != 0)
		return stress_fail(msg, cap, "modules still loaded after every process ended:", (int64_t)st.live, "");
	if (st.reaped - lc.before.reaped != 1)
		return stress_fail(msg, cap, "modules unloaded by the victim's kill:", (int64_t)(st.reaped - lc.before.reaped),
				   " (expected 1)");
	if (loads != LC_WORKERS * LC_ROUNDS + 1u || gone != loads)
		return stress_fail(msg, cap, "loads and unloads disagree: loads", (int64_t)loads, "");
	return 0;
}

K_WORKLOAD_MEM(loader_churn, "loader_churn",
	       "dynamic modules loaded, used, unloaded on every core while an owner is killed",
	       loader_churn_main, loader_churn_check, 1u << 20);
