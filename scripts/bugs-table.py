#!/usr/bin/env python3
"""Turn bench_bugs JSON lines into the README's markdown table and summary.

Usage: bugs-table.py [FILE]   (default: stdin; FILE is bench_bugs' stdout)

One row per bug program: its kind, threads, whether it can happen on one
core, whether its race is between plain accesses, then for each core count
(and, when the input has them, each core count with memory points: "+mem")
the median schedules to the first failure under random / pct:1 / pct:2 /
pct:3 / feedback (">CAP" when the median exceeds the cap; "=1" marks a
setting with a single schedule; "–" a setting not run), and whether its twin
stayed clean everywhere. Then the targets of the issue, as met or not.
Exit 2 on bad input.
"""
import json
import statistics
import sys

STRATEGIES = ["random", "pct:1", "pct:2", "pct:3", "feedback"]


def load(stream):
    rows = {}
    for n, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
        except ValueError as e:
            print(f"bugs-table: line {n} is not JSON: {e}", file=sys.stderr)
            sys.exit(2)
        if o.get("bench") != "bugs":
            continue
        p = rows.setdefault(o["case"], {"kind": o["kind"], "threads": o["threads"],
                                        "one_core": o["one_core"],
                                        "plain": o.get("plain", False), "median": {},
                                        "twin": {}, "single": set()})
        key = ((o["cores"], bool(o.get("mem_points", False))), o["strategy"])
        if o["metric"] == "schedules_to_failure_median":
            p["median"][key] = (o["value"], o["cap"])
            if o.get("schedules_distinct_max") == 1:
                p["single"].add(key)
        elif o["metric"] == "twin_failures":
            p["twin"][key] = (o["value"], o["twin_runs"])
    if not rows:
        print("bugs-table: no bench_bugs lines in the input", file=sys.stderr)
        sys.exit(2)
    return rows


def cell(p, cores):
    out = []
    for s in STRATEGIES:
        v = p["median"].get((cores, s))
        if v is None:
            out.append("–")
        elif v[0] > v[1]:
            out.append(f">{v[1]}" + ("=1" if (cores, s) in p["single"] else ""))
        else:
            out.append(str(v[0]))
    return " / ".join(out)


def best(p, cores):
    found = [v for (c, _), (v, cap) in p["median"].items() if c == cores and v <= cap]
    return min(found) if found else None


def main():
    stream = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    rows = load(stream)
    cores_seen = sorted({c for p in rows.values() for (c, _) in p["median"]})

    def label(c):
        n, mem = c
        return f"{n} core{'s' if n > 1 else ''}{' +mem' if mem else ''}"

    print("| program | kind | threads | one core | plain | " +
          " | ".join(f"{label(c)}: " + " / ".join(STRATEGIES) for c in cores_seen) +
          " | twin clean |")
    print("|---|---|---|---|---|" + "---|" * len(cores_seen) + "---|")
    for name in sorted(rows):
        p = rows[name]
        tf = sum(v for v, _ in p["twin"].values())
        tr = sum(r for _, r in p["twin"].values())
        twin = "yes" if tf == 0 else f"**no** ({tf} of {tr})"
        print(f"| {name} | {p['kind']} | {p['threads']} | {'yes' if p['one_core'] else 'no'} | "
              f"{'yes' if p['plain'] else 'no'} | " +
              " | ".join(cell(p, c) for c in cores_seen) + f" | {twin} |")
    print()
    n = len(rows)
    mem_seen = any(m for (_, m) in cores_seen)

    def best_any(p, cores):
        vals = [best(p, (cores, m)) for m in (False, True) if (cores, m) in cores_seen]
        vals = [v for v in vals if v is not None]
        return min(vals) if vals else None

    at2 = [best_any(p, 2) for p in rows.values()]
    found2 = sum(v is not None for v in at2)
    one = [p for p in rows.values() if p["one_core"]]
    found1 = sum(best_any(p, 1) is not None for p in one)
    overall = [min([v for v in (best(p, c) for c in cores_seen) if v is not None], default=None)
               for p in rows.values()]
    twins_clean = sum(all(v == 0 for v, _ in p["twin"].values()) for p in rows.values())

    def med(vals):
        vals = [v if v is not None else float("inf") for v in vals]
        m = statistics.median_low(vals) if vals else float("inf")
        return ">cap" if m == float("inf") else str(m)

    cap = max((c for p in rows.values() for (_, c) in p["median"].values()), default=0)
    print(f"- {n} bug programs ({sum(p['plain'] for p in rows.values())} with plain-access races); "
          f"found within {cap} schedules at 2 cores by at least one strategy"
          f"{' (with or without memory points)' if mem_seen else ''}: {found2} of {n}.")
    plain = [p for p in rows.values() if p["plain"]]
    if plain and mem_seen and (2, False) in cores_seen:
        only = sum(best(p, (2, False)) is None and best(p, (2, True)) is not None for p in plain)
        print(f"- Plain-access programs found at 2 cores only with memory points: {only} of {len(plain)}.")
    if any(c == 1 for (c, _) in cores_seen):
        print(f"- Bugs that can happen on one core found at 1 core: {found1} of {len(one)}.")
    print(f"- Median bug (best strategy's median at 2 cores): {med(at2)} schedules; "
          f"best over every core count: {med(overall)} schedules.")
    print(f"- Twins clean in every setting: {twins_clean} of {n}.")
    for c in cores_seen:
        parts = []
        for s in STRATEGIES:
            vals = [p["median"].get((c, s)) for p in rows.values()]
            vals = [v for v in vals if v is not None]
            if not vals:
                continue
            found = sum(v <= cap_ for v, cap_ in vals)
            parts.append(f"{s} {found}/{len(vals)} found, median "
                         f"{med([v if v <= cap_ else None for v, cap_ in vals])}")
        print(f"- {label(c)}: " + "; ".join(parts) + ".")


if __name__ == "__main__":
    main()
