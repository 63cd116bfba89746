#!/usr/bin/env bash
# collapse.sh WEFT — the log collapses repeats: in `weft run --log` of
# workloads that spin and yield, no core shows the same line (sentence and
# source) twice in a row, and the repeats that were folded are announced
# ("... core C: the same line again x N"). The uncollapsed count is the
# engine's raw event count: the printed log must be shorter.
set -u
weft=$1
passed=0; failed=0; folded=0
for w in kill_storm migration prodcons; do
  for seed in 1 2 3; do
    out=$("$weft" run "$w" --cores 2 --seed "$seed" --log 2>&1)
    dup=$(grep '^step ' <<<"$out" | awk '{ core = $6; $1 = $2 = $3 = $4 = $5 = $6 = ""; if (last[core] == $0) d++; last[core] = $0 } END { print d + 0 }')
    n=$(grep -c 'the same .* again x' <<<"$out")
    folded=$((folded + n))
    if [ "$dup" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $w seed $seed: no line repeated on a core ($n repeats folded)"
    else failed=$((failed + 1)); echo "FAIL: $w seed $seed: $dup lines repeat the previous one of their core"; fi
  done
done
if [ "$folded" -gt 0 ]; then passed=$((passed + 1)); echo "ok: $folded repeats folded in all"
else failed=$((failed + 1)); echo "FAIL: nothing was folded: the collapse is not working"; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
