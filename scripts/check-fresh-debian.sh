#!/usr/bin/env bash
# Proves the README's two commands on a bare Debian 12, as a new user meets
# them: builds a minimal root (debootstrap --variant=minbase bookworm: no
# make, no compiler), installs git in it, clones this repository's committed
# HEAD into it, and runs the two commands of the README's "Two commands"
# section exactly as written, one after the other, as root inside the chroot.
# Prints the time of each, the packages its set-up installed and the final
# "N passed, N failed" line; exit 0 only if both commands succeed.
#
# Not part of `make test`: it downloads several hundred megabytes from the
# Debian mirror the host's apt uses (or WEFT_DEBIAN_MIRROR). Run as root.
# Everything lands in build/fresh-debian/ (the root and one log per command);
# /proc, /sys, /dev and /dev/pts are bind-mounted into the root and always
# unmounted at the end, also on failure or Ctrl-C.
#
# Usage: scripts/check-fresh-debian.sh
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/build/fresh-debian
root=$out/root
suite=bookworm

die() { echo "check-fresh-debian: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "must run as root (chroot, mount, debootstrap)"
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || die "$repo is not a git checkout"

# The mirror the host's apt already uses for Debian, so the check reaches
# only what the machine is set up to reach.
mirror=${WEFT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources; set WEFT_DEBIAN_MIRROR"

# The README's two commands: the indented lines of the "Two commands" block,
# without their trailing comment.
mapfile -t commands < <(awk '
  /^## Two commands/ {in_sec = 1; next}
  /^## / {in_sec = 0}
  in_sec && /^    [^ ]/ {sub(/^    /, ""); sub(/[ \t]+#.*$/, ""); print}
' "$repo/README.md")
[ ${#commands[@]} -eq 2 ] || die "expected 2 commands in README's 'Two commands' section, found ${#commands[@]}"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null ||
      echo "check-fresh-debian: could not unmount ${mounted[$i]}" >&2
  done
  mounted=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

mount_into() { # mount_into TARGET mount-args...
  local target=$1; shift
  mkdir -p "$target"
  mount "$@" "$target" || die "mount $* $target failed"
  mounted+=("$target")
}

if ! command -v debootstrap >/dev/null; then
  echo "check-fresh-debian: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
    die "could not install debootstrap"
fi

# A previous root must not have anything mounted before it is removed.
if [ -d "$root" ]; then
  if findmnt -rn -o TARGET | grep -q "^$root"; then
    die "something is still mounted under $root; unmount it first"
  fi
  rm -rf "$root"
fi
mkdir -p "$out"

t0=$(date +%s)
echo "check-fresh-debian: debootstrap --variant=minbase $suite ($mirror)"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$out/debootstrap.log" 2>&1; then
  tail -20 "$out/debootstrap.log"; die "debootstrap failed (log: $out/debootstrap.log)"
fi
t_boot=$(( $(date +%s) - t0 ))
for tool in make gcc cc cmake; do
  [ -x "$root/usr/bin/$tool" ] && die "the minimal root already has $tool: not a bare root"
done

cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount_into "$root/proc" -t proc proc
mount_into "$root/sys" --bind /sys
mount_into "$root/dev" --bind /dev
mount_into "$root/dev/pts" --bind /dev/pts
mount_into "$root/mnt/weft-src" --bind "$repo"
mount -o remount,bind,ro "$root/mnt/weft-src" 2>/dev/null || true

in_root() { # in_root LOG COMMAND: run COMMAND with bash as root in the chroot
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "$2" >"$1" 2>&1
}

# The commit is read once, here: the repository may move on while the check
# runs (it takes tens of minutes), and the summary must name what was tested.
commit=$(git -C "$repo" rev-parse --short HEAD)
echo "check-fresh-debian: installing git and cloning $commit"
in_root "$out/clone.log" "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git &&
  git config --global --add safe.directory '*' && git clone -q /mnt/weft-src /root/weft &&
  git -C /root/weft checkout -q $commit" ||
  { tail -20 "$out/clone.log"; die "installing git or cloning failed (log: $out/clone.log)"; }
umount "$root/mnt/weft-src" && unset 'mounted[-1]'

status=0
summary=()
for i in 0 1; do
  cmd=${commands[$i]}
  log=$out/command-$((i + 1)).log
  echo "check-fresh-debian: running '$cmd' (log: $log)"
  t=$(date +%s)
  in_root "$log" "cd /root/weft && $cmd"
  rc=$?
  secs=$(( $(date +%s) - t ))
  pkgs=$(sed -n 's/^\([0-9]*\) upgraded, \([0-9]*\) newly installed.*/\2/p' "$log" | awk '{s += $1} END {print s + 0}')
  named=$(sed -n 's/^setup ([a-z]*): installing [0-9]* missing packages: //p' "$log" | tr '\n' ' ')
  final=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  [ -n "$final" ] || final=$(grep -E '^campaign: ' "$log" | tail -1)
  line=$(printf "'%s': exit %d, %dm%02ds, apt installed %d packages (set-up named: %s), last: %s" \
    "$cmd" "$rc" $((secs / 60)) $((secs % 60)) "$pkgs" "${named% }" "${final:-none}")
  summary+=("$line")
  echo "check-fresh-debian: $line"
  if [ "$rc" -ne 0 ]; then
    tail -30 "$log"; status=1
  fi
done

echo
echo "check-fresh-debian: Debian 12 minbase root in ${t_boot}s; commit $commit"
printf 'check-fresh-debian: %s\n' "${summary[@]}"
if [ $status -eq 0 ]; then
  echo "check-fresh-debian: both README commands passed on a bare Debian 12"
else
  echo "check-fresh-debian: FAILED"
fi
exit $status
