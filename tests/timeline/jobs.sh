#!/usr/bin/env bash
# jobs.sh WEFT — `explore --jobs 2` tries the same seeds with the same
# verdicts as one worker: the summary's runs, distinct schedules, failure
# count and verdict digest (a hash over every seed's outcome and final
# state hash) are equal, for a campaign that holds and for ones that fail
# (the failing seed, and so the runs counted, must match too).
set -u
weft=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
facts() { # the summary without its speed
  grep -E '^  verdicts:|^explore ' "$1" | sed -e 's/[0-9]* runs\/s, //' -e 's/jobs [0-9]*, //'
}
for spec in "pingpong --cores 2 --runs 300" "prodcons --cores 3 --runs 200 --strategy pct:3" \
            "bug/atomicity_counter --cores 2 --runs 400" "bug/lost_signal --cores 2 --runs 400 --seed 5"; do
  for j in 1 2 3; do
    # shellcheck disable=SC2086
    "$weft" explore $spec --jobs $j --out "$dir/t$j" >"$dir/j$j.out" 2>&1
    echo $? >"$dir/j$j.rc"
  done
  same=1
  for j in 2 3; do
    if ! diff <(facts "$dir/j1.out") <(facts "$dir/j$j.out") >/dev/null || ! cmp -s "$dir/j1.rc" "$dir/j$j.rc"; then
      same=0; echo "differs with --jobs $j:"; diff <(facts "$dir/j1.out") <(facts "$dir/j$j.out")
    fi
  done
  f1=$(sed -n 's/.*seed \([0-9]*\), step.*/\1/p' "$dir/j1.out"); f2=$(sed -n 's/.*seed \([0-9]*\), step.*/\1/p' "$dir/j2.out")
  if [ $same -eq 1 ] && [ "$f1" = "$f2" ]; then
    passed=$((passed + 1)); echo "ok: $spec: jobs 1, 2, 3 agree (exit $(cat "$dir/j1.rc"), failing seed '${f1}'): $(facts "$dir/j1.out" | tail -1)"
  else
    failed=$((failed + 1)); echo "FAIL: $spec (failing seed '$f1' vs '$f2')"
  fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
