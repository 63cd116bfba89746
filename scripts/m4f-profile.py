#!/usr/bin/env python3
"""Where the instructions of one RTOS benchmark case go, on Cortex-M4F.

Runs build/m4f/bench/bench_rtos.elf for CASE in QEMU one instruction per
translation block (-singlestep -d exec,nochain), skips the first SKIP
instructions (boot and warm-up), counts the next COUNT by function (from
arm-none-eabi-nm) and, with --lines N, by source line (addr2line), and
prints each as instructions per iteration given the case's figure PER_ITER
(bench/rtos/run.sh CASE). Output goes to stdout; nothing is written.

Usage: scripts/m4f-profile.py CASE PER_ITER [--skip N] [--count N] [--lines N] [--elf PATH]
Example: scripts/m4f-profile.py cooperative 239 --lines 30
"""
import bisect
import collections
import os
import subprocess
import sys

CASES = ("calibration", "cooperative", "preemptive", "interrupt",
         "interrupt-preemption", "message", "synchronization", "memory")
COUNT_MAX = 10_000_000  # instructions: a trace line each, ~1 s of parsing per 10^5


def usage(msg):
    print(f"m4f-profile: {msg} (usage: m4f-profile.py CASE PER_ITER [--skip N] "
          "[--count N] [--lines N] [--elf PATH])", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    if len(argv) < 2:
        usage("CASE and PER_ITER are required")
    case, per_iter = argv[0], argv[1]
    if case not in CASES:
        usage(f"unknown case '{case}'")
    try:
        per_iter = float(per_iter)
    except ValueError:
        usage(f"PER_ITER '{per_iter}' is not a number")
    if not 0 < per_iter < 1e6:
        usage("PER_ITER must be above 0 and below 10^6")
    opts = {"--skip": 3_000_000, "--count": 200_000, "--lines": 0}
    elf = "build/m4f/bench/bench_rtos.elf"
    rest = argv[2:]
    if len(rest) % 2:
        usage(f"option '{rest[-1]}' needs a value")
    for k, v in zip(rest[::2], rest[1::2]):
        if k == "--elf":
            elf = v
        elif k in opts:
            if not v.isdigit():
                usage(f"{k} '{v}' is not a whole number")
            opts[k] = int(v)
        else:
            usage(f"unknown option '{k}'")
    if not 1 <= opts["--count"] <= COUNT_MAX:
        usage(f"--count must be 1..{COUNT_MAX}")
    if not os.path.isfile(elf):
        usage(f"{elf} missing: cmake --preset m4f && cmake --build --preset m4f")
    return case, per_iter, opts, elf


def symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-n", "-S", elf], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "tTwW":
            syms.append((int(p[0], 16), p[3]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def trace(elf, case, skip, count):
    """Counter of executed instruction addresses."""
    cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
           "-semihosting-config", "enable=on,target=native", "-icount", "shift=0,sleep=off",
           "-singlestep", "-d", "exec,nochain", "-D", "/dev/stderr", "-kernel", elf,
           "-append", case]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pcs = collections.Counter()
    seen = counted = 0
    for line in proc.stderr:
        if not line.startswith("Trace"):
            continue
        seen += 1
        if seen <= skip:
            continue
        fields = line.split("[", 1)[1].split("/")
        pcs[int(fields[1], 16) & ~1] += 1
        counted += 1
        if counted >= count:
            break
    proc.kill()
    proc.wait()
    if counted < count:
        print(f"m4f-profile: the run ended after {counted} counted instructions", file=sys.stderr)
        sys.exit(1)
    return pcs


def main():
    case, per_iter, opts, elf = parse_args(sys.argv[1:])
    addrs, names = symbols(elf)
    pcs = trace(elf, case, opts["--skip"], opts["--count"])
    total = sum(pcs.values())
    by_fn = collections.Counter()
    for pc, k in pcs.items():
        i = bisect.bisect_right(addrs, pc) - 1
        by_fn[names[i] if i >= 0 else "?"] += k
    for fn, k in by_fn.most_common(40):
        print(f"{k * per_iter / total:8.1f} {100 * k / total:5.1f}% {fn}")
    if opts["--lines"]:
        keys = sorted(pcs)
        out = subprocess.run(["arm-none-eabi-addr2line", "-e", elf] + [hex(k) for k in keys],
                             capture_output=True, text=True, check=True).stdout.splitlines()
        by_line = collections.Counter()
        for pc, where in zip(keys, out):
            by_line[where.rsplit("/", 1)[-1]] += pcs[pc]
        for where, k in by_line.most_common(opts["--lines"]):
            print(f"{k * per_iter / total:8.1f} {where}")


if __name__ == "__main__":
    main()
