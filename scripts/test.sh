#!/usr/bin/env bash
# test.sh: every test: C unit tests, API tests against a real server, browser tests; the unit
# and API suites once more under AddressSanitizer and UndefinedBehaviorSanitizer.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
step() { echo; echo "==== $*"; }

step "build"
make -s -j"$(nproc)" build MODE=rel || exit 1
make -s -j"$(nproc)" build/asan/kefu MODE=asan || exit 1
if [ -f web/package.json ]; then make -s web || exit 1; fi
make -s check-format || { echo "clang-format: files above need formatting"; fail=1; }
if grep -rlE '#include [<"](microhttpd|jansson)\.h[>"]' src/core src/store src/lib; then
    echo "layering: core, store and lib may not include HTTP or JSON libraries"; fail=1
fi

step "unit tests"
make -s -j"$(nproc)" unit MODE=rel || fail=1
step "unit tests (sanitizers)"
make -s -j"$(nproc)" unit MODE=asan || fail=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "API tests"
KEFU_BIN=build/rel/kefu node --test --test-concurrency=1 tests/api/ || fail=1
step "API tests (sanitizers)"
KEFU_BIN=build/asan/kefu KEFU_SANITIZED=1 node --test --test-concurrency=1 tests/api/ || fail=1

if ls tests/e2e/*.test.js >/dev/null 2>&1; then
    step "browser tests"
    KEFU_BIN=build/rel/kefu node --test --test-concurrency=1 tests/e2e/ || fail=1
fi

echo
if [ $fail = 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED"; fi
exit $fail
