#!/usr/bin/env bash
# run-unit.sh: runs each cmocka test binary given; fails when any fails.
fail=0
for t in "$@"; do
    "$t" || fail=1
done
exit $fail
