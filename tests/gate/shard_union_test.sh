#!/usr/bin/env bash
# shard_union_test.sh WEFT MERGE_PY WORKDIR — the union of N shards of a
# campaign is exactly the unsharded campaign: the same seeds, and per seed
# the same outcome and final state hash (weft explore --report, compared
# with merge-shards.py --same); the merged summary's runs, distinct
# schedules and verdict digest equal the unsharded run's. And the check can
# fail: with one shard left out the comparison must say so.
set -u
weft=$1 merge=$2 work=$3
SHARDS=4
RUNS_PER_SHARD=40
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 2
fails=0 passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
summary_field() { grep '"kind":"summary"' "$1" | tail -1 | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }

for c in "pingpong 2 random" "prodcons 3 pct:3" "mem_cores 2 random"; do
  set -- $c
  w=$1 cores=$2 strat=$3 tag=${1}-$2
  "$weft" explore "$w" --cores "$cores" --strategy "$strat" --runs $((SHARDS * RUNS_PER_SHARD)) \
    --out . --report "$tag-all.jsonl" >"$tag-all.log" || { echo "FAIL unsharded $w exit $?"; fails=$((fails + 1)); continue; }
  parts=()
  for i in $(seq 1 $SHARDS); do
    # Shard 1 with two workers: the lines come in completion order, the
    # merge puts them in seed order.
    j=1; [ "$i" -eq 1 ] && j=2
    "$weft" explore "$w" --cores "$cores" --strategy "$strat" --runs $RUNS_PER_SHARD --shard "$i/$SHARDS" --jobs $j \
      --out . --report "$tag-s$i.jsonl" >"$tag-s$i.log" || { echo "FAIL shard $i of $w exit $?"; fails=$((fails + 1)); }
    parts+=("$tag-s$i.jsonl")
  done
  python3 "$merge" -o "$tag-merged.jsonl" "${parts[@]}" 2>"$tag-merge.log"
  check "$w: merge exit 0" "[ $? -eq 0 ]"
  check "$w: union of $SHARDS shards = unsharded (seeds, verdicts)" \
    "python3 '$merge' --same '$tag-all.jsonl' '$tag-merged.jsonl' >'$tag-same.log'"
  for f in runs distinct digest seed_lo seed_hi; do
    a=$(summary_field "$tag-all.jsonl" $f) b=$(summary_field "$tag-merged.jsonl" $f)
    check "$w: merged $f $b = unsharded $a" "[ -n '$a' ] && [ '$a' = '$b' ]"
  done
  check "$w: runs = $((SHARDS * RUNS_PER_SHARD))" "[ '$(summary_field "$tag-all.jsonl" runs)' = $((SHARDS * RUNS_PER_SHARD)) ]"
  # The comparison can fail: one shard short is not the unsharded run.
  python3 "$merge" -o "$tag-short.jsonl" "${parts[@]:1}" 2>/dev/null
  python3 "$merge" --same "$tag-all.jsonl" "$tag-short.jsonl" >"$tag-short.log"
  check "$w: a missing shard is seen (--same exit 1)" "[ $? -eq 1 ]"
  check "$w: the short merge says incomplete" "grep -q '\"complete\":false' '$tag-short.jsonl'"
done
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
