/*
 * bench_util.h — what every benchmark needs: a host clock (benchmarks are
 * host code outside the simulated world, so host time is fine here) and the
 * median, the figure quoted on a shared, noisy machine.
 */
#ifndef WEFT_BENCH_UTIL_H
#define WEFT_BENCH_UTIL_H

#include <stdio.h>
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

/* The cost of the extra work of the longer runs: median(longer) minus
 * median(shorter), never negative. Medians first, then the difference: one
 * preempted run on a busy host cannot make it negative. Sorts both. */
static inline double median_difference(double *shorter, double *longer, unsigned n)
{
	double d = median(longer, n) - median(shorter, n);
	return d > 0 ? d : 0;
}

/* One benchmark JSON line; with a baseline, its value and the ratio of the
 * two printed (rounded) values, so the ratio agrees with what a reader sees. */
static inline void bench_print_line(const char *bench, const char *c, const char *metric,
				    double v, const char *unit, const char *baseline, double b)
{
	char vs[32], bs[32];
	snprintf(vs, sizeof vs, "%.3f", v);
	if (!baseline) {
		printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%s,"
		       "\"unit\":\"%s\"}\n", bench, c, metric, vs, unit);
		return;
	}
	snprintf(bs, sizeof bs, "%.3f", b);
	double vr = strtod(vs, NULL), br = strtod(bs, NULL);
	printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%s,"
	       "\"unit\":\"%s\",\"baseline\":\"%s\",\"baseline_value\":%s,\"ratio\":%.3f}\n",
	       bench, c, metric, vs, unit, baseline, bs, br > 0 ? vr / br : 0.0);
}

#endif /* WEFT_BENCH_UTIL_H */
