/*
 * test_descriptor_order.c — the linker's section and the build-generated
 * table (weft_descriptor_table) list the same descriptors in the same order,
 * for the self-tests and the workloads. This binary links both, so the
 * kernel's runner reads the table (k_test_at) while __start_/__stop_ still
 * bound the section: every entry is compared by address.
 */
#include <stdio.h>

#include "check.h"

#include <k/test.h>
#include <k/workload.h>

int main(void)
{
	size_t sec_tests = (size_t)(__stop_weft_tests - __start_weft_tests);
	CHECK(sec_tests > 0);
	CHECK_EQ_U64(k_test_count(), sec_tests);
	CHECK_EQ_U64(weft_tests_table_count, sec_tests);
	for (size_t i = 0; i < sec_tests && i < k_test_count(); i++) {
		if (k_test_at(i) != &__start_weft_tests[i])
			fprintf(stderr, "test #%zu: table %s, section %s\n", i, k_test_at(i)->name,
				__start_weft_tests[i].name);
		CHECK(k_test_at(i) == &__start_weft_tests[i]);
	}
	CHECK(weft_tests_table[sec_tests] == NULL);

	size_t sec_workloads = (size_t)(__stop_weft_workloads - __start_weft_workloads);
	CHECK(sec_workloads > 0);
	CHECK_EQ_U64(weft_workloads_table_count, sec_workloads);
	for (size_t i = 0; i < sec_workloads && i < weft_workloads_table_count; i++)
		CHECK(weft_workloads_table[i] == &__start_weft_workloads[i]);
	CHECK(weft_workloads_table[sec_workloads] == NULL);
	printf("descriptor order: %zu tests, %zu workloads, section and table %s\n", sec_tests,
	       sec_workloads, check_failed_count ? "DIFFER" : "agree");
	return check_report();
}
