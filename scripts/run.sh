#!/usr/bin/env bash
# The main job: a real campaign. Builds the release preset, explores every
# workload `weft list` shows for a while at 4 cores, then prints a summary
# table. Exit 1 if any schedule failed (its trace is kept in build/campaign/),
# 0 otherwise.
#
# Knobs (environment): WEFT_RUN_TIME (per workload, default 10s),
# WEFT_RUN_CORES (default 4), WEFT_RUN_STRATEGY (default random),
# WEFT_JOBS (build parallelism, default nproc).
set -uo pipefail
cd "$(dirname "$0")/.."
time_per=${WEFT_RUN_TIME:-10s}
cores=${WEFT_RUN_CORES:-4}
strategy=${WEFT_RUN_STRATEGY:-random}
jobs=${WEFT_JOBS:-$(nproc)}

cmake --preset release >/dev/null || { echo "run: configure failed"; exit 2; }
cmake --build --preset release -j "$jobs" --target weft || { echo "run: build failed"; exit 2; }
weft=build/release/weft
out=build/campaign
mkdir -p "$out"

mapfile -t workloads < <("$weft" list | awk '{print $1}')
[ ${#workloads[@]} -gt 0 ] || { echo "run: no workloads in $weft"; exit 2; }

rows=()
failures=0
for w in "${workloads[@]}"; do
  echo "== explore $w: $cores cores, $time_per, strategy $strategy"
  "$weft" explore "$w" --cores "$cores" --time "$time_per" --strategy "$strategy" --out "$out" \
    | tee "$out/$w.log"
  rc=${PIPESTATUS[0]}
  line=$(grep "^explore $w:" "$out/$w.log" | tail -1)
  runs=$(sed -n 's/.*, \([0-9]*\) runs, .*/\1/p' <<<"$line")
  rate=$(sed -n 's/.*, \([0-9]*\) runs\/s, .*/\1/p' <<<"$line")
  states=$(sed -n 's/.*, \([0-9]*\) distinct schedules, .*/\1/p' <<<"$line")
  fails=$(sed -n 's/.*, \([0-9]*\) failures\{0,1\}$/\1/p' <<<"$line")
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    fails="error (exit $rc)"
  fi
  [ "$rc" -ne 0 ] && failures=$((failures + 1))
  rows+=("$(printf '%-16s %10s %10s %18s %10s' "$w" "${runs:-?}" "${rate:-?}" "${states:-?}" "${fails:-?}")")
done

echo
echo "campaign: $cores cores, $time_per per workload, strategy $strategy ($weft)"
printf '%-16s %10s %10s %18s %10s\n' workload runs runs/s "distinct schedules" failures
printf '%s\n' "${rows[@]}"
if [ $failures -gt 0 ]; then
  echo "campaign: $failures workloads failed; traces in $out/ (weft replay TRACE --log, weft shrink TRACE -o small.trace)"
  exit 1
fi
echo "campaign: no failure"
