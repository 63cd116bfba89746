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
# With IGNORE_LIST (fuzz/coverage_ignore.txt), also: no function the list
# leaves out (fun:NAME, or any function of a src:FILE) is instrumented, as
# libFuzzer's -print_coverage=1 table of instrumented functions shows after
# the corpus ran: the oracles run, but give no feature and no comparison.
# Exit: 0 the same (and none listed); 1 they differ, a listed function is
# instrumented, or a pass failed; 2 bad usage.
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ] || [ ! -x "$1" ] || [ ! -d "$2" ] ||
   { [ $# -eq 3 ] && [ ! -f "$3" ]; }; then
  echo "usage: coverage_scope_test.sh FUZZ_TARGET CORPUS_DIR [IGNORE_LIST]" >&2
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
[ $# -eq 3 ] || exit 0

# The instrumented functions: "COVERED_FUNC: hits: H edges: a/b NAME FILE:LINE"
# (and UNCOVERED_FUNC alike), as "NAME FILE".
table=$("$target" -runs=0 -seed=1 -print_coverage=1 "$corpus" 2>&1 |
  sed -n 's/^[A-Z]*COVERED_FUNC: hits: [0-9]* edges: [0-9]*\/[0-9]* \([^ ]*\) \([^:]*\):.*/\1 \2/p')
if [ -z "$table" ]; then
  echo "coverage_scope_test: no -print_coverage table" >&2
  exit 1
fi
# A list entry is a glob ("*" only): as an anchored basic regex.
found=0
checked=0
while IFS= read -r line; do
  case "$line" in
    fun:*) re="^$(printf '%s' "${line#fun:}" | sed 's/\*/.*/g') " ;;
    src:*) re=" $(printf '%s' "${line#src:}" | sed 's/\*/.*/g')\$" ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  hit=$(printf '%s\n' "$table" | grep -e "$re" | head -1)
  if [ -n "$hit" ]; then
    echo "coverage_scope_test: ${line} is instrumented: ${hit}" >&2
    found=1
  fi
done < "$3"
if [ "$checked" -eq 0 ]; then
  echo "coverage_scope_test: no fun: or src: entry in $3" >&2
  exit 1
fi
[ "$found" -eq 0 ] || exit 1
echo "coverage_scope_test: none of the $checked entries of the ignore list is instrumented"
