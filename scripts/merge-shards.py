#!/usr/bin/env python3
"""merge-shards.py — one campaign report from the reports of its shards.

  scripts/merge-shards.py [-o MERGED.jsonl] REPORT.jsonl...
  scripts/merge-shards.py --same A.jsonl B.jsonl

Each REPORT is what `weft explore ... --shard I/N --report FILE` wrote (the
format: sim/run_report.h). Reports of several campaigns (workload, cores,
strategy) may be given together: each is merged on its own.

Merge: the runs of every shard, in seed order; runs summed; distinct
schedules the union of the runs' final hashes (exact, not a sum); failures
the union of the shards' failures; the verdict digest the sum of the shards'
digests (weft's digest is a sum over runs, so this is the digest the one
unsharded campaign prints). Written as the same JSON lines (a summary per
campaign with "shard":"merged", "shards" present and "shards_total"), to
MERGED or stdout; one line per campaign on stderr for a person.

--same: exit 0 when A and B hold the same runs (same campaigns, same seeds,
and per seed the same outcome and final hash), else 1 with the first
difference. This is how a test shows the union of N shards is exactly the
unsharded run.

Exit 2 with one line on bad input: a line that is not a report line, a seed
reported twice, shards of one campaign that disagree on N or repeat an I.
A missing shard is not an error (a machine may still be running): the
summary says which are missing and "complete": false.
"""
import json
import sys

LINES_MAX = 50_000_000        # a report line per run; 8h at ~2k runs/s
FIELD_TEXT_MAX = 4096
HASH_HEX_DIGITS = 16
DIGEST_MOD = 1 << 64
KINDS = ("run", "failure", "summary")


def fail(msg):
    print(f"merge-shards: {msg}", file=sys.stderr)
    sys.exit(2)


def need(obj, key, kind, where):
    v = obj.get(key)
    ok = isinstance(v, kind) and not isinstance(v, bool) if kind is int else isinstance(v, kind)
    if not ok:
        fail(f"{where}: field '{key}' missing or not a {kind.__name__}")
    if kind is int and v < 0:
        fail(f"{where}: field '{key}' is negative")
    if kind is str and len(v) > FIELD_TEXT_MAX:
        fail(f"{where}: field '{key}' longer than {FIELD_TEXT_MAX}")
    return v


def need_hex(obj, key, where):
    v = need(obj, key, str, where)
    if len(v) != HASH_HEX_DIGITS or any(c not in "0123456789abcdef" for c in v):
        fail(f"{where}: '{key}' is not {HASH_HEX_DIGITS} lower-case hex digits")
    return v


def parse_shard(text, where):
    parts = text.split("/")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        fail(f"{where}: shard '{text}' is not I/N")
    i, n = int(parts[0]), int(parts[1])
    if not 1 <= i <= n:
        fail(f"{where}: shard '{text}' needs 1 <= I <= N")
    return i, n


def read_report(path):
    """Yield (where, object) for every line of one report, validated."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    with f:
        for number, line in enumerate(f, 1):
            where = f"{path}:{number}"
            if number > LINES_MAX:
                fail(f"{where}: more than {LINES_MAX} lines")
            try:
                obj = json.loads(line)
            except ValueError:
                fail(f"{where}: not a JSON line")
            if not isinstance(obj, dict) or obj.get("kind") not in KINDS:
                fail(f"{where}: not a weft explore report line (kind run, failure or summary)")
            need(obj, "workload", str, where)
            need(obj, "strategy", str, where)
            need(obj, "cores", int, where)
            obj["_shard"] = parse_shard(need(obj, "shard", str, where), where) \
                if obj["shard"] != "merged" else None
            if obj["kind"] in ("run", "failure"):
                need(obj, "seed", int, where)
                need(obj, "outcome", str, where)
                need_hex(obj, "final_hash", where)
            else:
                for key in ("runs", "distinct", "failures"):
                    need(obj, key, int, where)
                need_hex(obj, "digest", where)
            yield where, obj


class Campaign:
    """Everything the reports say about one (workload, cores, strategy)."""

    def __init__(self, key):
        self.key = key
        self.runs = {}          # seed -> run object
        self.failures = {}      # seed -> failure object
        self.shards = {}        # shard index -> summary object
        self.shard_n = None

    def add(self, where, obj):
        kind = obj["kind"]
        if kind == "run":
            seed = obj["seed"]
            if seed in self.runs:
                fail(f"{where}: seed {seed} of {self.name()} reported twice (the same shard given twice?)")
            self.runs[seed] = obj
        elif kind == "failure":
            self.failures[obj["seed"]] = obj
        elif obj["_shard"] is not None:
            i, n = obj["_shard"]
            if self.shard_n not in (None, n):
                fail(f"{where}: shard {i}/{n} of {self.name()} next to shards of {self.shard_n}")
            if i in self.shards:
                fail(f"{where}: shard {i}/{n} of {self.name()} given twice")
            self.shard_n = n
            self.shards[i] = obj
        else:  # an already merged report: take its shards as they were
            for i in obj.get("shards", []):
                if not isinstance(i, int) or i in self.shards:
                    fail(f"{where}: merged summary with a bad or repeated shard list")
                self.shards[i] = obj
            self.shard_n = need(obj, "shards_total", int, where)

    def name(self):
        return f"{self.key[0]} (cores {self.key[1]}, {self.key[2]})"

    def summary(self):
        digest = 0
        seen = set()
        for s in self.shards.values():
            if id(s) not in seen:  # a merged summary stands for several shards
                seen.add(id(s))
                digest = (digest + int(s["digest"], 16)) % DIGEST_MOD
        n = self.shard_n or 1
        missing = [i for i in range(1, n + 1) if i not in self.shards]
        seeds = sorted(self.runs)
        return {
            "kind": "summary", "workload": self.key[0], "cores": self.key[1], "strategy": self.key[2],
            "shard": "merged", "shards": sorted(self.shards), "shards_total": n,
            "complete": not missing, "runs": len(self.runs),
            "distinct": len({r["final_hash"] for r in self.runs.values()}),
            "failures": len(self.failures),
            "seed_lo": seeds[0] if seeds else 0, "seed_hi": seeds[-1] if seeds else 0,
            "digest": f"{digest:016x}",
        }


def load(paths):
    campaigns = {}
    for path in paths:
        for where, obj in read_report(path):
            key = (obj["workload"], obj["cores"], obj["strategy"])
            campaigns.setdefault(key, Campaign(key)).add(where, obj)
    for c in campaigns.values():
        assert len(c.failures) <= len(c.runs) + len(c.shards)
        for seed in c.failures:
            if seed not in c.runs:
                fail(f"{c.name()}: a failure at seed {seed} with no run line for it")
    return campaigns


def strip(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def merge(paths, out_path):
    campaigns = load(paths)
    out = open(out_path, "w", encoding="utf-8") if out_path else sys.stdout
    with out:
        for key in sorted(campaigns):
            c = campaigns[key]
            for seed in sorted(c.runs):
                out.write(json.dumps(strip(c.runs[seed]), separators=(",", ":")) + "\n")
            for seed in sorted(c.failures):
                out.write(json.dumps(strip(c.failures[seed]), separators=(",", ":")) + "\n")
            s = c.summary()
            out.write(json.dumps(s, separators=(",", ":")) + "\n")
            missing = s["shards_total"] - len(s["shards"])
            print(f"merge-shards: {c.name()}: {len(s['shards'])} of {s['shards_total']} shards"
                  f"{'' if not missing else f' ({missing} missing)'}, {s['runs']} runs, "
                  f"{s['distinct']} distinct schedules, {s['failures']} failures, digest {s['digest']}",
                  file=sys.stderr)
    return 0


def same(a_path, b_path):
    a, b = load([a_path]), load([b_path])
    if sorted(a) != sorted(b):
        print(f"merge-shards: different campaigns: {sorted(a)} vs {sorted(b)}")
        return 1
    for key in sorted(a):
        ra, rb = a[key].runs, b[key].runs
        if sorted(ra) != sorted(rb):
            only_a = sorted(set(ra) - set(rb))[:5]
            only_b = sorted(set(rb) - set(ra))[:5]
            print(f"merge-shards: {a[key].name()}: different seeds (only in A: {only_a}, only in B: {only_b})")
            return 1
        for seed in sorted(ra):
            va = (ra[seed]["outcome"], ra[seed]["final_hash"])
            vb = (rb[seed]["outcome"], rb[seed]["final_hash"])
            if va != vb:
                print(f"merge-shards: {a[key].name()} seed {seed}: {va} vs {vb}")
                return 1
        print(f"merge-shards: {a[key].name()}: the same {len(ra)} seeds with the same verdicts")
    return 0


def main(argv):
    if len(argv) == 3 and argv[0] == "--same":
        return same(argv[1], argv[2])
    out_path = None
    if len(argv) >= 2 and argv[0] == "-o":
        out_path, argv = argv[1], argv[2:]
    if not argv or any(a.startswith("-") for a in argv):
        fail("usage: merge-shards.py [-o MERGED.jsonl] REPORT.jsonl... | --same A.jsonl B.jsonl")
    return merge(argv, out_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
