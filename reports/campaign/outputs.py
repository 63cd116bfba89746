"""The campaign's machine outputs: summary.json (everything the page shows,
read back by the next night's trend), campaign.jsonl (one benchmark-style
JSON object per line, DESIGN.md's shape) and the trend against the
previous report in the same folder."""
import json
import os

SCHEMA = 1
SIBLINGS_MAX = 1000  # report folders looked at for the previous one


def write_summary(path, summary):
    assert summary.get("schema") == SCHEMA
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def previous_summary(out_dir):
    """(folder name, summary) of the latest other report beside out_dir, by
    folder name (dates sort), or (None, None)."""
    parent, me = os.path.split(os.path.normpath(out_dir))
    names = sorted(n for n in os.listdir(parent) if n != me)[-SIBLINGS_MAX:] if os.path.isdir(parent) else []
    for name in reversed(names):
        if name > me:
            continue  # a later report is not "previous"
        p = os.path.join(parent, name, "summary.json")
        try:
            with open(p) as f:
                s = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(s, dict) and s.get("schema") == SCHEMA:
            return name, s
    return None, None


def _delta(now, before):
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)):
        return None
    return round(now - before, 2)


def trend(summary, prev_name, prev):
    """{"previous": name, "rows": [[what, now, before, delta]]} or None."""
    if prev is None:
        return None
    rows = []
    for key in ("fuzz_execs", "schedules", "distinct_schedules", "failures", "new_failures"):
        rows.append([f"total {key.replace('_', ' ')}", summary["totals"].get(key),
                     prev.get("totals", {}).get(key)])
    for name, t in sorted(summary["fuzz"].items()):
        p = prev.get("fuzz", {}).get(name, {})
        for key in ("cov", "ft", "corpus", "exec_per_s"):
            rows.append([f"fuzz {name} {key}", t.get(key), p.get(key)])
    for name, w in sorted(summary["explore"].items()):
        p = prev.get("explore", {}).get(name, {})
        rows.append([f"explore {name} distinct schedules", w.get("distinct"), p.get("distinct")])
    cov, pcov = summary.get("coverage", {}), prev.get("coverage", {})
    for key in ("line_percent", "branch_percent"):
        rows.append([f"coverage {key.replace('_', ' ')}", cov.get(key), pcov.get(key)])
    out = [[what, now, before, _delta(now, before)] for what, now, before in rows]
    assert len(out) == len(rows)
    return {"previous": prev_name, "rows": out}


def _line(case, metric, value, unit):
    return json.dumps({"bench": "campaign", "case": case, "metric": metric, "value": value, "unit": unit})


def write_jsonl(path, summary):
    """One line per figure: per fuzz target, per workload, sweeps, totals."""
    lines = []
    for name, t in sorted(summary["fuzz"].items()):
        case = f"fuzz/{name}"
        lines += [_line(case, "execs", t["execs"], "inputs"),
                  _line(case, "exec_per_s", t["exec_per_s"], "exec/s"),
                  _line(case, "corpus", t["corpus"], "inputs"),
                  _line(case, "cov", t["cov"], "edges"),
                  _line(case, "ft", t["ft"], "features"),
                  _line(case, "crash_files", t["crash_files"], "files"),
                  _line(case, "new_inputs", t["new_inputs"], "files")]
    for name, w in sorted(summary["explore"].items()):
        case = f"explore/{name}"
        lines += [_line(case, "schedules", w["runs"], "runs"),
                  _line(case, "distinct_schedules", w["distinct"], "schedules"),
                  _line(case, "failed_slices", w["failures"], "slices")]
    for s in summary["sweeps"]:
        lines.append(_line(f"sweep/{s['name']}", "passed", int(s["status"] == "passed"), "bool"))
    tot = summary["totals"]
    lines += [_line("total", "failures", tot["failures"], "distinct failures"),
              _line("total", "new_failures", tot["new_failures"], "distinct failures"),
              _line("total", "elapsed", summary["elapsed_s"], "s")]
    cov = summary.get("coverage", {})
    if isinstance(cov.get("line_percent"), (int, float)):
        lines.append(_line("coverage", "line_percent", cov["line_percent"], "%"))
        lines.append(_line("coverage", "branch_percent", cov.get("branch_percent", 0), "%"))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)
