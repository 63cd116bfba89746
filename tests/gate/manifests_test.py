#!/usr/bin/env python3
"""manifests_test.py ROOT — the scale-out files are well formed and say the
same thing: the CI workflow's matrix covers shards 1..N with N = its SHARDS
and runs `weft explore --shard <matrix.shard>/$SHARDS --report`; the
Kubernetes manifest is an Indexed Job whose completions, parallelism and
SHARDS agree and whose pods run `--shard $INDEX/$SHARDS` with INDEX from
JOB_COMPLETION_INDEX + 1; the ClusterFuzzLite files name the base builder
and the language. Parsed with PyYAML where it is installed (structure);
without it (a bare Debian has no python3-yaml) the same facts are checked
on the text. Ends with "N passed, N failed"."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
results = [0, 0]


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name)
    results[0 if ok else 1] += 1


def text(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


try:
    import yaml  # noqa: F401
except ImportError:
    yaml = None

wf_text = text(".github/workflows/nightly.yml")
job_text = text("deploy/k8s/explore-job.yaml")

# Tabs are not YAML indentation: the one mistake a text check can miss.
check("workflow: no tab characters", "\t" not in wf_text)
check("job manifest: no tab characters", "\t" not in job_text)
m = re.search(r'SHARDS:\s*"(\d+)"', wf_text)
wf_n = int(m.group(1)) if m else 0
m = re.search(r"shard:\s*\[([\d,\s]+)\]", wf_text)
wf_matrix = [int(x) for x in m.group(1).split(",")] if m else []
check(f"workflow: matrix {wf_matrix} is exactly 1..SHARDS ({wf_n})", wf_n > 0 and wf_matrix == list(range(1, wf_n + 1)))
check("workflow: runs weft explore --shard <matrix.shard>/$SHARDS --report",
      re.search(r'weft explore .*\\\n.*--shard "\$\{\{ matrix\.shard \}\}/\$SHARDS".*--report', wf_text) is not None)
check("workflow: merges with scripts/merge-shards.py", "scripts/merge-shards.py" in wf_text)

completions = re.search(r"^\s*completions:\s*(\d+)\s*$", job_text, re.M)
parallelism = re.search(r"^\s*parallelism:\s*(\d+)\s*$", job_text, re.M)
shards = re.search(r'name: SHARDS\s*\n\s*value:\s*"(\d+)"', job_text)
nums = [int(x.group(1)) if x else -1 for x in (completions, parallelism, shards)]
check(f"job: completions, parallelism, SHARDS agree {nums}", nums[0] > 0 and len(set(nums)) == 1)
check("job: completionMode Indexed", re.search(r"^\s*completionMode:\s*Indexed\s*$", job_text, re.M) is not None)
check("job: INDEX = JOB_COMPLETION_INDEX + 1 and --shard $INDEX/$SHARDS",
      "INDEX=$((JOB_COMPLETION_INDEX + 1))" in job_text and '--shard "$INDEX/$SHARDS"' in job_text)

if yaml is not None:
    wf = yaml.safe_load(wf_text)
    jobs = wf.get("jobs", {}) if isinstance(wf, dict) else {}
    check("workflow (yaml): jobs explore and merge, merge needs explore",
          set(jobs) >= {"explore", "merge"} and jobs["merge"].get("needs") == "explore")
    check("workflow (yaml): matrix agrees with the text",
          jobs.get("explore", {}).get("strategy", {}).get("matrix", {}).get("shard") == wf_matrix)
    job = yaml.safe_load(job_text)
    spec = job.get("spec", {}) if isinstance(job, dict) else {}
    check("job (yaml): batch/v1 Job, Indexed, completions = parallelism",
          job.get("apiVersion") == "batch/v1" and job.get("kind") == "Job"
          and spec.get("completionMode") == "Indexed" and spec.get("completions") == spec.get("parallelism") == nums[0])
    c = spec.get("template", {}).get("spec", {}).get("containers", [{}])[0]
    env = {e.get("name"): e.get("value") for e in c.get("env", [])}
    check("job (yaml): the container's SHARDS equals completions", env.get("SHARDS") == str(spec.get("completions")))
    proj = yaml.safe_load(text(".clusterfuzzlite/project.yaml"))
    check("project.yaml (yaml): language c", isinstance(proj, dict) and proj.get("language") == "c")
else:
    print("(PyYAML not installed: structure checked on the text only)")
    check("project.yaml: language c", re.search(r"^language:\s*c\s*$", text(".clusterfuzzlite/project.yaml"), re.M) is not None)

check("ClusterFuzzLite Dockerfile: FROM gcr.io/oss-fuzz-base/base-builder",
      re.search(r"^FROM gcr\.io/oss-fuzz-base/base-builder\b", text(".clusterfuzzlite/Dockerfile"), re.M) is not None)
check("ClusterFuzzLite build.sh: uses $CC $CFLAGS $LIB_FUZZING_ENGINE $OUT",
      all(v in text(".clusterfuzzlite/build.sh") for v in ("$CC", "$CFLAGS", "$LIB_FUZZING_ENGINE", "$OUT")))
print(f"{results[0]} passed, {results[1]} failed")
sys.exit(1 if results[1] else 0)
