#!/usr/bin/env bash
# gate.sh — what a firmware release must pass (`make gate`). Runs every step
# (a failing one does not stop the others), prints one table
# (step, result, figure) and exits 0 when every step passed, 1 when one
# failed, 2 on bad usage or a tree that cannot be gated.
#
#   scripts/gate.sh [--quick] [--tree DIR] [--out DIR] [--skip STEP,...]
#
# Steps (docs/gate.md):
#   tests      `make test` of the tree (every preset, every ctest, the layout
#              checks); --quick: skipped (the coverage step still runs the
#              unit and corpus tests)
#   coverage   scripts/coverage.sh; then line coverage of kernel/ at or above
#              the threshold in the tree's gate/coverage-threshold
#              (gcovr --fail-under-line); --quick: the quick coverage run
#              against the file's quick threshold
#   corpus     every fuzz target replays every file of its corpus/<name>/
#              (dev build: ASan+UBSan; --quick: the coverage build); every
#              fuzz/<name>_fuzz.c must have its replay test
#   explore    GATE_EXPLORE_RUNS schedules of every workload at 2 cores
#              (release build; --quick: GATE_EXPLORE_RUNS_QUICK, coverage build)
#   m4f-size   the Cortex-M4F size ceiling (ctest m4f-size-ceiling, m4f preset)
#   crashes    no open crash: corpus/inbox/ holds no reproducer (a crash a
#              campaign found and nobody has fixed yet; docs/gate.md)
#
# --tree DIR gates another checkout with this gate (its own sources, build
# trees, threshold and inbox); --out DIR (default TREE/build/gate) gets the
# logs, the coverage report and summary.txt (the table) and summary.jsonl.
# --skip STEP,... leaves steps out (e.g. tests, when CI ran `make test` just
# before): they show as skip and the verdict line says so, so a partial gate
# is never mistaken for the whole one.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

GATE_EXPLORE_RUNS=10000
GATE_EXPLORE_RUNS_QUICK=100
GATE_EXPLORE_CORES=2
GATE_EXPLORE_JOBS=2
# Every workload finishes 10,000 runs in a few minutes on the release
# build; past this, it is hung, not slow.
GATE_EXPLORE_TIMEOUT_S=3600
GATE_INBOX=corpus/inbox
GATE_THRESHOLD_FILE=gate/coverage-threshold

usage() { echo "gate.sh: $*; usage: scripts/gate.sh [--quick] [--tree DIR] [--out DIR] [--skip STEP,...]" >&2; exit 2; }
GATE_STEPS="tests coverage corpus explore m4f-size crashes"

quick=0 tree=$here out="" skip=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --tree) [ $# -ge 2 ] || usage "--tree needs a directory"; tree=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage "--out needs a directory"; out=$2; shift 2 ;;
    --skip) [ $# -ge 2 ] || usage "--skip needs steps"
            for st in ${2//,/ }; do
              [[ " $GATE_STEPS " == *" $st "* ]] || usage "--skip: no step '$st' (steps: $GATE_STEPS)"
              skip="$skip $st "
            done; shift 2 ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
[ -f "$tree/CMakePresets.json" ] && [ -d "$tree/kernel" ] || usage "--tree '$tree' is not a weft checkout"
tree=$(cd "$tree" && pwd)
[ -n "$out" ] || out=$tree/build/gate
mkdir -p "$out" || usage "cannot create --out '$out'"
out=$(cd "$out" && pwd)
rm -f "$out/summary.jsonl"
jobs=${WEFT_JOBS:-2}

# The threshold file: "name = integer percent" lines, # comments.
read_threshold() { # KEY -> prints the percent, or nothing
  local key=$1 f=$tree/$GATE_THRESHOLD_FILE
  [ -f "$f" ] || return 0
  sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*\([0-9]\{1,3\}\)[[:space:]]*\$/\1/p" "$f" | tail -1
}

rows=()
any_fail=0
# record STEP RESULT FIGURE (the step's host time: since step_start)
step_t0=$SECONDS
record() {
  local secs=$((SECONDS - step_t0))
  rows+=("$1|$2|${secs}s|$3")
  [ "$2" = FAIL ] && any_fail=1
  printf '{"step":"%s","result":"%s","seconds":%d,"figure":"%s"}\n' "$1" "$2" "$secs" "${3//\"/\'}" >>"$out/summary.jsonl"
  echo "gate: $1: $2 ($3)" >&2
  step_t0=$SECONDS
}

build_preset() { # PRESET [TARGET...] -> 0 when built
  local p=$1; shift
  local t=()
  [ $# -gt 0 ] && t=(--target "$@")
  (cd "$tree" && cmake --preset "$p" >"$out/configure-$p.log" 2>&1 &&
    nice -n 5 cmake --build --preset "$p" -j "$jobs" "${t[@]}" >"$out/build-$p.log" 2>&1)
}

step_tests() {
  if [ $quick -eq 1 ]; then record tests skip "--quick"; return; fi
  (cd "$tree" && make test) >"$out/make-test.log" 2>&1
  local rc=$? last
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/make-test.log" | tail -1)
  if [ $rc -eq 0 ] && [ -n "$last" ]; then record tests PASS "$last"
  else record tests FAIL "${last:-make test exit $rc} ($out/make-test.log)"; fi
}

step_coverage() {
  local key=kernel_line_percent mode=()
  [ $quick -eq 1 ] && key=kernel_line_percent_quick mode=(--quick)
  local min
  min=$(read_threshold "$key")
  if [ -z "$min" ] || [ "$min" -gt 100 ]; then
    record coverage FAIL "no '$key = N' (0..100) in $GATE_THRESHOLD_FILE"; return
  fi
  bash "$here/scripts/coverage.sh" "$out/coverage" "${mode[@]}" --tree "$tree" >"$out/coverage.log" 2>&1
  local rc=$? fig
  fig=$(grep -m1 '^coverage: kernel/ lines' "$out/coverage.log" | sed 's/^coverage: //')
  if [ $rc -eq 2 ] || [ -z "$fig" ]; then record coverage FAIL "no report ($out/coverage.log)"; return; fi
  # A relative filter is read against the working directory (gcovr 5).
  (cd "$tree" && gcovr -r "$tree" --add-tracefile "$out/coverage/coverage.json" --filter 'kernel/' \
    --fail-under-line "$min") >"$out/coverage-threshold.log" 2>&1
  local under=$?
  if [ $under -ne 0 ] && ! grep -qi 'minimum line coverage' "$out/coverage-threshold.log"; then
    record coverage FAIL "gcovr could not check the threshold ($out/coverage-threshold.log)"
  elif [ $under -ne 0 ]; then record coverage FAIL "$fig; below the threshold $min%"
  elif [ $rc -ne 0 ]; then record coverage FAIL "$fig; tests of the coverage run failed ($out/coverage/ctest.log)"
  else record coverage PASS "$fig; threshold $min%"; fi
}

step_corpus() {
  local p=dev
  [ $quick -eq 1 ] && p=coverage
  if ! build_preset $p; then record corpus FAIL "build of $p failed ($out/build-$p.log)"; return; fi
  local missing="" f name files=0 targets=0
  for f in "$tree"/fuzz/*_fuzz.c; do
    name=$(basename "$f" _fuzz.c)
    targets=$((targets + 1))
    files=$((files + $(find "$tree/corpus/$name" -type f 2>/dev/null | wc -l)))
    (cd "$tree/build/$p" && ctest -N -R "^fuzz-corpus-$name\$" | grep -q 'Total Tests: 1') || missing="$missing $name"
  done
  if [ -n "$missing" ]; then record corpus FAIL "no corpus replay test for:$missing"; return; fi
  if (cd "$tree/build/$p" && ctest -j "$jobs" -L fuzz-corpus --timeout 1500) >"$out/corpus.log" 2>&1; then
    record corpus PASS "$targets targets, $files inputs replayed ($p build)"
  else
    record corpus FAIL "$(grep -E '^\s+[0-9]+ - ' "$out/corpus.log" | sed -E 's/^\s+[0-9]+ - ([^ ]+).*/\1/' | tr '\n' ' ')($out/corpus.log)"
  fi
}

step_explore() {
  local p=release runs=$GATE_EXPLORE_RUNS
  [ $quick -eq 1 ] && p=coverage runs=$GATE_EXPLORE_RUNS_QUICK
  if ! build_preset $p weft; then record explore FAIL "build of $p failed ($out/build-$p.log)"; return; fi
  local weft=$tree/build/$p/weft w total=0 failed="" n rc
  mkdir -p "$out/explore"
  local workloads
  workloads=$("$weft" list | awk '{print $1}')
  [ -n "$workloads" ] || { record explore FAIL "$weft lists no workload"; return; }
  for w in $workloads; do
    (cd "$out/explore" && timeout "$GATE_EXPLORE_TIMEOUT_S" "$weft" explore "$w" --cores "$GATE_EXPLORE_CORES" \
       --runs "$runs" --jobs "$GATE_EXPLORE_JOBS" --out "$out/explore" --report "$out/explore/$w.jsonl") \
       >"$out/explore/$w.log" 2>&1
    rc=$?
    n=$(sed -n 's/^explore .*, \([0-9]*\) runs, .*/\1/p' "$out/explore/$w.log" | tail -1)
    total=$((total + ${n:-0}))
    if [ $rc -ne 0 ]; then failed="$failed $w"
    elif [ "${n:-0}" -ne "$runs" ]; then failed="$failed $w(only ${n:-0} runs)"; fi
  done
  local count
  count=$(echo "$workloads" | wc -w)
  if [ -z "$failed" ]; then record explore PASS "$count workloads x $runs schedules, $total runs, 0 failures ($p build)"
  else record explore FAIL "failed:$failed; $total runs ($out/explore/)"; fi
}

m4f_value() { # CASE METRIC -> the value m4f-size.py printed
  sed -n "s/.*\"case\":\"$1\",\"metric\":\"$2\",\"value\":\([0-9]*\).*/\1/p" "$out/m4f-size.log" | head -1
}

step_m4f_size() {
  if ! command -v arm-none-eabi-gcc >/dev/null; then
    record m4f-size FAIL "arm-none-eabi-gcc missing (bash scripts/setup.sh test)"; return
  fi
  if ! build_preset m4f m4f_size_core m4f_size_full; then record m4f-size FAIL "build failed ($out/build-m4f.log)"; return; fi
  if (cd "$tree/build/m4f" && ctest -R '^m4f-size-ceiling$' -V) >"$out/m4f-size.log" 2>&1 &&
     grep -q '100% tests passed' "$out/m4f-size.log"; then
    record m4f-size PASS "flash core $(m4f_value core flash_bytes) B, full $(m4f_value full flash_bytes) B; RAM core $(m4f_value core ram_bytes) B, full $(m4f_value full ram_bytes) B: within the ceiling"
  else
    record m4f-size FAIL "over the ceiling or no test ($out/m4f-size.log)"
  fi
}

step_crashes() {
  local open=()
  if [ -d "$tree/$GATE_INBOX" ]; then
    mapfile -t open < <(cd "$tree/$GATE_INBOX" && find . -type f ! -name README.md ! -name .gitkeep | sed 's|^\./||' | sort)
  fi
  if [ ${#open[@]} -eq 0 ]; then record crashes PASS "0 open in $GATE_INBOX/"
  else record crashes FAIL "${#open[@]} open in $GATE_INBOX/: ${open[*]:0:5}"; fi
}

echo "gate: $tree ($( [ $quick -eq 1 ] && echo quick || echo full )), logs in $out" >&2
skipped=0
for st in $GATE_STEPS; do
  if [[ "$skip" == *" $st "* ]]; then record "$st" skip "--skip"; skipped=$((skipped + 1)); continue; fi
  "step_${st//-/_}"
done

{
  printf '%-10s %-6s %6s  %s\n' step result time figure
  for r in "${rows[@]}"; do
    IFS='|' read -r s res secs fig <<<"$r"
    printf '%-10s %-6s %6s  %s\n' "$s" "$res" "$secs" "$fig"
  done
  if [ $any_fail -ne 0 ]; then echo "gate: FAIL"
  elif [ $skipped -gt 0 ]; then echo "gate: PASS of the steps run ($skipped skipped by --skip: not a release gate)"
  elif [ $quick -eq 1 ]; then echo "gate: PASS (quick form: a check, not a release gate)"
  else echo "gate: PASS"; fi
} | tee "$out/summary.txt"
exit $any_fail
