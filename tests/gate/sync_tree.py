#!/usr/bin/env python3
"""sync_tree.py SRC DEST — make DEST hold exactly SRC's tracked and
untracked (not ignored) files, outside build/, as `git ls-files -co
--exclude-standard` lists them. Only a file whose content differs is
written (with a new mtime, so a build in DEST redoes what it touches);
files gone from SRC go from DEST; DEST/build/ is left alone. One process:
the shell loop it replaces forked twice per file (thousands of corpus
files) and took minutes on a loaded machine. Exit 2 with one line when SRC
is not a git checkout."""
import os
import shutil
import subprocess
import sys

FILES_MAX = 200000  # weft has a few thousand; a runaway listing stops here


def main():
    if len(sys.argv) != 3:
        print("sync_tree: usage: sync_tree.py SRC DEST", file=sys.stderr)
        return 2
    src, dest = (os.path.abspath(p) for p in sys.argv[1:])
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=src,
                             check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"sync_tree: cannot list the files of {src}: {e}", file=sys.stderr)
        return 2
    # A tracked file deleted in the worktree is listed too: it is not copied.
    files = sorted({f for f in out.decode().split("\0")
                    if f and not f.startswith("build/") and os.path.isfile(os.path.join(src, f))})
    assert len(files) <= FILES_MAX, "more files than any weft checkout has"
    wanted = set(files)
    written = 0
    for rel in files:
        a, b = os.path.join(src, rel), os.path.join(dest, rel)
        if os.path.isfile(b) and os.path.getsize(a) == os.path.getsize(b):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() == fb.read():
                    continue
        os.makedirs(os.path.dirname(b), exist_ok=True)
        shutil.copyfile(a, b)
        shutil.copymode(a, b)
        written += 1
    removed = 0
    for dirpath, dirnames, filenames in os.walk(dest):
        if os.path.relpath(dirpath, dest) == ".":
            dirnames[:] = [d for d in dirnames if d != "build"]
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), dest)
            if rel not in wanted:
                os.remove(os.path.join(dirpath, name))
                removed += 1
    print(f"sync_tree: {len(files)} files, {written} written, {removed} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
