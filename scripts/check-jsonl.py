#!/usr/bin/env python3
"""Run a benchmark and check its stdout is JSON lines in weft's shape.

Usage: check-jsonl.py BENCH [args...]
Exit 0 if every line is an object with bench, case, metric, value, unit (and
baseline, baseline_value, ratio together or not at all, ratio consistent).
"""
import json
import subprocess
import sys

def main():
    if len(sys.argv) < 2:
        print("usage: check-jsonl.py BENCH [args...]", file=sys.stderr)
        return 2
    out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=False)
    if out.returncode != 0:
        print(f"check-jsonl: {sys.argv[1]} exited {out.returncode}", file=sys.stderr)
        return 1
    lines = out.stdout.decode().splitlines()
    if not lines:
        print("check-jsonl: no output", file=sys.stderr)
        return 1
    for i, line in enumerate(lines, 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            print(f"check-jsonl: line {i} is not JSON: {e}: {line!r}", file=sys.stderr)
            return 1
        for k in ("bench", "case", "metric", "value", "unit"):
            if k not in o:
                print(f"check-jsonl: line {i} lacks {k}: {line}", file=sys.stderr)
                return 1
        has = [k in o for k in ("baseline", "baseline_value", "ratio")]
        if any(has) and not all(has):
            print(f"check-jsonl: line {i} has part of baseline/baseline_value/ratio", file=sys.stderr)
            return 1
        if all(has) and o["baseline_value"]:
            want = o["value"] / o["baseline_value"]
            if abs(want - o["ratio"]) > 0.01 * max(1.0, abs(want)):
                print(f"check-jsonl: line {i} ratio {o['ratio']} != value/baseline {want}", file=sys.stderr)
                return 1
    print(f"check-jsonl: {len(lines)} lines ok")
    return 0

if __name__ == "__main__":
    sys.exit(main())
