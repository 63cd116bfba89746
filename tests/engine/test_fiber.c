/*
 * test_fiber.c — host fibers on their own: ping-pong, a ring of many fibers,
 * finished fibers whose stacks are reused, callee-saved registers (integer
 * and floating point) kept across switches, stack alignment for libc calls.
 *
 * Uses only the fiber API (fiber.c), so the same file is cross-built for
 * aarch64 and run under qemu-aarch64 (tests/engine/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sim.h"

#define STACK_BYTES (64u * 1024u)
#define PINGPONG_ROUNDS 10000u
#define RING_FIBERS 100u
#define RING_LAPS 50u
#define REUSE_ROUNDS 1000u

static _Alignas(64) unsigned char host_block[SIM_FIBER_HOST_BYTES];
static sim_fiber_t *host;

/* ------------------------------------------------------------ ping-pong */

static sim_fiber_t *ping, *pong;
static unsigned ping_count, pong_count;
static double ping_fp_sum;

static void ping_main(void *arg)
{
	unsigned rounds = *(unsigned *)arg;
	/* Live across every switch: kept in callee-saved registers (or spilt),
	 * either way they must come back intact. */
	double a = 1.5, b = 0.25;
	uint64_t x = 0x0123456789abcdefull;
	for (unsigned i = 0; i < rounds; i++) {
		ping_count++;
		a = a * 1.0000001 + b;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		sim_fiber_switch(ping, pong);
	}
	ping_fp_sum = a + (double)(x & 0xff);
	sim_fiber_switch(NULL, host); /* finished: never resumes */
}

static void pong_main(void *arg)
{
	(void)arg;
	double c = 3.0;
	for (;;) {
		pong_count++;
		c = c * 0.999 + 1.0; /* clobbers FP registers between ping's uses */
		char buf[64];
		snprintf(buf, sizeof buf, "%f", c); /* misaligned stacks crash here */
		sim_fiber_switch(pong, ping);
	}
}

static double ping_expected(unsigned rounds)
{
	double a = 1.5, b = 0.25;
	uint64_t x = 0x0123456789abcdefull;
	for (unsigned i = 0; i < rounds; i++) {
		a = a * 1.0000001 + b;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	}
	return a + (double)(x & 0xff);
}

static void test_pingpong(void)
{
	void *sa = malloc(STACK_BYTES), *sb = malloc(STACK_BYTES);
	unsigned rounds = PINGPONG_ROUNDS;
	ping = sim_fiber_init(sa, STACK_BYTES, ping_main, &rounds);
	pong = sim_fiber_init(sb, STACK_BYTES, pong_main, NULL);
	CHECK(ping != NULL && pong != NULL);
	ping_count = pong_count = 0;
	sim_fiber_switch(host, ping);
	CHECK_EQ_U64(ping_count, PINGPONG_ROUNDS);
	CHECK_EQ_U64(pong_count, PINGPONG_ROUNDS);
	CHECK(ping_fp_sum == ping_expected(PINGPONG_ROUNDS));
	sim_fiber_release(ping);
	sim_fiber_release(pong);
	free(sa);
	free(sb);
}

/* ----------------------------------------------------------------- ring */

static sim_fiber_t *ring[RING_FIBERS];
static unsigned ring_visits[RING_FIBERS];
static unsigned ring_order_errors;
static unsigned ring_last;

static void ring_main(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (unsigned lap = 0;; lap++) {
		if (ring_last != (me + RING_FIBERS - 1) % RING_FIBERS)
			ring_order_errors++;
		ring_last = me;
		ring_visits[me]++;
		if (me == RING_FIBERS - 1 && lap + 1 == RING_LAPS)
			sim_fiber_switch(ring[me], host);
		sim_fiber_switch(ring[me], ring[(me + 1) % RING_FIBERS]);
	}
}

static void test_ring(void)
{
	void *stacks[RING_FIBERS];
	for (unsigned i = 0; i < RING_FIBERS; i++) {
		stacks[i] = malloc(STACK_BYTES);
		ring[i] = sim_fiber_init(stacks[i], STACK_BYTES, ring_main, (void *)(uintptr_t)i);
		CHECK(ring[i] != NULL);
	}
	ring_last = RING_FIBERS - 1;
	memset(ring_visits, 0, sizeof ring_visits);
	sim_fiber_switch(host, ring[0]);
	unsigned all_laps = 1;
	for (unsigned i = 0; i < RING_FIBERS; i++)
		all_laps &= ring_visits[i] == RING_LAPS;
	CHECK(all_laps);
	CHECK_EQ_U64(ring_order_errors, 0);
	/* Every fiber is suspended mid-loop: abandoned, released, freed. */
	for (unsigned i = 0; i < RING_FIBERS; i++) {
		sim_fiber_release(ring[i]);
		free(stacks[i]);
	}
}

/* ------------------------------------------- finished fibers, reused stacks */

static unsigned reuse_runs;

static void reuse_main(void *arg)
{
	volatile char deep[1024]; /* touch stack so reuse meets old frames */
	for (unsigned i = 0; i < sizeof deep; i++)
		deep[i] = (char)i;
	reuse_runs += (unsigned)(uintptr_t)arg + (unsigned)deep[1];
	sim_fiber_switch(NULL, host);
}

static void test_reuse(void)
{
	void *stack = malloc(STACK_BYTES);
	unsigned ok = 1;
	reuse_runs = 0;
	for (unsigned i = 0; i < REUSE_ROUNDS; i++) {
		sim_fiber_t *f = sim_fiber_init(stack, STACK_BYTES, reuse_main, (void *)(uintptr_t)1);
		ok &= f != NULL;
		sim_fiber_switch(host, f);
		sim_fiber_release(f);
	}
	CHECK(ok);
	CHECK_EQ_U64(reuse_runs, 2u * REUSE_ROUNDS);
	free(stack);
}

static void test_too_small(void)
{
	static _Alignas(64) unsigned char tiny[256];
	CHECK(sim_fiber_init(tiny, sizeof tiny, reuse_main, NULL) == NULL);
	CHECK(sim_fiber_init(NULL, STACK_BYTES, reuse_main, NULL) == NULL);
	CHECK(sim_fiber_init_host(tiny, sizeof tiny) == NULL);
}

int main(void)
{
	host = sim_fiber_init_host(host_block, sizeof host_block);
	CHECK(host != NULL);
	test_pingpong();
	test_ring();
	test_reuse();
	test_too_small();
	sim_fiber_release(host);
	return check_report();
}
