#!/usr/bin/env bash
# test.sh: every test: C unit tests, API tests against a real server, browser tests; the unit
# and API suites once more under AddressSanitizer and UndefinedBehaviorSanitizer; the mail
# intake fuzzed for a minute, the WeChat message XML for half a minute.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
step() { echo; echo "==== $*"; }

# Runs a node:test suite and ends it with the plain "N passed, N failed" line.
node_suite() { # label, then the environment and arguments of node --test
    local label=$1 log rc
    shift
    log=$(mktemp)
    env "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local pass fail
    pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
    fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
    rm -f "$log"
    echo "$label: ${pass:-0} passed, ${fail:-0} failed"
    return $rc
}

step "build"
make -s -j"$(nproc)" build MODE=rel || exit 1
make -s -j"$(nproc)" build/asan/kefu MODE=asan || exit 1
make -s web || exit 1
make -s check-format || { echo "clang-format: files above need formatting"; fail=1; }
if grep -rlE '#include [<"](microhttpd|jansson)\.h[>"]' src/core src/store src/lib; then
    echo "layering: core, store and lib may not include HTTP or JSON libraries"; fail=1
fi
if grep -rlE '#include [<"]gmime/' src/core src/store src/lib src/http src/jobs; then
    echo "layering: only src/channels may include GMime"; fail=1
fi

step "unit tests"
make -s -j"$(nproc)" unit MODE=rel || fail=1
step "unit tests (sanitizers)"
make -s -j"$(nproc)" unit MODE=asan || fail=1

step "fuzzing the mail intake (60 s)"
make -s fuzz-mail FUZZ_SECONDS=60 || fail=1
step "fuzzing the hook intake (30 s)"
make -s fuzz-hooks FUZZ_SECONDS=30 || fail=1
step "fuzzing the WeChat message XML (30 s)"
make -s fuzz-wechat FUZZ_SECONDS=30 || fail=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "API tests"
node_suite api KEFU_BIN=build/rel/kefu node --test --test-concurrency=1 tests/api/ || fail=1
step "API tests (sanitizers)"
node_suite api-sanitized KEFU_BIN=build/asan/kefu KEFU_SANITIZED=1 \
    node --test --test-concurrency=1 tests/api/ || fail=1

step "browser tests"
node_suite browser KEFU_BIN=build/rel/kefu node --test --test-concurrency=1 tests/e2e/ || fail=1

echo
if [ $fail = 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED"; fi
exit $fail
