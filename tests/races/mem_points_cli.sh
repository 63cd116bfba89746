#!/usr/bin/env bash
# mem_points_cli.sh WEFT — memory-access points (races build) through the CLI:
# the plain-access bug programs are found only with --mem-points, their
# traces say so and replay exactly in a fresh process, twins hold with it
# on, and bad input is refused with exit 2.
set -u
weft=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

for b in wrong_lock reorder_flag; do
  "$weft" explore "bug/$b" --cores 2 --runs 300 >"$dir/out" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "bug/$b holds 300 schedules without --mem-points" \
                || bad "bug/$b without --mem-points: exit $rc"
  "$weft" explore "bug/$b" --cores 2 --runs 300 --mem-points --out "$dir" >"$dir/out" 2>&1
  rc=$?
  t=$(ls "$dir"/bug_"$b"-c2-*.trace 2>/dev/null | head -1)
  if [ $rc -eq 1 ] && [ -n "$t" ]; then ok "bug/$b found with --mem-points: $(grep -m1 FAIL "$dir/out")"
  else bad "bug/$b with --mem-points: exit $rc, trace '$t'"; head -5 "$dir/out"; continue; fi
  grep -q -- '--mem-points' "$dir/out" && ok "the rerun line carries --mem-points" \
                                      || bad "no --mem-points in the rerun line"
  "$weft" replay "$t" >"$dir/replay" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "reproduced the recorded run exactly" "$dir/replay"; then
    ok "bug/$b: the trace replays exactly in a new process"
  else bad "bug/$b: replay exit $rc"; cat "$dir/replay"; fi
  for c in 1 2 4; do
    "$weft" explore "bug/$b-twin" --cores $c --runs 200 --mem-points >"$dir/out" 2>&1
    rc=$?
    [ $rc -eq 0 ] && ok "bug/$b-twin holds at $c cores with --mem-points" \
                  || bad "bug/$b-twin at $c cores: exit $rc: $(grep -m1 FAIL "$dir/out")"
  done
done

# Same seed, same run, with memory points (calibration is deterministic).
a=$("$weft" run bug/plain_counter-twin --cores 2 --seed 7 --mem-points | tail -1)
b=$("$weft" run bug/plain_counter-twin --cores 2 --seed 7 --mem-points | tail -1)
[ "$a" = "$b" ] && ok "same seed, same run: $a" || bad "two runs differ: '$a' / '$b'"
"$weft" run bug/plain_counter --cores 2 --seed 0 --mem-pointz >/dev/null 2>&1
[ $? -eq 2 ] && ok "--mem-pointz: exit 2" || bad "--mem-pointz: not exit 2"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
