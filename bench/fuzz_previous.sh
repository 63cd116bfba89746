#!/bin/sh
# fuzz_previous.sh [COMMIT] — build the fuzz targets as they were at COMMIT
# (default eacc2ec, the tree before the fuzz throughput work: coverage on
# every library, a fresh host region per input), in the fuzz preset, inside
# this tree's build/fuzz/previous/, and print the folder holding
# sched_fuzz and mem_fuzz, for `bench_fuzz --previous DIR`; at a commit that
# has the throughput build, also sched_fuzz_fast and mem_fuzz_fast, for
# `bench_fuzz --before DIR` (e.g. 419f8c4, the tree before the third round).
# Exit: 0 built; 1 the build failed; 2 bad usage.
set -eu
cd "$(dirname "$0")/.."
commit=${1:-eacc2ec}
if ! git rev-parse --verify -q "$commit^{commit}" >/dev/null; then
  echo "fuzz_previous: no such commit: $commit" >&2
  exit 2
fi
src=build/fuzz/previous/$commit
if [ ! -f "$src/CMakeLists.txt" ]; then
  mkdir -p "$src"
  git archive "$commit" | tar -x -C "$src"
fi
(cd "$src" && cmake --preset fuzz >/dev/null &&
  nice -n 5 cmake --build --preset fuzz -j2 --target sched_fuzz mem_fuzz >/dev/null) || {
  echo "fuzz_previous: build of $commit failed" >&2
  exit 1
}
if grep -q 'fuzz_fast' "$src/fuzz/CMakeLists.txt"; then
  (cd "$src" && nice -n 5 cmake --build --preset fuzz -j2 --target sched_fuzz_fast mem_fuzz_fast \
    >/dev/null) || {
    echo "fuzz_previous: build of $commit's throughput targets failed" >&2
    exit 1
  }
fi
echo "$src/build/fuzz/fuzz"
