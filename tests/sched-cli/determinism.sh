#!/usr/bin/env bash
# determinism.sh WEFT WORKLOAD [CORES...] — `weft run` twice with the same seed
# (random and pct) must write byte-identical traces and logs and exit the
# same way, at every core count given (default 1 2 4 8). Whether the run
# passes is the explore tests' business; here a failing run must fail twice
# the same way (a random run that fails is still reported).
set -u
weft=$1; w=$2; shift 2
cores=("$@"); [ ${#cores[@]} -eq 0 ] && cores=(1 2 4 8)
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fail=0
for c in "${cores[@]}"; do
  for strat in random pct:3; do
    for k in a b; do
      # The same trace path both times: a failure report names it.
      rm -f "$dir/run.trace"
      "$weft" run "$w" --cores "$c" --seed 7 --strategy "$strat" --trace "$dir/run.trace" --log \
        >"$dir/$k.log" 2>"$dir/$k.err"
      echo $? >"$dir/$k.rc"
      mv "$dir/run.trace" "$dir/$k.trace" 2>/dev/null
    done
    if ! cmp -s "$dir/a.trace" "$dir/b.trace"; then
      echo "determinism: $w cores $c $strat: traces differ"; fail=1
    fi
    if ! cmp -s "$dir/a.log" "$dir/b.log"; then
      echo "determinism: $w cores $c $strat: logs differ"; diff "$dir/a.log" "$dir/b.log" | head -5; fail=1
    fi
    if ! cmp -s "$dir/a.rc" "$dir/b.rc"; then
      echo "determinism: $w cores $c $strat: exit codes differ"; fail=1
    fi
    if [ "$(cat "$dir/a.rc")" != 0 ]; then
      echo "determinism: $w cores $c $strat: note: the run fails (exit $(cat "$dir/a.rc")), the same way twice:"
      grep -m3 . "$dir/a.err"; grep -m1 'FAIL' "$dir/a.log"
      [ "$strat" = random ] && fail=1
    fi
    [ -s "$dir/a.trace" ] || { echo "determinism: $w cores $c $strat: no trace written"; fail=1; }
    lines=$(wc -l <"$dir/a.log")
    echo "determinism: $w cores $c $strat: $lines log lines, $(wc -c <"$dir/a.trace") trace bytes"
  done
done
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
