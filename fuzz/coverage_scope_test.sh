#!/bin/sh
# coverage_scope_test.sh TARGET CORPUS — the fuzzer's signal comes from the
# code under test alone. Runs TARGET (sched_fuzz, checking or throughput
# build) over CORPUS twice with libFuzzer -runs=0 -seed=1: once plain, once
# with SCHED_FUZZ_LOG set, which makes the engine and the simulator adapter
# keep the readable event log for every run (engine_log.c, the adapter's
# call-site walk) while the kernel's runs stay the same (the log is display
# only, never hashed, never decided on). With the engine instrumented, the
# second pass finds more coverage (the build before this test: cov 1623 ->
# 1645, ft 7903 -> 8038); with coverage from the kernel and the target's
# program only, both passes report the same cov and ft.
# Exit: 0 the same; 1 they differ or a pass failed; 2 bad usage.
set -u
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
  echo "usage: coverage_scope_test.sh FUZZ_TARGET CORPUS_DIR" >&2
  exit 2
fi
pass() {
  # The last DONE line: "#N DONE cov: C ft: F corp: ..."; keep "cov: C ft: F".
  env "$@" -runs=0 -seed=1 "$corpus" 2>&1 | grep 'DONE ' | tail -1 |
    sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p'
}
target=$1
corpus=$2
plain=$(pass X_WEFT_UNUSED=1 "$target")
logged=$(pass SCHED_FUZZ_LOG=1 "$target")
echo "without the event log: ${plain:-no result}"
echo "with the event log:    ${logged:-no result}"
if [ -z "$plain" ] || [ -z "$logged" ]; then
  echo "coverage_scope_test: a pass did not finish" >&2
  exit 1
fi
if [ "$plain" != "$logged" ]; then
  echo "coverage_scope_test: engine-only paths changed the fuzzer's coverage" >&2
  exit 1
fi
echo "coverage_scope_test: same coverage: engine paths add no feature"
