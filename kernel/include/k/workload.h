/*
 * k/workload.h — stress workloads: modules written against the kernel's public
 * API only, each with its own end check. They are collected by the linker in
 * the section `weft_workloads` (the same mechanism as K_TEST and static
 * modules), so adding a workload is adding a file to stress/.
 *
 * The weft CLI boots a fresh kernel for every run, calls main() on the first
 * kernel thread with every core up, and when main returns calls check(). A
 * workload that exercises process kill or faults must still leave a state its
 * check can judge.
 */
#ifndef K_WORKLOAD_H
#define K_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <k/section.h>

struct k_workload {
	const char *name;    /* what `weft list` shows and `weft run NAME` takes */
	const char *summary; /* one line */
	/* Thread context, fresh kernel. Returns 0, or a negative K_E* code if a
	 * kernel call failed that must not fail (the run fails as an oracle). */
	int (*main)(void);
	/* Thread context, after main returned. Returns 0 if the end state is
	 * right; otherwise writes one line into msg[cap] and returns < 0. */
	int (*check)(char *msg, size_t cap);
	/* Kernel memory the workload needs, in bytes; 0: the harness's default
	 * (small, for speed). Set with K_WORKLOAD_MEM. */
	size_t region_bytes;
};

/* Register a workload. The descriptor is a global (not static) so wasm-ld
 * keeps it too. */
#define K_WORKLOAD(ident, name_, summary_, main_, check_)                          \
	const struct k_workload k_workload_##ident                                 \
		K_SECTION_ITEM(weft_workloads) = \
		{name_, summary_, main_, check_, 0}

/* As K_WORKLOAD, for a workload that needs more kernel memory than the
 * harness gives by default. */
#define K_WORKLOAD_MEM(ident, name_, summary_, main_, check_, region_bytes_)       \
	const struct k_workload k_workload_##ident                                 \
		K_SECTION_ITEM(weft_workloads) = \
		{name_, summary_, main_, check_, region_bytes_}

K_SECTION_DECLARE(weft_workloads, struct k_workload);

/* The dynamic module image (an ELF object, k/loader.h) the harness offers
 * workloads: the one `weft run --module PATH` names, which the harness has
 * already loaded before main (and unloads after check), or a default built
 * with the simulator. Provided by the harness, weak: a build without one
 * (a target that cannot load code) leaves it NULL. Returns the bytes and
 * their count in *size, or NULL with *size 0 when there is none. */
const void *weft_workload_module(size_t *size) __attribute__((weak));

/*
 * Bug programs (stress/bugs/): small concurrent programs, each with one known
 * bug of a classic kind, and a twin — the same program with the bug fixed —
 * that must never fail. They are kept out of `weft list` and of the campaign
 * (which expects every listed workload to hold): they live in their own
 * section `weft_bugs`, `weft list --bugs` shows them, and `weft run/explore`
 * take them by name ("bug/<name>", "bug/<name>-twin"). bench_bugs measures
 * how many schedules each strategy needs to find each bug.
 */
struct k_bug_program {
	struct k_workload workload; /* name "bug/<name>" or "bug/<name>-twin" */
	const char *kind;           /* the classic kind, e.g. "lock-order deadlock" */
	unsigned threads;           /* threads the program creates (besides main) */
	bool one_core;              /* the bug can happen on one core (preemption, interrupt) */
	bool twin;                  /* the fixed twin: must never fail */
	/* The racing steps are plain loads and stores with no kernel call
	 * between them: only memory-access points (the races build, weft
	 * --mem-points) can interleave them. */
	bool plain;
};

/* Register a bug program and its twin: two entries sharing kind, thread count
 * and check. main_bug_ runs the buggy program, main_twin_ the fixed one. */
#define K_BUG_PROGRAM(ident, name_, kind_, threads_, one_core_, summary_, main_bug_,   \
		      main_twin_, check_)                                            \
	const struct k_bug_program k_bug_##ident                                    \
		K_SECTION_ITEM(weft_bugs) = \
		{{"bug/" name_, summary_, main_bug_, check_, 0},    \
				    kind_, threads_, one_core_, false, false};         \
	const struct k_bug_program k_bug_##ident##_twin                             \
		K_SECTION_ITEM(weft_bugs) = \
		{{"bug/" name_ "-twin", "the same, bug fixed",      \
				     main_twin_, check_, 0},                           \
				    kind_, threads_, one_core_, true, false}

/* The same for a program whose race is between plain accesses (plain). */
#define K_BUG_PROGRAM_PLAIN(ident, name_, kind_, threads_, one_core_, summary_, main_bug_, \
			    main_twin_, check_)                                      \
	const struct k_bug_program k_bug_##ident                                    \
		K_SECTION_ITEM(weft_bugs) = \
		{{"bug/" name_, summary_, main_bug_, check_, 0},    \
				    kind_, threads_, one_core_, false, true};          \
	const struct k_bug_program k_bug_##ident##_twin                             \
		K_SECTION_ITEM(weft_bugs) = \
		{{"bug/" name_ "-twin", "the same, bug fixed",      \
				     main_twin_, check_, 0},                           \
				    kind_, threads_, one_core_, true, true}

K_SECTION_DECLARE(weft_bugs, struct k_bug_program);

/* weft_workloads_table[] (K_SECTION_DECLARE above) is the same list
 * generated at build time from the K_WORKLOAD lines of the workload sources,
 * in link order (weft_descriptor_table, cmake/weft.cmake), for targets
 * without a usable section (wasm). */

#endif /* K_WORKLOAD_H */
