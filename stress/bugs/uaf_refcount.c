/*
 * uaf_refcount.c — use after free across threads.
 *
 * A shared object (kernel heap) is published through a pointer under a mutex.
 * Two users fetch the pointer under the mutex and, in the bug, use the
 * object after unlocking; a closer takes the pointer away under the mutex and
 * frees the object. A user that fetched the pointer before the closer and
 * uses it after the free reads freed memory. Twin: users take a reference
 * under the mutex and drop it afterwards; whoever drops the last reference
 * (user or closer) frees the object.
 * Oracle: every use found the object alive (its magic word, which the free
 * path poisons first, and a shadow flag cleared right before k_mem_free).
 */
#include "bugs.h"

#define UF_USERS 2u
#define UF_USES 3u /* per user */
#define UF_LIVE 0x4c495645u
#define UF_DEAD 0xdeadbeefu

struct uf_obj {
	uint32_t magic;
	unsigned refs; /* twin only; under uf.m */
	unsigned uses;
};

static struct {
	k_sem_t *gate;
	k_mutex_t *m;
	struct uf_obj *obj; /* under uf.m */
	bool alive;         /* shadow: the object has not been freed */
	unsigned stale_uses;
	unsigned uses;
	bool fixed;
	int error;
} uf;

static void uf_free(struct uf_obj *o)
{
	K_ASSERT(o != NULL);
	K_ASSERT(o->magic == UF_LIVE);
	o->magic = UF_DEAD;
	uf.alive = false;
	k_mem_free(o);
}

/* Drop one reference (twin); caller holds uf.m. Returns the object to free
 * once unlocked, or NULL. */
static struct uf_obj *uf_put_locked(struct uf_obj *o)
{
	K_ASSERT(o->refs > 0);
	o->refs--;
	return o->refs == 0 ? o : NULL;
}

static void uf_use_once(void)
{
	bug_note(&uf.error, k_mutex_lock(uf.m, K_FOREVER));
	struct uf_obj *o = uf.obj;
	if (o && uf.fixed)
		o->refs++;
	bug_note(&uf.error, k_mutex_unlock(uf.m));
	if (!o)
		return; /* closed already: nothing to use */
	/* The use: a kernel call away from the fetch. */
	if (!uf.alive || o->magic != UF_LIVE)
		uf.stale_uses++;
	else
		o->uses++;
	uf.uses++;
	if (!uf.fixed)
		return;
	bug_note(&uf.error, k_mutex_lock(uf.m, K_FOREVER));
	struct uf_obj *dead = uf_put_locked(o);
	bug_note(&uf.error, k_mutex_unlock(uf.m));
	if (dead)
		uf_free(dead);
}

static void uf_user(void)
{
	for (unsigned i = 0; i < UF_USES; i++)
		uf_use_once();
}

static void uf_closer(void)
{
	bug_note(&uf.error, k_mutex_lock(uf.m, K_FOREVER));
	struct uf_obj *o = uf.obj;
	uf.obj = NULL;
	struct uf_obj *dead = o;
	if (uf.fixed)
		dead = uf_put_locked(o);
	bug_note(&uf.error, k_mutex_unlock(uf.m));
	if (dead)
		uf_free(dead);
}

static void uf_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < UF_USERS + 1u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	bug_gate_pass(uf.gate, &uf.error);
	if ((uintptr_t)arg < UF_USERS)
		uf_user();
	else
		uf_closer();
}

static int uf_run(bool fixed)
{
	uf.m = NULL;
	uf.gate = NULL;
	uf.stale_uses = uf.uses = 0;
	uf.fixed = fixed;
	uf.error = 0;
	uf.obj = k_mem_alloc(sizeof *uf.obj, K_MEM_OWNER_KERNEL);
	if (!uf.obj)
		return -K_ENOMEM;
	uf.obj->magic = UF_LIVE;
	uf.obj->refs = 1; /* the publisher's */
	uf.obj->uses = 0;
	uf.alive = true;
	int rc = k_mutex_create(&uf.m, "obj");
	if (rc == 0)
		rc = bug_gate_create(&uf.gate);
	k_thread_t *t[UF_USERS + 1u] = {0};
	if (rc == 0)
		rc = bug_spawn(t, UF_USERS + 1u, uf_thread, "uf", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(uf.gate, UF_USERS + 1u, &uf.error);
	int jr = bug_join(t, UF_USERS + 1u);
	if (rc == 0)
		rc = jr;
	if (uf.obj) /* the closer never ran (spawn failed) */
		uf_free(uf.obj);
	if (uf.m && rc == 0)
		rc = k_mutex_destroy(uf.m);
	if (uf.gate && rc == 0)
		rc = k_sem_destroy(uf.gate);
	return rc;
}

static int uf_check(char *msg, size_t cap)
{
	if (uf.error < 0)
		return stress_fail_err(msg, cap, "a mutex call failed with ", uf.error);
	if (uf.stale_uses)
		return stress_fail(msg, cap, "", uf.stale_uses, " uses of the object after it was freed");
	if (uf.alive)
		return stress_fail_text(msg, cap, "the object was never freed");
	return 0;
}

BUG_MAINS(uf)
K_BUG_PROGRAM(uaf_refcount, "uaf_refcount", "use after free across threads", UF_USERS + 1u, true,
	      "users use a shared object after unlocking; a closer frees it", uf_bug, uf_twin,
	      uf_check);
