#!/bin/sh
# callgrind_mem.sh [BENCH_MEM] — instructions per k_mem_alloc and per
# k_mem_free, counted by valgrind's callgrind on the release build.
#
# For each trace, `bench_mem --callgrind CASE` runs the case's trace once on
# the kernel heap (the heap grows from frames on the way: that cost is in)
# and says how many calls it made; callgrind collects only inside the
# function named by --toggle-collect, so the collected total is the
# function's inclusive cost. Two figures per op:
#   instr_per_op         inclusive: everything, the simulator adapter's
#                        bsp_* calls (interrupt save/restore, spinlock, fault
#                        hook) included;
#   instr_per_op_kernel  only what the kernel's own code executes (the self
#                        cost of every function in kernel/mem), the adapter's
#                        bsp_* calls left out.
# The baseline is host-malloc: the same trace on the host's malloc/free,
# counted inside the bench's wrappers host_alloc / host_free the same way.
# Prints JSON lines (DESIGN.md shape, plus "op":"alloc"|"free").
# Usage: bench/callgrind_mem.sh build/release/bench/bench_mem
set -eu
bench=${1:-build/release/bench/bench_mem}
[ -x "$bench" ] || { echo "callgrind_mem: no bench at $bench" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind_mem: valgrind not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# count FUNCTION CASE [host] -> "total kernel calls" (instructions collected
# inside FUNCTION, of which in kernel/mem, and the number of calls)
count() {
	fn=$1 case=$2 op=$3
	shift 3
	valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --toggle-collect="$fn" \
		"$bench" --callgrind "$case" "$@" 2>"$tmp/err" >/dev/null || { cat "$tmp/err" >&2; exit 1; }
	calls=$(awk -v op="$op" '/^calls /{print (op == "alloc") ? $2 : $3}' "$tmp/err")
	# --show-percs=no: one count column, whatever the share ("( 9.2%)"
	# would otherwise split into two fields and hide small functions).
	callgrind_annotate --threshold=100 --auto=no --show-percs=no "$tmp/out" >"$tmp/ann" 2>/dev/null
	total=$(awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1; exit}' "$tmp/ann")
	kernel=$(awk '$1 ~ /^[0-9,]+$/ && $2 ~ /kernel\/mem\/[^ ]*:/ {gsub(",", "", $1); s += $1} END {print s + 0}' "$tmp/ann")
	echo "$total $kernel $calls"
}
for case in small-churn mixed fragmentation; do
	for op in alloc free; do
		set -- $(count "k_mem_$op" "$case" "$op")
		total=$1 kernel=$2 calls=$3
		set -- $(count "host_$op" "$case" "$op" host)
		host=$1 host_calls=$3
		awk -v c="$case" -v op="$op" -v t="$total" -v k="$kernel" -v n="$calls" -v h="$host" -v hn="$host_calls" 'BEGIN {
			v = t / n; b = h / hn
			printf "{\"bench\":\"mem\",\"case\":\"%s\",\"metric\":\"instr_per_op\",\"op\":\"%s\",\"value\":%.1f,\"unit\":\"instructions\",\"baseline\":\"host-malloc\",\"baseline_value\":%.1f,\"ratio\":%.3f}\n", c, op, v, b, v / b
			printf "{\"bench\":\"mem\",\"case\":\"%s\",\"metric\":\"instr_per_op_kernel\",\"op\":\"%s\",\"value\":%.1f,\"unit\":\"instructions\"}\n", c, op, k / n }'
	done
done
