/*
 * proc.c — processes: creation with a first thread, kill (stop every thread
 * wherever it is), exit of the last thread, wait and reap; the resource
 * record every sync object joins (the resource tracker builds on it).
 *
 * Every field here is guarded by g_sched.registry_lock (lock order level 1).
 */
#include "../sched/sched_impl.h"

#define PROC_THREADS_WALK_MAX K_THREADS_MAX
#define PROC_RESOURCES_WALK_MAX SCHED_CHECK_OBJECTS_MAX

/* p is all 0 (k_mem_zalloc's block, or the kernel process in the boot's
 * fill of g_sched): only the fields that do not start at 0 are stored
 * (state PS_RUNNING is 0; no exit code, no thread, not waited, unlinked). */
static void proc_fields_init(struct k_proc *p, uint32_t id, const char *name, k_mem_owner_t owner)
{
	K_STATIC_ASSERT(PS_RUNNING == 0, "a zeroed process is running");
	K_ASSERT(p->state == PS_RUNNING && p->exit_code == 0 && !p->exit_code_set && !p->waited);
	K_ASSERT(p->threads_live == 0 && p->stacks_live == 0 && p->link.next == NULL && p->link.prev == NULL);
	K_ASSERT(p->wait_obj.res_link.next == NULL && p->wait_obj.res_link.prev == NULL);
	p->id = id;
	p->name = name ? name : "proc";
	p->mem_owner = owner;
	ql_head_init(&p->threads);
	ql_head_init(&p->resources);
	wq_init(&p->wait_wq);
	p->wait_obj.type = OBJ_PROC_WAIT;
	p->wait_obj.id = id;
	p->wait_obj.name = p->name;
	p->wait_obj.proc = p;
	sched_trace_detail("name.procwait", id, 0u, p->name);
}

/* Boot: the kernel process, owner slot 0. Called by sched_globals_init. */
void proc_boot_init(void)
{
	struct k_proc *k = &g_sched.kernel_proc;
	proc_fields_init(k, 0, "kernel", K_MEM_OWNER_KERNEL);
	ql_insert_before(&g_sched.procs, &k->link);
	g_sched.owner_slots[K_MEM_OWNER_KERNEL] = k;
	g_sched.procs_count = 1;
	g_sched.next_pid = 1;
	K_ASSERT(k->state == PS_RUNNING);
}

k_mem_owner_t proc_owner_of_caller(void)
{
	bsp_irq_state_t s = bsp_irq_save();
	k_mem_owner_t owner = sched_current()->proc->mem_owner;
	bsp_irq_restore(s);
	K_ASSERT(owner < K_MEM_OWNERS_MAX);
	return owner;
}

void obj_add(struct k_obj *o, enum obj_type type, const char *name)
{
	K_ASSERT(obj_kind_of(type) != NULL); /* a registered kind */
	bsp_irq_state_t s = bsp_irq_save();
	struct k_proc *p = sched_current()->proc;
	o->type = type;
	o->name = name ? name : "";
	o->proc = p;
	o->res_link = (struct qlink){NULL, NULL};
	bsp_spin_lock(&g_sched.registry_lock);
	o->id = g_sched.next_obj_id++;
	ql_insert_before(&p->resources, &o->res_link);
	sched_trace_detail(obj_name_kind(type), o->id, 0u, o->name);
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	K_ASSERT(o->proc == p && o->type == type);
}

void obj_unregister(struct k_obj *o)
{
	K_ASSERT(ql_linked(&o->res_link));
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	ql_remove(&o->res_link);
	o->type = 0; /* a stale handle now fails the type check */
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
}

/* The kinds of object a process can hold, by enum obj_type. Written at boot
 * only (one core running), read by the tracker. */
static const struct obj_kind *obj_kinds[OBJ_KIND_MAX];

void obj_kinds_init(void)
{
	for (unsigned i = 0; i < OBJ_KIND_MAX; i++)
		obj_kinds[i] = NULL;
	struct k_section s = K_SECTION_REF(weft_obj_kinds);
	size_t n = k_section_count(&s);
	K_ASSERT(n < OBJ_KIND_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct obj_kind *kind = k_section_at(&s, i);
		K_ASSERT(kind->type > 0 && kind->type < OBJ_KIND_MAX);
		K_ASSERT(kind->name != NULL && kind->release != NULL && kind->check != NULL);
		K_ASSERT_MSG(obj_kinds[kind->type] == NULL, "two kinds for one object type");
		obj_kinds[kind->type] = kind;
		if (kind->boot)
			kind->boot();
	}
}

const struct obj_kind *obj_kind_of(uint32_t type)
{
	return type < OBJ_KIND_MAX ? obj_kinds[type] : NULL;
}

/* Tracker: destroy an object its process left behind. registry_lock held. */
void obj_free_locked(struct k_obj *o)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	const struct obj_kind *kind = obj_kind_of(o->type);
	K_ASSERT_MSG(kind != NULL, "obj_free_locked: unknown object type");
	K_ASSERT_MSG(kind->check(o) == 0, "obj_free_locked: a leftover object is inconsistent");
	kind->release(o);
	ql_remove(&o->res_link);
	o->type = 0;
	k_mem_free(o);
}

/* A thread of p exited (registry_lock held). */
void proc_thread_exited_locked(struct k_proc *p, struct k_thread *t, int exit_code)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	K_ASSERT(p->threads_live > 0 && t->proc == p);
	p->threads_live--;
	if (p->threads_live == 0) {
		if (!p->exit_code_set) {
			p->exit_code = exit_code;
			p->exit_code_set = true;
		}
		p->state = PS_ZOMBIE;
		sched_trace("proc_exit", p->id, (uintptr_t)(uint32_t)p->exit_code);
	}
}

/* A thread stack of p was freed: the last one lets k_proc_wait reap. */
void proc_stack_freed_locked(struct k_proc *p)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	if (p->threads_live == 0 && p->stacks_live == 0)
		(void)wait_wake_first(&p->wait_wq, 0);
}

static bool proc_done(const struct k_proc *p)
{
	return p->threads_live == 0 && p->stacks_live == 0;
}

/* Free everything p still holds: control blocks nobody joined, objects; then
 * p itself (the kernel process is only emptied). registry_lock held. */
static void proc_reap_locked(struct k_proc *p)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	K_ASSERT(proc_done(p));
	for (unsigned n = 0; !ql_empty(&p->threads); n++) {
		K_ASSERT(n < PROC_THREADS_WALK_MAX);
		struct k_thread *t = ql_entry(p->threads.next, struct k_thread, proc_link);
		K_ASSERT(t->exited && t->stack == NULL);
		t->refs = 0;
		thread_free_locked(t);
	}
	for (unsigned n = 0; !ql_empty(&p->resources); n++) {
		K_ASSERT(n < PROC_RESOURCES_WALK_MAX);
		obj_free_locked(ql_entry(p->resources.next, struct k_obj, res_link));
	}
	sched_trace("proc_reap", p->id, 0);
	if (p == &g_sched.kernel_proc)
		return;
	ql_remove(&p->link);
	K_ASSERT(g_sched.owner_slots[p->mem_owner] == p);
	g_sched.owner_slots[p->mem_owner] = NULL;
	K_ASSERT(g_sched.procs_count > 1);
	g_sched.procs_count--;
	k_mem_free(p);
}

/* Shutdown: every thread is gone; reap every process. */
void proc_reap_all_locked(void)
{
	K_ASSERT(bsp_spin_held(&g_sched.registry_lock));
	for (unsigned n = 0; !ql_empty(&g_sched.procs); n++) {
		K_ASSERT(n <= K_MEM_OWNERS_MAX);
		struct k_proc *p = ql_entry(g_sched.procs.prev, struct k_proc, link);
		proc_reap_locked(p);
		if (p == &g_sched.kernel_proc)
			break;
	}
}

/* A free owner slot whose memory account is empty, or 0 if none. */
static k_mem_owner_t owner_slot_find(void)
{
	for (k_mem_owner_t i = 1; i < K_MEM_OWNERS_MAX; i++) {
		if (g_sched.owner_slots[i] != NULL)
			continue;
		struct k_mem_owner_stats st;
		if (k_mem_owner_stats(i, &st) == 0 && st.used_bytes == 0)
			return i;
	}
	return 0;
}

static int proc_register(struct k_proc *p, const char *name)
{
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	int rc = 0;
	k_mem_owner_t slot = g_sched.procs_count <= K_PROCS_MAX ? owner_slot_find() : 0;
	if (slot == 0) {
		rc = -K_EAGAIN;
	} else {
		proc_fields_init(p, g_sched.next_pid++, name, slot);
		g_sched.owner_slots[slot] = p;
		ql_insert_before(&g_sched.procs, &p->link);
		g_sched.procs_count++;
	}
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	return rc;
}

static void proc_unregister(struct k_proc *p)
{
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	K_ASSERT(p->threads_live == 0 && ql_empty(&p->threads));
	ql_remove(&p->link);
	g_sched.owner_slots[p->mem_owner] = NULL;
	g_sched.procs_count--;
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
}

int k_proc_create(k_proc_t **out, const char *name, k_thread_entry_fn entry, void *arg,
		  const struct k_thread_attr *attr)
{
	if (!out || !entry)
		return -K_EINVAL;
	struct k_thread_attr a = attr ? *attr : K_THREAD_ATTR_DEFAULT;
	a.flags |= K_THREAD_DETACHED;
	struct k_proc *p = k_mem_zalloc(sizeof *p, K_MEM_OWNER_KERNEL);
	if (!p)
		return -K_ENOMEM;
	sched_kill_defer();
	int rc = proc_register(p, name);
	if (rc == 0) {
		a.proc = p;
		rc = k_thread_create(NULL, entry, arg, &a);
		if (rc < 0)
			proc_unregister(p);
		else
			*out = p;
	}
	if (rc < 0)
		k_mem_free(p);
	sched_kill_allow();
	return rc;
}

int k_proc_kill(k_proc_t *p, int exit_code)
{
	if (!p)
		return -K_EINVAL;
	if (p == &g_sched.kernel_proc)
		return -K_EPERM;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *self = sched_current();
	bsp_spin_lock(&g_sched.registry_lock);
	int rc = p->state == PS_RUNNING ? 0 : -K_ESRCH;
	bool self_in = false;
	if (rc == 0) {
		p->state = PS_KILLED;
		p->exit_code = exit_code;
		p->exit_code_set = true;
		sched_trace("kill", p->id, p->threads_live);
		unsigned n = 0;
		for (struct qlink *l = p->threads.next; l != &p->threads; l = l->next) {
			K_ASSERT(++n <= PROC_THREADS_WALK_MAX);
			struct k_thread *t = ql_entry(l, struct k_thread, proc_link);
			if (t->exited)
				continue;
			bsp_atomic_store(&t->killed, 1);
			if (t == self)
				self_in = true;
			else
				sched_kick(t);
		}
	}
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	if (self_in)
		thread_exit_now(exit_code);
	return rc;
}

int k_proc_wait(k_proc_t *p, uint64_t timeout_ns, int *exit_code)
{
	if (!p || p == &g_sched.kernel_proc)
		return -K_EINVAL;
	bsp_irq_state_t s = bsp_irq_save();
	struct k_thread *self = sched_current();
	if (self->proc == p) {
		bsp_irq_restore(s);
		return -K_EDEADLK;
	}
	bsp_spin_lock(&g_sched.registry_lock);
	int rc = p->waited ? -K_EBUSY : 0;
	if (rc == 0 && !proc_done(p)) {
		if (timeout_ns == K_NO_WAIT) {
			rc = -K_ETIMEDOUT;
		} else {
			p->waited = true;
			wait_prepare(self, &p->wait_wq, &g_sched.registry_lock, &p->wait_obj);
			rc = sched_block(&g_sched.registry_lock, timeout_ns);
			p->waited = false;
		}
	}
	if (rc == 0) {
		K_ASSERT(proc_done(p));
		if (exit_code)
			*exit_code = p->exit_code;
		proc_reap_locked(p);
	}
	bsp_spin_unlock(&g_sched.registry_lock);
	if (timeout_ns != K_NO_WAIT)
		sched_exit_if_killed(self); /* may have slept */
	bsp_irq_restore(s);
	return rc;
}

k_proc_t *k_proc_self(void)
{
	bsp_irq_state_t s = bsp_irq_save();
	struct k_proc *p = sched_current()->proc;
	bsp_irq_restore(s);
	return p;
}

k_proc_t *k_proc_kernel(void)
{
	return &g_sched.kernel_proc;
}

uint32_t k_proc_id(const k_proc_t *p)
{
	return p ? p->id : 0;
}

const char *k_proc_name(const k_proc_t *p)
{
	return p ? p->name : "";
}

unsigned k_proc_thread_count(const k_proc_t *p)
{
	K_ASSERT(p != NULL);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	unsigned n = p->threads_live;
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	return n;
}

bool k_proc_exited(const k_proc_t *p)
{
	K_ASSERT(p != NULL);
	bsp_irq_state_t s = bsp_spin_lock_irqsave(&g_sched.registry_lock);
	bool done = p->threads_live == 0;
	bsp_spin_unlock_irqrestore(&g_sched.registry_lock, s);
	return done;
}

uint32_t k_proc_mem_owner(const k_proc_t *p)
{
	K_ASSERT(p != NULL);
	return p->mem_owner;
}
