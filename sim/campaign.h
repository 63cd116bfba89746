/*
 * campaign.h — hygiene of long runs: where traces go and how they are named,
 * paths printed so that every command runs as pasted from the repository
 * root, argument parsing of durations and sizes, and the worker processes
 * of `explore --jobs`.
 */
#ifndef WEFT_CAMPAIGN_H
#define WEFT_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define CAMPAIGN_PATH_MAX 1024u
/* Default trace folder, under the repository root when this binary lives
 * in it (else under the working directory). */
#define CAMPAIGN_DIR_DEFAULT "build/campaign"
#define CAMPAIGN_JOBS_MAX 64u

/* argv[0] of this process: decides how printed commands name the binary. */
void campaign_paths_init(const char *argv0);
/* The binary as a command that runs from the repository root: its path
 * relative to the root when it lives under it, else its absolute path. */
const char *campaign_prog(void);
/* `path` (relative to the working directory, or absolute) as shown in a
 * command to paste at the repository root: relative to the root when under
 * it, else absolute. The file's folder must exist. */
void campaign_path_shown(const char *path, char *out, size_t cap);
/* The default trace folder (CAMPAIGN_DIR_DEFAULT under the root). */
void campaign_default_dir(char *out, size_t cap);

/* Make DIR (and its parents) if missing and prove it writable by creating
 * and removing a probe file. false with one line in err. */
bool campaign_dir_ready(const char *dir, char *err, size_t cap);
/* A file that will be written later: its folder exists and is writable, and
 * the file, if present, is writable. false with one line in err. */
bool campaign_file_writable(const char *path, char *err, size_t cap);

/* "DIR/WORKLOAD-cCORES-STRATEGY-sSEED-HASH.trace": '/' and ':' of the
 * workload and strategy become '_' and nothing ("pct:3" -> "pct3"); HASH is
 * 8 hex digits of the trace's encoded bytes. */
void campaign_trace_name(char *out, size_t cap, const char *dir, const char *workload,
			 unsigned cores, const char *strategy, uint64_t seed, uint32_t content_hash);
/* The 32-bit content hash of a trace (of its encoded bytes). */
uint32_t campaign_trace_hash(const sim_trace_t *t);

/* "90", "90s", "15m", "8h" -> seconds (> 0, at most a week). false if not. */
bool campaign_parse_duration(const char *text, double *seconds);
/* "262144", "256K", "64M" -> bytes (at least min, at most max). */
bool campaign_parse_bytes(const char *text, size_t min, size_t max, size_t *bytes);

/* SIGINT: the first one asks the campaign to stop after the run in
 * progress (campaign_interrupted() turns true); a second one ends the
 * process at once. */
void campaign_sigint_install(void);
bool campaign_interrupted(void);

#endif /* WEFT_CAMPAIGN_H */
