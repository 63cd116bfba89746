#!/usr/bin/env bash
# story.sh WEFT WORKLOAD CORES RUNS PATTERN... — find a failure of WORKLOAD
# with `weft explore`, replay its trace with --log and require the story the
# log must tell: every PATTERN (an extended regex) on some line, thread
# names and source lines on the events, idle contexts shown as T0 (idle),
# object kinds named, --focus keeping only lines about what it names, and a
# --focus that names nothing refused with exit 2.
set -u
weft=$1; w=$2; cores=$3; runs=$4; shift 4
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
"$weft" explore "$w" --cores "$cores" --runs "$runs" --out "$dir" >"$dir/explore.out" 2>&1
rc=$?
trace=$(ls "$dir"/*.trace 2>/dev/null | head -1)
check "explore finds a failure (exit $rc) and writes a trace" '[ $rc -eq 1 ] && [ -n "$trace" ]'
[ -n "$trace" ] || { cat "$dir/explore.out"; echo "$passed passed, $failed failed"; exit 1; }
"$weft" replay "$trace" --log >"$dir/log" 2>&1
events=$(grep -c '^step ' "$dir/log")
check "the log has events ($events)" '[ "$events" -gt 10 ]'
for p in "$@"; do
  check "the log shows /$p/" 'grep -Eq -- "$p" "$dir/log"'
done
check "threads are named (T<n> 'name')" "grep -Eq \"T[1-9][0-9]* '[^']+'\" \"\$dir/log\""
check "idle contexts read T0 (idle)" 'grep -q "T0 (idle)" "$dir/log"'
check "objects carry kind#id 'name'" "grep -Eq \"(sem|mutex|cond|msgq|join)#[0-9]+ '\" \"\$dir/log\""
with_src=$(grep -Ec '   at [a-z_/]+\.c:[0-9]+' "$dir/log")
check "events carry the source line of their kernel call ($with_src of $events)" '[ "$with_src" -ge $((events * 9 / 10)) ]'
check "no bare object number left" '! grep -q "object #" "$dir/log"'
# --focus on the first named object of the deadlock line.
obj=$(grep -Eo "(sem|mutex|cond|msgq)#[0-9]+ '[^']*'" "$dir/log" | head -1)
if [ -n "$obj" ]; then
  short=${obj%% *}
  "$weft" replay "$trace" --focus "$short" >"$dir/focus" 2>&1
  n=$(grep -c '^step ' "$dir/focus"); bad=$(grep '^step ' "$dir/focus" | grep -vcF "$obj")
  check "--focus $short keeps its $n lines only (others: $bad)" '[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]'
fi
"$weft" replay "$trace" --focus T2 >"$dir/focus2" 2>&1
n=$(grep -c '^step ' "$dir/focus2")
check "--focus T2 keeps lines ($n), fewer than the whole log ($events)" '[ "$n" -gt 0 ] && [ "$n" -lt "$events" ]'
"$weft" replay "$trace" --focus no_such_thing >/dev/null 2>"$dir/err"
rc=$?
check "--focus naming nothing: exit 2 with one line ($rc)" '[ $rc -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ]'
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
