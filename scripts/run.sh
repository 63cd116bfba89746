#!/usr/bin/env bash
# The main job. Until the kernel exists: the simulator engine's demo campaign
# (a planted race between two fibers, hunted by random and PCT schedules).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec build/release/sim/engine/engine_demo "$@"
