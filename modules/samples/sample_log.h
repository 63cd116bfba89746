/*
 * sample_log.h — what the sample modules (modules/samples/) report, and the
 * check every target runs on it: the boot order by level then name, fini in
 * reverse, a failed init skipped and never finished, and two modules that
 * both define a global `counter` and `helper()` each seeing its own.
 *
 * The sample modules call sample_note(); the program that links them
 * (the simulator's test, the m4f and wasm images) links sample_log.c too.
 */
#ifndef SAMPLE_LOG_H
#define SAMPLE_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Events a boot may note (more is a broken boot loop). */
#define SAMPLE_LOG_MAX 64u

/* Record one event ("init zeta", "fini zeta", "main"): a static string. */
void sample_note(const char *event);

/* Forget every event (before a boot). */
void sample_log_reset(void);

/* Compare the events noted with what a boot of the samples must produce;
 * twins: the build linked the two same-symbol modules (ELF targets).
 * Returns 0, or -1 with one line in msg[cap] naming the first difference. */
int sample_log_check(bool twins, char *msg, size_t cap);

/* The events noted so far, for a failing test's message. */
size_t sample_log_count(void);
const char *sample_log_at(size_t index);

#endif /* SAMPLE_LOG_H */
