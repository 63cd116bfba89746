#!/usr/bin/env python3
"""The nightly campaign: every fuzz target, every workload explored across
strategies and core counts in seed shards, the OOM and kill sweeps, and
coverage, in one time budget; then a report a person opens in the morning
and outputs a machine reads.

  python3 scripts/campaign.py [--time 3m] [--out DIR] [options]
  make nightly                      (WEFT_NIGHTLY_TIME=8h for a real night)
  build/release/weft campaign --time 8h [options]   (execs this script)

Output (default build/reports/out/YYYY-MM-DD/, a -NN suffix when taken):
index.html, summary.json, campaign.jsonl, junit.xml, campaign.log,
failures/<id>/ (reproducer, replay log, timeline page), new-corpus/ (files
ready to copy into corpus/, with the command on the page), fuzz/, explore/,
coverage/. The fuzz targets' working corpora live in build/reports/corpus/
and carry over from night to night. docs/campaign.md says more.

Exit: 0 nothing failed; 1 a failure was found (a crash, an oracle, a sweep);
2 bad usage, or a build the campaign needs failed (one line on stderr).
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "reports"))

from campaign import explore, fuzz, junit, outputs, page, progress, signature, split, sweeps  # noqa: E402

DURATION_MAX_S = 7 * 24 * 3600
FUZZ_MIN_SLICE_S = 5      # below this a libFuzzer run is mostly start-up
EXPLORE_MIN_SLICE_S = 1   # weft explore --time takes whole seconds
FORK_MAX = 64
OUT_SUFFIX_MAX = 99       # reports of one day
FAILURE_TRACES_KEPT = 5   # extra traces listed per failure signature
COVERAGE_TIMEOUT_S = 4 * 3600
ROUNDS_MAX = 100000      # bound on the round loop (each round runs >= 1 slice)


def die(msg):
    print(f"campaign: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_duration(text):
    m = re.fullmatch(r"([1-9][0-9]{0,6})([smh]?)", text or "")
    if not m:
        die(f"--time takes a duration such as 90, 90s, 15m or 8h, not '{text}'")
    seconds = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if seconds > DURATION_MAX_S:
        die(f"--time is at most a week, not '{text}'")
    return seconds


def parse_list(flag, text, pattern):
    items = [x for x in (text or "").split(",") if x]
    if not items or any(not re.fullmatch(pattern, x) for x in items):
        die(f"{flag} takes a comma-separated list, not '{text}'")
    return items


def checked_number(flag, text, pattern, takes, convert, most=None):
    """text as a number if it matches pattern (and is at most most), else
    one clear line and exit 2."""
    if not re.fullmatch(pattern, text) or (most is not None and convert(text) > most):
        die(f"{flag} takes {takes}, not '{text}'")
    return convert(text)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="campaign", description="weft nightly campaign (docs/campaign.md)")
    p.add_argument("--time", default="3m", help="budget for fuzzing, exploring and sweeps (90, 90s, 15m, 8h)")
    p.add_argument("--out", help="report folder (default build/reports/out/YYYY-MM-DD)")
    p.add_argument("--targets", help="fuzz targets (default: every one in fuzz/CMakeLists.txt)")
    p.add_argument("--no-fuzz", action="store_true", help="no fuzz target")
    p.add_argument("--workloads", help="workloads (default: every one `weft list` shows)")
    p.add_argument("--strategies", default="random,pct:3")
    p.add_argument("--cores", default="1,2,4")
    p.add_argument("--fork", default="1", help="libFuzzer -fork=N (0: in process)")
    p.add_argument("--fuzz-share", default="0.5", help="part of each round for fuzzing, 0..1")
    p.add_argument("--kill-runs", default="100", help="schedules per setting of the kill sweep (0: none)")
    p.add_argument("--no-sweeps", action="store_true")
    p.add_argument("--coverage", dest="coverage", action="store_true", default=True)
    p.add_argument("--no-coverage", dest="coverage", action="store_false")
    p.add_argument("--coverage-script", default=os.path.join(REPO, "scripts", "coverage.sh"))
    p.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    p.add_argument("--weft", help="weft binary (default build/release/weft)")
    p.add_argument("--fuzz-dir", help="folder of NAME_fuzz binaries (default build/fuzz/fuzz)")
    p.add_argument("--release-dir", default=os.path.join(REPO, "build", "release"))
    p.add_argument("--work-corpus", default=os.path.join(REPO, "build", "reports", "corpus"))
    p.add_argument("--seed-corpus", default=os.path.join(REPO, "corpus"),
                   help="folder of the committed seeds, one NAME/ per target (read only)")
    p.add_argument("--inbox", default=os.path.join(REPO, "corpus", "inbox"),
                   help="where a new failure's reproducer is copied, ready to commit "
                        "(default corpus/inbox: the gate's open crashes)")
    p.add_argument("--no-inbox", dest="inbox", action="store_const", const="",
                   help="copy reproducers to the report folder only")
    p.add_argument("--minimize-time", default=str(fuzz.MINIMIZE_TIME_S),
                   help="seconds of libFuzzer -minimize_crash per new crash")
    p.add_argument("--jobs", default=os.environ.get("WEFT_JOBS", "2"), help="build parallelism")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        sys.exit(0 if e.code == 0 else 2)
    a.budget_s = parse_duration(a.time)
    a.cores_list = [int(c) for c in parse_list("--cores", a.cores, r"[1-9][0-9]?")]
    a.strategy_list = parse_list("--strategies", a.strategies, r"random|pct:[0-9]{1,2}|feedback")
    a.fork = checked_number("--fork", a.fork, r"[0-9]{1,2}", f"0..{FORK_MAX}", int, FORK_MAX)
    a.fuzz_share = checked_number("--fuzz-share", a.fuzz_share, r"(0(\.[0-9]+)?|1(\.0*)?)",
                                  "a number from 0 to 1", float)
    a.kill_runs = checked_number("--kill-runs", a.kill_runs, r"[0-9]{1,6}", "a count from 0 to 999999", int)
    fuzz.MINIMIZE_TIME_S = checked_number("--minimize-time", a.minimize_time, r"[1-9][0-9]{0,4}",
                                          "whole seconds from 1 to 99999", int)
    a.jobs = checked_number("--jobs", a.jobs, r"[1-9][0-9]{0,2}", "a count", str)  # passed to cmake as text
    return a


def shown(path):
    """A path as a command pasted at the repository root names it."""
    ap = os.path.abspath(path)
    return os.path.relpath(ap, REPO) if ap.startswith(REPO + os.sep) else ap


def default_out():
    base = os.path.join(REPO, "build", "reports", "out")
    day = datetime.date.today().isoformat()
    for n in range(OUT_SUFFIX_MAX + 1):
        cand = os.path.join(base, day if n == 0 else f"{day}-{n:02d}")
        if not os.path.exists(cand):
            return cand
    die(f"{base} already has {OUT_SUFFIX_MAX} reports of {day}; pass --out")


def fuzz_names():
    with open(os.path.join(REPO, "fuzz", "CMakeLists.txt")) as f:
        return re.findall(r"^weft_fuzz_target\(NAME (\w+)", f.read(), re.M)


def build(a, targets, log_path):
    """Configure and build what the campaign runs; exit 2 if a build fails."""
    steps = [("release", ["weft", "sched_oom", "mem_test_oom"])]
    if targets:
        steps.append(("fuzz", [f"{n}_fuzz{v}" for n in targets for v in ("", "_fast")]))
    with open(log_path, "a") as log:
        for preset, tgts in steps:
            for cmd in (["cmake", "--preset", preset],
                        ["nice", "-n", "5", "cmake", "--build", "--preset", preset, "-j", a.jobs, "--target", *tgts]):
                log.write(f"$ {' '.join(cmd)}\n")
                log.flush()
                if subprocess.run(cmd, cwd=REPO, stdout=log, stderr=log).returncode != 0:
                    die(f"building preset {preset} failed (see {shown(log_path)})")


def workload_names(weft, *flags):
    """First words of `weft list [flags]` (the workloads, or the bug programs)."""
    r = subprocess.run([weft, "list", *flags], stdout=subprocess.PIPE, text=True)
    names = [ln.split()[0] for ln in r.stdout.splitlines() if ln.strip()]
    if r.returncode != 0 or (not names and not flags):
        die(f"{weft} list {' '.join(flags)} failed or gave no workload")
    return names


class Campaign:
    """State of one campaign run: units, failures, what to offer."""

    def __init__(self, a, out, weft):
        self.a, self.out, self.weft = a, out, weft
        self.failures = {}       # signature -> record
        self.known = set()       # signatures of the previous report
        self.new_corpus = []
        self.log_path = os.path.join(out, "campaign.log")
        self.triage_s = 0.0      # shrinking, minimising: on top of the budget

    # ---------------------------------------------------------- failures
    def _record(self, sig, kind, where, message, category):
        """The record of sig, made on first sight; (record, is_first)."""
        if sig in self.failures:
            self.failures[sig]["count"] += 1
            return self.failures[sig], False
        fid = signature.short_id(sig)
        rec = {"id": fid, "signature": sig, "category": category, "kind": kind, "where": where,
               "message": message, "count": 1, "new": sig not in self.known, "reproduced": False,
               "replay": "", "reproducer": "", "timeline": "", "log": "", "traces": [], "inbox": ""}
        self.failures[sig] = rec
        os.makedirs(os.path.join(self.out, "failures", fid), exist_ok=True)
        return rec, True

    def explore_failure(self, setting, failure, prog):
        kind, message, trace = failure
        sig = signature.explore_signature(setting.workload, kind, message)
        rec, first = self._record(sig, kind, setting.key, message, "explore")
        if trace and len(rec["traces"]) < FAILURE_TRACES_KEPT:
            rec["traces"].append(shown(trace))
        if not first:
            return
        t0 = time.monotonic()
        self._explore_triage(rec, setting, kind, message, trace, prog)
        self.triage_s += time.monotonic() - t0

    def _explore_triage(self, rec, setting, kind, message, trace, prog):
        prog.say(f"campaign: new failure {rec['id']} in {setting.key}: ({kind}) {message[:100]}")
        fdir = os.path.join(self.out, "failures", rec["id"])
        small = os.path.join(fdir, "small.trace")
        if not trace or not (explore.shrink(self.weft, trace, small) or shutil.copy(trace, small)):
            rec["message"] += " (no trace was saved)"
            return
        rec["reproducer"] = shown(small)
        rec["reproduced"] = explore.reproduces(self.weft, small, setting.workload, kind, message)
        rec["replay"] = f"{shown(self.weft)} replay {shown(small)} --log"
        rc, text = explore.replay(self.weft, small, ["--log"])
        with open(os.path.join(fdir, "replay.log"), "w") as f:
            f.write(text)
        rec["log"] = os.path.relpath(os.path.join(fdir, "replay.log"), self.out)
        page_path = os.path.join(fdir, "timeline.html")
        explore.replay(self.weft, small, ["--html", page_path])
        if os.path.exists(page_path):
            rec["timeline"] = os.path.relpath(page_path, self.out)
        name = re.sub(r"[^\w.-]", "_", setting.workload) + f"-{rec['id']}.trace"
        dest = os.path.join(self.out, "new-corpus", "schedules", name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(small, dest)
        self._to_inbox(rec, small, name)

    def _to_inbox(self, rec, src, name):
        """A new failure's reproducer into the inbox (corpus/inbox by
        default): in the repository, ready to commit, and an open crash for
        `make gate` until fixed and moved to the corpus ctest replays."""
        if not self.a.inbox or not rec["new"]:
            return
        os.makedirs(self.a.inbox, exist_ok=True)
        dest = os.path.join(self.a.inbox, name)
        shutil.copy(src, dest)
        rec["inbox"] = shown(dest)

    def fuzz_crash(self, t, path, prog):
        t0 = time.monotonic()
        self._fuzz_crash(t, path, prog)
        self.triage_s += time.monotonic() - t0

    def _fuzz_crash(self, t, path, prog):
        sig, reproduced, build_kind, lines = t.triage(path)
        first_line = next((ln for ln in lines if "ERROR:" in ln or ln.startswith(f"{t.name}_fuzz:")), "crash")
        rec, first = self._record(sig, signature.crash_kind(lines), f"fuzz {t.name}",
                                  signature.crash_message(lines, t.name) or first_line.strip(), "fuzz")
        if len(rec["traces"]) < FAILURE_TRACES_KEPT:
            rec["traces"].append(shown(path))
        if not first:
            return
        prog.say(f"campaign: new crash {rec['id']} in {t.name}: {rec['message'][:100]}")
        fdir = os.path.join(self.out, "failures", rec["id"])
        with open(os.path.join(fdir, "report.txt"), "w") as f:
            f.write("\n".join(lines[-fuzz.LOG_LINES_KEPT:]) + "\n")
        rec["log"] = os.path.relpath(os.path.join(fdir, "report.txt"), self.out)
        small = os.path.join(fdir, "crash.min")
        if not (reproduced and t.minimise(path, small, build_kind)):
            shutil.copy(path, small)
        binary = t.check_bin if build_kind == "checking" else t.fast_bin
        rec["reproducer"] = shown(small)
        rec["reproduced"] = reproduced and t.replay(small, binary)[0] != 0
        rec["replay"] = f"{shown(binary)} {shown(small)}"
        dest = os.path.join(self.out, "new-corpus", t.name, f"crash-{rec['id']}")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(small, dest)
        self._to_inbox(rec, small, f"{t.name}-crash-{rec['id']}")


def run_rounds(c, fuzz_units, explore_units, budget_s, prog):
    """Rounds until the budget is spent (split.py's rule). Each pool
    (fuzz, explore) has its share of the budget as its own account, so a
    libFuzzer slice that overruns its time (its start-up pass over the
    corpus is not counted by -max_total_time) never eats the exploration's."""
    a = c.a
    pools = [p for p in ((fuzz_units, a.fuzz_share), (explore_units, 1 - a.fuzz_share)) if p[0] and p[1] > 0]
    if len(pools) == 1:
        pools = [(pools[0][0], 1.0)]
    spent = [0.0 for _ in pools]
    min_total = sum(u.min_slice_s for units, _ in pools for u in units)
    totals = {"execs": 0, "runs": 0}
    current = ["starting"]

    def tick():
        prog.update(current[0], f"{totals['execs']} fuzz inputs, {totals['runs']} schedules, "
                                f"{len(c.failures)} distinct failures")
    rounds = 0
    while rounds < ROUNDS_MAX:
        rounds += 1
        length = split.round_seconds(budget_s, min_total)
        ran = False
        for i, (units, share) in enumerate(pools):
            for unit, secs in split.plan(units, length * share):
                secs = min(secs, budget_s * share - spent[i])
                if secs < unit.min_slice_s:
                    continue
                ran = True
                current[0] = unit.key
                tick()
                t0 = time.monotonic()
                triage0 = c.triage_s
                if isinstance(unit.obj, fuzz.Target):
                    execs0 = unit.obj.execs
                    novelty = unit.obj.run_slice(secs, a.fork, prog.start, lambda _t: tick())
                    totals["execs"] += unit.obj.execs - execs0
                    took = time.monotonic() - t0
                    for path in unit.obj.new_artifacts():
                        c.fuzz_crash(unit.obj, path, prog)
                else:
                    s = unit.obj
                    runs, distinct, failure = explore.run_slice(c.weft, s, secs, c.traces_dir, c.explore_log)
                    took = time.monotonic() - t0
                    s.seconds += took
                    totals["runs"] += runs
                    novelty = distinct
                    s.series.append([round(prog.elapsed(), 2), s.runs, s.distinct])
                    if failure:
                        c.explore_failure(s, failure, prog)
                assert c.triage_s >= triage0
                spent[i] += took
                unit.record(novelty, took)
                tick()
        if not ran:
            break
    prog.update("rounds done", f"{totals['execs']} fuzz inputs, {totals['runs']} schedules, "
                               f"{len(c.failures)} distinct failures", force=True)
    return rounds


def coverage(a, out, prog):
    """Run the coverage script of the contract if it exists; its figures."""
    if not a.coverage:
        return {"status": "skipped", "note": "coverage not collected (--no-coverage)"}
    if not os.path.exists(a.coverage_script):
        return {"status": "missing", "note": f"coverage not collected ({shown(a.coverage_script)} missing)"}
    cdir = os.path.join(out, "coverage")
    prog.say(f"campaign: coverage ({shown(a.coverage_script)} {shown(cdir)} --quick)")
    with open(os.path.join(out, "coverage.log"), "w") as log:
        try:
            rc = subprocess.run(["bash", a.coverage_script, cdir, "--quick"], cwd=REPO, stdout=log,
                                stderr=log, timeout=COVERAGE_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            rc = -1
    try:
        import json
        with open(os.path.join(cdir, "summary.json")) as f:
            s = json.load(f)
        line, branch = float(s["line_percent"]), float(s["branch_percent"])
    except (OSError, ValueError, KeyError, TypeError):
        return {"status": "failed", "note": f"coverage not collected (the script exited {rc} without a "
                                            f"readable summary.json; see coverage.log)"}
    xml = os.path.join(cdir, "coverage.xml")
    return {"status": "collected", "line_percent": line, "branch_percent": branch, "exit": rc,
            "link": "coverage/index.html", "xml": "coverage/coverage.xml" if os.path.exists(xml) else ""}


def junit_suites(summary):
    fails_by_where = {}
    for f in summary["failures"]:
        fails_by_where.setdefault(f["where"], []).append(f"{f['id']} ({f['kind']}) {f['message']}\n"
                                                         f"  replay: {f['replay']}")
    suites = {"fuzz": [], "explore": [], "sweeps": [], "coverage": []}
    for name, t in sorted(summary["fuzz"].items()):
        msgs = fails_by_where.get(f"fuzz {name}", []) + t["errors"]
        suites["fuzz"].append({"name": name, "status": "failed" if msgs else "passed",
                               "seconds": t["seconds"], "message": "\n".join(msgs)})
    for w in sorted(summary["explore"].values(), key=lambda w: w["name"]):
        for key, s in sorted(w["settings"].items()):
            msgs = fails_by_where.get(key, []) + s["errors"]
            suites["explore"].append({"name": key, "status": "failed" if msgs else "passed",
                                      "seconds": s["seconds"], "message": "\n".join(msgs)})
    for s in summary["sweeps"]:
        suites["sweeps"].append({"name": s["name"], "status": s["status"], "seconds": s["seconds"],
                                 "message": s["detail"]})
    cov = summary["coverage"]
    suites["coverage"].append({"name": "kernel and sim coverage",
                               "status": {"collected": "passed", "failed": "failed"}.get(cov["status"], "skipped"),
                               "seconds": 0, "message": cov.get("note", "")})
    return {k: v for k, v in suites.items() if v}


def make_summary(c, a, out, args_text, elapsed, fuzz_targets, settings, sweep_results, cov):
    explore_out = {}
    for s in settings:
        w = explore_out.setdefault(s.workload, {"name": s.workload, "runs": 0, "distinct": 0, "failures": 0,
                                                "seconds": 0.0, "settings": {}, "series": []})
        w["runs"] += s.runs
        w["distinct"] += s.distinct
        w["failures"] += s.failures
        w["seconds"] = round(w["seconds"] + s.seconds, 2)
        w["settings"][s.key] = {"runs": s.runs, "distinct": s.distinct, "failures": s.failures,
                                "shards": s.shard, "seconds": round(s.seconds, 2), "errors": s.errors,
                                "command": " ".join(s.command(shown(c.weft), 60, "DIR", 1))}
    for w in explore_out.values():  # cumulative over the workload's settings, in time order
        last = {key: (0, 0) for key in w["settings"]}
        cum = [[0, 0, 0]]  # the campaign's start, so every line is drawn from it
        merged = sorted((p[0], s.key, p[1], p[2]) for s in settings if s.workload == w["name"] for p in s.series)
        for t, key, runs, distinct in merged:
            last[key] = (runs, distinct)
            cum.append([t, sum(v[0] for v in last.values()), sum(v[1] for v in last.values())])
        w["series"] = cum
    fuzz_out = {}
    for t in fuzz_targets:
        fuzz_out[t.name] = {"execs": t.execs, "seconds": round(t.seconds, 2), "slices": t.slices,
                            "exec_per_s": round(t.execs / t.seconds, 1) if t.seconds else 0,
                            "corpus": t.corpus, "cov": t.cov, "ft": t.ft, "crash_files": t.crash_files,
                            "new_inputs": len(t.new_inputs), "series": t.series, "errors": t.errors}
    for name, t in fuzz_out.items():
        if t["new_inputs"]:
            src = shown(os.path.join(out, "new-corpus", name))
            c.new_corpus.append({"what": f"corpus/{name} (inputs that add coverage)", "files": t["new_inputs"],
                                 "cp": f"cp {src}/* corpus/{name}/"})
    for f in c.failures.values():
        if f["category"] == "fuzz":
            name = f["where"].split()[1]
            c.new_corpus.append({"what": f"corpus/{name} regression {f['id']} (commit once fixed: "
                                         f"ctest replays corpus/ and would fail until then)", "files": 1,
                                 "cp": f"cp {shown(os.path.join(out, 'new-corpus', name, 'crash-' + f['id']))} corpus/{name}/"})
        elif f["reproducer"]:
            wl = f["where"].split()[0]
            name = re.sub(r"[^\w.-]", "_", wl) + f"-{f['id']}.trace"
            c.new_corpus.append({"what": f"corpus/schedules regression {f['id']} (commit once fixed)", "files": 1,
                                 "cp": f"cp {shown(os.path.join(out, 'new-corpus', 'schedules', name))} corpus/schedules/"})
    failures = sorted(c.failures.values(), key=lambda f: (not f["new"], f["where"], f["id"]))
    summary = {
        "schema": outputs.SCHEMA, "date": os.path.basename(out), "commit": c.commit,
        "command": args_text, "budget_s": a.budget_s, "elapsed_s": round(elapsed, 1),
        "weft": shown(c.weft), "fuzz": fuzz_out, "explore": explore_out, "sweeps": sweep_results,
        "failures": failures, "coverage": cov, "new_corpus": c.new_corpus,
        "fuzz_note": "--no-fuzz" if a.no_fuzz else "no fuzz binaries",
        "totals": {"fuzz_execs": sum(t.execs for t in fuzz_targets),
                   "schedules": sum(s.runs for s in settings),
                   "distinct_schedules": sum(s.distinct for s in settings),
                   "failures": len(failures) + sum(s["status"] == "failed" for s in sweep_results),
                   "new_failures": sum(f["new"] for f in failures)},
    }
    return summary


def prepare_out(a):
    """The report folder, created and proved writable."""
    out = os.path.abspath(a.out) if a.out else default_out()
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".probe")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as e:
        die(f"cannot write the report folder {out}: {e.strerror}")
    assert os.path.isdir(out)
    return out


def chosen_targets(a):
    """The fuzz targets to run, each checked against fuzz/CMakeLists.txt."""
    targets = [] if a.no_fuzz else (parse_list("--targets", a.targets, r"\w+") if a.targets else fuzz_names())
    known = fuzz_names()
    for t in targets:
        if t not in known:
            die(f"no fuzz target '{t}' (fuzz/CMakeLists.txt has {', '.join(known)})")
    if targets and not os.path.isdir(a.seed_corpus):
        die(f"--seed-corpus: no folder {a.seed_corpus}")
    return targets


def chosen_workloads(a, weft):
    """The workloads to explore, each one `weft list` or `--bugs` shows."""
    all_workloads = workload_names(weft)
    workloads = parse_list("--workloads", a.workloads, r"[\w/-]+") if a.workloads else all_workloads
    bugs = workload_names(weft, "--bugs")
    for w in workloads:
        if w not in all_workloads and w not in bugs:
            die(f"no workload '{w}' (weft list, weft list --bugs)")
    assert workloads
    return workloads


def source_commit():
    """The tree the campaign starts from (a commit made while it runs is not what ran)."""
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout.strip() or "unknown"
    if subprocess.run(["git", "-C", REPO, "diff", "--quiet", "HEAD"], stderr=subprocess.DEVNULL).returncode == 1:
        commit += "+changes"
    return commit


def fuzz_units_for(a, targets, fuzz_dir, out):
    """(targets, units) of the fuzz pool."""
    fuzz_targets, units = [], []
    for n in targets:
        check = os.path.join(fuzz_dir, f"{n}_fuzz")
        if not os.access(check, os.X_OK):
            die(f"no fuzz binary {check} (build the fuzz preset or pass --fuzz-dir)")
        t = fuzz.Target(n, os.path.join(fuzz_dir, f"{n}_fuzz_fast"), check,
                        os.path.join(a.seed_corpus, n), os.path.join(a.work_corpus, n), out)
        u = split.Unit(f"fuzz {n}", FUZZ_MIN_SLICE_S)
        u.obj = t
        fuzz_targets.append(t)
        units.append(u)
    assert len(units) == len(targets)
    return fuzz_targets, units


def explore_units_for(a, workloads):
    """(settings, units) of the explore pool. Workloads innermost: when the
    budget cannot give every setting its first slice, every workload still
    gets its first settings."""
    settings, units = [], []
    for st in a.strategy_list:
        for cores in a.cores_list:
            for w in workloads:
                s = explore.Setting(w, st, cores)
                s.series = []
                u = split.Unit(s.key, EXPLORE_MIN_SLICE_S)
                u.obj = s
                settings.append(s)
                units.append(u)
    assert len(units) == len(workloads) * len(a.strategy_list) * len(a.cores_list)
    return settings, units


def write_outputs(out, summary):
    """summary.json, campaign.jsonl, junit.xml, index.html; the junit counts."""
    outputs.write_summary(os.path.join(out, "summary.json"), summary)
    outputs.write_jsonl(os.path.join(out, "campaign.jsonl"), summary)
    counts = junit.write(os.path.join(out, "junit.xml"), junit_suites(summary))
    with open(os.path.join(out, "index.html"), "w") as f:
        f.write(page.render(summary))
    return counts


def closing_lines(summary, counts, out, elapsed):
    """What the console and campaign.log end with."""
    tot, cov = summary["totals"], summary["coverage"]
    tests, failed, skipped = counts
    lines = [f"campaign: {tot['fuzz_execs']} fuzz inputs, {tot['schedules']} schedules "
             f"({tot['distinct_schedules']} distinct), {len(summary['sweeps'])} sweeps, {summary['rounds']} rounds, "
             f"{elapsed:.0f}s",
             f"campaign: {tot['failures']} failures ({tot['new_failures']} new); junit {tests} cases, "
             f"{failed} failed, {skipped} skipped; {cov.get('note') or 'coverage %.1f%% lines' % cov['line_percent']}"]
    for f in summary["failures"]:
        lines.append(f"  {'NEW ' if f['new'] else ''}{f['id']} {f['where']}: ({f['kind']}) {f['message'][:90]}"
                     f"\n    replay: {f['replay']}")
    lines.append(f"campaign: report {shown(os.path.join(out, 'index.html'))}")
    return lines


def main(argv):
    a = parse_args(argv)
    out = prepare_out(a)
    targets = chosen_targets(a)
    if not a.no_build:
        log = os.path.join(out, "build.log")
        print(f"campaign: building (release{', fuzz' if targets else ''}); log {shown(log)}", flush=True)
        build(a, targets, log)
    weft = os.path.abspath(a.weft or os.path.join(REPO, "build", "release", "weft"))
    if not os.access(weft, os.X_OK):
        die(f"no weft binary at {weft} (build the release preset or pass --weft)")
    workloads = chosen_workloads(a, weft)
    c = Campaign(a, out, weft)
    c.commit = source_commit()
    prev_name, prev = outputs.previous_summary(out)
    if prev:
        c.known = {f.get("signature") for f in prev.get("failures", [])}
    c.traces_dir = os.path.join(out, "explore", "traces")
    c.explore_log = os.path.join(out, "explore", "explore.log")
    os.makedirs(c.traces_dir, exist_ok=True)
    fuzz_dir = os.path.abspath(a.fuzz_dir or os.path.join(REPO, "build", "fuzz", "fuzz"))
    fuzz_targets, fuzz_units = fuzz_units_for(a, targets, fuzz_dir, out)
    settings, explore_units = explore_units_for(a, workloads)
    prog = progress.Progress(a.budget_s)
    prog.say(f"campaign: {len(fuzz_targets)} fuzz targets, {len(settings)} explore settings "
             f"({len(workloads)} workloads x {len(a.strategy_list)} strategies x {len(a.cores_list)} core counts), "
             f"budget {a.budget_s}s; report {shown(out)}")
    sweep_results = []
    if not a.no_sweeps:
        for name, cmd in sweeps.plan(a.release_dir, REPO, a.cores_list, a.kill_runs, weft, out):
            prog.update(f"sweep {name}", "", force=True)
            sweep_results.append(sweeps.run(name, cmd, os.path.join(out, "sweeps.log")))
    rounds = run_rounds(c, fuzz_units, explore_units, max(1.0, a.budget_s - prog.elapsed()), prog)
    for t in fuzz_targets:
        if t.slices:
            prog.update(f"merge {t.name}", "minimising the working corpus", force=True)
            t.merge(os.path.join(out, "new-corpus", t.name))
            for path in t.new_artifacts():  # a crash seen while merging
                c.fuzz_crash(t, path, prog)
    cov = coverage(a, out, prog)
    summary = make_summary(c, a, out, "scripts/campaign.py " + " ".join(argv), prog.elapsed(),
                           fuzz_targets, settings, sweep_results, cov)
    summary["rounds"] = rounds
    summary["trend"] = outputs.trend(summary, prev_name, prev)
    lines = closing_lines(summary, write_outputs(out, summary), out, prog.elapsed())
    with open(c.log_path, "a") as log:
        log.write("\n".join(lines) + "\n")
    prog.say("\n".join(lines))
    return 1 if summary["totals"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
