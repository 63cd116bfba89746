#!/usr/bin/env bash
# mutants.sh — does the project catch realistic bugs of its own? For each
# patch kept under tests/mutants/ (one injected bug each): apply it to a
# scratch copy of the tree, build, run the test suite and a short exploration
# of every workload, and say what caught it. Prints a table (markdown) and
# ends with "N caught, N missed"; exit 0 when every mutant was caught, 1 when
# one was missed, 2 on bad usage or a tree that does not build clean.
#
#   scripts/mutants.sh [--preset release|dev] [--runs N] [--pct-runs N]
#                      [--only REGEX] [--no-ctest]
#   scripts/mutants.sh --check      # each patch still applies (ctest: mutants)
#
# The scratch copy lives in build/mutants/src (the tracked and untracked
# files of this worktree, not the build trees); it is configured and built
# once, then each mutant rebuilds only what its patch touches and is
# reverted after. ctest runs without the labels valgrind (the same tests run
# natively), planted (other bugs on top: minutes each) and mutants (it
# checks the patches apply to the unmutated tree), and stops nothing early: every failing test is named. The
# exploration runs each workload at 1, 2 and 4 cores with random (--runs,
# default 300) and pct:3 (--pct-runs, default 100) and stops a workload at
# its first failure.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
preset=release runs=300 pct_runs=100 only="" do_ctest=1 check_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --pct-runs) pct_runs=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --no-ctest) do_ctest=0; shift ;;
    --check) check_only=1; shift ;;
    *) echo "mutants.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$preset" in release|dev|clang) ;; *) echo "mutants.sh: preset must be release, dev or clang" >&2; exit 2 ;; esac

patches=()
for p in "$here"/tests/mutants/*.patch; do
  [ -e "$p" ] || continue
  [ -n "$only" ] && ! [[ "$(basename "$p")" =~ $only ]] && continue
  patches+=("$p")
done
[ ${#patches[@]} -gt 0 ] || { echo "mutants.sh: no patch in tests/mutants matches" >&2; exit 2; }

if [ $check_only -eq 1 ]; then
  ok=0 bad=0
  for p in "${patches[@]}"; do
    if (cd "$here" && git apply --check "$p" 2>/dev/null); then
      echo "applies  $(basename "$p")"; ok=$((ok + 1))
    else
      echo "ROTTEN   $(basename "$p") (git apply --check fails: regenerate it against the current tree)"; bad=$((bad + 1))
    fi
  done
  echo "$ok passed, $bad failed"
  [ $bad -eq 0 ]; exit $?
fi

work=$here/build/mutants
src=$work/src
bin=$src/build/$preset
mkdir -p "$work"
log=$work/logs
rm -rf "$log"; mkdir -p "$log"

echo "mutants.sh: scratch copy in $src (preset $preset)" >&2
# A fresh copy the first time; later, only the files whose contents changed
# are copied over (so the scratch build stays incremental).
mkdir -p "$src" "$work/new"
rm -rf "$work/new"; mkdir -p "$work/new"
(cd "$here" && git ls-files -co --exclude-standard -z | grep -zv '^build/' | tar --null -T - -cf -) | (cd "$work/new" && tar -xf -)
(cd "$work/new" && find . -type f -print0) | while IFS= read -r -d '' f; do
  if ! cmp -s "$work/new/$f" "$src/$f"; then
    mkdir -p "$(dirname "$src/$f")"; cp "$work/new/$f" "$src/$f" # a new mtime: rebuilt
  fi
done
rm -rf "$work/new"
(cd "$src" && cmake --preset "$preset" >"$log/configure.log" 2>&1) || { echo "mutants.sh: configure failed ($log/configure.log)" >&2; exit 2; }
if ! cmake --build "$bin" -j2 >"$log/build-clean.log" 2>&1; then
  echo "mutants.sh: the unmutated tree does not build ($log/build-clean.log)" >&2; exit 2
fi
workloads=$("$bin/weft" list | awk '{print $1}')

# explore_all NAME: every workload, 1/2/4 cores, random then pct:3; prints
# the first failure as "workload cores strategy: message" or nothing.
explore_all() {
  local w c strat n out line
  for w in $workloads; do
    for c in 1 2 4; do
      for strat in random pct:3; do
        n=$runs; [ "$strat" = pct:3 ] && n=$pct_runs
        [ "$w" = selftest ] && n=$((n / 30 + 2))  # 60,000 steps a run
        out=$(cd "$log" && timeout 600 "$bin/weft" explore "$w" --cores "$c" --runs "$n" --strategy "$strat" 2>&1)
        rc=$?
        if [ $rc -ne 0 ]; then
          line=$(printf '%s\n' "$out" | grep -m1 -E '^weft: FAIL' | sed 's/^weft: //')
          [ -z "$line" ] && line="exit $rc: $(printf '%s\n' "$out" | tail -1)"
          echo "explore $w --cores $c --strategy $strat: $line"
          return
        fi
      done
    done
  done
}

caught=0 missed=0
table="| mutant | caught | caught by (first failing ctest names; first exploration failure) | time |
|---|---|---|---|"
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  t0=$(date +%s)
  # The scratch copy sits inside this worktree (build/ is ignored): without
  # the ceiling, git would take it for a subdirectory of the worktree and
  # silently skip every path of the patch.
  if ! (cd "$src" && GIT_CEILING_DIRECTORIES=$work git apply "$p" &&
        GIT_CEILING_DIRECTORIES=$work git apply --check -R "$p"); then
    echo "mutants.sh: $name does not apply (run --check)" >&2; exit 2
  fi
  by_ctest="" by_explore=""
  build_failed=0
  if ! cmake --build "$bin" -j2 >"$log/$name-build.log" 2>&1; then
    build_failed=1 # a patch that does not compile is no catch: fix the patch
  else
    if [ $do_ctest -eq 1 ]; then
      (cd "$bin" && timeout 3000 ctest -j2 -LE "valgrind|mutants|planted" --timeout 300 >"$log/$name-ctest.log" 2>&1)
      by_ctest=$(grep -E '^\s+[0-9]+ - ' "$log/$name-ctest.log" | sed -E 's/^\s+[0-9]+ - ([^ ]+).*/\1/' | sort -u | tr '\n' ' ')
      nfail=$(echo "$by_ctest" | wc -w)
      [ "$nfail" -gt 6 ] && by_ctest="$(echo "$by_ctest" | cut -d' ' -f1-6) ... ($nfail tests)"
    fi
    by_explore=$(explore_all)
  fi
  (cd "$src" && GIT_CEILING_DIRECTORIES=$work git apply -R "$p") || { echo "mutants.sh: cannot revert $name" >&2; exit 2; }
  secs=$(( $(date +%s) - t0 ))
  what=""
  [ -n "$by_ctest" ] && what="ctest: ${by_ctest% }"
  [ -n "$by_explore" ] && what="${what:+$what; }$by_explore"
  if [ $build_failed -eq 1 ]; then missed=$((missed + 1)); verdict=NO; what="the mutant does not build ($log/$name-build.log)"
  elif [ -n "$what" ]; then caught=$((caught + 1)); verdict=yes; else missed=$((missed + 1)); verdict=NO; what="nothing"; fi
  row="| $name | $verdict | ${what//|/\\|} | ${secs} s |"
  echo "$row" >&2
  table="$table
$row"
done
printf '%s\n' "$table"
echo "$caught caught, $missed missed"
[ $missed -eq 0 ]
