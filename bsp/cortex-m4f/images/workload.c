/*
 * workload.c — one stress workload (its name on the command line, QEMU
 * -append) in a fresh kernel on the board's one core: its main, its end
 * check, then the kernel's memory check and a leak check once every thread
 * has exited (the simulator's oracles that exist on hardware too). Prints
 * "1 passed, 0 failed" or the failure and "0 passed, 1 failed"; exit code 0,
 * 1 on failure, 2 for an unknown workload name.
 */
#include <k/mem.h>
#include <k/sched.h>
#include <k/workload.h>

#include "bsp_m4f.h"

#define WORKLOAD_MAIN_STACK_BYTES (16u * 1024u)
#define WORKLOAD_MSG_MAX 256u
#define WORKLOAD_NAME_MAX 64u

static const struct k_workload *workload;
static int workload_rc;
static char workload_msg[WORKLOAD_MSG_MAX];

static bool same_name(const char *a, const char *b)
{
	for (unsigned i = 0; i < WORKLOAD_NAME_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return false;
}

static void workload_thread(void *arg)
{
	(void)arg;
	int rc = workload->main();
	if (rc < 0) {
		workload_rc = rc;
		return;
	}
	if (workload->check(workload_msg, sizeof workload_msg) < 0)
		workload_rc = 1;
}

static int verdict(bool ok, const char *why)
{
	if (!ok) {
		m4f_puts("workload ");
		m4f_puts(workload->name);
		m4f_puts(": ");
		m4f_puts(why);
		m4f_puts("\n0 passed, 1 failed\n");
		return 1;
	}
	m4f_puts("ok   ");
	m4f_puts(workload->name);
	m4f_puts("\n1 passed, 0 failed\n");
	return 0;
}

int m4f_main(const char *cmdline)
{
	size_t n = (size_t)(__stop_weft_workloads - __start_weft_workloads);
	for (size_t i = 0; i < n && !workload; i++)
		if (same_name(__start_weft_workloads[i].name, cmdline))
			workload = &__start_weft_workloads[i];
	if (!workload) {
		m4f_puts("workload: no workload named '");
		m4f_puts(cmdline);
		m4f_puts("'\n");
		return 2;
	}
	struct k_boot_config bc = K_BOOT_CONFIG_DEFAULT;
	bc.main = workload_thread;
	bc.main_stack_bytes = WORKLOAD_MAIN_STACK_BYTES;
	int rc = k_boot(&bc);
	if (rc < 0)
		return verdict(false, "k_boot failed");
	if (workload_rc < 0)
		return verdict(false, "main: a kernel call failed that must not");
	if (workload_rc > 0)
		return verdict(false, workload_msg);
	(void)k_mem_check();
	struct k_mem_stats st;
	k_mem_stats(&st);
	for (unsigned o = 0; o < K_MEM_OWNERS_MAX; o++)
		if (st.owner[o].used_bytes != 0u)
			return verdict(false, "leak: an owner still holds memory after every thread exited");
	return verdict(true, "");
}
