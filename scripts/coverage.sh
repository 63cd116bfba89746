#!/usr/bin/env bash
# coverage.sh — line and branch coverage of kernel/ and sim/ from the
# `coverage` preset (gcc --coverage -O0, no sanitizers).
#
#   scripts/coverage.sh OUTDIR [--quick] [--tree DIR]
#
# Builds build/coverage of the tree (default: this checkout; --tree gates
# another one), clears the counters of any earlier run, then runs:
#   full:    the preset's whole ctest (the fuzz targets replay their corpora
#            there through fuzz/replay_main.c), then a short campaign: each
#            workload `weft explore`d for COV_EXPLORE_RUNS runs at 2 cores;
#   --quick: the unit and fuzz-corpus tests, and COV_EXPLORE_RUNS_QUICK runs
#            of each workload.
# and writes, from those counters only:
#   OUTDIR/index.html     gcovr --html-details (line and branch; kernel/, sim/)
#   OUTDIR/coverage.xml   Cobertura
#   OUTDIR/summary.json   gcovr --json-summary (per file)
#   OUTDIR/coverage.json  gcovr --json (a tracefile: gcovr --add-tracefile
#                         re-reads it without gcov, e.g. for the gate's
#                         --fail-under-line on kernel/)
#   OUTDIR/figures.txt    the lines printed last (below)
# and prints one line per scope: "coverage: kernel/ lines P% (c/t), branches P% (c/t)"
# for kernel/, sim/ and both.
#
# Exit: 0 report written and every test and run passed; 1 report written but
# a test or an explored run failed (the figures are then of a failing run);
# 2 bad usage, a missing tool, a build that fails, or no report.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# Runs per workload of the campaign part; the full one is still a few
# minutes in all on a shared 2-core machine (-O0 and counters cost ~5x).
COV_EXPLORE_RUNS=300
COV_EXPLORE_RUNS_QUICK=30
COV_EXPLORE_CORES=2
# A workload is allowed this long before the campaign calls it failed.
COV_EXPLORE_TIMEOUT_S=900

usage() { echo "coverage.sh: $*; usage: scripts/coverage.sh OUTDIR [--quick] [--tree DIR]" >&2; exit 2; }

out="" quick=0 tree=$here
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --tree) [ $# -ge 2 ] || usage "--tree needs a directory"; tree=$2; shift 2 ;;
    -*) usage "unknown option '$1'" ;;
    *) [ -z "$out" ] || usage "one OUTDIR only ('$out', then '$1')"; out=$1; shift ;;
  esac
done
[ -n "$out" ] || usage "OUTDIR missing"
[ -f "$tree/CMakePresets.json" ] || usage "--tree '$tree' is not a weft checkout (no CMakePresets.json)"
tree=$(cd "$tree" && pwd)
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr missing (bash scripts/setup.sh test installs it)" >&2; exit 2; }
mkdir -p "$out" || { echo "coverage.sh: cannot create $out" >&2; exit 2; }
out=$(cd "$out" && pwd)
bin=$tree/build/coverage
jobs=${WEFT_JOBS:-2}

echo "coverage: building the coverage preset of $tree" >&2
(cd "$tree" && cmake --preset coverage >"$out/configure.log" 2>&1) ||
  { echo "coverage.sh: configure failed ($out/configure.log)" >&2; exit 2; }
(cd "$tree" && nice -n 5 cmake --build --preset coverage -j "$jobs" >"$out/build.log" 2>&1) ||
  { echo "coverage.sh: build failed ($out/build.log)" >&2; exit 2; }

# Counters of earlier runs would count lines this run never reached.
find "$bin" -name '*.gcda' -delete

failed=0
if [ $quick -eq 1 ]; then
  # The unit and corpus tests without the two slowest families (the
  # determinism reruns and the CLI hygiene sweep: two thirds of the time,
  # little coverage of their own).
  ctest_args=(-L 'unit|fuzz-corpus' -LE 'valgrind|planted|mutants|gate' -E 'determinism|cli-hygiene')
  runs=$COV_EXPLORE_RUNS_QUICK
else
  ctest_args=(-LE gate) runs=$COV_EXPLORE_RUNS # the gate's own tests run the gate: not here
fi
echo "coverage: ctest ${ctest_args[*]}" >&2
if ! (cd "$bin" && ctest -j "$jobs" "${ctest_args[@]}" --timeout 1500 >"$out/ctest.log" 2>&1); then
  echo "coverage: some tests failed ($out/ctest.log):" >&2
  grep -E '^\s+[0-9]+ - ' "$out/ctest.log" | head -20 >&2
  failed=1
fi
grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -1 | sed 's/^/coverage: ctest: /' >&2

mkdir -p "$out/campaign"
mapfile -t workloads < <("$bin/weft" list | awk '{print $1}')
[ ${#workloads[@]} -gt 0 ] || { echo "coverage.sh: $bin/weft lists no workload" >&2; exit 2; }
echo "coverage: explore ${#workloads[@]} workloads, $runs runs each at $COV_EXPLORE_CORES cores" >&2
for w in "${workloads[@]}"; do
  n=$runs
  [ "$w" = selftest ] && n=$((runs / 10 + 1)) # ~30x the steps of a run of the others
  if ! (cd "$out/campaign" && timeout "$COV_EXPLORE_TIMEOUT_S" "$bin/weft" explore "$w" \
          --cores "$COV_EXPLORE_CORES" --runs "$n" --out "$out/campaign" >"$out/campaign/$w.log" 2>&1); then
    echo "coverage: explore $w failed: $(grep -m1 '^weft: FAIL' "$out/campaign/$w.log" || tail -1 "$out/campaign/$w.log")" >&2
    failed=1
  fi
done

# One gcov pass into a tracefile, then every format from it. gcovr 5 reads
# a relative filter against the working directory: run it in the tree.
# kernel/ and sim/ (the engine included).
echo "coverage: gcovr" >&2
cd "$tree" || exit 2
if ! gcovr -r "$tree" "$bin" -j "$jobs" --filter 'kernel/' --filter 'sim/' \
       --json "$out/coverage.json" >"$out/gcovr.log" 2>&1; then
  echo "coverage.sh: gcovr failed ($out/gcovr.log)" >&2; exit 2
fi
tf=(-r "$tree" --add-tracefile "$out/coverage.json")
gcovr "${tf[@]}" --html-details "$out/index.html" --html-title "weft coverage: kernel/ and sim/" >>"$out/gcovr.log" 2>&1 &&
  gcovr "${tf[@]}" --xml "$out/coverage.xml" >>"$out/gcovr.log" 2>&1 &&
  gcovr "${tf[@]}" --json-summary-pretty --json-summary "$out/summary.json" >>"$out/gcovr.log" 2>&1 ||
  { echo "coverage.sh: gcovr report failed ($out/gcovr.log)" >&2; exit 2; }

python3 "$here/scripts/coverage-figures.py" "$out/summary.json" kernel/ sim/ >"$out/figures.txt" ||
  { echo "coverage.sh: no figures from $out/summary.json" >&2; exit 2; }
cat "$out/figures.txt"
echo "coverage: report $out/index.html ($( [ $quick -eq 1 ] && echo quick || echo full ) run)"
exit $failed
