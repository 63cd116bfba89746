#!/usr/bin/env bash
# schedules.sh clean WEFT DIR       every DIR/*.trace replays to a clean end
#                                   (exit 0) and says the recorded failure is gone
# schedules.sh planted WEFT TRACE   TRACE still fails (exit 1) on WEFT, a
#                                   kernel with the bug put back
# Regression schedules (corpus/schedules/): each is a shrunk trace of a race
# that was found and fixed, replayed like a fuzz reproducer.
set -u
mode=$1; weft=$2; target=$3
out=$(mktemp); trap 'rm -f "$out"' EXIT
passed=0; failed=0
if [ "$mode" = clean ]; then
  n=0
  for t in "$target"/*.trace; do
    [ -e "$t" ] || continue
    n=$((n + 1))
    "$weft" replay "$t" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^replay: the failure is gone' "$out"; then
      passed=$((passed + 1)); echo "ok: $(basename "$t"): the failure is gone"
    else
      failed=$((failed + 1)); echo "FAIL: $(basename "$t"): exit $rc"; cat "$out"
    fi
  done
  [ $n -ge 5 ] || { failed=$((failed + 1)); echo "FAIL: $n schedules in $target, expected the five planted bugs' at least"; }
elif [ "$mode" = planted ]; then
  "$weft" replay "$target" >"$out" 2>&1
  rc=$?
  cat "$out"
  if [ $rc -eq 1 ] && grep -q '^weft: FAIL' "$out"; then
    passed=1; echo "ok: $(basename "$target") fails on the kernel with the bug"
  else
    failed=1; echo "FAIL: $(basename "$target"): exit $rc, expected 1 (the regression schedule no longer fails)"
  fi
else
  echo "schedules.sh: unknown mode '$mode'"; exit 2
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
