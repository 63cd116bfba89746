#!/usr/bin/env bash
# html.sh WEFT NODE CHROMIUM OUT_DIR WORKLOAD CORES RUNS — find a failure,
# write its timeline with `weft replay TRACE --html`, and check the page in
# headless Chromium (html-check.js): a lane per core, spans, the failure
# mark, hover text. The page and its screenshot stay in OUT_DIR (the build
# tree). Also: --html to a folder that does not exist is refused (exit 2)
# before the replay.
set -u
weft=$1; node=$2; chromium=$3; out=$4; w=$5; cores=$6; runs=$7
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
mkdir -p "$out"
stem=$(echo "$w" | tr '/' '_')
"$weft" explore "$w" --cores "$cores" --runs "$runs" --out "$dir" >"$dir/explore.out" 2>&1
trace=$(ls "$dir"/*.trace 2>/dev/null | head -1)
[ -n "$trace" ] || { cat "$dir/explore.out"; echo "html: no failure found"; echo "0 passed, 1 failed"; exit 1; }
"$weft" replay "$trace" --html "$dir/missing/x.html" >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] || { echo "html: --html into a missing folder exited $rc"; echo "0 passed, 1 failed"; exit 1; }
"$weft" replay "$trace" --html "$out/timeline-$stem.html" >"$dir/replay.out" 2>&1
grep -q '^timeline: ' "$dir/replay.out" || { cat "$dir/replay.out"; echo "0 passed, 1 failed"; exit 1; }
"$node" "$here/html-check.js" "$out/timeline-$stem.html" "$out/timeline-$stem.png" --cores "$cores" \
  --expect-failure --chromium "$chromium" --timeout 150
