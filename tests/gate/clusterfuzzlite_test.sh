#!/usr/bin/env bash
# clusterfuzzlite_test.sh SRC WORK — .clusterfuzzlite/build.sh run locally
# as the OSS-Fuzz contract runs it (CC=clang, ASan + fuzzer-no-link in
# CFLAGS, libFuzzer as LIB_FUZZING_ENGINE, OUT in the build tree): every
# fuzz/<name>_fuzz.c target must land in $OUT with its seed corpus zip (all
# of corpus/<name>/), its dictionary (in libFuzzer's format) and its
# options, and each binary must run one input of its corpus cleanly.
set -u
src=$1 work=$2
out=$work/out
rm -rf "$out"; mkdir -p "$out" "$work/tmp"
fails=0 passes=0
check() { if eval "$2"; then echo "ok   $1"; passes=$((passes + 1)); else echo "FAIL $1"; fails=$((fails + 1)); fi; }

CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  OUT=$out SRC=$(dirname "$src") WEFT_CFL_BUILD_DIR=$work/build \
  bash "$src/.clusterfuzzlite/build.sh" >"$work/build.log" 2>&1
rc=$?
check "build.sh exit 0 ($work/build.log)" "[ $rc -eq 0 ]"
[ $rc -eq 0 ] || tail -20 "$work/build.log"

for f in "$src"/fuzz/*_fuzz.c; do
  t=$(basename "$f" .c) name=${t%_fuzz}
  check "$t: binary" "[ -x '$out/$t' ]"
  check "$t: built with the engine (libFuzzer main)" "grep -q LLVMFuzzerRunDriver '$out/$t' 2>/dev/null || nm '$out/$t' 2>/dev/null | grep -q 'fuzzer::'"
  n_corpus=$(find "$src/corpus/$name" -type f | wc -l)
  n_zip=$(python3 -c "import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))" "$out/${t}_seed_corpus.zip" 2>/dev/null || echo 0)
  check "$t: seed corpus zip holds all $n_corpus files of corpus/$name ($n_zip)" "[ $n_corpus -gt 0 ] && [ '$n_zip' = $n_corpus ]"
  # libFuzzer's dictionary format: comments, blank lines, name="value".
  check "$t: dictionary, every line an entry or a comment" \
    "[ -s '$out/$t.dict' ] && ! grep -vqE '^(#.*|[[:space:]]*|[A-Za-z0-9_]*=\".*\")\$' '$out/$t.dict'"
  check "$t: options ([libfuzzer] section)" "grep -q '^\[libfuzzer\]' '$out/$t.options'"
  one=$(find "$src/corpus/$name" -type f | sort | head -1)
  (cd "$work/tmp" && "$out/$t" -runs=1 -dict="$out/$t.dict" "$one") >"$work/$t-run.log" 2>&1
  check "$t: runs one input and its dictionary loads" "[ $? -eq 0 ] && grep -q 'Dictionary: [1-9]' '$work/$t-run.log'"
done
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
