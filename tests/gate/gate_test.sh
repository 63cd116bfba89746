#!/usr/bin/env bash
# gate_test.sh SRC WORK — the gate passes on the tree and fails on a known
# bad change. A copy of SRC's files (tracked and untracked, not build trees)
# goes to WORK/src and is kept between runs, so its build trees stay
# incremental; then:
#   1. scripts/gate.sh --quick --tree WORK/src         must exit 0, every step PASS
#   2. the same with the planted mutant MUTANT applied and a reproducer in
#      corpus/inbox/: must exit 1 with the steps `explore` and `crashes`
#      marked FAIL in its table
# The mutant is reverted and the inbox emptied after, whatever happens.
set -u
src=$1 work=$2
MUTANT=05-msgq-full-off-by-one.patch
copy=$work/src
fails=0 passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }
row() { grep -E "^$2 +" "$1/summary.txt" | awk '{print $2}'; }

mkdir -p "$copy"
python3 "$src/tests/gate/sync_tree.py" "$src" "$copy" || { echo "gate_test: cannot copy $src"; exit 2; }

# The copy lives inside a worktree's build/: without the ceiling git would
# apply the patch relative to that worktree and silently skip every path.
gitc() { (cd "$copy" && GIT_CEILING_DIRECTORIES=$work git "$@"); }
cleanup() {
  gitc apply --check -R "$src/tests/mutants/$MUTANT" 2>/dev/null && gitc apply -R "$src/tests/mutants/$MUTANT"
  rm -f "$copy/corpus/inbox/crash-gate-test"
}
cleanup
trap cleanup EXIT

bash "$src/scripts/gate.sh" --quick --tree "$copy" --out "$work/clean" >"$work/clean.log" 2>&1
rc=$?
cat "$work/clean/summary.txt" 2>/dev/null
check "unmodified tree: gate exit 0 ($rc)" "[ $rc -eq 0 ]"
for s in coverage corpus explore m4f-size crashes; do
  check "unmodified tree: $s PASS" "[ \"\$(row $work/clean $s)\" = PASS ]"
done

gitc apply "$src/tests/mutants/$MUTANT" || { echo "gate_test: $MUTANT does not apply"; exit 2; }
echo "a crash nobody fixed yet" >"$copy/corpus/inbox/crash-gate-test"
bash "$src/scripts/gate.sh" --quick --tree "$copy" --out "$work/bad" >"$work/bad.log" 2>&1
rc=$?
cat "$work/bad/summary.txt" 2>/dev/null
check "with $MUTANT: gate exit 1 ($rc)" "[ $rc -eq 1 ]"
check "with $MUTANT: explore FAIL" "[ \"\$(row $work/bad explore)\" = FAIL ]"
check "with an inbox file: crashes FAIL" "[ \"\$(row $work/bad crashes)\" = FAIL ]"
check "with $MUTANT: the table says gate: FAIL" "grep -q '^gate: FAIL' $work/bad/summary.txt"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
