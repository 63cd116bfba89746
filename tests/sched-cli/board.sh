#!/usr/bin/env bash
# board.sh WEFT_BOARD CORPUS_TRACE_DIR — weft-board, weft in the Cortex-M4F
# board's configuration (BSP_CORES_MAX 1, sim/CMakeLists.txt), is a one-core
# binary and says so:
#  1. --cores 2 (run and explore) is refused with one line naming
#     BSP_CORES_MAX, exit 2; --cores 1 runs;
#  2. a trace recorded at 2 cores is refused by replay the same way;
#  3. --version reports "cores: 1..1";
#  4. a one-core run records a trace that replays to the same final hash;
#  5. scripts/sweep.sh refuses it its default cores 1,2,4 (exit 2, before
#     any run) and sweeps it at --cores 1.
set -u
weft=$1; corpus=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# refused WHAT CMD...: exit 2, exactly one stderr line, naming BSP_CORES_MAX.
refused() {
  local what=$1; shift
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$? lines
  lines=$(wc -l <"$dir/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q BSP_CORES_MAX "$dir/err"; then
    ok "$what: $(cat "$dir/err")"
  else
    bad "$what: exit $rc, $lines stderr lines:"; head -5 "$dir/err"
  fi
}
refused "run --cores 2"     "$weft" run pingpong --cores 2 --seed 1
refused "explore --cores 4" "$weft" explore pingpong --cores 4 --runs 1
refused "replay of a 2-core trace" "$weft" replay "$corpus/valid-pingpong-2cores.trace"

if "$weft" run pingpong --cores 1 --seed 1 --trace "$dir/one.trace" >"$dir/run" 2>&1; then
  ok "run --cores 1"
else
  bad "run --cores 1 failed:"; tail -5 "$dir/run"
fi
if "$weft" --version | grep -q '^  cores: *1\.\.1$'; then
  ok "--version: cores 1..1"
else
  bad "--version does not say cores 1..1:"; "$weft" --version
fi
recorded=$(sed -n 's/.*final hash \([0-9a-f]*\).*/\1/p' "$dir/run" | head -1)
"$weft" replay "$dir/one.trace" >"$dir/replay" 2>&1
replayed=$(sed -n 's/.*final hash \([0-9a-f]*\).*/\1/p' "$dir/replay" | head -1)
if [ -n "$recorded" ] && [ "$recorded" = "$replayed" ] &&
   grep -q "reproduced the recorded run exactly" "$dir/replay"; then
  ok "one-core trace replays (final hash $replayed)"
else
  bad "one-core trace replay: recorded '$recorded', replayed '$replayed':"; tail -5 "$dir/replay"
fi
sweep=$(cd "$(dirname "$0")/../.." && pwd)/scripts/sweep.sh
bash "$sweep" --weft "$weft" --runs 2 --out "$dir/sweep" >"$dir/sweep.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "at most 1 core" "$dir/sweep.out" && [ ! -s "$dir/sweep/sweep.log" ]; then
  ok "sweep.sh refuses cores 1,2,4: $(cat "$dir/sweep.out")"
else
  bad "sweep.sh at cores 1,2,4: exit $rc:"; head -5 "$dir/sweep.out"
fi
if bash "$sweep" --weft "$weft" --runs 2 --cores 1 --strategies random --only '^pingpong$' \
     --out "$dir/sweep" >"$dir/sweep.out" 2>&1 && grep -q "^1 settings clean, 0 failed" "$dir/sweep.out"; then
  ok "sweep.sh at --cores 1: $(tail -1 "$dir/sweep.out")"
else
  bad "sweep.sh at --cores 1:"; tail -5 "$dir/sweep.out"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
