#!/usr/bin/env bash
# never_rule.sh KCHECK PLANTED — the kernel's never-rule (DESIGN.md: kernel
# code touches memory shared between cores only through the BSP's
# primitives), checked by weft-kcheck --never-rule:
#  1. every workload (selftest included), 2 cores, seeds 0..RUNS-1: no
#     violation at all. There is no allowlist: any reported (access, write)
#     pair fails the test, named by function and line (addr2line).
#  2. weft-kcheck-planted (a kernel whose magazine flush updates the depot's
#     count after dropping the depot lock) run through the same judgement
#     fails it, and the report names both sites: the planted write in
#     mag_flush and the locked access on another core. So step 1's verdict
#     is one that can fail.
set -u
kcheck=$1; planted=$2
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

# judge BIN WORKLOAD RUNS OUT: explore at 2 cores with --never-rule; writes
# one "ACCESS_FN WRITE_FN r_line w_line" line per reported pair to OUT.
# Returns 0 when the run says nothing, 1 when it reported violations, 2 when
# it failed otherwise (the reason on stdout).
judge() {
  local bin=$1 w=$2 n=$3 out=$4 rc
  : >"$out"
  "$bin" explore "$w" --cores 2 --runs "$n" --never-rule >"$dir/log" 2>&1
  rc=$?
  while read -r line; do
    symbolize "$bin" "$line" >>"$out"
  done < <(grep '^  never-rule' "$dir/log")
  if [ -s "$out" ]; then return 1; fi
  if [ $rc -ne 0 ]; then echo "exit $rc: $(grep -m1 -i 'fail' "$dir/log")"; return 2; fi
  return 0
}

for w in $("$kcheck" list | awk '{print $1}'); do
  why=$(judge "$kcheck" "$w" "$runs" "$dir/found"); rc=$?
  case $rc in
    0) ok "$w: $runs schedules at 2 cores, no never-rule violation" ;;
    1) while read -r fa fw la lw; do
         bad "$w: never-rule: $fa ($la) read/wrote what $fw ($lw) wrote on another core"
       done <"$dir/found" ;;
    *) bad "$w: $why" ;;
  esac
done

# The planted unlocked access fails the same judgement, with both sites.
judge "$planted" mem_cores 5 "$dir/planted"; rc=$?
if [ $rc -ne 1 ]; then
  bad "the planted unlocked depot update was not reported (judge said $rc)"
elif ! grep -q '^[^ ]* mag_flush ' "$dir/planted"; then
  bad "planted: reported, but no pair names the planted write in mag_flush:"; cat "$dir/planted"
else
  while read -r fa fw la lw; do
    [ "$fw" = mag_flush ] && ok "planted: judged a violation: $fa ($la) <- $fw ($lw)"
  done <"$dir/planted"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
