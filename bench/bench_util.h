/*
 * bench_util.h — what every benchmark needs: a host clock (benchmarks are
 * host code outside the simulated world, so host time is fine here) and the
 * median, the figure quoted on a shared, noisy machine.
 */
#ifndef WEFT_BENCH_UTIL_H
#define WEFT_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double median(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

#endif /* WEFT_BENCH_UTIL_H */
