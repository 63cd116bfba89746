#!/usr/bin/env bash
# interrupt.sh WEFT_PLANTED WORKLOAD CORES — shrink for people:
#  - Ctrl-C (SIGINT, sent to the shrink's own pid) stops it cleanly: exit 0,
#    it says it was interrupted, and the best trace so far is written and
#    still fails the same way;
#  - on a terminal (a pty from script(1)) it shows progress on stderr, one
#    line rewritten with \r; off a terminal there is no \r in its output;
#  - a budget is said to be one, and the shrunk log is no longer.
set -u
weft=$1; w=$2; cores=$3
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail() { echo "interrupt: $*"; echo "0 passed, 1 failed"; exit 1; }
sig() { grep -m1 '^weft: FAIL' | sed -e 's/[0-9][0-9]*/#/g'; }
"$weft" explore "$w" --cores "$cores" --runs 3000 --out "$dir" >"$dir/explore.out" 2>&1
[ $? -eq 1 ] || fail "explore did not find the planted bug"
trace=$(ls "$dir"/*.trace | head -1)
found=$(sig <"$dir/explore.out")

"$weft" shrink "$trace" -o "$dir/int.trace" >"$dir/int.out" 2>&1 &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
cat "$dir/int.out"
[ $rc -eq 0 ] || fail "interrupted shrink exited $rc, expected 0"
grep -Eq '^shrink: (interrupted after|reached a fixpoint)' "$dir/int.out" || fail "no interruption said"
grep -q $'\r' "$dir/int.out" && fail "progress with \\r off a terminal"
"$weft" replay "$dir/int.trace" >"$dir/replay.out" 2>&1
[ $? -eq 1 ] || fail "the interrupted shrink's trace does not fail"
[ "$(sig <"$dir/replay.out")" = "$found" ] || fail "the interrupted shrink's trace fails differently"

if command -v script >/dev/null; then
  script -qc "'$weft' shrink '$trace' -o '$dir/tty.trace' --budget 20" /dev/null >"$dir/tty.out" 2>&1
  grep -aq $'\rshrink: replays done' "$dir/tty.out" || fail "no progress line on a terminal"
  grep -aq '^shrink: stopped at the budget of 20 replays' <(tr '\r' '\n' <"$dir/tty.out") ||
    fail "the budget was not said"
else
  echo "interrupt: script(1) missing: the terminal progress check is skipped"
fi
echo "1 passed, 0 failed"
