/*
 * bench_child.h — run a libFuzzer binary as a child for the fuzzing
 * benchmarks (bench_fuzz, bench_fuzz_mem): its output read line by line,
 * its CPU time (user + sys) from wait4. Host-only; never in the simulator.
 */
#ifndef WEFT_BENCH_CHILD_H
#define WEFT_BENCH_CHILD_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_CHILD_LINE_MAX 4096u
#define BENCH_CHILD_LINES_MAX 1000000u /* a child printing more is broken */

/* Runs argv (argv[0] the binary) with stdout and stderr into a pipe; calls
 * on_line for each output line (at most BENCH_CHILD_LINES_MAX), with
 * WEFT_FUZZ_STATS=1 in the child's environment when `stats`. Returns true
 * when the child exited 0; *status and *cpu_s are set whenever it was
 * waited for, false on a failed pipe, fork or wait too. */
static inline bool bench_child_run(char *const argv[], bool stats, void (*on_line)(const char *, void *),
				   void *ctx, int *status, double *cpu_s)
{
	*status = -1;
	*cpu_s = 0;
	int fd[2];
	if (pipe(fd) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		if (stats)
			setenv("WEFT_FUZZ_STATS", "1", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	FILE *out = fdopen(fd[0], "r");
	char line[BENCH_CHILD_LINE_MAX];
	for (unsigned i = 0; out && i < BENCH_CHILD_LINES_MAX && fgets(line, sizeof line, out); i++)
		on_line(line, ctx);
	if (out)
		fclose(out);
	else
		close(fd[0]);
	struct rusage ru;
	if (wait4(pid, status, 0, &ru) != pid)
		return false;
	*cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
		 (double)ru.ru_stime.tv_usec * 1e-6;
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

#endif
