"""Failure signatures: two findings with the same signature are one bug.

A fuzz crash is keyed by what crashed (the sanitizer's or libFuzzer's error
kind), the top frames of its stack that belong to weft (sanitizer, libFuzzer
and libc frames say nothing about the bug), and the target's own failure
line (every kernel oracle ends in the same abort frame, so the line is what
tells two oracle failures apart). An explore failure is keyed by its
outcome kind (assertion, deadlock, oracle, step budget) and its site: the
failure message with run-specific numbers (thread and object ids, counts,
addresses) folded, and `file.c:LINE` sites kept.
"""
import hashlib
import re

FRAMES_TOP = 3          # project frames that make a crash's identity
MESSAGE_CHARS_MAX = 200  # of a normalised message kept in the signature
LINES_SCANNED_MAX = 4000  # of a crash report (bounded scan)

# An absolute source path names the checkout; the part from the repository's
# top folder on names the site (the same in every clone).
_ABS_PREFIX = re.compile(r"/[^\s:]*/(?=(?:kernel|sim|bsp|modules|stress|fuzz|tests|bench)/)")
_SITE = re.compile(r"[\w./-]+\.[ch]:\d+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_NUM = re.compile(r"\d+")
_FRAME = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ in (\S+)(?: (\S+))?")
_ERROR = re.compile(r"ERROR: (?:AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer): ([\w -]+)")
_UBSAN = re.compile(r"runtime error: (.*)")
# Frames of the machinery around the code under test.
_NOISE = re.compile(r"^(__sanitizer|__asan|__ubsan|__lsan|__interceptor|fuzzer::|"
                    r"__libc|__pthread|raise$|abort$|_start$|main$|"
                    r"LLVMFuzzerTestOneInput$|bsp_panic|sim_panic|__GI_)")
_NOISE_FILES = re.compile(r"(compiler-rt|libFuzzer|nptl/|sysdeps/|stdlib/|csu/)")


def normalise(message):
    """The message with numbers folded to N, except in file:line sites."""
    assert isinstance(message, str)
    message = _ABS_PREFIX.sub("", message)
    sites = _SITE.findall(message)
    text = _SITE.sub("\0", message)
    text = _HEX.sub("\1", text)
    text = _NUM.sub("N", text).replace("\1", "0xN")
    for site in sites:  # put the sites back, in order
        text = text.replace("\0", site, 1)
    text = " ".join(text.split())[:MESSAGE_CHARS_MAX]
    assert "\0" not in text and "\1" not in text
    return text


def short_id(signature):
    """A stable 10-hex-digit id for a signature (folder names, anchors)."""
    assert signature
    digest = hashlib.sha1(signature.encode()).hexdigest()[:10]
    assert len(digest) == 10
    return digest


def explore_signature(workload, kind, message):
    """Signature of an oracle failure found by weft explore."""
    assert workload and kind
    sig = f"explore|{workload}|{kind}|{normalise(message)}"
    assert sig.count("|") >= 3
    return sig


def crash_frames(report_lines):
    """The first FRAMES_TOP project frames of the first stack in a report:
    function names only (line numbers move with every edit)."""
    frames = []
    seen_stack = False
    for line in report_lines[:LINES_SCANNED_MAX]:
        m = _FRAME.match(line)
        if not m:
            if seen_stack and frames:
                break  # the first stack ended
            continue
        seen_stack = True
        func, where = m.group(2), m.group(3) or ""
        if _NOISE.match(func) or _NOISE_FILES.search(where):
            continue
        frames.append(func)
        if len(frames) == FRAMES_TOP:
            break
    assert len(frames) <= FRAMES_TOP
    return frames


def crash_kind(report_lines):
    """What the sanitizer or libFuzzer called it ("heap-buffer-overflow",
    "deadly signal", "timeout", ...); "crash" if nothing says."""
    for line in report_lines[:LINES_SCANNED_MAX]:
        m = _ERROR.search(line)
        if m:
            return m.group(1).strip().split(" on ")[0]
        m = _UBSAN.search(line)
        if m:
            return "undefined behaviour: " + normalise(m.group(1))
    return "crash"


def crash_message(report_lines, target):
    """The target's own failure line (fuzz targets print "NAME_fuzz: ..."
    and the kernel panics with "panic: ..."), or ""."""
    assert target
    prefixes = (f"{target}_fuzz:", "panic:", "K_ASSERT", "assertion")
    for line in report_lines[:LINES_SCANNED_MAX]:
        text = line.strip()
        if text.startswith(prefixes):
            return normalise(text)
    return ""


def fuzz_signature(target, report_lines):
    """Signature of a crash of fuzz target `target` from its report."""
    assert target
    kind = crash_kind(report_lines)
    frames = crash_frames(report_lines)
    message = crash_message(report_lines, target)
    sig = f"fuzz|{target}|{kind}|{' > '.join(frames)}|{message}"
    assert sig.startswith("fuzz|")
    return sig
