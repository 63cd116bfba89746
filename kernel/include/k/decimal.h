/*
 * k/decimal.h — the decimal digits of a 64-bit number, for the kernel's
 * messages (test lines, reports, the checker's findings).
 *
 * Written with 32-bit divisions only: a 64-bit `/ 10` makes 32-bit targets
 * link the compiler's 64-bit division routine (about 700 bytes of flash on
 * Cortex-M4F) for nothing but printing.
 */
#ifndef K_DECIMAL_H
#define K_DECIMAL_H

#include <stdint.h>

#include <k/assert.h>

/* Most digits of a uint64_t (18446744073709551615). */
#define K_DECIMAL_U64_DIGITS_MAX 20u

/* v / 10, and v % 10 in *rem: the 32-bit high word first, then the low word
 * in two 16-bit halves, each step's dividend below 10 * 2^16. */
static inline uint64_t k_decimal_div10(uint64_t v, unsigned *rem)
{
	uint32_t hi = (uint32_t)(v >> 32);
	uint32_t lo = (uint32_t)v;
	uint32_t r = hi % 10u;
	uint32_t mid = (r << 16) | (lo >> 16);
	uint32_t low = ((mid % 10u) << 16) | (lo & 0xFFFFu);
	K_ASSERT(mid / 10u <= 0xFFFFu);
	K_ASSERT(low / 10u <= 0xFFFFu);
	*rem = low % 10u;
	return ((uint64_t)(hi / 10u) << 32) | ((uint64_t)(mid / 10u) << 16) | (low / 10u);
}

/* Writes v's digits, most significant first, into out (no terminator);
 * returns how many (1..K_DECIMAL_U64_DIGITS_MAX). */
static inline unsigned k_decimal_u64(uint64_t v, char out[K_DECIMAL_U64_DIGITS_MAX])
{
	char rev[K_DECIMAL_U64_DIGITS_MAX];
	unsigned n = 0;
	do {
		unsigned digit;
		v = k_decimal_div10(v, &digit);
		rev[n++] = (char)('0' + digit);
	} while (v != 0 && n < K_DECIMAL_U64_DIGITS_MAX);
	K_ASSERT(v == 0);
	for (unsigned i = 0; i < n; i++)
		out[i] = rev[n - 1u - i];
	return n;
}

#endif /* K_DECIMAL_H */
