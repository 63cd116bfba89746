#!/usr/bin/env python3
"""Flash and static RAM of the kernel as linked into an image, from GNU ld
map files (the m4f build's `size` target and its budget test).

Usage: m4f-size.py --lib LIB CASE=MAP... [--budget CASE:METRIC=BYTES]... [--by-object] [--by-part]

For each CASE, sums the input sections that came from archive LIB (the
kernel) in the map's "Linker script and memory map" part: flash_bytes counts
what the image stores (.text, .rodata, descriptor tables, the .data image),
ram_bytes what it occupies in RAM besides heap and stacks (.data, .bss).
Prints one JSON line per case and metric. With --budget, exits 1 when a
figure is not below its budget (saying which), 0 otherwise; 2 on bad usage
or an unreadable map. With --by-object, each case's figures are followed by
one line per kernel object (case "CASE/OBJECT", e.g. "core/heap.c"), largest
flash first: where the bytes are. With --by-part, each case's figures are
followed by one line per part of the kernel (PARTS below: the dynamic
loader, the on-target checker, the memory manager, the scheduler side, the
static modules' boot; field "part"), then one per case and metric for the
kernel without the loader and the checker (part "without-loader-checker"):
the parts sum to the case exactly. An object that belongs to no part is
bad input (exit 2, naming it), so the table cannot silently fall behind
the kernel's files.
"""
import json
import re
import sys

# Which part of the kernel each object is (kernel/<dir>/<file>.c -> part).
# Every kernel object must be listed: a new file is assigned here.
PARTS = {
    "loader": ("elf.c", "dynmod.c", "reloc.c", "exports.c"),
    "checker": ("check.c", "report.c"),
    "memory": ("heap.c", "frames.c", "cache.c", "mem.c", "owner.c", "pool.c"),
    "scheduler": ("sched.c", "thread.c", "proc.c", "smp.c", "mutex.c", "msgq.c", "suspend.c",
                  "irq_lines.c", "cond.c", "sem.c", "runq.c", "wait.c", "latency.c", "irq.c"),
    "module-boot": ("module.c",),
}
# The parts a product could leave out and still have the scheduler, the
# memory manager and static modules: what "without" figures subtract.
OPTIONAL_PARTS = ("loader", "checker")

FLASH_ONLY = ("text", "rodata", "weft_tests", "weft_workloads", "ARM.exidx", "vectors")


def usage(msg):
    print(f"m4f-size: {msg}", file=sys.stderr)
    sys.exit(2)


def kernel_bytes(map_path, lib):
    try:
        lines = open(map_path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        usage(f"cannot read {map_path}: {e}")
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        usage(f"{map_path} is not a GNU ld map file")
    # (output section, address, size, origin) of every input section line,
    # *fill* included, in map order.
    entries = []
    out_sec = None
    pending = None  # an input section name whose numbers are on the next line
    entry = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$")
    for line in lines[start + 1:]:
        m = re.match(r"^(\.?[A-Za-z_][\w.]*)\b", line)
        if m and not line.startswith(" "):
            out_sec = m.group(1).lstrip(".")
            pending = None
            continue
        m = re.match(r"^ (\.?\S+)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.?\S+|\*fill\*)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s*(\S.*)?$", line)
        if m:
            addr, size, origin = int(m.group(2), 16), int(m.group(3), 16), m.group(4) or ""
        else:
            m = entry.match(line)
            if not m or pending is None:
                continue
            addr, size, origin = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        pending = None
        if out_sec is not None:
            entries.append((out_sec, addr, size, origin))
    flash = ram = 0
    per_object = {}  # object file name -> [flash, ram]
    for i, (out_sec, addr, size, origin) in enumerate(entries):
        # A merged string section (.rodata.*.str1.1) may be listed with the
        # size of the merged block though the next section starts sooner:
        # count only the bytes up to the next input section's address.
        if i + 1 < len(entries) and entries[i + 1][0] == out_sec and entries[i + 1][1] >= addr:
            size = min(size, entries[i + 1][1] - addr)
        if lib + "(" not in origin or size == 0:
            continue
        obj = per_object.setdefault(object_name(origin, lib), [0, 0])
        if out_sec == "data":
            flash += size
            ram += size
            obj[0] += size
            obj[1] += size
        elif out_sec == "bss":
            ram += size
            obj[1] += size
        elif out_sec in FLASH_ONLY:
            flash += size
            obj[0] += size
    return flash, ram, per_object


def object_name(origin, lib):
    """'path/libk.a(heap.c.obj)' -> 'heap.c'."""
    member = origin.split(lib + "(", 1)[1].split(")", 1)[0]
    return re.sub(r"\.(obj|o)$", "", member)


def emit(case, metric, value, part=None):
    line = {"bench": "size", "case": case}
    if part is not None:
        line["part"] = part
    line.update({"metric": metric, "value": value, "unit": "bytes"})
    print(json.dumps(line, separators=(",", ":")))


def part_of(obj):
    """The PARTS name holding object `obj`, or None."""
    found = [name for name, objs in PARTS.items() if obj in objs]
    assert len(found) <= 1, f"{obj} is in two parts: {found}"
    return found[0] if found else None


def emit_parts(case, flash, ram, per_object):
    """One line per part and metric, then the case without OPTIONAL_PARTS."""
    sums = {name: [0, 0] for name in PARTS}
    for obj, (f, r) in sorted(per_object.items()):
        name = part_of(obj)
        if name is None:
            usage(f"kernel object {obj} belongs to no part: add it to PARTS in scripts/m4f-size.py")
        sums[name][0] += f
        sums[name][1] += r
    # The parts partition the objects, so they sum to the case: a belief
    # about this function, not a check of the kernel.
    assert sum(v[0] for v in sums.values()) == flash
    assert sum(v[1] for v in sums.values()) == ram
    for name in PARTS:
        emit(case, "flash_bytes", sums[name][0], name)
        emit(case, "ram_bytes", sums[name][1], name)
    without = "without-" + "-".join(OPTIONAL_PARTS)
    emit(case, "flash_bytes", flash - sum(sums[n][0] for n in OPTIONAL_PARTS), without)
    emit(case, "ram_bytes", ram - sum(sums[n][1] for n in OPTIONAL_PARTS), without)


def main(argv):
    lib = None
    cases = []
    budgets = []
    by_object = False
    by_part = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--lib" and i + 1 < len(argv):
            lib = argv[i + 1]
            i += 2
            continue
        if a == "--budget" and i + 1 < len(argv):
            m = re.match(r"^(\w+):(\w+)=(\d+)$", argv[i + 1])
            if not m:
                usage(f"bad budget {argv[i + 1]!r} (want CASE:METRIC=BYTES)")
            budgets.append((m.group(1), m.group(2), int(m.group(3))))
            i += 2
            continue
        if a == "--by-object":
            by_object = True
            i += 1
            continue
        if a == "--by-part":
            by_part = True
            i += 1
            continue
        if "=" in a and not a.startswith("-"):
            name, path = a.split("=", 1)
            cases.append((name, path))
            i += 1
            continue
        usage(f"unexpected argument {a!r}")
    if not lib or not cases:
        usage("usage: m4f-size.py --lib LIB CASE=MAP... [--budget CASE:METRIC=BYTES]... [--by-object] [--by-part]")
    figures = {}
    for name, path in cases:
        flash, ram, per_object = kernel_bytes(path, lib)
        if flash == 0:
            usage(f"{path}: no section from {lib}: wrong map or library name")
        figures[(name, "flash_bytes")] = flash
        figures[(name, "ram_bytes")] = ram
        emit(name, "flash_bytes", flash)
        emit(name, "ram_bytes", ram)
        if by_part:
            emit_parts(name, flash, ram, per_object)
        if by_object:
            # Largest flash first, then by name: the same order on every run.
            for obj, (f, r) in sorted(per_object.items(), key=lambda kv: (-kv[1][0], kv[0])):
                emit(f"{name}/{obj}", "flash_bytes", f)
                emit(f"{name}/{obj}", "ram_bytes", r)
    over = 0
    for name, metric, limit in budgets:
        if (name, metric) not in figures:
            usage(f"budget for unknown figure {name}:{metric}")
        value = figures[(name, metric)]
        if value >= limit:
            print(f"m4f-size: {name} {metric} {value} is not below its budget {limit}", file=sys.stderr)
            over += 1
    if budgets:
        print(f"{len(budgets) - over} passed, {over} failed")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
