#!/usr/bin/env python3
"""coverage-figures.py SUMMARY.json PREFIX... : line and branch coverage per
folder from a gcovr --json-summary file (scripts/coverage.sh writes it).

Prints one line per PREFIX and one for all of them together:
  coverage: kernel/ lines 81.2% (1234/1520), branches 60.1% (456/759)
Percentages are computed from the counts (gcovr rounds its own), truncated
to one decimal so a figure is never shown above what was reached.
Exit 2 with one line on a file that is not such a summary, or a prefix that
matches no file (a typo would otherwise print 0/0)."""
import json
import sys

# A summary lists each source file once; weft has a few hundred.
FILES_MAX = 100000


def fail(msg):
    print(f"coverage-figures: {msg}", file=sys.stderr)
    sys.exit(2)


def count(entry, key):
    v = entry.get(key)
    if not isinstance(v, int) or v < 0:
        fail(f"file entry {entry.get('filename', '?')!r}: '{key}' is not a count")
    return v


def percent(covered, total):
    assert 0 <= covered <= total
    if total == 0:
        return "n/a"
    return f"{int(covered * 1000 // total) / 10:.1f}%"


def main():
    if len(sys.argv) < 3:
        fail("usage: coverage-figures.py SUMMARY.json PREFIX...")
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {sys.argv[1]}: {e}")
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list) or len(files) > FILES_MAX:
        fail(f"{sys.argv[1]}: no 'files' list (not a gcovr --json-summary)")
    prefixes = sys.argv[2:]
    sums = {p: [0, 0, 0, 0, 0] for p in prefixes + ["all"]}
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            fail(f"{sys.argv[1]}: a file entry without a filename")
        row = [count(entry, k) for k in ("line_covered", "line_total", "branch_covered", "branch_total")]
        if row[0] > row[1] or row[2] > row[3]:
            fail(f"{entry['filename']}: more covered than total")
        for p in prefixes:
            if entry["filename"].startswith(p):
                for scope in (p, "all"):
                    s = sums[scope]
                    for i in range(4):
                        s[i] += row[i]
                    s[4] += 1
                break
    for p in prefixes:
        if sums[p][4] == 0:
            fail(f"no file under '{p}' in {sys.argv[1]}")
    for p in prefixes + ["all"]:
        lc, lt, bc, bt, _ = sums[p]
        name = " + ".join(prefixes) if p == "all" else p
        print(f"coverage: {name} lines {percent(lc, lt)} ({lc}/{lt}), branches {percent(bc, bt)} ({bc}/{bt})")


if __name__ == "__main__":
    main()
