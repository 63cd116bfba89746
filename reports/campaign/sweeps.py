"""The fault sweeps that exist, run by the campaign with fixed seeds.

- OOM: tests/sched/sched_oom (fail the n-th allocation, once and from then
  on, while every kind of kernel object is made and destroyed) at each core
  count, and tests/mem/mem_test_oom (the memory manager alone).
- kill: scripts/sweep.sh over the kill workloads (kill_block, kill_storm):
  a fixed number of schedules from seed 0, so the same every night; the
  time-split exploration of the same workloads goes past it.

Each sweep is one JUnit case; a sweep whose binary is missing is reported
as skipped, never as passed.
"""
import os
import subprocess
import time

SWEEP_TIMEOUT_S = 1800
TAIL_LINES = 3


def plan(release_dir, repo, cores_list, kill_runs, weft, out_dir):
    """[(name, command or None when missing)]."""
    sched_oom = os.path.join(release_dir, "tests", "sched", "sched_oom")
    mem_oom = os.path.join(release_dir, "tests", "mem", "mem_test_oom")
    out = []
    for c in cores_list:
        out.append((f"oom sched_oom --cores {c}",
                    [sched_oom, "--cores", str(c)] if os.path.exists(sched_oom) else None))
    out.append(("oom mem_test_oom", [mem_oom] if os.path.exists(mem_oom) else None))
    if kill_runs > 0:
        out.append((f"kill sweep.sh --only ^kill_ --runs {kill_runs}",
                    ["bash", os.path.join(repo, "scripts", "sweep.sh"), "--weft", weft,
                     "--only", "^kill_", "--runs", str(kill_runs),
                     "--cores", ",".join(str(c) for c in cores_list),
                     "--strategies", "random,pct:3", "--out", os.path.join(out_dir, "sweeps", "kill")]))
    assert out
    return out


def run(name, cmd, log_path):
    """{"name", "status": passed|failed|skipped, "seconds", "detail", "command"}."""
    assert name
    if cmd is None:
        return {"name": name, "status": "skipped", "seconds": 0.0,
                "detail": "binary not built (release preset)", "command": ""}
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=SWEEP_TIMEOUT_S)
        rc, text = r.returncode, r.stdout
    except subprocess.TimeoutExpired:
        rc, text = -1, f"timed out after {SWEEP_TIMEOUT_S}s"
    took = time.monotonic() - start
    with open(log_path, "a") as log:
        log.write(f"$ {' '.join(cmd)}\n{text}\n")
    tail = [ln for ln in text.splitlines() if ln.strip()][-TAIL_LINES:]
    return {"name": name, "status": "passed" if rc == 0 else "failed", "seconds": round(took, 2),
            "detail": " / ".join(tail), "command": " ".join(cmd)}
