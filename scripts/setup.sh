#!/usr/bin/env bash
# Installs the Debian packages weft needs, by name, only those missing.
# Needs only what a minimal Debian 12 has (bash, dpkg, apt), so it is the
# first half of the README's two commands, before make exists:
#
#   bash scripts/setup.sh run  && make run    # what the release campaign needs
#   bash scripts/setup.sh test && make test   # what every preset and test needs
#
# Run as root (it says so and exits 2 otherwise when something is missing).
# Idempotent: a second run installs nothing and says so. Prints each package
# it installs. `make run` / `make test` call it again with their profile.
set -euo pipefail

profile=${1:-test}

# make run: configure and build the release `weft`, run the campaign.
run_packages=(make cmake ninja-build gcc libc6-dev)
# make test: every preset (gcc and clang with sanitizers, libFuzzer),
# Valgrind, the JSON checker, the aarch64 fiber check under qemu-user, the
# Cortex-M4F build and its QEMU board, the wasm build (Emscripten), node to
# run it and headless Chromium for its page; gcovr for the coverage preset
# (make coverage, make gate).
test_packages=(
  "${run_packages[@]}"
  clang lld llvm libclang-rt-14-dev valgrind python3
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  emscripten nodejs chromium gcovr
)

case "$profile" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${test_packages[@]}") ;;
  *) echo "setup: unknown profile '$profile' (expected run or test)" >&2; exit 2 ;;
esac

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup ($profile): all ${#packages[@]} packages present"
  exit 0
fi

echo "setup ($profile): installing ${#missing[@]} missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: need root to install ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for p in "${missing[@]}"; do
  installed "$p" || still+=("$p")
done
if [ ${#still[@]} -gt 0 ]; then
  echo "setup: apt-get did not install ${still[*]}" >&2
  exit 2
fi
echo "setup ($profile): installed ${missing[*]}"
