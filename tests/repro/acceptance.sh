#!/usr/bin/env bash
# acceptance.sh RELEASE_DIR DEV_DIR BUG WORKLOAD CORES — a failure found by
# the release build is reproduced in the dev (ASan+UBSan) build and shown
# gone in a build without the bug:
#  1. the release weft-planted-BUG explores WORKLOAD and finds the bug (a trace);
#  2. the dev weft-planted-BUG (another binary) replays that trace to the same failure;
#  3. the release and dev `weft` (no bug) replay it to a clean end and say
#     the failure is gone.
# Exit 77 (ctest: skipped) with a message when DEV_DIR has no such binary.
set -u
rel=$1; dev=$2; bug=$3; w=$4; cores=$5
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail() { echo "acceptance: $*"; echo "0 passed, 1 failed"; exit 1; }
sig() { grep -m1 '^weft: FAIL' | sed -e 's/[0-9][0-9]*/#/g'; }
if [ ! -x "$dev/weft-planted-$bug" ] || [ ! -x "$dev/weft" ]; then
  echo "acceptance: skipped: no dev build at $dev (cmake --preset dev && cmake --build --preset dev first)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 77
fi

"$rel/weft-planted-$bug" explore "$w" --cores "$cores" --runs 3000 --out "$dir" >"$dir/explore.out" 2>&1
rc=$?
cat "$dir/explore.out"
[ $rc -eq 1 ] || fail "release explore exited $rc, expected 1 (the planted bug was not found)"
trace=$(ls "$dir"/*.trace 2>/dev/null | head -1)
[ -n "$trace" ] || fail "release explore wrote no trace"
found=$(sig <"$dir/explore.out")

"$dev/weft-planted-$bug" replay "$trace" >"$dir/dev.out" 2>"$dir/dev.err"
rc=$?
cat "$dir/dev.out" "$dir/dev.err"
[ $rc -eq 1 ] || fail "dev replay exited $rc, expected 1 (the same failure)"
grep -q 'another build' "$dir/dev.err" || fail "dev replay did not warn that the trace is another build's"
again=$(sig <"$dir/dev.out")
[ "$found" = "$again" ] || fail "dev replay fails differently: '$again' vs release's '$found'"
grep -q '^replay: reproduced the recorded run exactly' "$dir/dev.out" ||
  fail "dev replay did not reproduce the release run exactly"

for fixed in "$rel/weft" "$dev/weft"; do
  "$fixed" replay "$trace" >"$dir/fixed.out" 2>&1
  rc=$?
  cat "$dir/fixed.out"
  [ $rc -eq 0 ] || fail "$fixed replay exited $rc, expected 0 (no bug: a clean end)"
  grep -q '^replay: the failure is gone' "$dir/fixed.out" || fail "$fixed did not say the failure is gone"
  grep -q 'reproduced the recorded run exactly' "$dir/fixed.out" && fail "$fixed claims an exact reproduction"
done
echo "acceptance: release found '$found'; dev replayed it the same; without the bug it is gone"
echo "1 passed, 0 failed"
