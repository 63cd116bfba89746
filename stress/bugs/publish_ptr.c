/*
 * publish_ptr.c — publication without ordering.
 *
 * A writer fills an object and publishes a pointer to it; a reader polls the
 * pointer and, once set, reads the object. The bug publishes first and fills
 * after: a reader between the two sees a half-made object (its magic word
 * and value still zero). All plain stores, adjacent: only memory points put
 * the reader between them. Twin: fill, then publish.
 * Oracle: a reader that got the pointer saw a complete object.
 */
#include "plain.h"

#define PP_MAGIC 0x5eedu
#define PP_VALUE 7u

struct pp_object {
	volatile unsigned magic;
	volatile unsigned value;
};

static struct {
	k_sem_t *gate;
	struct pp_object object;
	struct pp_object *volatile published;
	unsigned incomplete;
	bool fixed;
	int error;
} pp;

static void pp_fill(void)
{
	pp.object.magic = PP_MAGIC;
	pp.object.value = PP_VALUE;
}

static void pp_write(void)
{
	if (!pp.fixed)
		pp.published = &pp.object;
	pp_fill();
	if (pp.fixed)
		pp.published = &pp.object;
}

static void pp_read(void)
{
	for (unsigned i = 0; i < PLAIN_POLLS_MAX; i++) {
		struct pp_object *o = pp.published;
		if (o != NULL) {
			if (o->magic != PP_MAGIC || o->value != PP_VALUE)
				pp.incomplete++;
			return;
		}
		k_thread_yield();
	}
}

static void pp_thread(void *arg)
{
	K_ASSERT((uintptr_t)arg < 2u);
	K_ASSERT(!k_in_isr());
	bug_gate_pass(pp.gate, &pp.error);
	if ((uintptr_t)arg == 0u)
		pp_write();
	else
		pp_read();
}

static int pp_run(bool fixed)
{
	pp.gate = NULL;
	pp.object.magic = pp.object.value = 0;
	pp.published = NULL;
	pp.incomplete = 0;
	pp.fixed = fixed;
	pp.error = 0;
	return plain_group(pp_thread, 2u, &pp.gate, &pp.error);
}

static int pp_check(char *msg, size_t cap)
{
	if (pp.error < 0)
		return stress_fail(msg, cap, "a kernel call failed with ", pp.error, "");
	if (pp.incomplete)
		return stress_fail_text(msg, cap,
					"publication without ordering: the reader saw a half-made object");
	return 0;
}

BUG_MAINS(pp)
K_BUG_PROGRAM_PLAIN(publish_ptr, "publish_ptr", "publication without ordering", 2u, true,
		    "a pointer published before the object behind it is filled", pp_bug, pp_twin,
		    pp_check);
