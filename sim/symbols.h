/*
 * symbols.h — call-site offsets (recorded by the simulator adapter in the
 * event log) to source lines, for display only: the first frame outside the
 * kernel, the BSP and the engine is the kernel call's caller. Resolved by
 * running addr2line (binutils) on this executable, once for all offsets;
 * without it the offsets are shown as they are.
 */
#ifndef WEFT_SYMBOLS_H
#define WEFT_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct weft_symbols;

struct weft_symbols *weft_symbols_new(void);
void weft_symbols_free(struct weft_symbols *s);
/* Offsets to resolve (call before weft_symbols_resolve; bounded). */
void weft_symbols_want(struct weft_symbols *s, uint32_t offset);
void weft_symbols_resolve(struct weft_symbols *s);
/* sites[0..n-1], innermost first: "stress/pingpong.c:42 (k_sem_give)",
 * "irq taken at stress/x.c:9 (...)", or "" when nothing is known. */
void weft_symbols_caller(const struct weft_symbols *s, const uint32_t *sites, unsigned n, char *out,
			 size_t cap);

#endif /* WEFT_SYMBOLS_H */
