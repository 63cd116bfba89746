"""weft explore slices of the nightly campaign, and what a failure becomes.

One unit is a setting (workload, strategy, cores). Each slice of a unit runs
the next seed shard of that setting, `weft explore W --shard K/SHARDS`, for
the slice's time: shards never overlap, so no seed is run twice however
many rounds a unit gets, and any slice can be rerun alone from its command.
A slice stops at its first failure (weft explore does); the next slice of
that unit goes on with the next shard.
"""
import os
import re
import subprocess

from . import signature

SHARDS = 4096            # seed shards per setting: at most this many slices
SLICE_GRACE_S = 120      # a slice's process may overrun its --time by this
SHRINK_BUDGET = 2000     # replays a shrink may take
SHRINK_TIMEOUT_S = 300
REPLAY_TIMEOUT_S = 120
SERIES_POINTS_MAX = 2000

_SUMMARY = re.compile(r"^explore (\S+): cores (\d+), strategy (\S+?), shard (\d+)/(\d+), jobs \d+, "
                      r"(\d+) runs, (\d+) runs/s, (\d+) distinct schedules, (\d+) steps/run, (\d+) failures?$")
_FAIL = re.compile(r"^weft: FAIL \(([^)]*)\) (.*)$")
_TRACE = re.compile(r"^\s+trace:\s+(\S+)$")


class Setting:
    """One (workload, strategy, cores) and what its slices showed."""

    def __init__(self, workload, strategy, cores):
        assert workload and strategy and cores >= 1
        self.workload, self.strategy, self.cores = workload, strategy, cores
        self.key = f"{workload} c{cores} {strategy}"
        self.shard = 0           # last shard run (1-based once run)
        self.runs = self.distinct = self.failures = 0
        self.seconds = 0.0
        self.errors = []

    def command(self, weft, seconds, traces_dir, shard):
        return [weft, "explore", self.workload, "--cores", str(self.cores), "--strategy",
                self.strategy, "--time", f"{int(seconds)}s", "--shard", f"{shard}/{SHARDS}",
                "--out", traces_dir]


def parse_output(text):
    """(summary match or None, failure (kind, message, trace) or None)."""
    summary = failure = None
    kind = message = trace = None
    for line in text.splitlines():
        m = _SUMMARY.match(line)
        if m:
            summary = m
        m = _FAIL.match(line)
        if m and kind is None:
            kind, message = m.group(1), m.group(2)
        m = _TRACE.match(line)
        if m and trace is None:
            trace = m.group(1)
    if kind is not None:
        failure = (kind, message, trace)
    return summary, failure


def run_slice(weft, setting, seconds, traces_dir, log_path):
    """One slice. Returns (runs, distinct, failure or None); distinct is
    the slice's exact count of distinct final-state hashes."""
    assert seconds >= 1
    if setting.shard >= SHARDS:
        return 0, 0, None  # every shard of this setting ran
    setting.shard += 1
    cmd = setting.command(weft, seconds, traces_dir, setting.shard)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=seconds + SLICE_GRACE_S)
        out, rc = r.stdout, r.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(cmd)}\n{out}\n")
    summary, failure = parse_output(out)
    if summary is None or rc not in (0, 1):
        setting.errors.append(f"shard {setting.shard}: exit {rc}, no summary line (log {log_path})")
        return 0, 0, None
    runs, distinct = int(summary.group(6)), int(summary.group(8))
    setting.runs += runs
    setting.distinct += distinct
    if failure:
        setting.failures += 1
    return runs, distinct, failure


def shrink(weft, trace, dest):
    """weft shrink TRACE -o dest; True when dest exists afterwards."""
    try:
        subprocess.run([weft, "shrink", trace, "-o", dest, "--budget", str(SHRINK_BUDGET)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=SHRINK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False
    return os.path.exists(dest)


def replay(weft, trace, extra=()):
    """(exit code, output) of weft replay TRACE [extra]."""
    try:
        r = subprocess.run([weft, "replay", trace, *extra], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=REPLAY_TIMEOUT_S)
        return r.returncode, r.stdout
    except subprocess.TimeoutExpired:
        return -1, "replay timed out"


def reproduces(weft, trace, workload, kind, message):
    """Does the trace replay to a failure with the same signature?"""
    rc, out = replay(weft, trace)
    _, failure = parse_output(out)
    if rc != 1 or failure is None:
        return False
    want = signature.explore_signature(workload, kind, message)
    return signature.explore_signature(workload, failure[0], failure[1]) == want
