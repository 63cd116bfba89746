#!/usr/bin/env bash
# Installs the Debian packages weft needs, by name, only those missing.
# Run as root on Debian 12 (make run / make test call it first).
set -euo pipefail

packages=(
  make cmake ninja-build gcc clang lld llvm libclang-rt-14-dev valgrind python3
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: need root to install ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
