/*
 * harness.h — one simulated run of a workload on a freshly booted kernel.
 * The CLI (weft.c) drives the engine through this; boot.c is the only file of
 * sim/ that knows how to boot the kernel.
 */
#ifndef WEFT_HARNESS_H
#define WEFT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct k_workload;
struct k_bug_program;

#define WEFT_STRATEGY_MAX 64u
#define WEFT_PCT_DEPTH_DEFAULT 3u
/* PCT's k (points per run) when pct:D gives none and nothing can be
 * measured. */
#define WEFT_PCT_STEPS_DEFAULT 20000u

struct weft_run_options {
	unsigned cores;
	uint64_t seed;
	char strategy[WEFT_STRATEGY_MAX]; /* "random", "pct:D[:K]", "default" */
	const sim_trace_t *replay;        /* non-NULL: replay these decisions instead */
	bool log;                         /* keep the readable event log */
	bool step_hashes;                 /* keep per-step hashes */
	uint64_t step_budget;             /* 0: the harness default */
	uint32_t fault_per_million;       /* random: allocation faults (0: none) */
	const uint8_t *bytes;             /* non-NULL: decisions from these bytes (fuzzing) */
	size_t bytes_len;
	size_t region_bytes;              /* kernel memory; 0: weft_region_bytes(w, cores) */
	uint64_t check_every;             /* k_sched_check every N steps; 0: every step */
	bool quiet_console;               /* keep the kernel console's output (see
					     weft_run_console) instead of printing it */
	bool fixed_timing;                /* no ADVANCE/DEFER decisions (the old fixed timing) */
	/* Races build (sim_mem_available): plain accesses to shared words are
	 * points, starting from weft_shared_words(w, cores). */
	bool mem_points;
	bool mem_learn;                   /* calibration: record, no points */
	bool features;                    /* collect features (feedback strategy) */
	bool never_rule;                  /* judge the kernel's plain accesses (weft-kcheck) */
};

/* Feedback-guided exploration (feedback.c): weft_feedback_next fills
 * input[0..input_len) (run it as opts.bytes with opts.features on), then
 * weft_feedback_result merges the run's features and keeps the input if it
 * brought a new one (returns true then). Deterministic from the seed. */
#define WEFT_FEEDBACK_CORPUS_MAX 256u
#define WEFT_FEEDBACK_INPUT_MAX 512u
struct weft_feedback_entry {
	uint8_t *bytes; /* WEFT_FEEDBACK_INPUT_MAX, heap */
	size_t len;
};
struct weft_feedback {
	sim_rng_t rng;
	uint8_t seen[SIM_FEATURE_BITS / 8u];
	uint64_t features; /* distinct features seen */
	size_t corpus_count;
	struct weft_feedback_entry corpus[WEFT_FEEDBACK_CORPUS_MAX];
	uint8_t input[WEFT_FEEDBACK_INPUT_MAX];
	size_t input_len;
};
void weft_feedback_init(struct weft_feedback *f, uint64_t seed);
void weft_feedback_next(struct weft_feedback *f);
bool weft_feedback_result(struct weft_feedback *f);
void weft_feedback_free(struct weft_feedback *f);

/* The words threads of w share at `cores` cores, learnt once per process by
 * calibration runs (shared_words.c): sorted keys for sim_config_t.mem_shared. */
const uint64_t *weft_shared_words(const struct k_workload *w, unsigned cores, size_t *count);
/* What a trace's strategy field carries after the strategy when mem points
 * were on ("random+mem"). */
#define WEFT_MEM_SUFFIX "+mem"
#define WEFT_NEVER_SUFFIX "+never"

/* With quiet_console: the end of what the kernel wrote on its console in the
 * last weft_run_once (at most WEFT_CONSOLE_TAIL_BYTES), else "". */
#define WEFT_CONSOLE_TAIL_BYTES 2048u
const char *weft_run_console(void);

/* Kernel memory per run. Small on purpose: the host allocates and
 * junk-fills it for every run, thousands of times per second. The largest
 * workload (kill_storm: up to 13 threads of 16 KiB stacks alive, victims
 * not yet reaped, per-core caches) needs about 160 KiB. */
#define WEFT_REGION_BYTES_DEFAULT (256u * 1024u)
/* The kernel's memory grows with the cores: each core past the first few
 * costs the kernel about 4 KiB (its run queue, idle context, per-core
 * caches; measured: pingpong needs 103 KiB at 16 cores, 300 KiB at 64;
 * kill_storm 166 KiB at 1 core, 426 KiB at 64). A workload's own size
 * (K_WORKLOAD_MEM, or the default) covers its threads and up to
 * WEFT_REGION_CORES_INCLUDED cores; each core past that adds twice the
 * measured cost. --mem overrides it all. */
#define WEFT_REGION_CORES_INCLUDED 8u
#define WEFT_REGION_PER_CORE_BYTES (8u * 1024u)
size_t weft_region_bytes(const struct k_workload *w, unsigned cores);

/* The most cores this binary runs: the engine's limit (SIM_CORES_MAX) or
 * the kernel's (BSP_CORES_MAX, as this build compiled it), the lower.
 * weft-board, in the board's one-core configuration, runs 1; the CLI
 * refuses more with one clear line (exit 2). */
unsigned weft_cores_max(void);

/* --mem bounds: below the minimum no kernel boots; above the maximum the
 * host allocates (and junk-fills) too much per run. */
#define WEFT_MEM_MIN_BYTES (64u * 1024u)
#define WEFT_MEM_MAX_BYTES (256u * 1024u * 1024u)

/* Workloads linked into this binary, in name order (stable). find also
 * knows the bug programs ("bug/..."), which count/at leave out. */
size_t weft_workload_count(void);
const struct k_workload *weft_workload_at(size_t i);
const struct k_workload *weft_workload_find(const char *name);
/* Bug programs (stress/bugs/, k/workload.h) linked in, in name order (each
 * bug right before its twin). weft_bug_of: w's descriptor, or NULL if w is
 * an ordinary workload. */
size_t weft_bug_count(void);
const struct k_bug_program *weft_bug_at(size_t i);
const struct k_bug_program *weft_bug_of(const struct k_workload *w);
const char *weft_workload_name(const struct k_workload *w);
const char *weft_workload_summary(const struct k_workload *w);

/* Parse a strategy string; returns false with a message on a bad one.
 * *depth 0: random (or default); *steps 0: pct without an explicit k. */
bool weft_strategy_parse(const char *text, unsigned *depth, uint64_t *steps, char *err,
			 size_t cap);

/* Boot a fresh kernel on opts->cores simulated cores, run w, check it.
 * Fills *out (caller frees with sim_result_free). If replay_note is not
 * NULL it receives the replay strategy's divergence note ("" if none). */
enum sim_outcome weft_run_once(const struct k_workload *w, const struct weft_run_options *opts,
			       sim_result_t *out, char *replay_note, size_t note_cap);

/* PCT's k for `strategy` on w at `cores`: the explicit pct:D:K, or else the
 * length in points of one calibration run (random, seed 0) of the same
 * workload and cores — deterministic for a binary, measured once per
 * process — so the d-1 change points fall inside the run. 0 for a
 * strategy that is not pct. */
uint64_t weft_pct_steps(const struct k_workload *w, unsigned cores, const char *strategy);

/* This binary's build id (ELF GNU build-id as hex), for trace headers. */
const char *weft_build_id(void);

/* weft run --module PATH: every following run loads bytes[size] (kept by the
 * caller) with k_module_load before the workload's main and unloads it after
 * its check; NULL: none. weft_workload_module (k/workload.h) offers it to
 * workloads. After a run, weft_module_refusal() is the loader's refusal
 * ("-K_ENOEXEC (why)") when it refused the image, else NULL. */
#define WEFT_MODULE_BYTES_MAX (4u << 20)
void weft_module_set(const uint8_t *bytes, size_t size, const char *path);
const char *weft_module_refusal(void);

#endif /* WEFT_HARNESS_H */
