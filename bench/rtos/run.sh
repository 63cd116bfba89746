#!/usr/bin/env bash
# Runs the RTOS benchmarks of the m4f build in QEMU (virtual time counts
# instructions) and prints their JSON lines. Usage: bench/rtos/run.sh [CASE]
# Build first: cmake --preset m4f && cmake --build --preset m4f
set -uo pipefail
cd "$(dirname "$0")/../.."
image=build/m4f/bench/bench_rtos.elf
if [ ! -f "$image" ]; then
  echo "run.sh: $image missing: cmake --preset m4f && cmake --build --preset m4f" >&2
  exit 2
fi
args=()
[ $# -gt 0 ] && args=(-append "$1")
exec timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
  -semihosting-config enable=on,target=native -icount shift=0,sleep=off \
  -kernel "$image" "${args[@]}"
