#!/usr/bin/env bash
# sweep.sh — do the workloads stay clean under deep exploration? Runs
# `weft explore` on every workload (`weft list`), for every strategy and core
# count, for --runs schedules each, and prints one line per setting:
#   workload cores strategy runs distinct-schedules steps/run failures
# and a final "N settings clean, N failed". Exit 0 when every setting was
# clean, 1 when one failed (its trace is under the --out directory), 2 on
# bad usage or a missing binary.
#
#   scripts/sweep.sh [--weft PATH] [--runs N] [--cores 1,2,4]
#                    [--strategies random,pct:1,pct:2,pct:3] [--only REGEX]
#                    [--out DIR]
#
# Defaults: the release build's weft, 10000 runs, cores 1,2,4, strategies
# random and pct:1..3, traces and the log in build/sweep/. It takes about an
# hour on one quiet core (the selftest workload is most of it); make run and
# the nightly campaign use it, make test does not. A binary built for fewer
# cores (build/release/weft-board: one) needs --cores within its range.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
weft=$here/build/release/weft runs=10000 cores=1,2,4 strategies=random,pct:1,pct:2,pct:3
only="" out=$here/build/sweep
die() { echo "sweep.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --weft) weft=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --cores) cores=${2:?}; shift 2 ;;
    --strategies) strategies=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    *) die "unknown argument '$1' (see the header of $0)" ;;
  esac
done
[ -x "$weft" ] || die "no weft binary at $weft (cmake --preset release && cmake --build --preset release)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive count"
[[ "$cores" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--cores takes a list such as 1,2,4"
mkdir -p "$out" || die "cannot create $out"

mapfile -t workloads < <("$weft" list | awk '{print $1}')
[ ${#workloads[@]} -gt 0 ] || die "$weft list printed no workload"
IFS=, read -ra core_list <<<"$cores"
# A weft built for fewer cores (weft-board: the board's one core) says so in
# --version ("cores: 1..N"); asking it for more is a usage error here, not a
# failed setting.
max_cores=$("$weft" --version | sed -n 's/^  cores: *1\.\.\([0-9][0-9]*\)$/\1/p')
[ -n "$max_cores" ] || die "$weft --version printed no core range"
for c in "${core_list[@]}"; do
  [ "$c" -le "$max_cores" ] || die "$weft runs at most $max_cores core(s); --cores $cores asks for $c"
done
IFS=, read -ra strategy_list <<<"$strategies"

clean=0 failed=0
for w in "${workloads[@]}"; do
  [ -n "$only" ] && ! [[ "$w" =~ $only ]] && continue
  for c in "${core_list[@]}"; do
    for s in "${strategy_list[@]}"; do
      summary=$("$weft" explore "$w" --cores "$c" --strategy "$s" --runs "$runs" \
        --seed 0 --out "$out" 2>&1 | tee -a "$out/sweep.log" | grep "^explore $w:" | tail -1)
      rc=${PIPESTATUS[0]}
      distinct=$(sed -n 's/.* \([0-9]*\) distinct schedules.*/\1/p' <<<"$summary")
      steps=$(sed -n 's/.* \([0-9]*\) steps\/run.*/\1/p' <<<"$summary")
      fails=$(sed -n 's/.* \([0-9]*\) failures*$/\1/p' <<<"$summary")
      printf '%-14s %d %-7s %6d runs %6s distinct %8s steps/run %s failures\n' \
        "$w" "$c" "$s" "$runs" "${distinct:-?}" "${steps:-?}" "${fails:-?}"
      if [ "$rc" -eq 0 ] && [ "${fails:-1}" = 0 ]; then
        clean=$((clean + 1))
      else
        failed=$((failed + 1))
      fi
    done
  done
done
echo "$clean settings clean, $failed failed"
[ "$failed" -eq 0 ]
