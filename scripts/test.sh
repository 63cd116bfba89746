#!/usr/bin/env bash
# Builds every preset and runs its tests; ends with one line "N passed, N failed".
# Usage: scripts/test.sh [preset...]   (default: every preset weft has so far)
set -uo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(dev clang release fuzz races m4f wasm)
jobs=${WEFT_JOBS:-$(nproc)}

passed=0
failed=0
failed_names=()

for p in "${presets[@]}"; do
  echo "== preset $p"
  if ! cmake --preset "$p" >"build-$p.configure.log" 2>&1; then
    cat "build-$p.configure.log"; echo "test: configure of $p failed"
    failed=$((failed + 1)); failed_names+=("$p:configure"); continue
  fi
  rm -f "build-$p.configure.log"
  if ! cmake --build --preset "$p" -j "$jobs"; then
    echo "test: build of $p failed"
    failed=$((failed + 1)); failed_names+=("$p:build"); continue
  fi
  junit="build/$p/ctest-junit.xml"
  ctest --preset "$p" -j "$jobs" --output-junit ctest-junit.xml
  if [ -f "$junit" ]; then
    n_total=$(grep -o 'tests="[0-9]*"' "$junit" | head -1 | tr -dc 0-9)
    n_fail=$(grep -o 'failures="[0-9]*"' "$junit" | head -1 | tr -dc 0-9)
    n_total=${n_total:-0}; n_fail=${n_fail:-0}
    passed=$((passed + n_total - n_fail))
    failed=$((failed + n_fail))
    while read -r name; do failed_names+=("$p:$name"); done < <(
      grep -B0 -A1 '<testcase' "$junit" | grep -o 'name="[^"]*"[^>]*status="fail"' | sed 's/name="\([^"]*\)".*/\1/')
  else
    echo "test: ctest for $p produced no report"
    failed=$((failed + 1)); failed_names+=("$p:ctest")
  fi
done

# Static checks of the layout rules (DESIGN.md "What must never be").
echo "== layout checks"
if scripts/check-layout.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("layout"); fi

# Every preset's ctest results as one JUnit file for CI (scripts/junit-merge.py).
junits=()
for p in "${presets[@]}"; do
  [ -f "build/$p/ctest-junit.xml" ] && junits+=("build/$p/ctest-junit.xml")
done
if [ ${#junits[@]} -gt 0 ]; then
  python3 scripts/junit-merge.py build/reports/junit-test.xml "${junits[@]}" || echo "test: junit-merge failed (the results above stand)"
fi

[ ${#failed_names[@]} -gt 0 ] && printf 'failed: %s\n' "${failed_names[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
