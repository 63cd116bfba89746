/*
 * test_decimal.c — k_decimal_u64 / k_decimal_div10 give what the host's
 * 64-bit arithmetic and printf give: every edge of the 16- and 32-bit
 * splits the helper makes, and a fixed xorshift walk over every magnitude.
 */
#include <k/decimal.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Numbers of the walk: enough to reach every digit count many times. */
#define DECIMAL_WALK_COUNT 200000u

static uint64_t walk_state = 0x9e3779b97f4a7c15ull;

static uint64_t walk_next(void)
{
	walk_state ^= walk_state << 13;
	walk_state ^= walk_state >> 7;
	walk_state ^= walk_state << 17;
	return walk_state;
}

static void check_one(uint64_t v)
{
	char got[K_DECIMAL_U64_DIGITS_MAX + 1];
	char want[32];
	unsigned n = k_decimal_u64(v, got);
	CHECK(n >= 1u && n <= K_DECIMAL_U64_DIGITS_MAX);
	got[n] = '\0';
	snprintf(want, sizeof want, "%llu", (unsigned long long)v);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "decimal of %s gave %s\n", want, got);
	CHECK(strcmp(got, want) == 0);
	unsigned rem = 99u;
	uint64_t q = k_decimal_div10(v, &rem);
	CHECK_EQ_U64(q, v / 10u);
	CHECK_EQ_U64(rem, v % 10u);
}

int main(void)
{
	static const uint64_t edges[] = {
		0u, 1u, 9u, 10u, 11u, 99u, 100u, 0xFFFFu, 0x10000u, 655359u, 655360u,
		0xFFFFFFFFull, 0x100000000ull, 0x9FFFFFFFFull, 0xA00000000ull,
		9999999999999999999ull, 10000000000000000000ull,
		18446744073709551606ull, 18446744073709551615ull,
	};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		check_one(edges[i]);
	for (unsigned i = 0; i < DECIMAL_WALK_COUNT; i++) {
		uint64_t r = walk_next();
		check_one(r >> (r % 64u));
	}
	return check_report();
}
