#!/usr/bin/env bash
# planted.sh WEFT_PLANTED WORKLOAD CORES RUNS STRATEGY — a kernel with a planted
# bug: `weft explore` must find it (exit 1, a trace), `weft shrink` must make
# the trace no harder to read (exit 0; its replay --log no longer), and
# `weft replay` of the small trace must fail again (exit 1) with the same
# failure, reproducing the shrunk recording exactly.
set -u
weft=$1; w=$2; cores=$3; runs=$4; strat=$5
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail() { echo "planted: $*"; echo "0 passed, 1 failed"; exit 1; }
sig() { grep -m1 '^weft: FAIL' | sed -e 's/[0-9][0-9]*/#/g'; }

"$weft" explore "$w" --cores "$cores" --runs "$runs" --strategy "$strat" --out "$dir" >"$dir/explore.out" 2>&1
rc=$?
cat "$dir/explore.out"
[ $rc -eq 1 ] || fail "explore exited $rc, expected 1 (the planted bug was not found)"
trace=$(ls "$dir"/*.trace 2>/dev/null | head -1)
[ -n "$trace" ] || fail "explore wrote no trace"
found=$(sig <"$dir/explore.out")

"$weft" shrink "$trace" -o "$dir/small.trace" --budget 300 >"$dir/shrink.out" 2>&1
rc=$?
cat "$dir/shrink.out"
[ $rc -eq 0 ] || fail "shrink exited $rc, expected 0 (it wrote a trace that still fails the same way)"
[ -s "$dir/small.trace" ] || fail "shrink wrote no trace"
grep -Eq '^shrink: (reached a fixpoint|stopped at the budget)' "$dir/shrink.out" ||
  fail "shrink did not say why it ended"
before=$("$weft" replay "$trace" --log 2>/dev/null | wc -l)
after=$("$weft" replay "$dir/small.trace" --log 2>/dev/null | wc -l)
[ "$after" -le "$before" ] || fail "the shrunk trace's log is longer ($before -> $after lines)"

"$weft" replay "$dir/small.trace" >"$dir/replay.out" 2>&1
rc=$?
cat "$dir/replay.out"
[ $rc -eq 1 ] || fail "replay of the shrunk trace exited $rc, expected 1"
again=$(sig <"$dir/replay.out")
[ "$found" = "$again" ] || fail "replay fails differently: '$again' vs explore's '$found'"
grep -q 'reproduced the recorded run exactly' "$dir/replay.out" || fail "replay differs from the shrunk recording"
echo "planted: $w found, replay --log $before -> $after lines, replay fails the same way"
echo "1 passed, 0 failed"
