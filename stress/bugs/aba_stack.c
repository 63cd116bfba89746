/*
 * aba_stack.c — ABA on a compare-and-swap separated from its reads by a
 * kernel call.
 *
 * A lock-free stack of three nodes (indices) whose top word is swapped with
 * a compare-and-swap. A pop reads the top and its next, yields (a kernel
 * call: the point where a preemption or the other core gets in), then swaps
 * top from the node it read to that next. The bug compares the node index
 * only: if meanwhile the other thread popped that node and its next and
 * pushed the first node back, the swap still succeeds and installs a node
 * that thread holds; pushing it back then links it to itself. Twin: the top
 * word carries a version that every successful swap bumps, so a recycled
 * top no longer compares equal.
 * Oracle: at the end the stack holds each of the three nodes exactly once.
 */
#include "bugs.h"

#define AB_NODES 3u
#define AB_NIL 0xffffu
#define AB_WALK_MAX 8u  /* more than AB_NODES: a cycle shows as a long walk */
#define AB_RETRIES_MAX 64u

#define AB_ITERATIONS 3u

static struct {
	k_sem_t *gate;
	int error;
	uint32_t top; /* low 16 bits: node index (AB_NIL: empty); high 16: version */
	uint16_t next[AB_NODES];
	bool fixed;
	unsigned give_ups;
} ab;

static uint32_t ab_word(uint32_t index, uint32_t version)
{
	K_ASSERT(index <= AB_NIL);
	return (version << 16) | index;
}

/* One compare-and-swap of top: old -> new. The bug ignores the version. */
static bool ab_swap(uint32_t old, uint32_t index)
{
	uint32_t version = ab.fixed ? (old >> 16) + 1u : 0u;
	uint32_t want = ab_word(index, version & 0xffffu);
	if (!ab.fixed) {
		uint32_t cur = __atomic_load_n(&ab.top, __ATOMIC_SEQ_CST);
		if ((cur & 0xffffu) != (old & 0xffffu))
			return false;
		old = cur;
	}
	return __atomic_compare_exchange_n(&ab.top, &old, want, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static uint16_t ab_pop(void)
{
	for (unsigned tries = 0; tries < AB_RETRIES_MAX; tries++) {
		uint32_t old = __atomic_load_n(&ab.top, __ATOMIC_SEQ_CST);
		uint16_t node = (uint16_t)(old & 0xffffu);
		if (node == AB_NIL)
			return AB_NIL;
		K_ASSERT(node < AB_NODES);
		uint16_t next = ab.next[node];
		k_thread_yield();
		if (ab_swap(old, next))
			return node;
	}
	ab.give_ups++;
	return AB_NIL;
}

static void ab_push(uint16_t node)
{
	K_ASSERT(node < AB_NODES);
	for (unsigned tries = 0; tries < AB_RETRIES_MAX; tries++) {
		uint32_t old = __atomic_load_n(&ab.top, __ATOMIC_SEQ_CST);
		ab.next[node] = (uint16_t)(old & 0xffffu);
		if (ab_swap(old, node))
			return;
	}
	ab.give_ups++;
}

/* Thread 0 pops one node and pushes it back; thread 1 pops two and pushes
 * the first back before the second (the ABA pattern); AB_ITERATIONS times,
 * both starting together. */
static void ab_worker(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u); /* its index among the threads made */
	K_ASSERT(!k_in_isr());
	bug_gate_pass(ab.gate, &ab.error);
	for (unsigned i = 0; i < AB_ITERATIONS; i++) {
		if ((uintptr_t)arg == 0u) {
			uint16_t a = ab_pop();
			if (a != AB_NIL)
				ab_push(a);
			continue;
		}
		uint16_t a = ab_pop();
		uint16_t b = ab_pop();
		if (a != AB_NIL)
			ab_push(a);
		if (b != AB_NIL)
			ab_push(b);
	}
}

static int ab_run(bool fixed)
{
	ab.fixed = fixed;
	ab.gate = NULL;
	ab.give_ups = 0;
	/* 0 -> 1 -> 2 */
	ab.next[0] = 1;
	ab.next[1] = 2;
	ab.next[2] = AB_NIL;
	ab.top = ab_word(0, 0);
	ab.error = 0;
	int rc = bug_gate_create(&ab.gate);
	k_thread_t *t[2] = {0};
	if (rc == 0)
		rc = bug_spawn(t, 2, ab_worker, "stacker", K_PRIO_DEFAULT, 0);
	if (rc == 0)
		bug_gate_open(ab.gate, 2, &ab.error);
	int jr = bug_join(t, 2);
	if (rc == 0)
		rc = jr;
	if (ab.gate && rc == 0)
		rc = k_sem_destroy(ab.gate);
	return rc;
}

static int ab_check(char *msg, size_t cap)
{
	if (ab.error < 0)
		return stress_fail_err(msg, cap, "a semaphore call failed with ", ab.error);
	if (ab.give_ups)
		return stress_fail(msg, cap, "", ab.give_ups, " stack operations gave up retrying");
	unsigned seen[AB_NODES] = {0};
	unsigned count = 0;
	uint16_t n = (uint16_t)(ab.top & 0xffffu);
	for (unsigned i = 0; i < AB_WALK_MAX && n != AB_NIL; i++, n = ab.next[n]) {
		if (n >= AB_NODES)
			return stress_fail(msg, cap, "bad node index ", n, " in the stack");
		seen[n]++;
		count++;
	}
	if (n != AB_NIL)
		return stress_fail_text(msg, cap, "the stack has a cycle (a node linked to itself)");
	for (unsigned i = 0; i < AB_NODES; i++)
		if (seen[i] != 1u)
			return stress_fail2(msg, cap, "node ", i, " is in the stack ", seen[i],
					    " times");
	K_ASSERT(count == AB_NODES);
	return 0;
}

BUG_MAINS(ab)
K_BUG_PROGRAM(aba_stack, "aba_stack", "ABA (CAS across a kernel call)", 2, true,
	      "lock-free stack pop whose CAS ignores the version", ab_bug, ab_twin, ab_check);
