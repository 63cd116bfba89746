#!/usr/bin/env bash
# never_rule.sh KCHECK PLANTED — the kernel's never-rule (DESIGN.md: kernel
# code touches memory shared between cores only through the BSP's
# primitives), checked by weft-kcheck --never-rule:
#  1. every workload but selftest, 2 cores, seeds 0..RUNS-1: every reported
#     (access, write) pair is listed in never-rule-known.txt (by function,
#     symbolized with addr2line); any other fails the test. selftest is left
#     out: its self-tests corrupt run queues and read other cores' state on
#     purpose (k_sched_check's and the deadlock report's own tests).
#  2. weft-kcheck-planted (a kernel whose magazine flush updates the depot's
#     count after dropping the depot lock) is reported, naming both sites:
#     the planted write in mag_flush and the locked access on another core.
set -u
kcheck=$1; planted=$2
here=$(cd "$(dirname "$0")" && pwd)
runs=${NEVER_RULE_RUNS:-3}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
command -v addr2line >/dev/null || { echo "never_rule.sh: addr2line is missing (binutils)"; exit 2; }

# "never-rule: ... site image+0xR ... site image+0xW" -> "ACCESS_FN WRITE_FN r_line w_line"
symbolize() {
  local bin=$1 line=$2 r w
  r=$(grep -o 'site image+0x[0-9a-f]*' <<<"$line" | head -1 | cut -d+ -f2)
  w=$(grep -o 'site image+0x[0-9a-f]*' <<<"$line" | tail -1 | cut -d+ -f2)
  echo "$(addr2line -f -e "$bin" "$r" | head -1) $(addr2line -f -e "$bin" "$w" | head -1)" \
       "$(addr2line -e "$bin" "$r" | sed 's|.*/kernel/|kernel/|')" \
       "$(addr2line -e "$bin" "$w" | sed 's|.*/kernel/|kernel/|')"
}

for w in $("$kcheck" list | awk '{print $1}'); do
  [ "$w" = selftest ] && continue
  "$kcheck" explore "$w" --cores 2 --runs "$runs" --never-rule >"$dir/out" 2>&1
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then bad "$w: explore exit $rc"; continue; fi
  unknown=0
  while read -r line; do
    read -r fa fw la lw < <(symbolize "$kcheck" "$line")
    if grep -q "^$fa $fw " "$here/never-rule-known.txt"; then
      echo "   known: $w: $fa ($la) <- $fw ($lw)"
    else
      unknown=$((unknown + 1)); bad "$w: never-rule: $fa ($la) read/wrote what $fw ($lw) wrote on another core"
    fi
  done < <(grep '^  never-rule' "$dir/out")
  if [ $rc -eq 1 ] && ! grep -q 'never-rule' "$dir/out"; then
    bad "$w failed otherwise: $(grep -m1 FAIL "$dir/out")"
  elif [ $unknown -eq 0 ]; then ok "$w: $runs schedules at 2 cores, no never-rule violation but the known ones"; fi
done

# The planted unlocked access is reported with both sites.
"$planted" explore mem_cores --cores 2 --runs 5 --never-rule >"$dir/planted" 2>&1
found=0
while read -r line; do
  read -r fa fw la lw < <(symbolize "$planted" "$line")
  if [ "$fw" = mag_flush ]; then
    found=1; ok "planted: $fa ($la) <- $fw ($lw)"
  fi
done < <(grep '^  never-rule' "$dir/planted")
[ $found -eq 1 ] || { bad "the planted unlocked depot update was not reported"; cat "$dir/planted"; }

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
