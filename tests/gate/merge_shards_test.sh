#!/usr/bin/env bash
# merge_shards_test.sh WEFT MERGE_PY WORKDIR ROOT — merging shard reports of a
# campaign that fails: runs summed, distinct schedules the union, every
# shard's failure kept (with its trace, which replays to the same failure);
# and bad input refused with exit 2 and one line: a damaged line, the same
# shard twice, shards of different N.
set -u
weft=$1 merge=$2 work=$3 root=$4 # root: weft prints paths relative to it
SHARDS=3
RUNS=300
BUG=bug/atomicity_counter
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 2
fails=0 passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
field() { grep '"kind":"summary"' "$1" | tail -1 | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }

parts=() runs=0 shard_failures=0
for i in $(seq 1 $SHARDS); do
  "$weft" explore $BUG --cores 2 --runs $RUNS --shard "$i/$SHARDS" --out . --report "s$i.jsonl" >"s$i.log"
  rc=$?
  check "shard $i: exit 0 or 1 ($rc)" "[ $rc -le 1 ]"
  [ $rc -eq 1 ] && shard_failures=$((shard_failures + 1))
  runs=$((runs + $(field "s$i.jsonl" runs)))
  parts+=("s$i.jsonl")
done
check "the bug is found in at least 2 shards ($shard_failures)" "[ $shard_failures -ge 2 ]"
python3 "$merge" -o merged.jsonl "${parts[@]}" 2>merge.log
check "merge exit 0" "[ $? -eq 0 ]"
check "runs summed ($runs)" "[ '$(field merged.jsonl runs)' = $runs ]"
check "failures: the union ($shard_failures)" "[ '$(field merged.jsonl failures)' = $shard_failures ]"
check "one failure line per failing shard" "[ \$(grep -c '\"kind\":\"failure\"' merged.jsonl) -eq $shard_failures ]"
hashes=$(cat "${parts[@]}" | grep '"kind":"run"' | sed 's/.*"final_hash":"\([0-9a-f]*\)".*/\1/' | sort -u | wc -l)
check "distinct = union of final hashes ($hashes)" "[ '$(field merged.jsonl distinct)' = $hashes ]"
check "complete: every shard present" "grep -q '\"complete\":true' merged.jsonl"
trace=$(grep -m1 '"kind":"failure"' merged.jsonl | sed 's/.*"trace":"\([^"]*\)".*/\1/')
# A trace under the repository is shown relative to its root (as weft
# prints every path: runnable as pasted from the root).
[ "${trace#/}" = "$trace" ] && trace=$root/$trace
check "the failure's trace is on disk ($trace)" "[ -f '$trace' ]"
"$weft" replay "$trace" >replay.log 2>&1
check "a merged failure's trace replays to the failure (exit 1)" "[ $? -eq 1 ]"
# A merged report merges again into itself.
python3 "$merge" -o again.jsonl merged.jsonl 2>/dev/null
check "a merged report merges to the same summary" "[ \"\$(grep summary merged.jsonl)\" = \"\$(grep summary again.jsonl)\" ]"

# Bad input: exit 2, one line naming the problem.
printf '{"kind":"run","workload":"x"\n' >damaged.jsonl
python3 "$merge" damaged.jsonl >/dev/null 2>err.txt
check "a damaged line: exit 2" "[ $? -eq 2 ] && [ \$(wc -l <err.txt) -eq 1 ] && grep -q 'damaged.jsonl:1' err.txt"
python3 "$merge" s1.jsonl s1.jsonl >/dev/null 2>err.txt
check "the same shard twice: exit 2" "[ $? -eq 2 ] && grep -q 'twice' err.txt"
"$weft" explore $BUG --cores 2 --runs 5 --shard 1/2 --out . --report other-n.jsonl >/dev/null
python3 "$merge" s2.jsonl other-n.jsonl >/dev/null 2>err.txt
check "shards of different N: exit 2" "[ $? -eq 2 ] && grep -q 'next to shards' err.txt"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
