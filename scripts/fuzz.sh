#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET]: replays the committed crash cases, then fuzzes an intake for SECONDS:
# TARGET mail (the default) over build/fuzz/corpus seeded from tests/fixtures/mail, hook (the
# inbound hook JSON) seeded from tests/fixtures/hooks, or wechat (the WeChat message XML) seeded
# from tests/fixtures/wechat. A crash found is copied to the fixtures' crashes/, replayed from
# then on; the run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
target=${2:-mail}
case $target in
mail) corpus=build/fuzz/corpus seeds=tests/fixtures/mail ;;
hook) corpus=build/fuzz/corpus-hook seeds=tests/fixtures/hooks ;;
wechat) corpus=build/fuzz/corpus-wechat seeds=tests/fixtures/wechat ;;
*) echo "fuzz: no target \"$target\" (mail, hook or wechat)"; exit 2 ;;
esac
bin=build/fuzz/${target}_fuzz
artifacts=build/fuzz/artifacts-$target
crashes=$seeds/crashes
mkdir -p "$corpus" "$artifacts" "$crashes"
rm -f "$artifacts"/*
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0
cases=("$crashes"/*)
if [ -e "${cases[0]}" ]; then
    "$bin" "${cases[@]}" >/dev/null 2>"$artifacts/replay.log" ||
        { cat "$artifacts/replay.log"; echo "fuzz: a committed crash case fails again"; fail=1; }
fi
"$bin" -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "$seeds" \
    > "$artifacts/fuzz.log" 2>&1 || fail=1
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|#[0-9]+ *DONE)' \
    "$artifacts/fuzz.log" | sed 's/^/fuzz: /'
for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "$crashes/"
    echo "fuzz: $(basename "$f") found; kept as $crashes/$(basename "$f") (commit it)"
    fail=1
done
if [ $fail != 0 ]; then tail -40 "$artifacts/fuzz.log"; echo "fuzz: FAILED"; else echo "fuzz: $target: no crash in ${secs}s"; fi
exit $fail
