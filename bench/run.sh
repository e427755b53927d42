#!/usr/bin/env bash
# run.sh: Kefu's benchmark: ticket creation through the API at concurrency 1, 128 and 16 up to
# 100,000 tickets, then list, search and read latencies at that size, and the peak RSS; then the
# SLA clocks on a million tickets (bench/clocks.c), and the knowledge base's search and
# suggestions at 10,000 articles (bench/kb.c).
# Usage: bench/run.sh [TOTAL]   (default 100000). Results: bench/out/results.txt
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
out=bench/out
rm -rf "$out" && mkdir -p "$out/data"
make -s build
gcc -O2 -Wall -pthread -o "$out/loadgen" bench/loadgen.c

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18089)
echo "bench-password-1" | ./kefu user add --username bench --role admin --password-stdin --data-dir "$out/data" 2>/dev/null
./kefu serve --listen 127.0.0.1:$port --data-dir "$out/data" > "$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.1; done

base=http://127.0.0.1:$port/api/v1
cookie=$(curl -s -D - -o "$out/login.json" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password-1"}' $base/auth/login | sed -n 's/^Set-Cookie: \(kefu_session=[0-9a-f]*\).*/\1/p')
csrf=$(sed 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/' "$out/login.json")
token=$(curl -s -b "$cookie" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    -d '{"name":"bench"}' $base/tokens | sed 's/.*"token":"\([^"]*\)".*/\1/')

run() { # label, loadgen args...
    local label=$1; shift
    local line
    line=$("$out/loadgen" "$@")
    printf '%-34s %s\n' "$label" "$line" | tee -a "$out/raw.txt"
}

c1=3000 c128=$((total / 5))
run "create, concurrency 1" create $port "$token" 1 $c1
run "create, concurrency 128" create $port "$token" 128 $c128
run "create, concurrency 16" create $port "$token" 16 $((total - c1 - c128))

# a sample of ids, and searches for two-character words the tickets contain
seq 1 $total | shuf -n 2000 --random-source=<(yes) | sed 's|^|/api/v1/tickets/|' > "$out/read.txt"
for i in $(seq 400); do echo "/api/v1/tickets?status=new,accepted,in_progress,waiting_customer"; done > "$out/list.txt"
for w in %E5%AE%B6%E7%94%B5 %E9%80%80%E6%AC%BE %E7%89%A9%E6%B5%81 %E5%8F%91%E7%A5%A8 %E7%99%BB%E5%BD%95 %E4%BF%9D%E4%BF%AE %E7%A9%BA%E8%B0%83 %E6%BC%8F%E6%B0%B4; do
    for i in $(seq 50); do echo "/api/v1/tickets?q=$w"; done
done > "$out/search.txt"
run "pending pool list (50 of 100k)" get $port "$token" 4 2000 "$out/list.txt"
run "text search, 2-char Chinese" get $port "$token" 4 2000 "$out/search.txt"
run "ticket page read" get $port "$token" 4 2000 "$out/read.txt"

rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
{
    echo "Kefu benchmark, $(date -u +%F), $(nproc) cores, $total tickets"
    cat "$out/raw.txt"
    echo "peak RSS: $((rss / 1024)) MiB"
    echo "targets: >= 10000 creates/s at concurrency 16; list and read p99 < 10 ms;"
    echo "         search p99 < 20 ms; RSS < 100 MiB"
} > "$out/results.txt"
rm -f "$out/raw.txt"
# the SLA clocks at scale, against the store (bench/README.md); CLOCKS=0 leaves them out
if [ "${CLOCKS:-1}" != 0 ] && [ -x build/rel/bench/clocks ]; then
    build/rel/bench/clocks >> "$out/results.txt"
fi
# the knowledge base at 10,000 articles, against the store; KB=0 leaves it out
if [ "${KB:-1}" != 0 ] && [ -x build/rel/bench/kb ]; then
    build/rel/bench/kb >> "$out/results.txt"
fi
cat "$out/results.txt"
