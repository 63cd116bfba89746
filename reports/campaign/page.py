"""index.html: the one static page a person opens in the morning. Self
contained (inline CSS and SVG, no script, no server); every link is
relative to the report folder, so the folder can be moved or archived."""
from html import escape

from . import svg

CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}
th{background:#f0f0f0}td.n{text-align:right}.bad{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}
code{background:#f6f6f6;padding:1px 3px;font-size:12px}.plots{display:flex;flex-wrap:wrap;gap:8px}
.new{background:#fff3cd}h2{border-bottom:1px solid #ddd;margin-top:1.5em}"""


def _cell(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        text = f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"
        return f'<td class="n">{text}</td>'
    return f"<td>{escape(str(v) if v is not None else '–')}</td>"


def table(head, rows, table_id):
    out = [f'<table id="{table_id}"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(c if isinstance(c, str) and c.startswith("<td") else _cell(c) for c in r) + "</tr>")
    return "\n".join(out) + "</table>"


def _link(href, text):
    return f'<td><a href="{escape(href)}">{escape(text)}</a></td>'


def _code(text):
    return f"<td><code>{escape(text)}</code></td>"


def _failures(s):
    if not s["failures"]:
        return "<p class=ok>No failure: every fuzz input and every explored schedule held.</p>"
    rows = []
    for f in s["failures"]:
        link = (_link(f["timeline"], "timeline") if f.get("timeline")
                else _link(f["log"], "log") if f.get("log") else "<td>–</td>")
        rows.append([f'<td class="{"new" if f["new"] else ""}">{"new" if f["new"] else "known"}</td>',
                     f["id"], f["kind"], f["where"], f["count"], f["message"][:160],
                     "yes" if f["reproduced"] else "NO", _code(f["replay"]), link,
                     _code(f["inbox"]) if f.get("inbox") else "–"])
    return table(["", "id", "kind", "target / setting", "hits", "what failed", "reproduces",
                  "replay (from the repository root)", "page", "reproducer in the inbox"], rows, "failures")


def _fuzz(s):
    if not s["fuzz"]:
        return f"<p>No fuzz target ran ({escape(s.get('fuzz_note', ''))}).</p>"
    rows, plots = [], []
    for name, t in sorted(s["fuzz"].items()):
        rows.append([name, t["execs"], t["exec_per_s"], t["corpus"], t["cov"], t["ft"], t["seconds"],
                     t["slices"], t["crash_files"], t["new_inputs"], "; ".join(t["errors"]) or "–"])
        ser = t["series"]
        plots.append(svg.line_plot(f"{name}: exec/s (libFuzzer's)", [(name, [(p[0], p[2]) for p in ser])]))
        plots.append(svg.line_plot(f"{name}: corpus size", [(name, [(p[0], p[3]) for p in ser])]))
        plots.append(svg.line_plot(f"{name}: coverage", [("cov", [(p[0], p[4]) for p in ser]),
                                                         ("ft", [(p[0], p[5]) for p in ser])]))
    head = ["target", "execs", "exec/s (execs / fuzzing time)", "corpus", "cov", "ft", "seconds", "slices", "crash files",
            "new inputs", "notes"]
    return table(head, rows, "fuzz-table") + '<div class="plots">' + "".join(plots) + "</div>"


def _explore(s):
    if not s["explore"]:
        return "<p>No workload explored.</p>"
    rows = []
    runs_lines, distinct_lines = [], []
    for name, w in sorted(s["explore"].items()):
        rows.append([name, w["runs"], w["distinct"], w["failures"], w["seconds"], len(w["settings"])])
        runs_lines.append((name, [(p[0], p[1]) for p in w["series"]]))
        distinct_lines.append((name, [(p[0], p[2]) for p in w["series"]]))
    settings = [[k, v["runs"], v["distinct"], v["failures"], v["shards"], v["seconds"]]
                for name, w in sorted(s["explore"].items()) for k, v in sorted(w["settings"].items())]
    return (table(["workload", "schedules run", "distinct schedules", "failing slices", "seconds", "settings"],
                  rows, "explore-table")
            + '<div class="plots">'
            + svg.line_plot("schedules run, per workload", runs_lines)
            + svg.line_plot("distinct schedules, per workload", distinct_lines)
            + "</div><details><summary>per setting (workload, cores, strategy)</summary>"
            + table(["setting", "runs", "distinct", "failing slices", "shards", "seconds"], settings,
                    "settings-table") + "</details>")


def _coverage(s):
    c = s["coverage"]
    if c.get("status") != "collected":
        return f"<p id=coverage-note>{escape(c.get('note', 'coverage not collected'))}</p>"
    rows = [["line", c.get("line_percent")], ["branch", c.get("branch_percent")]]
    return (table(["kernel/ and sim/", "percent"], rows, "coverage-table")
            + f'<p><a href="{escape(c["link"])}">gcovr report (line and branch, per file)</a>'
            + (f' · <a href="{escape(c["xml"])}">Cobertura XML</a>' if c.get("xml") else "") + "</p>")


def _trend(s):
    t = s.get("trend")
    if not t:
        return "<p>No previous report in this folder: the next one will show the trend.</p>"
    rows = [[what, now, before, d] for what, now, before, d in t["rows"]]
    return f"<p>Against {escape(t['previous'])}.</p>" + table(["figure", "now", "before", "delta"], rows, "trend-table")


def _new_corpus(s):
    if not s["new_corpus"]:
        return "<p>Nothing new to commit.</p>"
    rows = [[n["what"], n["files"], _code(n["cp"])] for n in s["new_corpus"]]
    return table(["for", "files", "command (repository root)"], rows, "new-corpus")


def render(s):
    """The page for summary s (the dict written to summary.json)."""
    assert s["schema"] == 1
    tot = s["totals"]
    verdict = ('<span class="bad">FAILURES FOUND</span>' if tot["failures"]
               else '<span class="ok">all held</span>')
    sweeps = table(["sweep", "status", "seconds", "last lines"],
                   [[w["name"], w["status"], w["seconds"], w["detail"]] for w in s["sweeps"]], "sweeps-table")
    totals = table(["figure", "value"], [["fuzz inputs executed", tot["fuzz_execs"]],
                                         ["schedules explored", tot["schedules"]],
                                         ["distinct schedules (sum of slices)", tot["distinct_schedules"]],
                                         ["distinct failures", tot["failures"]],
                                         ["new failures", tot["new_failures"]]], "totals")
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>weft nightly {escape(s['date'])}</title><style>{CSS}</style></head><body>",
        f"<h1>weft nightly campaign, {escape(s['date'])}: {verdict}</h1>",
        f"<p>commit <code>{escape(s['commit'])}</code>, budget {s['budget_s']:.0f} s, "
        f"ran {s['elapsed_s']:.0f} s (builds, coverage and triage on top of the budget), "
        f"command <code>{escape(s['command'])}</code></p>",
        totals,
        "<h2 id=failures-h>Failures</h2>", _failures(s),
        "<h2>Fuzz targets</h2>", _fuzz(s),
        "<h2>Exploration</h2>", _explore(s),
        "<h2>Sweeps (OOM, kill)</h2>", sweeps,
        "<h2>Coverage</h2>", _coverage(s),
        "<h2>Trend</h2>", _trend(s),
        "<h2>New corpus and regressions, ready to commit</h2>", _new_corpus(s),
        "<h2>Machine outputs</h2><p><a href='summary.json'>summary.json</a> · "
        "<a href='campaign.jsonl'>campaign.jsonl</a> · <a href='junit.xml'>junit.xml</a> · "
        "<a href='campaign.log'>campaign.log</a></p>",
        "</body></html>",
    ]
    return "\n".join(parts)
