"""libFuzzer slices of the nightly campaign: run, watch, triage, merge.

A target has two binaries (docs/fuzzing.md): NAME_fuzz_fast (throughput,
runs the slices) and NAME_fuzz (ASan+UBSan, replays and minimises every
crash). Its working corpus lives in the build tree and carries over from
night to night; corpus/NAME/ (the committed seeds) is read, never written:
inputs that add coverage are offered as files to copy.
"""
import hashlib
import os
import re
import shutil
import subprocess
import time

from . import signature

SERIES_POINTS_MAX = 2000     # per target: older points thinned past this
CRASHES_TRIAGED_MAX = 50     # crash files replayed per target per campaign
REPLAY_TIMEOUT_S = 120
MINIMIZE_TIME_S = 30
MERGE_TIMEOUT_S = 600
INPUT_TIMEOUT_S = 30         # libFuzzer -timeout: one input longer is a finding
LOG_LINES_KEPT = 400         # of a crash report, in the failure's folder
ARTIFACT_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")

_STATS = re.compile(r"^#(\d+):?\s.*?cov: (\d+) ft: (\d+) corp: (\d+)(?:/\S+)?.*?exec/s:? (\d+)")


def content_hash(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def dir_files(path):
    """Regular files of a folder, sorted by name ([] if missing)."""
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(path, n) for n in os.listdir(path)
                  if os.path.isfile(os.path.join(path, n)))


class Target:
    """One fuzz target and everything the campaign learnt about it."""

    def __init__(self, name, fast_bin, check_bin, seed_dir, work_dir, out_dir):
        assert name and check_bin
        self.name = name
        self.fast_bin = fast_bin if fast_bin and os.path.exists(fast_bin) else check_bin
        self.check_bin = check_bin
        self.seed_dir = seed_dir
        self.work_dir = work_dir
        self.art_dir = os.path.join(out_dir, "fuzz", name, "artifacts")
        self.log_path = os.path.join(out_dir, "fuzz", name, "fuzz.log")
        # Every libFuzzer process runs here: what it drops in its working
        # folder (a merge's crash-*) stays in the report, never in the repository.
        self.cwd = os.path.join(out_dir, "fuzz", name)
        os.makedirs(self.art_dir, exist_ok=True)
        os.makedirs(work_dir, exist_ok=True)
        self.series = []        # [t, execs total, exec/s, corpus, cov, ft]
        self.execs = 0
        self.seconds = 0.0
        self.cov = self.ft = self.corpus = 0
        self.exec_s_last = 0
        self.triaged = set()    # artifact names already looked at
        self.crash_files = 0
        self.new_inputs = []    # paths offered for corpus/NAME
        self.merged = False
        self.slices = 0
        self.errors = []        # runs that ended without libFuzzer's stats

    def seed_work(self):
        """An empty working corpus starts as a copy of the committed seeds."""
        if dir_files(self.work_dir):
            return
        for f in dir_files(self.seed_dir):
            shutil.copy(f, os.path.join(self.work_dir, content_hash(f)))

    def _point(self, t, m):
        self.series.append([round(t, 2), self.execs + int(m.group(1)), int(m.group(5)),
                            int(m.group(4)), int(m.group(2)), int(m.group(3))])
        if len(self.series) > SERIES_POINTS_MAX:
            self.series = self.series[::2]  # keep the shape, halve the points

    def run_slice(self, seconds, fork, t_campaign0, on_tick=None):
        """Fuzz for `seconds`; returns the novelty (new features + new
        corpus inputs) for the time split."""
        assert seconds >= 1
        self.seed_work()
        before = len(dir_files(self.work_dir))
        cmd = [self.fast_bin, f"-max_total_time={int(seconds)}", f"-timeout={INPUT_TIMEOUT_S}",
               f"-artifact_prefix={self.art_dir}/", "-print_final_stats=1", "-print_pcs=0",
               self.work_dir]
        if fork > 0:
            cmd[1:1] = [f"-fork={fork}", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"]
        start = time.monotonic()
        if self.series:  # the slice starts where the last one ended (plots stay continuous)
            self.series.append([round(start - t_campaign0, 2)] + self.series[-1][1:])
        first_ft = last_ft = None
        last = None
        with open(self.log_path, "a") as log:
            log.write(f"$ {' '.join(cmd)}\n")
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, errors="replace", cwd=self.cwd)
            for line in proc.stderr:
                if "NEW_FUNC" in line or "NEW_PC" in line:
                    continue  # fork mode's per-function lines: noise here
                log.write(line)
                m = _STATS.match(line)
                if not m:
                    continue
                last = m
                last_ft = int(m.group(3))
                if first_ft is None:
                    first_ft = last_ft
                self._point(time.monotonic() - t_campaign0, m)
                if on_tick:
                    on_tick(self)
            # Bounded: libFuzzer stops itself at max_total_time; a child
            # stuck past it is ended.
            try:
                proc.wait(timeout=seconds + INPUT_TIMEOUT_S + 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        took = time.monotonic() - start
        self.seconds += took
        self.slices += 1
        if last is None:
            self.errors.append(f"slice {self.slices}: no libFuzzer stats (exit {proc.returncode}); see {self.log_path}")
            return 0
        self.series.append([round(time.monotonic() - t_campaign0, 2)] + self.series[-1][1:])
        self.execs += int(last.group(1))
        self.cov, self.ft = int(last.group(2)), int(last.group(3))
        self.corpus = int(last.group(4))
        self.exec_s_last = int(last.group(5))
        grown = max(0, len(dir_files(self.work_dir)) - before)
        return max(0, last_ft - first_ft) + grown

    def new_artifacts(self):
        """Crash files of this target not triaged yet (bounded)."""
        out = []
        for path in dir_files(self.art_dir):
            base = os.path.basename(path)
            if base in self.triaged or not base.startswith(ARTIFACT_PREFIXES):
                continue
            self.triaged.add(base)
            self.crash_files += 1
            if len(self.triaged) <= CRASHES_TRIAGED_MAX:
                out.append(path)
        return out

    def replay(self, path, binary=None):
        """(exit code, report lines) of one input on the checking build."""
        binary = binary or self.check_bin
        try:
            r = subprocess.run([binary, os.path.abspath(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace",
                               timeout=REPLAY_TIMEOUT_S, cwd=self.cwd)
            return r.returncode, r.stdout.splitlines()
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            return 124, out.splitlines() + [f"ERROR: libFuzzer: timeout (replay over {REPLAY_TIMEOUT_S}s)"]

    def triage(self, path):
        """Signature, reproduced?, which build, report lines of a crash file."""
        rc, lines = self.replay(path)
        build = "checking"
        if rc == 0 and self.fast_bin != self.check_bin:
            rc, lines = self.replay(path, self.fast_bin)
            build = "throughput"
        sig = signature.fuzz_signature(self.name, lines)
        return sig, rc != 0, build, lines

    def minimise(self, path, dest, build):
        """A smaller input crashing the same way, at dest; False if none."""
        binary = self.check_bin if build == "checking" else self.fast_bin
        tmp = dest + ".tmp"
        try:
            subprocess.run([binary, "-minimize_crash=1", f"-max_total_time={MINIMIZE_TIME_S}",
                            f"-exact_artifact_path={os.path.abspath(tmp)}", os.path.abspath(path)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=MINIMIZE_TIME_S * 4, cwd=self.cwd)
        except subprocess.TimeoutExpired:
            return False
        if not os.path.exists(tmp):
            return False
        rc, _ = self.replay(tmp, binary)
        if rc == 0:
            os.remove(tmp)
            return False
        os.replace(tmp, dest)
        return True

    def merge(self, new_dir):
        """Minimise the working corpus against the committed seeds
        (libFuzzer -merge=1); inputs that add coverage beyond corpus/NAME
        go to new_dir. Returns the number offered."""
        merged = self.work_dir + ".merged"
        shutil.rmtree(merged, ignore_errors=True)
        os.makedirs(merged)
        cmd = [self.fast_bin, "-merge=1", f"-timeout={INPUT_TIMEOUT_S}", f"-artifact_prefix={self.art_dir}/",
               merged, self.seed_dir, self.work_dir]
        with open(self.log_path, "a") as log:
            log.write(f"$ {' '.join(cmd)}\n")
            try:
                rc = subprocess.run(cmd, stdout=log, stderr=log, timeout=MERGE_TIMEOUT_S, cwd=self.cwd).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        if rc != 0 or not dir_files(merged):
            shutil.rmtree(merged, ignore_errors=True)
            self.errors.append(f"merge failed (exit {rc}); the working corpus was kept as it was")
            return 0
        seeds = {content_hash(f) for f in dir_files(self.seed_dir)}
        os.makedirs(new_dir, exist_ok=True)
        for f in dir_files(merged):
            h = content_hash(f)
            if h not in seeds:
                dest = os.path.join(new_dir, h)
                shutil.copy(f, dest)
                self.new_inputs.append(dest)
        shutil.rmtree(self.work_dir)
        os.replace(merged, self.work_dir)
        self.corpus = len(dir_files(self.work_dir))
        self.merged = True
        return len(self.new_inputs)
