#!/usr/bin/env bash
# The layout rules of DESIGN.md, checked by text: kernel/ is portable and
# freestanding, the engine is generic, modules and stress use public headers.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
say() { echo "layout: $*"; bad=1; }

if [ -d kernel ]; then
  hits=$(grep -rnE '#\s*if.*(__linux__|__APPLE__|_WIN32|__arm__|__ARM_ARCH|__thumb__|__aarch64__|__x86_64__|__i386__|__EMSCRIPTEN__|__wasm__|WEFT_TARGET_)' kernel)
  [ -n "$hits" ] && say "kernel/ tests a target macro: $hits"
  hits=$(grep -rnE '#\s*include\s*<' kernel | grep -vE '<(stddef|stdint|stdbool|stdarg|limits)\.h>|<bsp\.h>|<k/')
  [ -n "$hits" ] && say "kernel/ includes a header that is neither freestanding, bsp.h nor its own: $hits"
fi
if [ -d sim/engine ]; then
  hits=$(grep -rnE '#\s*include\s*[<"](k/|kernel/|bsp)' sim/engine)
  [ -n "$hits" ] && say "sim/engine/ includes a kernel or BSP header: $hits"
fi
for d in modules stress; do
  [ -d "$d" ] || continue
  hits=$(grep -rnE '#\s*include\s*"' "$d" | grep -vE '"[^"/]*\.h"')
  [ -n "$hits" ] && say "$d/ reaches past the public headers: $hits"
done
[ $bad -eq 0 ] && echo "layout: ok"
exit $bad
