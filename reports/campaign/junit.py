"""JUnit XML, as CI systems read it: <testsuites> of <testsuite> of
<testcase> with <failure> or <skipped>. Written with xml.etree, so names
and messages are escaped."""
import xml.etree.ElementTree as ET

MESSAGE_CHARS_MAX = 2000


def write(path, suites):
    """suites: {suite name: [{"name", "status": passed|failed|skipped,
    "seconds", "message"}]}. Returns (tests, failures, skipped)."""
    root = ET.Element("testsuites")
    totals = [0, 0, 0]
    for suite_name, cases in suites.items():
        fails = sum(c["status"] == "failed" for c in cases)
        skips = sum(c["status"] == "skipped" for c in cases)
        seconds = sum(float(c.get("seconds", 0)) for c in cases)
        s = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)),
                          failures=str(fails), errors="0", skipped=str(skips), time=f"{seconds:.3f}")
        for c in cases:
            e = ET.SubElement(s, "testcase", classname=suite_name, name=c["name"],
                              time=f"{float(c.get('seconds', 0)):.3f}")
            msg = str(c.get("message", ""))[:MESSAGE_CHARS_MAX]
            if c["status"] == "failed":
                ET.SubElement(e, "failure", message=msg.splitlines()[0] if msg else "failed").text = msg
            elif c["status"] == "skipped":
                ET.SubElement(e, "skipped", message=msg)
        totals[0] += len(cases)
        totals[1] += fails
        totals[2] += skips
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", "0")
    root.set("skipped", str(totals[2]))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    assert totals[1] <= totals[0] and totals[2] <= totals[0]
    return tuple(totals)


def count(path):
    """(tests, failures, errors, skipped) by counting <testcase> elements,
    not by trusting the attributes."""
    root = ET.parse(path).getroot()
    cases = root.iter("testcase")
    tests = fails = errors = skipped = 0
    for c in cases:
        tests += 1
        fails += c.find("failure") is not None
        errors += c.find("error") is not None
        skipped += c.find("skipped") is not None
    return tests, fails, errors, skipped
