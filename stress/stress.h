/*
 * stress.h — small helpers shared by the stress workloads: freestanding (no
 * libc), kernel public headers only.
 *
 * Every workload keeps its state in file-scope globals that its main()
 * resets first: the CLI boots a fresh kernel per run, but the host process
 * (and so every global) lives across thousands of runs.
 */
#ifndef WEFT_STRESS_H
#define WEFT_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <k/errno.h>
#include <k/proc.h>
#include <k/sync.h>
#include <k/thread.h>
#include <k/workload.h>

/* Workload threads are small: their frames are shallow, and a big stack per
 * thread costs heap and boot time in every one of thousands of runs. */
#define STRESS_STACK_BYTES (16u * 1024u)

/* A bounded message builder for end checks (no snprintf in the kernel's
 * world). */
struct stress_msg {
	char *p;
	size_t cap;
	size_t len;
};

static inline void stress_msg_init(struct stress_msg *m, char *p, size_t cap)
{
	m->p = p;
	m->cap = cap;
	m->len = 0;
	if (cap)
		p[0] = '\0';
}

static inline void stress_puts(struct stress_msg *m, const char *s)
{
	for (size_t i = 0; s[i] && m->len + 1 < m->cap; i++)
		m->p[m->len++] = s[i];
	if (m->cap)
		m->p[m->len] = '\0';
}

static inline void stress_puti(struct stress_msg *m, int64_t v)
{
	char buf[24];
	size_t n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		buf[n++] = (char)('0' + u % 10u);
		u /= 10u;
	} while (u && n < sizeof buf);
	if (v < 0 && m->len + 1 < m->cap)
		stress_puts(m, "-");
	while (n > 0 && m->len + 1 < m->cap) {
		m->p[m->len++] = buf[--n];
		m->p[m->len] = '\0';
	}
}

/* "<a><v><b>" into msg: the common shape of an end-check line. Returns -1 so
 * a check can `return stress_fail(...)`. */
static inline int stress_fail(char *msg, size_t cap, const char *a, int64_t v, const char *b)
{
	struct stress_msg m;
	stress_msg_init(&m, msg, cap);
	stress_puts(&m, a);
	stress_puti(&m, v);
	stress_puts(&m, b);
	return -1;
}

/* "<a>-K_EAGAIN (-11: <meaning>)": a kernel call's error code named and
 * explained. Returns -1. */
static inline int stress_fail_err(char *msg, size_t cap, const char *a, int rc)
{
	struct stress_msg m;
	stress_msg_init(&m, msg, cap);
	stress_puts(&m, a);
	stress_puts(&m, k_err_name(rc));
	stress_puts(&m, " (");
	stress_puti(&m, rc);
	stress_puts(&m, ": ");
	stress_puts(&m, k_err_meaning(rc));
	stress_puts(&m, ")");
	return -1;
}

/* A plain line. Returns -1. */
static inline int stress_fail_text(char *msg, size_t cap, const char *text)
{
	struct stress_msg m;
	stress_msg_init(&m, msg, cap);
	stress_puts(&m, text);
	return -1;
}

/* Two numbers: "<a><v><b><w><c>". */
static inline int stress_fail2(char *msg, size_t cap, const char *a, int64_t v, const char *b,
			       int64_t w, const char *c)
{
	struct stress_msg m;
	stress_msg_init(&m, msg, cap);
	stress_puts(&m, a);
	stress_puti(&m, v);
	stress_puts(&m, b);
	stress_puti(&m, w);
	stress_puts(&m, c);
	return -1;
}

/* Thread attributes: name, priority, affinity (0: all), small stack. */
static inline struct k_thread_attr stress_attr(const char *name, unsigned prio, k_cpumask_t mask)
{
	struct k_thread_attr a = K_THREAD_ATTR_DEFAULT;
	a.name = name;
	a.priority = prio;
	a.affinity = mask;
	a.stack_bytes = STRESS_STACK_BYTES;
	return a;
}

/* Cores of this boot as a mask (bits 0..n-1). */
static inline k_cpumask_t stress_all_cores(unsigned n)
{
	return n >= 64u ? K_CPUMASK_ALL : (((k_cpumask_t)1u << n) - 1u);
}

#endif /* WEFT_STRESS_H */
