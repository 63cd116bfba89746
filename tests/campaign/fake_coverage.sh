#!/usr/bin/env bash
# A stand-in for scripts/coverage.sh OUTDIR [--quick] (the contract with the
# coverage work): writes the three files the contract names with fixed
# figures, and the arguments it got, so campaign-coverage can check that the
# campaign calls it as agreed and shows exactly what it wrote.
set -eu
out=${1:?usage: fake_coverage.sh OUTDIR [--quick]}
mkdir -p "$out"
printf '%s\n' "$@" > "$out/args.txt"
echo '<html><body>fake gcovr report</body></html>' > "$out/index.html"
echo '<?xml version="1.0"?><coverage line-rate="0.125" branch-rate="0.0725"></coverage>' > "$out/coverage.xml"
echo '{"line_percent": 12.5, "branch_percent": 7.25, "line_total": 800, "line_covered": 100}' > "$out/summary.json"
