/*
 * help.c — what `weft help [COMMAND]`, `weft COMMAND --help` and `weft
 * --help` print: the usage of every command and, per command, what its
 * output means (the log's T0, the trace names, the exit codes).
 */
#include "help.h"

#include <string.h>

#include "sim_assert.h"

static const char help_overview[] =
	"usage: weft COMMAND [ARGS]    (weft help COMMAND, or weft COMMAND --help, for one command)\n"
	"\n"
	"  list [--bugs]          the workloads built in (--bugs: the bug programs)\n"
	"  run WORKLOAD           one run: --cores N --seed S [--strategy S] [--trace FILE] [--log]\n"
	"  explore WORKLOAD       many runs (seeds S, S+1, ...): --cores N (--runs K | --time 8h)\n"
	"  replay TRACE           run a trace again: [--log] [--focus WHO] [--html PAGE.html]\n"
	"  shrink TRACE           a smaller trace that fails the same way: -o SMALL.trace\n"
	"  campaign               the nightly campaign and its report: [--time 8h] (scripts/campaign.py --help)\n"
	"  help [COMMAND]         this text, or one command's\n"
	"  --version              the build id and the trace format this binary writes\n"
	"\n"
	"Each run boots a fresh kernel on N simulated cores and judges it with every\n"
	"oracle: kernel assertions, k_sched_check between steps, deadlock (wait-for\n"
	"chain), starvation and latency bounds, the step budget, leaks and the\n"
	"workload's own end check. The same trace or seed gives the same run, bit\n"
	"for bit. WORKLOAD may also be a bug program of `weft list --bugs`.\n"
	"\n"
	"In logs and reports threads are `T<id> 'name'`; T0 is a core's idle\n"
	"context: the loop a core runs when no thread is ready (every core has\n"
	"one, all numbered 0). Objects are `kind#id 'name'` (sem#3 'items').\n"
	"\n"
	"Exit codes: 0 all held, 1 a failure was found, 2 bad usage or input\n"
	"(one line on stderr saying what).\n";

static const char help_list[] =
	"usage: weft list [--bugs]\n"
	"\n"
	"The workloads built into this binary, one per line with a summary.\n"
	"--bugs: the bug programs of stress/bugs/ (bug/NAME is meant to fail,\n"
	"bug/NAME-twin, its fixed twin, to hold); never part of a campaign.\n";

static const char help_run[] =
	"usage: weft run WORKLOAD --cores N --seed S [--strategy random|pct:D] [--trace FILE]\n"
	"                [--log] [--focus WHO] [--steps MAX] [--mem BYTES] [--mem-points]\n"
	"                [--never-rule] [--module OBJ.o]\n"
	"\n"
	"One run of WORKLOAD on N simulated cores (1..64), its decisions drawn\n"
	"from seed S by the strategy. --trace FILE writes its trace (checked\n"
	"writable before the run). --log prints the run's story (see `weft help\n"
	"replay`). --steps: the step budget (default 4000000: beyond it the run\n"
	"fails as a livelock). --mem: the kernel's memory in bytes (K, M\n"
	"suffixes); by default sized from the cores and the workload (see\n"
	"docs/timeline.md). On a failure it prints what failed and the commands\n"
	"to replay, shrink and rerun it, each runnable as pasted from the\n"
	"repository root.\n"
	"--mem-points (the races preset's weft only): a plain load or store of a\n"
	"word threads share is a scheduling point too; traces record it.\n"
	"--never-rule (weft-kcheck of the races preset: its kernel is\n"
	"instrumented): a plain kernel access to a word another core wrote last\n"
	"with no BSP primitive between fails the run, naming both sites (at most\n"
	"8 cores). docs/races.md.\n"
	"--module OBJ.o: load this dynamic module (an ELF relocatable object,\n"
	"docs/loader.md) into the booted kernel before the workload's main and\n"
	"unload it after its check; a module the loader refuses ends with one\n"
	"line and exit 2. The trace does not carry the module: replay with the\n"
	"same --module is not offered yet.\n";

static const char help_explore[] =
	"usage: weft explore WORKLOAD --cores N (--runs K | --time D) [--seed S] [--shard I/N]\n"
	"                    [--strategy random|pct:D] [--out DIR] [--jobs J] [--steps MAX]\n"
	"                    [--mem BYTES] [--mem-points] [--never-rule] [--report FILE]\n"
	"\n"
	"Runs seeds S, S+1, ... (default S = 0; --shard I/N takes every N-th seed\n"
	"from S+I-1, so N machines never overlap) until K runs, until D of host\n"
	"time (D: 90, 90s, 15m, 8h), or until the first failure. --jobs J runs J\n"
	"worker processes (default 1); the seeds tried and the verdicts are the\n"
	"same as one worker's: the summary's verdict digest proves it.\n"
	"\n"
	"A failing run's trace goes to DIR (default build/campaign/, created if\n"
	"missing; checked writable before the first run), named\n"
	"WORKLOAD-cCORES-STRATEGY-sSEED-HASH.trace (HASH: 8 hex digits of the\n"
	"trace's content), so no run overwrites another's.\n"
	"\n"
	"Ctrl-C (SIGINT) stops it cleanly after the run in progress: the summary\n"
	"says how many runs were done, the last seed tried and the command that\n"
	"resumes where it stopped.\n"
	"\n"
	"Summary: runs, runs/s, distinct schedules (runs whose final state hash\n"
	"differs: exact up to 1048576 distinct, a lower bound past that, which\n"
	"it then says), steps per run, failures, and the verdict digest (a hash\n"
	"of every seed's outcome and final hash, in seed order).\n"
	"\n"
	"--report FILE writes the campaign as JSON lines: one per run (seed,\n"
	"outcome, final hash, steps), the failing run with its message and trace,\n"
	"and a summary line last. Shards' reports merge with\n"
	"scripts/merge-shards.py (docs/scale-out.md).\n";

static const char help_replay[] =
	"usage: weft replay TRACE [--log] [--focus WHO] [--html PAGE.html] [--strict]\n"
	"\n"
	"Runs the trace's decisions again in this build, whichever build recorded\n"
	"it (a warning says so; --strict refuses a trace from another build), and\n"
	"says whether the run is the recorded one, where it stopped fitting the\n"
	"recording if the code changed it, and whether the recorded failure\n"
	"happened again or is gone (exit 0 when the run ends clean).\n"
	"\n"
	"--log prints the run's story, one line per kernel event that changes who\n"
	"may run: thread creation, switch, wake-up, a thread queueing itself to\n"
	"wait and blocking, give, post, receive, signal and broadcast (also when\n"
	"they wake nobody), lock, unlock and hand-over, timeouts, ticks,\n"
	"preemption, IPIs, kills and exits. Each line reads\n"
	"  step N  TIME us  core C  EVENT   at FILE:LINE (k_call)\n"
	"where FILE:LINE is the caller of the kernel call behind the event (\"an\n"
	"interrupt taken there\" when an interrupt handler made it). Threads are\n"
	"T<id> 'name'; T0 is a core's idle context (the loop a core runs when no\n"
	"thread is ready; every core has one). A line, or a pair of lines, that\n"
	"repeats is printed once with the count.\n"
	"--focus WHO keeps the lines about one thread (T2, 2 or its name) or one\n"
	"object (sem#3 or its name); implies --log.\n"
	"--html PAGE.html writes the run's timeline: one self-contained page, a\n"
	"lane per core, threads as coloured spans, wake-ups and hand-overs as\n"
	"arrows, IPIs, ticks, the failing step marked; hover a mark for its event\n"
	"and source line. Open it in any browser.\n";

static const char help_shrink[] =
	"usage: weft shrink TRACE -o SMALL.trace [--budget REPLAYS]\n"
	"\n"
	"Searches for a schedule that fails the same way (same outcome, same\n"
	"message up to numbers, same threads and objects) with fewer preemptions\n"
	"and context switches, then fewer decisions, then a shorter log, and\n"
	"writes it to SMALL.trace. It runs until nothing improves (a fixpoint)\n"
	"or --budget replays are spent, and says which; on a terminal it shows\n"
	"its progress; Ctrl-C stops it and writes the best trace so far. Exit 0\n"
	"when it wrote a trace that still fails the same way.\n";

static const char help_campaign[] =
	"usage: weft campaign [--time D] [--out DIR] [--targets a,b] [--workloads a,b]\n"
	"                     [--strategies random,pct:3] [--cores 1,2,4] [--no-coverage] ...\n"
	"\n"
	"The nightly campaign (the same as `make nightly`): builds the release and\n"
	"fuzz presets, runs every fuzz target (libFuzzer -fork) and explores every\n"
	"workload across strategies and core counts in seed shards, in rounds that\n"
	"give more time to what still finds new coverage or new schedules; runs the\n"
	"OOM and kill sweeps and coverage (scripts/coverage.sh); de-duplicates\n"
	"failures, minimises each and writes the report: index.html, summary.json,\n"
	"campaign.jsonl and junit.xml in build/reports/out/DATE/. It execs\n"
	"python3 scripts/campaign.py --weft THIS-BINARY ARGS (all options:\n"
	"python3 scripts/campaign.py --help; docs/campaign.md). Exit 0 nothing\n"
	"failed, 1 a failure was found, 2 bad usage or a failed build.\n";

static const struct {
	const char *command;
	const char *text;
} helps[] = {
	{"list", help_list},       {"run", help_run},       {"explore", help_explore},
	{"replay", help_replay},   {"shrink", help_shrink},     {"campaign", help_campaign},
};

bool weft_help(const char *command, FILE *out)
{
	SIM_ASSERT(out != NULL);
	if (!command) {
		fputs(help_overview, out);
		return true;
	}
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		if (strcmp(helps[i].command, command) == 0) {
			fputs(helps[i].text, out);
			return true;
		}
	}
	if (strcmp(command, "help") == 0) {
		fputs(help_overview, out);
		return true;
	}
	return false;
}
