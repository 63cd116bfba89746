#!/usr/bin/env python3
"""ctest checks of the nightly campaign (tests/campaign/CMakeLists.txt).

  check_campaign.py tiny     WEFT OUTROOT [FUZZDIR]  a tiny campaign, its four outputs, the trend
  check_campaign.py planted  WEFT OUTROOT            a failing bug program: one de-duplicated
                                                     failure whose replay command reproduces it
  check_campaign.py chromium OUTROOT                 the tiny report in headless Chromium
  check_campaign.py fuzzcrash WEFT OUTROOT PLANTED PLANTED_FAST
                                                     sched_fuzz on a kernel with a planted bug:
                                                     crashes grouped by signature, minimised, replayed
  check_campaign.py coverage WEFT OUTROOT            the coverage contract: scripts/coverage.sh OUTDIR
                                                     --quick called, its figures shown, its absence said
  check_campaign.py usage    WEFT OUTROOT            bad input: exit 2 and one line
  check_campaign.py junit    OUTROOT                 scripts/junit-merge.py on ctest-shaped files

Fixed settings (one strategy, shard order fixed); what varies with host
speed is how many schedules fit, never what is checked. Exit 0 pass, 1
fail (with the reason), 77 skipped (chromium missing: says so).
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "reports"))
from campaign import junit  # noqa: E402

CAMPAIGN = os.path.join(REPO, "scripts", "campaign.py")
SKIP = 77


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}")


def campaign(args):
    # A new failure's reproducer goes to an inbox beside the report, never
    # to the repository's corpus/inbox.
    inbox = args[args.index("--out") + 1] + "-inbox" if "--out" in args else None
    cmd = [sys.executable, CAMPAIGN, "--no-build", "--no-coverage", "--kill-runs", "0",
           *(["--inbox", inbox] if inbox else ["--no-inbox"]), *args]
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    return r.returncode, r.stdout


def load(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def check_outputs(out, s):
    for name in ("index.html", "summary.json", "campaign.jsonl", "junit.xml"):
        check(os.path.getsize(os.path.join(out, name)) > 0, f"{name} written")
    tests, fails, errors, skipped = junit.count(os.path.join(out, "junit.xml"))
    settings = sum(len(w["settings"]) for w in s["explore"].values())
    want = len(s["fuzz"]) + settings + len(s["sweeps"]) + 1
    check(tests == want, f"junit.xml parses and has {want} cases (fuzz targets + settings + sweeps + coverage): {tests}")
    failed_where = {f["where"] for f in s["failures"]}
    check(fails == len(failed_where), f"junit failures ({fails}) = settings/targets with a failure ({len(failed_where)})")
    root = ET.parse(os.path.join(out, "junit.xml")).getroot()
    check(int(root.get("tests")) == tests and int(root.get("failures")) == fails, "junit totals match its cases")
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "check-jsonl.py"), "cat",
                        os.path.join(out, "campaign.jsonl")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, f"campaign.jsonl in the benchmark shape: {r.stdout.strip()}")
    html = open(os.path.join(out, "index.html")).read()
    check("<svg" in html and 'id="explore-table"' in html, "index.html has the explore table and a plot")


def tiny(weft, root, fuzz_dir=None):
    out = os.path.join(root, "2000-01-01")
    later = os.path.join(root, "2000-01-02")
    for d in (out, later):
        shutil.rmtree(d, ignore_errors=True)
    args = ["--weft", weft, "--time", "20s", "--workloads", "pingpong,prodcons", "--cores", "2",
            "--strategies", "random", "--release-dir", os.path.dirname(weft), "--out", out, "--work-corpus", os.path.join(root, "work-corpus")]
    args += ["--targets", "trace", "--fuzz-dir", fuzz_dir] if fuzz_dir else ["--no-fuzz"]
    rc, _ = campaign(args)
    check(rc == 0, f"a clean tiny campaign exits 0 (exit {rc})")
    s = load(out)
    check_outputs(out, s)
    check(set(s["explore"]) == {"pingpong", "prodcons"}, "both workloads explored")
    for w in s["explore"].values():
        check(w["runs"] > 0 and 0 < w["distinct"] <= w["runs"], f"{w['name']}: {w['runs']} runs, {w['distinct']} distinct")
    check(s["totals"]["schedules"] == sum(w["runs"] for w in s["explore"].values()), "totals add up")
    if fuzz_dir:
        t = s["fuzz"]["trace"]
        check(t["execs"] > 0 and t["cov"] > 0 and t["corpus"] > 0 and len(t["series"]) >= 1,
              f"trace_fuzz ran: {t['execs']} execs, cov {t['cov']}, corpus {t['corpus']}")
        html = open(os.path.join(out, "index.html")).read()
        check('id="fuzz-table"' in html and "trace: exec/s" in html and "trace: corpus size" in html, "the fuzz table and its plots are on the page")
    check(s["coverage"]["status"] == "skipped", "coverage said skipped, not invented")
    # The next night, in the same folder: the trend is against this one.
    rc, _ = campaign(["--weft", weft, "--time", "3s", "--workloads", "pingpong", "--cores", "2",
                      "--strategies", "random", "--no-fuzz", "--no-sweeps", "--out", later])
    check(rc == 0, "the second campaign exits 0")
    s2 = load(later)
    check(s2["trend"] and s2["trend"]["previous"] == "2000-01-01", "the trend is against the previous report")
    row = [r for r in s2["trend"]["rows"] if r[0] == "total schedules"][0]
    check(row[1] == s2["totals"]["schedules"] and row[2] == s["totals"]["schedules"] and row[3] == row[1] - row[2],
          f"trend delta of schedules: {row}")
    check('id="trend-table"' in open(os.path.join(later, "index.html")).read(), "the trend table is on the page")


def planted(weft, root):
    out = os.path.join(root, "planted")
    for d in (out, out + "-inbox"):
        shutil.rmtree(d, ignore_errors=True)
    rc, text = campaign(["--weft", weft, "--time", "8s", "--workloads", "bug/lock_order,pingpong", "--cores", "2",
                         "--strategies", "random", "--no-fuzz", "--no-sweeps", "--out", out])
    check(rc == 1, f"a campaign that finds a failure exits 1 (exit {rc})")
    s = load(out)
    check_outputs(out, s)
    check(len(s["failures"]) == 1, f"one distinct failure: {[f['id'] for f in s['failures']]}")
    f = s["failures"][0]
    slices = s["explore"]["bug/lock_order"]["failures"]
    check(f["where"] == "bug/lock_order c2 random" and f["kind"] == "deadlock", f"it is the planted deadlock: {f['where']} {f['kind']}")
    check(slices >= 2 and f["count"] == slices, f"found in {slices} slices, reported once with {f['count']} hits")
    check(f["new"] and f["reproduced"], "new, and its reproducer reproduces")
    cmd = shlex.split(f["replay"])
    r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 1 and "FAIL (deadlock)" in r.stdout, f"the replay command as printed fails the same way (exit {r.returncode})")
    check(os.path.exists(os.path.join(out, f["timeline"])), "its timeline page exists")
    html = open(os.path.join(out, "index.html")).read()
    check(f'href="{f["timeline"]}"' in html and f["id"] in html, "the page links the failure to its timeline")
    cp = [n["cp"] for n in s["new_corpus"] if f["id"] in n["cp"]]
    check(len(cp) == 1 and os.path.exists(os.path.join(REPO, shlex.split(cp[0])[1])),
          f"a cp command offers the shrunk trace for corpus/schedules: {cp}")
    check("NEW " + f["id"] in text and "replay:" in text, "the console names the new failure and its replay")
    check(f["inbox"] and os.listdir(out + "-inbox") == [os.path.basename(f["inbox"])],
          f"the new failure's trace is in the inbox, ready to commit: {f['inbox']}")


CRASH_SEEDS = 3     # crashing seeds planted in the campaign's seed corpus
CLEAN_SEEDS = 20
SCAN_MAX = 2000     # corpus files looked at to find them


def fuzzcrash(weft, root, planted, planted_fast):
    """sched_fuzz built on the pi_restore kernel, seeded with a few inputs
    that crash it among clean ones: each crash file is triaged, the ones
    with one signature become one failure, minimised, and its replay
    command fails as printed."""
    seeds = os.path.join(root, "fuzzcrash-seeds", "sched")
    bins = os.path.join(root, "fuzzcrash-bin")
    out = os.path.join(root, "fuzzcrash")
    for d in (seeds, bins, out, out + "-inbox", os.path.join(root, "fuzzcrash-work")):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(seeds)
    os.makedirs(bins)
    # One process runs many inputs and stops at the first crash ("Running:
    # PATH" names each input first), so a few processes find the crashers.
    files = [os.path.join(REPO, "corpus", "sched", n)
             for n in sorted(os.listdir(os.path.join(REPO, "corpus", "sched")))[:SCAN_MAX]]
    crash = clean = pos = 0
    for _ in range(CRASH_SEEDS + 1):
        if crash == CRASH_SEEDS or pos >= len(files):
            break
        r = subprocess.run([planted_fast, *files[pos:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", cwd=root)
        ran = [ln.split("Running: ", 1)[1].strip() for ln in r.stdout.splitlines() if "Running: " in ln]
        crashed = ran[-1] if r.returncode != 0 and ran else None
        for path in ran:
            if path == crashed:
                shutil.copy(path, seeds)
                crash += 1
            elif clean < CLEAN_SEEDS:
                shutil.copy(path, seeds)
                clean += 1
        if crashed is None:
            break
        pos = files.index(crashed) + 1
    check(crash == CRASH_SEEDS, f"{crash} committed inputs crash the planted kernel (seeded with {clean} clean ones)")
    os.symlink(planted, os.path.join(bins, "sched_fuzz"))
    os.symlink(planted_fast, os.path.join(bins, "sched_fuzz_fast"))
    rc, _ = campaign(["--weft", weft, "--time", "12s", "--minimize-time", "5", "--targets", "sched", "--fuzz-dir", bins,
                      "--seed-corpus", os.path.dirname(seeds), "--work-corpus", os.path.join(root, "fuzzcrash-work"),
                      "--workloads", "pingpong", "--cores", "1", "--strategies", "random", "--no-sweeps", "--out", out])
    check(rc == 1, f"the campaign found a failure (exit {rc})")
    s = load(out)
    check_outputs(out, s)
    fails = [f for f in s["failures"] if f["category"] == "fuzz"]
    files = s["fuzz"]["sched"]["crash_files"]
    check(files >= CRASH_SEEDS and 1 <= len(fails) < files,
          f"{files} crash files grouped into {len(fails)} failures by signature")
    check(sum(f["count"] for f in fails) == files, "every crash file counted once")
    t = s["fuzz"]["sched"]
    check(t["execs"] > 0 and t["cov"] > 0 and t["corpus"] > 0 and len(t["series"]) >= 2,
          f"sched_fuzz ran: {t['execs']} execs, cov {t['cov']}, corpus {t['corpus']}")
    html = open(os.path.join(out, "index.html")).read()
    check('id="fuzz-table"' in html and "sched: exec/s" in html and "sched: corpus size" in html
          and "sched: coverage" in html and 'id="failures"' in html,
          "the fuzz table, its three plots and the failure table are on the page")
    for f in fails:
        check(f["reproduced"] and os.path.exists(os.path.join(REPO, f["reproducer"])), f"{f['id']}: minimised reproducer kept")
        r = subprocess.run(shlex.split(f["replay"]), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check(r.returncode != 0 and "effective priority" in r.stdout, f"{f['id']}: its replay command fails as printed")
        cp = [n["cp"] for n in s["new_corpus"] if f["id"] in n["cp"]]
        check(len(cp) == 1 and cp[0].endswith("corpus/sched/"), f"{f['id']}: offered for corpus/sched: {cp}")
        check(f["inbox"] and os.path.exists(os.path.join(REPO, f["inbox"])), f"{f['id']}: its input is in the inbox")
    check(len(os.listdir(out + "-inbox")) == len(fails), "one inbox file per distinct failure")


def coverage(weft, root):
    fake = os.path.join(REPO, "tests", "campaign", "fake_coverage.sh")
    base = ["--weft", weft, "--time", "2s", "--workloads", "pingpong", "--cores", "1", "--strategies", "random",
            "--no-fuzz", "--no-sweeps"]
    out = os.path.join(root, "coverage-fake")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, CAMPAIGN, "--no-build", "--no-inbox", "--coverage", "--coverage-script", fake, "--out", out, *base]
    r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    check(r.returncode == 0, f"campaign with a coverage script exits 0 (exit {r.returncode})")
    args = open(os.path.join(out, "coverage", "args.txt")).read().split()
    check(args == [os.path.join(out, "coverage"), "--quick"], f"called as coverage.sh OUTDIR --quick: {args}")
    s = load(out)
    c = s["coverage"]
    check(c["status"] == "collected" and c["line_percent"] == 12.5 and c["branch_percent"] == 7.25,
          f"figures read from its summary.json: {c}")
    html = open(os.path.join(out, "index.html")).read()
    check('id="coverage-table"' in html and "12.50" in html and "7.25" in html
          and 'href="coverage/index.html"' in html and 'href="coverage/coverage.xml"' in html,
          "the page shows the figures and links the gcovr HTML and Cobertura XML")
    lines = open(os.path.join(out, "campaign.jsonl")).read()
    check('"metric": "line_percent", "value": 12.5' in lines, "campaign.jsonl carries the line figure")
    check(junit.count(os.path.join(out, "junit.xml"))[1] == 0, "the coverage case passed")
    out2 = os.path.join(root, "coverage-missing")
    shutil.rmtree(out2, ignore_errors=True)
    missing = os.path.join(root, "no-such-coverage.sh")
    r = subprocess.run([sys.executable, CAMPAIGN, "--no-build", "--coverage", "--coverage-script", missing,
                        "--out", out2, *base], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    s2 = load(out2)
    note = s2["coverage"].get("note", "")
    check(r.returncode == 0 and s2["coverage"]["status"] == "missing" and "missing" in note
          and note in open(os.path.join(out2, "index.html")).read(), f"an absent script is said: '{note}'")
    check(junit.count(os.path.join(out2, "junit.xml"))[3] == 1, "and its junit case is skipped, not passed")


def chromium(root):
    out = os.path.join(root, "2000-01-01")
    page = os.path.join(out, "index.html")
    if not os.path.exists(page):
        fail(f"no report at {page}: campaign-tiny must run first")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium; scripts/setup.sh test installs it)")
        sys.exit(SKIP)
    shot = os.path.join(root, "report-screenshot.png")
    if os.path.exists(shot):
        os.remove(shot)
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={os.path.join(root, 'chromium-profile')}"]
    r = subprocess.run(base + ["--dump-dom", "file://" + page], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=120)
    dom = r.stdout
    check(r.returncode == 0 and "</html>" in dom, "chromium loaded the page and dumped its DOM")
    for tid in ("totals", "explore-table", "sweeps-table", "settings-table"):
        check(f'id="{tid}"' in dom, f"table {tid} in the DOM")
    check(len(re.findall(r"<svg", dom)) >= 2 and "<polyline" in dom, "plots drawn (svg with lines)")
    subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,2400", "file://" + page],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    ok = os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    check(ok and os.path.getsize(shot) > 10000, f"screenshot kept at {shot}")


def usage(weft, root):
    out = os.path.join(root, "usage")
    for bad, why in ((["--time", "0"], "--time"), (["--time", "3x"], "--time"), (["--cores", "a"], "--cores"),
                     (["--targets", "nosuch"], "no fuzz target"), (["--fork", "999"], "--fork"),
                     (["--fuzz-share", "2"], "--fuzz-share"),
                     (["--workloads", "nosuch"], "no workload"), (["--minimize-time", "0"], "--minimize-time"), (["--weft", "/nonexistent"], "no weft")):
        cmd = [sys.executable, CAMPAIGN, "--no-build", "--out", out] + (["--weft", weft] if "--weft" not in bad else []) + bad
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and why in lines[0], f"{bad}: exit 2, '{lines[-1] if lines else ''}'")
    r = subprocess.run([weft, "campaign", "--time", "nope"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 2 and "--time" in r.stderr, "weft campaign passes its arguments to the driver")


def junit_merge(root):
    d = os.path.join(root, "junit-merge")
    shutil.rmtree(d, ignore_errors=True)
    for preset, cases in (("dev", [("a", None), ("b", "boom")]), ("release", [("c", None)])):
        os.makedirs(os.path.join(d, preset))
        s = ET.Element("testsuite", name="Linux-c", tests=str(len(cases)), failures=str(sum(1 for c in cases if c[1])))
        for name, failure in cases:
            e = ET.SubElement(s, "testcase", name=name, classname=name, time="0.1", status="fail" if failure else "run")
            if failure:
                ET.SubElement(e, "failure", message=failure)
        ET.ElementTree(s).write(os.path.join(d, preset, "ctest-junit.xml"))
    out = os.path.join(d, "all.xml")
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "junit-merge.py"), out,
                        os.path.join(d, "dev", "ctest-junit.xml"), os.path.join(d, "release", "ctest-junit.xml")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, f"junit-merge ran: {r.stdout.strip()}")
    check(junit.count(out)[:2] == (3, 1), "3 cases, 1 failure, in one file")
    names = sorted(s.get("name") for s in ET.parse(out).getroot().iter("testsuite"))
    check(names == ["dev", "release"], f"one suite per preset: {names}")
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "junit-merge.py"), out, os.path.join(d, "missing.xml")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, "a missing input: exit 2, one line")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    what = argv[1]
    if what == "tiny":
        tiny(os.path.abspath(argv[2]), os.path.abspath(argv[3]), os.path.abspath(argv[4]) if len(argv) > 4 else None)
    elif what == "planted":
        planted(os.path.abspath(argv[2]), os.path.abspath(argv[3]))
    elif what == "chromium":
        chromium(os.path.abspath(argv[2]))
    elif what == "fuzzcrash":
        fuzzcrash(*(os.path.abspath(x) for x in argv[2:6]))
    elif what == "coverage":
        coverage(os.path.abspath(argv[2]), os.path.abspath(argv[3]))
    elif what == "usage":
        usage(os.path.abspath(argv[2]), os.path.abspath(argv[3]))
    elif what == "junit":
        junit_merge(os.path.abspath(argv[2]))
    else:
        print(f"check_campaign: unknown check '{what}'", file=sys.stderr)
        return 2
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
