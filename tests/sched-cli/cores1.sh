#!/usr/bin/env bash
# cores1.sh WEFT WORKLOAD RUNS [STRATEGY] — one simulated core has many
# schedules: `weft explore W --cores 1 --runs RUNS` must hold (exit 0) and
# report more than one distinct schedule (time and interrupts are decisions:
# the slice end, a timeout or a pending interrupt can land at any enabled
# point). With fixed timing one core has exactly one schedule.
set -u
weft=$1; w=$2; runs=$3; strat=${4:-random}
out=$("$weft" explore "$w" --cores 1 --runs "$runs" --strategy "$strat" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "cores1: explore exited $rc"; echo "0 passed, 1 failed"; exit 1; }
distinct=$(echo "$out" | sed -n 's/.* \([0-9][0-9]*\) distinct schedules.*/\1/p' | head -1)
[ -n "$distinct" ] || { echo "cores1: no distinct count printed"; echo "0 passed, 1 failed"; exit 1; }
if [ "$distinct" -le 1 ]; then
  echo "cores1: $w at one core: $distinct distinct schedule in $runs runs"
  echo "0 passed, 1 failed"; exit 1
fi
echo "cores1: $w at one core, $strat: $distinct distinct schedules in $runs runs"
echo "1 passed, 0 failed"
