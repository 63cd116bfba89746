/*
 * check.h — the smallest unit-test harness: CHECK counts, never stops, and
 * check_report() prints "N passed, N failed" and gives the exit code.
 */
#ifndef WEFT_CHECK_H
#define WEFT_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static unsigned check_passed_count, check_failed_count;

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (cond) {                                                        \
			check_passed_count++;                                      \
		} else {                                                           \
			check_failed_count++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                  \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                         \
	do {                                                                       \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);       \
		if (check_a_ == check_b_) {                                        \
			check_passed_count++;                                      \
		} else {                                                           \
			check_failed_count++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);   \
		}                                                                  \
	} while (0)

static inline int check_report(void)
{
	printf("%u passed, %u failed\n", check_passed_count, check_failed_count);
	return check_failed_count ? 1 : 0;
}

#endif /* WEFT_CHECK_H */
