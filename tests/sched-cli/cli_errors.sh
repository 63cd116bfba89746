#!/usr/bin/env bash
# cli_errors.sh WEFT CORPUS_TRACE_DIR — bad usage and bad input: exactly one
# line on stderr and exit code 2, never a crash.
set -u
weft=$1; corpus=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
expect2() {
  local what=$1; shift
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$? lines
  lines=$(wc -l <"$dir/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ]; then
    passed=$((passed + 1)); echo "ok: $what: $(cat "$dir/err")"
  else
    failed=$((failed + 1)); echo "FAIL: $what: exit $rc, $lines stderr lines:"; head -5 "$dir/err"
  fi
}
printf 'not a trace at all\n' >"$dir/garbage.trace"
head -c 20 "$corpus/valid-pingpong-2cores.trace" >"$dir/cut.trace"
expect2 "no command"            "$weft"
expect2 "unknown command"       "$weft" frobnicate
expect2 "unknown workload"      "$weft" run no_such_workload --cores 2 --seed 1
expect2 "unknown workload (explore)" "$weft" explore no_such_workload --cores 2 --runs 1
expect2 "missing workload"      "$weft" run
expect2 "bad flag"              "$weft" run pingpong --cores 2 --seed 1 --frobnicate
expect2 "flag without value"    "$weft" run pingpong --cores
expect2 "cores out of range"    "$weft" run pingpong --cores 0 --seed 1
expect2 "cores not a number"    "$weft" run pingpong --cores two --seed 1
expect2 "missing seed"          "$weft" run pingpong --cores 2
expect2 "bad strategy"          "$weft" run pingpong --cores 2 --seed 1 --strategy pct:0
expect2 "unknown strategy"      "$weft" run pingpong --cores 2 --seed 1 --strategy greedy
expect2 "explore without limit" "$weft" explore pingpong --cores 2
expect2 "bad shard"             "$weft" explore pingpong --cores 2 --runs 1 --shard 3/2
expect2 "bad time"              "$weft" explore pingpong --cores 2 --time soon
expect2 "unwritable trace"      "$weft" run pingpong --cores 1 --seed 1 --trace /nonexistent-dir/x.trace
expect2 "missing trace file"    "$weft" replay "$dir/does-not-exist.trace"
expect2 "garbage trace"         "$weft" replay "$dir/garbage.trace"
expect2 "truncated trace"       "$weft" replay "$dir/cut.trace"
expect2 "bad magic trace"       "$weft" replay "$corpus/bad-magic.trace"
expect2 "future version trace"  "$weft" replay "$corpus/version-7.trace"
expect2 "flipped byte trace"    "$weft" replay "$corpus/flipped-pingpong.trace"
schedule="$corpus/../schedules/pi_restore.trace" # recorded by weft-planted-pi_restore
expect2 "other build's trace, --strict" "$weft" replay "$schedule" --strict
expect2 "shrink -o in a missing dir" "$weft" shrink "$corpus/valid-pingpong-2cores.trace" -o /nonexistent-dir/small.trace
expect2 "shrink bad budget"     "$weft" shrink "$corpus/valid-pingpong-2cores.trace" -o "$dir/s.trace" --budget 0
expect2 "replay bad flag"       "$weft" replay "$corpus/valid-pingpong-2cores.trace" --budget 3
expect2 "shrink without -o"     "$weft" shrink "$corpus/valid-pingpong-2cores.trace"
expect2 "shrink damaged trace"  "$weft" shrink "$dir/garbage.trace" -o "$dir/small.trace"
expect2 "list with arguments"   "$weft" list extra
# Without --strict another build's trace is a warning, not a refusal: it
# replays (exit 0 or 1), and says so on stderr.
"$weft" replay "$schedule" >"$dir/out" 2>"$dir/err"
rc=$?
if [ $rc -le 1 ] && grep -q 'warning: .*another build' "$dir/err" && grep -q '^replay ' "$dir/out"; then
  passed=$((passed + 1)); echo "ok: other build's trace replays with a warning (exit $rc)"
else
  failed=$((failed + 1)); echo "FAIL: other build's trace: exit $rc"; cat "$dir/err" "$dir/out" | head -5
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
