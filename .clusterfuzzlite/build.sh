#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of weft's fuzz targets (the build
# contract: $CC, $CFLAGS, $LIB_FUZZING_ENGINE, $OUT, $SRC). Builds every
# fuzz/<name>_fuzz target with the engine's compiler and flags (the
# sanitizer comes from $CFLAGS, not from a weft preset) and puts into $OUT,
# per target: the binary <name>_fuzz, its seed corpus
# <name>_fuzz_seed_corpus.zip (corpus/<name>/: seeds and every reproducer
# kept), its dictionary <name>_fuzz.dict and its <name>_fuzz.options.
#
# Locally (ctest clusterfuzzlite-build does this):
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out SRC=$PWD/.. \
#   bash .clusterfuzzlite/build.sh
# The source tree is the folder above this script's, or $SRC/weft in the
# builder image (where the Dockerfile copies it).
here=$(cd "$(dirname "$0")/.." && pwd)
# In the builder image the script is copied to $SRC/build.sh, the tree to $SRC/weft.
[ -f "$here/CMakePresets.json" ] || here=$SRC/weft
: "${CC:?}" "${CFLAGS=}" "${LIB_FUZZING_ENGINE:?}" "${OUT:?}"
work=${WEFT_CFL_BUILD_DIR:-$here/build/clusterfuzzlite}
mkdir -p "$OUT" "$work"

targets=()
for f in "$here"/fuzz/*_fuzz.c; do
  targets+=("$(basename "$f" .c)")
done
[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz/*_fuzz.c" >&2; exit 2; }

# WEFT_FUZZ on (libFuzzer entry points, coverage of the code under test),
# no preset sanitizer (it is in $CFLAGS), the engine from the environment.
# -Werror stays: a warning under the engine's compiler is a defect too.
cmake -S "$here" -B "$work" -G Ninja -DWEFT_BSP=sim \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-O1 \
  -DCMAKE_C_FLAGS="$CFLAGS" -DWEFT_SANITIZE= -DWEFT_FUZZ=ON \
  -DWEFT_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$work" -j "$(nproc)" --target "${targets[@]}"

zip_dir() { # DIR ZIP: the files of DIR, flat
  rm -f "$2"
  if command -v zip >/dev/null; then
    (cd "$1" && zip -q -j "$2" ./*)
  else
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    for n in sorted(os.listdir(sys.argv[1])):
        p = os.path.join(sys.argv[1], n)
        if os.path.isfile(p):
            z.write(p, n)
PY
  fi
}

for t in "${targets[@]}"; do
  name=${t%_fuzz}
  cp "$work/fuzz/$t" "$OUT/$t"
  [ -d "$here/corpus/$name" ] || { echo "build.sh: no corpus/$name for $t" >&2; exit 2; }
  zip_dir "$here/corpus/$name" "$OUT/${t}_seed_corpus.zip"
  for ext in dict options; do
    [ -f "$here/fuzz/$t.$ext" ] || { echo "build.sh: no fuzz/$t.$ext" >&2; exit 2; }
    cp "$here/fuzz/$t.$ext" "$OUT/$t.$ext"
  done
done
echo "build.sh: ${#targets[@]} targets in $OUT: ${targets[*]}"
