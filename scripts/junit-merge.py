#!/usr/bin/env python3
"""Merge ctest's JUnit files (ctest --output-junit, one per preset) into one
JUnit XML file for CI, one <testsuite> per preset (named after the build
folder the file sits in).

  junit-merge.py OUT.xml build/dev/ctest-junit.xml build/release/ctest-junit.xml ...

scripts/test.sh calls it at the end: `make test` leaves
build/reports/junit-test.xml. Exit 0 written, 2 an input is missing or not
JUnit XML (one line on stderr).
"""
import os
import sys
import xml.etree.ElementTree as ET

INPUTS_MAX = 64


def main(argv):
    if len(argv) < 3 or len(argv) - 2 > INPUTS_MAX:
        print(f"usage: junit-merge.py OUT.xml IN.xml... (1 to {INPUTS_MAX} inputs)", file=sys.stderr)
        return 2
    out_path, inputs = argv[1], argv[2:]
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in inputs:
        try:
            src = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"junit-merge: {path}: not readable JUnit XML ({e})", file=sys.stderr)
            return 2
        suites = [src] if src.tag == "testsuite" else list(src.iter("testsuite"))
        if not suites:
            print(f"junit-merge: {path}: no <testsuite>", file=sys.stderr)
            return 2
        preset = os.path.basename(os.path.dirname(os.path.abspath(path)))
        for s in suites:
            cases = list(s.iter("testcase"))
            dst = ET.SubElement(root, "testsuite", name=preset if len(suites) == 1 else f"{preset}/{s.get('name')}")
            counts = {"tests": len(cases), "failures": sum(c.find("failure") is not None for c in cases),
                      "errors": sum(c.find("error") is not None for c in cases),
                      "skipped": sum(c.find("skipped") is not None for c in cases)}
            for k, v in counts.items():
                dst.set(k, str(v))
                totals[k] += v
            dst.set("time", s.get("time", "0"))
            for c in cases:
                c.set("classname", f"{preset}.{c.get('classname') or c.get('name')}")
                dst.append(c)
    for k, v in totals.items():
        root.set(k, str(v))
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    ET.ElementTree(root).write(out_path, encoding="utf-8", xml_declaration=True)
    print(f"junit-merge: {out_path}: {totals['tests']} cases, {totals['failures']} failed, "
          f"{totals['skipped']} skipped, from {len(inputs)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
