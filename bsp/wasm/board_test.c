/*
 * board_test.c — the wasm board's own contract, without the kernel: device
 * lines, the test device on the virtual clock, the one-shot timer, idle,
 * interrupt delivery at points only with interrupts on, and fiber contexts
 * (switch, return, release). Ends with "N passed, N failed"; exit status 0
 * when every check held.
 */
#include <stdio.h>
#include <string.h>

#include "bsp_wasm.h"

#define BOARD_STACK_BYTES (32u << 10)
#define BOARD_DEVICE_COUNT 5u
#define BOARD_DEVICE_PERIOD_NS 10000u
/* Idle waits the test may take before it calls the device stuck. */
#define BOARD_IDLE_MAX 100u

static unsigned passed, failed;

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (cond) {                                                        \
			passed++;                                                  \
		} else {                                                           \
			failed++;                                                  \
			printf("board_test.c:%d: CHECK failed: %s\n", __LINE__, #cond); \
		}                                                                  \
	} while (0)

static struct {
	unsigned calls;
	unsigned mask_or;
	unsigned line3;
	uint64_t line3_at[BOARD_DEVICE_COUNT + 1u];
	bool irq_on_in_handler;
	unsigned preempts;         /* calls of preempt */
	unsigned preempts_unasked; /* ... not right after a handler that asked */
	bool asked;                /* the last handler call asked for preempt */
	bool irq_on_in_preempt;
} seen;

/* Asks for the preempt call when line 2 is in the mask, never else. */
static bool handler(unsigned mask)
{
	seen.calls++;
	seen.mask_or |= mask;
	seen.irq_on_in_handler |= bsp_irq_enabled();
	if (mask & BSP_IRQ_LINE(3)) {
		if (seen.line3 <= BOARD_DEVICE_COUNT)
			seen.line3_at[seen.line3] = bsp_clock_ns();
		seen.line3++;
	}
	seen.asked = (mask & BSP_IRQ_LINE(2)) != 0u;
	return seen.asked;
}

static void preempt(void)
{
	seen.preempts++;
	if (!seen.asked)
		seen.preempts_unasked++;
	seen.asked = false;
	seen.irq_on_in_preempt |= bsp_irq_enabled();
}

static void test_lines(void)
{
	memset(&seen, 0, sizeof seen);
	CHECK(bsp_irq_line_raise(BSP_IRQ_LINES) == -BSP_EINVAL);
	CHECK(bsp_irq_line_raise(2) == 0);
	(void)bsp_clock_ns(); /* a point with interrupts off: nothing taken */
	CHECK(seen.calls == 0);
	bsp_irq_enable(); /* taken here */
	CHECK(seen.calls == 1 && (seen.mask_or & BSP_IRQ_LINE(2)) != 0);
	CHECK(!seen.irq_on_in_handler);
	CHECK(seen.preempts == 1 && seen.preempts_unasked == 0 && !seen.irq_on_in_preempt);
	CHECK(bsp_irq_enabled());
	(void)bsp_irq_save();
	CHECK(bsp_irq_line_raise(2) == 0 && bsp_irq_line_raise(2) == 0);
	bsp_irq_restore(1); /* two raises, one take: a line, not a counter */
	CHECK(seen.calls == 2 && seen.preempts == 2 && seen.preempts_unasked == 0);
	(void)bsp_irq_save();
}

static void test_device(void)
{
	memset(&seen, 0, sizeof seen);
	CHECK(bsp_device_start(3, 1, 0) == -BSP_EINVAL);
	CHECK(bsp_device_start(BSP_IRQ_LINES, 1, 1) == -BSP_EINVAL);
	uint64_t start = bsp_clock_ns();
	CHECK(bsp_device_start(3, BOARD_DEVICE_COUNT, BOARD_DEVICE_PERIOD_NS) == 0);
	for (unsigned n = 0; n < BOARD_IDLE_MAX && seen.line3 < BOARD_DEVICE_COUNT; n++) {
		bsp_core_idle(); /* jumps to the next arrival */
		bsp_irq_enable();
		(void)bsp_irq_save();
	}
	CHECK(seen.line3 == BOARD_DEVICE_COUNT);
	/* Each arrival within [period/2, 3*period/2] of the one before (plus
	 * the few points between the arrival and its take). */
	uint64_t prev = start;
	for (unsigned i = 0; i < BOARD_DEVICE_COUNT && i < seen.line3; i++) {
		uint64_t gap = seen.line3_at[i] - prev;
		CHECK(gap >= BOARD_DEVICE_PERIOD_NS / 2u - 1000u);
		CHECK(gap <= BOARD_DEVICE_PERIOD_NS * 3u / 2u + 1000u);
		prev = seen.line3_at[i];
	}
	/* Stopped after count arrivals: a timer is the only thing left. */
	bsp_timer_set(bsp_clock_ns() + 50000u);
	bsp_core_idle();
	bsp_irq_enable();
	(void)bsp_irq_save();
	CHECK(seen.line3 == BOARD_DEVICE_COUNT);
	CHECK((seen.mask_or & BSP_IRQ_TIMER) != 0);
	CHECK(seen.preempts == 0); /* nobody asked */
}

static void test_timer(void)
{
	memset(&seen, 0, sizeof seen);
	uint64_t now = bsp_clock_ns();
	bsp_timer_set(now + 1000000u);
	bsp_core_idle();
	CHECK(bsp_clock_ns() >= now + 1000000u);
	bsp_irq_enable();
	(void)bsp_irq_save();
	CHECK(seen.calls == 1 && seen.mask_or == BSP_IRQ_TIMER);
	bsp_timer_set(0); /* in the past: fires at once */
	bsp_irq_enable();
	(void)bsp_irq_save();
	CHECK(seen.calls == 2);
	bsp_timer_set(bsp_clock_ns() + 1000u);
	bsp_timer_set(BSP_TIMER_NONE); /* cancelled */
	for (unsigned i = 0; i < 100u; i++)
		(void)bsp_clock_ns();
	bsp_irq_enable();
	(void)bsp_irq_save();
	CHECK(seen.calls == 2);
}

/* Two contexts ping-pong a counter through the boot context. */
static bsp_context_t boot_ctx, ctx_a;
static unsigned hops;

static void entry_a(void *arg)
{
	unsigned *counter = arg;
	for (unsigned i = 0; i < 3u; i++) {
		(*counter)++;
		bsp_context_switch(&ctx_a, boot_ctx);
	}
	bsp_context_switch(NULL, boot_ctx); /* finished: never resumes */
	bsp_panic(__FILE__, __LINE__, "a finished context resumed");
}

static void test_contexts(void)
{
	static _Alignas(16) unsigned char stack[BOARD_STACK_BYTES];
	CHECK(bsp_context_init(stack, BSP_STACK_MIN_BYTES - 16u, entry_a, &hops) == NULL);
	CHECK(bsp_context_init(stack + 8, BOARD_STACK_BYTES - 16u, entry_a, &hops) == NULL);
	ctx_a = bsp_context_init(stack, sizeof stack, entry_a, &hops);
	CHECK(ctx_a != NULL);
	uint64_t switches = bsp_wasm_switches();
	for (unsigned i = 0; i < 4u && ctx_a; i++)
		bsp_context_switch(&boot_ctx, ctx_a);
	CHECK(hops == 3);
	CHECK(bsp_wasm_switches() - switches == 8);
	bsp_context_release(ctx_a);
}

int main(void)
{
	struct bsp_wasm_options o = {.seed = 11, .region_bytes = 1u << 20, .trace_to_js = false};
	CHECK(bsp_wasm_setup(&o) == 0);
	const struct bsp_mem_region *r;
	CHECK(bsp_mem_regions(&r) == 2 && r[0].size == (1u << 20) && r[1].base % 64u == 24u);
	CHECK(bsp_core_count() == 1 && bsp_core_id() == 0 && bsp_core_start(1, NULL, NULL) == -BSP_EINVAL);
	CHECK(bsp_file_open("/x", BSP_FILE_READ) == -BSP_ENOSYS && bsp_mem_exec_alloc(64) == NULL);
	bsp_irq_set_handler(handler, preempt);
	test_lines();
	test_device();
	test_timer();
	test_contexts();
	printf("%u passed, %u failed\n", passed, failed);
	bsp_wasm_exit(failed == 0u && passed > 0u ? 0 : 1);
}
