#!/usr/bin/env bash
# hygiene.sh WEFT REPO_ROOT — campaign hygiene, one check per promise:
# bad paths refused before any run (exit 2, one line), --out made when
# missing, trace names with workload, cores, strategy, seed and a content
# hash, printed commands that run as pasted from the repository root,
# SIGINT stopping explore cleanly with its summary and a resume command
# that runs, --time with s/m/h, help and --version, .gitignore covering
# traces (and not the corpus).
set -u
weft=$1; root=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"; [ -n "${bg:-}" ] && kill "$bg" 2>/dev/null' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
expect2() { # what, command...: exit 2, one stderr line, quickly (before any run)
  local what=$1; shift
  local t0=$SECONDS
  timeout 60 "$@" >"$dir/out" 2>"$dir/err"; local rc=$?
  check "$what: exit 2, one line ($rc: $(head -1 "$dir/err"))" \
    '[ $rc -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && [ $((SECONDS - t0)) -lt 30 ]'
}
touch "$dir/plainfile"; mkdir -p "$dir/ro"; chmod 555 "$dir/ro"
# Bad paths: refused before the (long) campaign starts.
expect2 "--out under a file"          "$weft" explore pingpong --cores 2 --runs 100000000 --out "$dir/plainfile/sub"
expect2 "--trace into a missing folder" "$weft" run pingpong --cores 2 --seed 1 --trace "$dir/nope/t.trace"
expect2 "--trace that is a folder"    "$weft" run pingpong --cores 2 --seed 1 --trace "$dir"
if [ "$(id -u)" != 0 ]; then
  expect2 "--out not writable"        "$weft" explore pingpong --cores 2 --runs 100000000 --out "$dir/ro"
fi
# --time: s, m, h and plain seconds; nonsense refused.
for t in 8h 15m 90s 90; do
  "$weft" explore pingpong --cores 1 --time "$t" --runs 3 --out "$dir/c" >"$dir/out" 2>&1
  check "--time $t accepted" '[ $? -eq 0 ] && grep -q " 3 runs," "$dir/out"'
done
for t in 8d 0s -5m 200h soon; do
  expect2 "--time $t refused" "$weft" explore pingpong --cores 1 --time "$t" --runs 3
done
# --out made when missing; the trace named workload-cores-strategy-seed-hash.
"$weft" explore bug/lost_signal --cores 2 --runs 50 --strategy pct:3 --out "$dir/new/deeper" >"$dir/fail.out" 2>&1
rc=$?
trace=$(ls "$dir/new/deeper/"*.trace 2>/dev/null | head -1)
check "a failure: exit 1, trace in the new --out folder" '[ $rc -eq 1 ] && [ -n "$trace" ]'
check "trace named with workload, cores, strategy, seed, hash ($(basename "$trace"))" \
  '[[ "$(basename "$trace")" =~ ^bug_lost_signal-c2-pct3-s[0-9]+-[0-9a-f]{8}\.trace$ ]]'
expect2 "--html into a missing folder" "$weft" replay "$trace" --html "$dir/nope/x.html"
# Printed commands run as pasted from the repository root.
for what in replay rerun timeline shrink; do
  cmd=$(sed -n "s/^  $what: *//p" "$dir/fail.out" | head -1)
  [ "$what" = shrink ] && cmd=${cmd/-o small.trace/-o $dir/small.trace}
  [ "$what" = timeline ] && cmd=${cmd/--html timeline.html/--html $dir/t.html}
  (cd "$root" && eval "timeout 300 $cmd") >"$dir/paste.out" 2>&1
  rc=$?
  check "pasted '$what' runs from the root (exit $rc: ${cmd:0:90})" '[ $rc -eq 1 ] || { [ "$what" = timeline ] && [ $rc -eq 1 ]; } || { [ "$what" = shrink ] && [ $rc -le 1 ] && ! grep -q "^weft: .*No such" "$dir/paste.out"; }'
done
check "the printed binary path is relative to the root" 'grep -Eq "^  rerun:  [^/ ][^ ]*/weft[^ ]* run " "$dir/fail.out" || grep -Eq "^  rerun:  /" "$dir/fail.out"'
# SIGINT: a clean stop with the summary, the last seed and a resume command.
"$weft" explore pingpong --cores 2 --time 1h --out "$dir/c" >"$dir/int.out" 2>&1 &
bg=$!
sleep 3
kill -INT "$bg"
wait "$bg"; rc=$?; bg=
check "SIGINT: explore exits 0 ($rc)" '[ $rc -eq 0 ]'
check "SIGINT: says interrupted, runs and last seed" 'grep -Eq "^explore: interrupted after [0-9]+ runs; last seed tried [0-9]+" "$dir/int.out"'
check "SIGINT: the summary is the last line" 'tail -1 "$dir/int.out" | grep -Eq "^explore pingpong: .* [0-9]+ runs, .* 0 failures$"'
resume=$(sed -n 's/^  resume: *//p' "$dir/int.out")
check "SIGINT: a resume command is printed" '[ -n "$resume" ]'
(cd "$root" && eval "timeout 300 $resume --runs 5") >"$dir/resume.out" 2>&1
check "the resume command runs as pasted (5 runs)" '[ $? -eq 0 ] && grep -q " 5 runs," "$dir/resume.out"'
next=$(sed -n 's/.*--seed \([0-9]*\).*/\1/p' <<<"$resume"); last=$(sed -n 's/.*last seed tried \([0-9]*\).*/\1/p' "$dir/int.out")
check "resume starts after the last seed ($next = $last + 1)" '[ "$next" = $((last + 1)) ]'
# help and --version.
"$weft" help explore >"$dir/h1" 2>&1; r1=$?
"$weft" explore --help >"$dir/h2" 2>&1; r2=$?
check "weft help explore = weft explore --help" '[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s "$dir/h1" "$dir/h2" && grep -q -- "--jobs" "$dir/h1"'
"$weft" help replay | grep -q "T0 is a core's idle context"
check "weft help replay explains T0" '[ $? -eq 0 ]'
"$weft" --version >"$dir/v" 2>&1
check "weft --version: build id and trace format" '[ $? -eq 0 ] && grep -q "build id:" "$dir/v" && grep -q "trace format: version" "$dir/v"'
expect2 "help for a command that does not exist" "$weft" help frobnicate
# .gitignore: traces ignored, the corpus's not.
if command -v git >/dev/null && git -C "$root" rev-parse >/dev/null 2>&1; then
  check ".gitignore covers a trace at the root" 'git -C "$root" check-ignore -q some-run.trace'
  check ".gitignore covers build/campaign" 'git -C "$root" check-ignore -q build/campaign/x.trace'
  check ".gitignore keeps corpus traces" '! git -C "$root" check-ignore -q corpus/trace/valid-pingpong-2cores.trace'
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
