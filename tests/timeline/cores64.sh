#!/usr/bin/env bash
# cores64.sh WEFT RUNS — every workload explored at --cores 64 holds: the
# kernel's memory grows with the cores (sim/harness.h), so a wide run is
# not a false out-of-memory failure.
set -u
weft=$1; runs=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
for w in $("$weft" list | awk '{print $1}'); do
  if "$weft" explore "$w" --cores 64 --runs "$runs" --out "$dir" >"$dir/out" 2>&1; then
    passed=$((passed + 1)); echo "ok: $w: $(tail -1 "$dir/out")"
  else
    failed=$((failed + 1)); echo "FAIL: $w at 64 cores:"; grep -m3 -E 'FAIL|weft:' "$dir/out"
  fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
