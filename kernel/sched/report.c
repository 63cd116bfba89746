/*
 * report.c — text for people: a bounded string builder (no libc), the
 * deadlock report (wait-for chains) and the starvation measure.
 *
 * The report and the measure take no lock and make no scheduling point: they
 * are for the simulator's hooks, which run while every core is stopped
 * (k/sched.h). Structures whose lock is held are skipped.
 */
#include "sched_impl.h"

#include <k/decimal.h>
#include <k/irq.h>

void kbuf_init(struct kbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = p ? cap : 0;
	b->len = 0;
	b->truncated = false;
	if (b->cap)
		b->p[0] = '\0';
}

static void kbuf_putc(struct kbuf *b, char ch)
{
	if (b->cap == 0) {
		b->truncated = true;
		return;
	}
	if (b->len + 1u >= b->cap) {
		if (!b->truncated && b->cap >= 4u) {
			b->p[b->cap - 4u] = '.';
			b->p[b->cap - 3u] = '.';
			b->p[b->cap - 2u] = '.';
		}
		b->truncated = true;
		return;
	}
	b->p[b->len++] = ch;
	b->p[b->len] = '\0';
}

void kbuf_puts(struct kbuf *b, const char *s)
{
	if (!s)
		s = "(null)";
	for (size_t i = 0; s[i] != '\0' && i < 256u; i++)
		kbuf_putc(b, s[i]);
}

void kbuf_putu(struct kbuf *b, uint64_t v)
{
	char digits[K_DECIMAL_U64_DIGITS_MAX];
	unsigned n = k_decimal_u64(v, digits);
	for (unsigned i = 0; i < n; i++)
		kbuf_putc(b, digits[i]);
}

void kbuf_puti(struct kbuf *b, int64_t v)
{
	if (v < 0) {
		kbuf_putc(b, '-');
		kbuf_putu(b, (uint64_t)0 - (uint64_t)v);
	} else {
		kbuf_putu(b, (uint64_t)v);
	}
}

const char *obj_type_name(uint32_t type)
{
	const struct obj_kind *kind = obj_kind_of(type);
	if (kind)
		return kind->name;
	switch (type) {
	case OBJ_MUTEX: return "mutex";
	case OBJ_SEM: return "sem";
	case OBJ_COND: return "cond";
	case OBJ_MSGQ: return "msgq";
	case OBJ_THREAD_JOIN: return "join";
	case OBJ_PROC_WAIT: return "procwait";
	default: return "object";
	}
}

const char *obj_name_kind(uint32_t type)
{
	switch (type) {
	case OBJ_MUTEX: return "name.mutex";
	case OBJ_SEM: return "name.sem";
	case OBJ_COND: return "name.cond";
	case OBJ_MSGQ: return "name.msgq";
	case OBJ_THREAD_JOIN: return "name.join";
	case OBJ_PROC_WAIT: return "name.procwait";
	default: return "name.object";
	}
}

const char *obj_wait_kind(uint32_t type)
{
	switch (type) {
	case OBJ_MUTEX: return "wait.mutex";
	case OBJ_SEM: return "wait.sem";
	case OBJ_COND: return "wait.cond";
	case OBJ_MSGQ: return "wait.msgq";
	case OBJ_THREAD_JOIN: return "wait.join";
	case OBJ_PROC_WAIT: return "wait.procwait";
	default: return "wait.object";
	}
}

static void put_thread(struct kbuf *b, const struct k_thread *t)
{
	kbuf_puts(b, "T");
	kbuf_putu(b, t->id);
	kbuf_puts(b, " '");
	kbuf_puts(b, t->name);
	kbuf_puts(b, "'");
}

static void put_obj(struct kbuf *b, const struct k_obj *o)
{
	kbuf_puts(b, obj_type_name(o->type));
	kbuf_puts(b, "#");
	kbuf_putu(b, o->id);
	if (o->name && o->name[0]) {
		kbuf_puts(b, " '");
		kbuf_puts(b, o->name);
		kbuf_puts(b, "'");
	}
}

/* "waits mutex#2 'a' held by T4 'x' waits mutex#3 ... (cycle)". */
static void put_chain(struct kbuf *b, const struct k_thread *start)
{
	const struct k_thread *t = start;
	for (unsigned depth = 0; depth < K_PI_CHAIN_MAX; depth++) {
		if (t->state != TS_BLOCKED || !t->wait_obj) {
			if (t->state == TS_SLEEPING)
				kbuf_puts(b, " (sleeping)");
			else if (t->state == TS_SUSPENDED)
				kbuf_puts(b, " (suspended)");
			else if (t->state != TS_BLOCKED)
				kbuf_puts(b, " (not blocked)");
			return;
		}
		if (t->suspended)
			kbuf_puts(b, " (suspension pending)");
		kbuf_puts(b, " waits ");
		put_obj(b, t->wait_obj);
		if (t->wait_obj->type == OBJ_THREAD_JOIN) {
			return;
		}
		if (t->wait_obj->type != OBJ_MUTEX)
			return;
		const struct k_mutex *m = (const struct k_mutex *)(const void *)t->wait_obj;
		const struct k_thread *o = m->owner;
		if (!o) {
			kbuf_puts(b, " (free)");
			return;
		}
		kbuf_puts(b, " held by ");
		put_thread(b, o);
		if (o->exited) {
			kbuf_puts(b, " (exited)");
			return;
		}
		if (o == start) {
			kbuf_puts(b, " (cycle)");
			return;
		}
		t = o;
	}
	kbuf_puts(b, " ...");
}

size_t k_sched_deadlock_report(char *buf, size_t cap)
{
	struct kbuf b;
	kbuf_init(&b, buf, cap);
	if (!g_sched.booted.value) {
		kbuf_puts(&b, "kernel not booted");
		return 0;
	}
	size_t blocked = 0;
	unsigned n = 0;
	const struct qlink *head = &g_sched.threads;
	for (const struct qlink *l = head->next; l != head && n < K_THREADS_MAX; l = l->next, n++) {
		const struct k_thread *t = ql_entry(l, struct k_thread, all_link);
		if (t->state != TS_BLOCKED && t->state != TS_SUSPENDED)
			continue;
		kbuf_puts(&b, blocked == 0 ? "deadlock: " : "; ");
		blocked++;
		put_thread(&b, t);
		kbuf_puts(&b, " (prio ");
		kbuf_putu(&b, t->prio);
		if (t->proc && t->proc->id != 0) {
			kbuf_puts(&b, ", proc ");
			kbuf_putu(&b, t->proc->id);
		}
		kbuf_puts(&b, ")");
		if (t->state == TS_SUSPENDED)
			kbuf_puts(&b, " suspended");
		else
			put_chain(&b, t);
	}
	if (blocked == 0)
		kbuf_puts(&b, "no thread is blocked");
	return blocked;
}

uint64_t k_sched_starvation_ns(void)
{
	if (!K_CONFIG_SCHED_WAIT_STATS || !g_sched.booted.value)
		return 0; /* no ready stamps kept, or no kernel */
	uint64_t now = bsp_clock_ns(), worst = 0;
	for (unsigned i = 0; i < g_sched.cores; i++) {
		const struct sched_core *c = &g_sched.core[i];
		if (c->rq.lock.locked)
			continue;
		unsigned seen = 0;
		/* Only the non-empty lists (bitmap bits): O(ready threads). */
		for (uint64_t bits = c->rq.bitmap; bits != 0; bits &= bits - 1u) {
			unsigned p = (unsigned)__builtin_ctzll(bits);
			for (const struct qlink *l = rq_level_first(&c->rq, p);
			     l != NULL && seen < K_THREADS_MAX; l = rq_level_next(&c->rq, p, l), seen++) {
				const struct k_thread *t = ql_entry(l, struct k_thread, rq_link);
				if (now > t->ready_since_ns && now - t->ready_since_ns > worst)
					worst = now - t->ready_since_ns;
			}
		}
	}
	return worst;
}

size_t k_sched_deadlock_report_thread(char *buf, size_t cap)
{
	K_ASSERT(!k_in_isr());
	K_ASSERT(buf != NULL || cap == 0u);
	if (!g_sched.booted.value)
		return k_sched_deadlock_report(buf, cap);
	bsp_irq_state_t irq;
	sched_lock_all(&irq);
	size_t n = k_sched_deadlock_report(buf, cap);
	sched_unlock_all(irq);
	return n;
}
