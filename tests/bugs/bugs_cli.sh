#!/usr/bin/env bash
# bugs_cli.sh WEFT — the bug programs through the CLI (see CMakeLists.txt).
set -u
weft=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

"$weft" list >"$dir/list" || bad "weft list exited $?"
if grep -q '^bug/' "$dir/list"; then bad "weft list shows bug programs"; else ok "weft list has no bug program"; fi
"$weft" list --bugs >"$dir/bugs" || bad "weft list --bugs exited $?"
nbug=$(awk '$NF == "bug"' "$dir/bugs" | wc -l)
ntwin=$(awk '$NF == "twin"' "$dir/bugs" | wc -l)
if [ "$nbug" -ge 30 ] && [ "$nbug" -eq "$ntwin" ]; then ok "$nbug bug programs, $ntwin twins"
else bad "$nbug bug programs, $ntwin twins (want >= 30, equal)"; fi
for b in $(awk '$NF == "bug" {print $1}' "$dir/bugs"); do
  grep -q "^$b-twin " "$dir/bugs" || bad "$b has no twin"
done
"$weft" list --frobnicate 2>/dev/null; [ $? -eq 2 ] && ok "list --frobnicate: exit 2" || bad "list --frobnicate: not exit 2"

# Found at 2 cores, the trace written under --out, replayed to the same failure.
for b in lock_order lost_signal uaf_refcount; do
  "$weft" explore "bug/$b" --cores 2 --runs 2000 --out "$dir" >"$dir/out" 2>&1
  rc=$?
  t=$(ls "$dir"/bug_"$b"-c2-*.trace 2>/dev/null | head -1)  # WORKLOAD-cCORES-STRATEGY-sSEED-HASH
  if [ $rc -eq 1 ] && [ -n "$t" ]; then ok "bug/$b found: $(grep -m1 FAIL "$dir/out")"
  else bad "bug/$b: explore exit $rc, trace '${t}'"; head -5 "$dir/out"; continue; fi
  "$weft" replay "$t" >"$dir/replay" 2>&1
  [ $? -eq 1 ] && ok "bug/$b replays to a failure" || bad "bug/$b: replay did not fail"
  "$weft" explore "bug/$b-twin" --cores 2 --runs 300 >"$dir/out" 2>&1
  [ $? -eq 0 ] && ok "bug/$b-twin clean for 300 schedules" || { bad "bug/$b-twin failed"; head -5 "$dir/out"; }
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
