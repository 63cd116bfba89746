#!/bin/sh
# crash_replay_test.sh FAST CHECKING CORPUS WORKDIR — a crash found after
# many inputs in one process reproduces from its input alone, in a fresh
# process of the checking build. FAST and CHECKING are sched_fuzz on a
# kernel with a planted bug (fuzz/CMakeLists.txt). FAST runs the whole
# CORPUS in one process (every kernel booted on the host memory the runs
# before it used) until an input fails; CHECKING (ASan+UBSan) then runs the
# crash file libFuzzer wrote, alone. Both must print the same failure line.
# Exit: 0 the same; 1 no crash or a different one; 2 bad usage.
set -u
if [ $# -ne 4 ] || [ ! -x "$1" ] || [ ! -x "$2" ] || [ ! -d "$3" ]; then
  echo "usage: crash_replay_test.sh FAST_TARGET CHECKING_TARGET CORPUS_DIR WORKDIR" >&2
  exit 2
fi
fast=$1 checking=$2 corpus=$3 work=$4
rm -rf "$work" && mkdir -p "$work/new" || exit 2
"$fast" -runs=0 -seed=1 -artifact_prefix="$work/" "$work/new" "$corpus" >"$work/fast.log" 2>&1
crash=$(ls "$work"/crash-* 2>/dev/null | head -1)
first=$(grep '^sched_fuzz: ' "$work/fast.log" | head -1)
if [ -z "$crash" ] || [ -z "$first" ]; then
  echo "crash_replay_test: the planted bug was not found in the corpus run" >&2
  tail -5 "$work/fast.log" >&2
  exit 1
fi
"$checking" "$crash" >"$work/checking.log" 2>&1
again=$(grep '^sched_fuzz: ' "$work/checking.log" | head -1)
# libFuzzer runs seed inputs smallest first: at least this many ran in the
# same process before the crash.
size=$(wc -c <"$crash")
before=$(find "$corpus" -type f -size -"${size}"c | wc -l)
echo "after at least $before other inputs (throughput build): $first"
echo "alone, fresh process (checking build):  ${again:-no failure}"
if [ "$first" != "$again" ]; then
  echo "crash_replay_test: the crash did not reproduce the same way" >&2
  exit 1
fi
echo "crash_replay_test: same failure from the input alone"
