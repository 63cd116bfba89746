#!/usr/bin/env bash
# planted.sh WEFT_PLANTED WORKLOAD CORES RUNS STRATEGY — a kernel with a planted
# bug: `weft explore` must find it (exit 1, a trace), `weft shrink` must make
# the trace smaller (or keep it if it cannot), and `weft replay` of the small
# trace must fail again (exit 1) with the same failure.
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

"$weft" shrink "$trace" -o "$dir/small.trace" >"$dir/shrink.out" 2>&1
rc=$?
cat "$dir/shrink.out"
[ $rc -eq 1 ] || fail "shrink exited $rc, expected 1 (a failing trace)"
[ -s "$dir/small.trace" ] || fail "shrink wrote no trace"
before=$(sed -n 's/^shrink: \([0-9]*\) -> \([0-9]*\) decisions.*/\1/p' "$dir/shrink.out")
after=$(sed -n 's/^shrink: \([0-9]*\) -> \([0-9]*\) decisions.*/\2/p' "$dir/shrink.out")
[ -n "$before" ] && [ -n "$after" ] || fail "shrink printed no sizes"
[ "$after" -le "$before" ] || fail "shrink grew the trace ($before -> $after)"

"$weft" replay "$dir/small.trace" >"$dir/replay.out" 2>&1
rc=$?
cat "$dir/replay.out"
[ $rc -eq 1 ] || fail "replay of the shrunk trace exited $rc, expected 1"
again=$(sig <"$dir/replay.out")
[ "$found" = "$again" ] || fail "replay fails differently: '$again' vs explore's '$found'"
grep -q 'reproduced the recorded run exactly' "$dir/replay.out" || fail "replay differs from the shrunk recording"
echo "planted: $w found, trace $before -> $after decisions, replay fails the same way"
echo "1 passed, 0 failed"
