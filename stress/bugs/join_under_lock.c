/*
 * join_under_lock.c — join misuse: joining a thread while holding a lock it
 * needs.
 *
 * A parent starts a child that logs under a mutex, takes the mutex to
 * publish a setting, and joins the child. The bug joins while still
 * holding the mutex: if the child reaches its lock before the parent let go,
 * the child waits for the parent and the parent for the child. It goes well
 * only when the child ran to completion first. Twin: the parent unlocks
 * before it joins.
 * Oracle: the deadlock report (a join cycle through the mutex); the end check
 * counts the child's log entries.
 */
#include "bugs.h"

static struct {
	k_mutex_t *m;
	unsigned setting; /* under jl.m */
	unsigned logged;  /* under jl.m */
	bool fixed;
	int error;
} jl;

static void jl_child(void *arg)
{
	K_ASSERT(arg == NULL);
	K_ASSERT(!k_in_isr());
	(void)arg;
	bug_note(&jl.error, k_mutex_lock(jl.m, K_FOREVER));
	jl.logged++;
	bug_note(&jl.error, k_mutex_unlock(jl.m));
}

static void jl_parent(void *arg)
{
	K_ASSERT((uintptr_t)arg < 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	(void)arg;
	k_thread_t *c = NULL;
	int rc = bug_spawn_one(&c, jl_child, NULL, "child", K_PRIO_DEFAULT, 0);
	bug_note(&jl.error, rc);
	bug_note(&jl.error, k_mutex_lock(jl.m, K_FOREVER));
	jl.setting = 1;
	if (jl.fixed)
		bug_note(&jl.error, k_mutex_unlock(jl.m));
	if (c)
		bug_note(&jl.error, k_thread_join(c, K_FOREVER, NULL));
	if (!jl.fixed)
		bug_note(&jl.error, k_mutex_unlock(jl.m));
}

static int jl_run(bool fixed)
{
	jl.m = NULL;
	jl.setting = jl.logged = 0;
	jl.fixed = fixed;
	jl.error = 0;
	int rc = k_mutex_create(&jl.m, "log");
	k_thread_t *t[1] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 1, jl_parent, "parent", K_PRIO_DEFAULT, 0);
	int jr = bug_join(t, 1);
	if (rc == 0)
		rc = jr;
	if (jl.m && rc == 0)
		rc = k_mutex_destroy(jl.m);
	return rc;
}

static int jl_check(char *msg, size_t cap)
{
	if (jl.error < 0)
		return stress_fail_err(msg, cap, "a kernel call failed with ", jl.error);
	if (jl.logged != 1u)
		return stress_fail(msg, cap, "the child logged ", jl.logged, " entries");
	return 0;
}

BUG_MAINS(jl)
K_BUG_PROGRAM(join_under_lock, "join_under_lock", "join misuse (join while holding a lock)", 2,
	      true, "a parent joins its child while holding the mutex the child needs", jl_bug,
	      jl_twin, jl_check);
