#!/usr/bin/env bash
# refused.sh WEFT — a weft without the load/store hooks refuses --mem-points
# (and --never-rule) with one line naming the races build, exit 2.
set -u
weft=$1
fail=0
for flag in --mem-points --never-rule; do
  err=$("$weft" run bug/wrong_lock --cores 2 --seed 0 $flag 2>&1 >/dev/null)
  rc=$?
  if [ $rc -eq 2 ] && grep -q 'races build' <<<"$err" && [ "$(wc -l <<<"$err")" -eq 1 ]; then
    echo "ok: $flag refused: $err"
  else
    echo "FAIL: $flag: exit $rc, stderr: $err"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "2 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
