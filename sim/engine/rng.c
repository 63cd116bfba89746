/*
 * rng.c — the engine's only randomness: xoshiro256** seeded by splitmix64,
 * and the 64-bit mixing used for state hashes. Same seed, same stream, on
 * every host.
 */
#include "sim.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng_t *r, uint64_t seed)
{
	uint64_t x = seed;
	for (unsigned i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	/* xoshiro's one forbidden state is all zero; splitmix64 never yields
	 * four zero words in a row, but the belief is cheap to keep. */
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_rng_below(sim_rng_t *r, uint64_t n)
{
	/* Lemire's multiply-shift with rejection, nearly divisionless: the
	 * threshold (a division) is only needed when the low half is below n,
	 * which is rare; the accepted values are exactly those of the plain
	 * form. The retry bound is a safety net, never reached (< 2 expected). */
	if (n <= 1)
		return 0;
	__uint128_t m = (__uint128_t)sim_rng_next(r) * n;
	if ((uint64_t)m >= n)
		return (uint64_t)(m >> 64);
	uint64_t threshold = (0 - n) % n;
	for (unsigned tries = 0; (uint64_t)m < threshold && tries < 1024; tries++)
		m = (__uint128_t)sim_rng_next(r) * n;
	return (uint64_t)(m >> 64);
}

uint64_t sim_hash64(uint64_t h, uint64_t v)
{
	/* FNV-1a over the 8 bytes of v, then a final avalanche so that nearby
	 * inputs land far apart. */
	for (unsigned i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	return h;
}
