#!/bin/sh
# check-freestanding.sh [CC] — every kernel C file must build with no libc:
# -ffreestanding -nostdinc, only the compiler's own include directory
# (stddef.h, stdint.h, stdbool.h, stdarg.h, limits.h) plus kernel/include and
# bsp/include. Fails (exit 1) naming each file that needs anything else.
# Run from anywhere; CC defaults to cc. Compiles only (-fsyntax-only).
# WEFT_FREESTANDING_FLAGS adds a target's flags (the m4f build's ctest passes
# its CPU flags and build constants, e.g. -DBSP_CORES_MAX=1u).
set -u
cd "$(dirname "$0")/.." || exit 2
cc=${1:-cc}
inc=$("$cc" -print-file-name=include)
if [ ! -d "$inc" ]; then
	echo "check-freestanding: $cc has no include directory ($inc)" >&2
	exit 2
fi
page=${WEFT_PAGE_BYTES:-4096}
extra=${WEFT_FREESTANDING_FLAGS:-}
passed=0
failed=0
for f in $(find kernel -name '*.c' | sort); do
	# shellcheck disable=SC2086 # extra is a list of flags
	if "$cc" $extra -std=c11 -ffreestanding -nostdinc -isystem "$inc" -Ikernel/include -Ibsp/include \
		-DWEFT_PAGE_BYTES="$page" -Wall -Wextra -Werror -fsyntax-only "$f"; then
		passed=$((passed + 1))
	else
		echo "check-freestanding: $f needs more than the freestanding headers" >&2
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
