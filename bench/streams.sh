#!/usr/bin/env bash
# streams.sh: what open live streams cost: the server's CPU while 500 streams sit idle, and the
# ticket creation rate (bench/loadgen.c, concurrency 16) without streams, with 500 streams of
# supervisors (each gets every event) and with 500 of specialists of another department (each
# event is filtered away), interleaved. Usage: bench/streams.sh [STREAMS] [CREATES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${1:-500} creates=${2:-20000} rounds=${3:-2}
out=bench/out/streams
rm -rf "$out" && mkdir -p "$out/data"
make -s build
gcc -O2 -Wall -pthread -o "$out/loadgen" bench/loadgen.c
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "bench-password-1" | ./kefu user add --username bench --role admin --password-stdin --data-dir "$out/data" >/dev/null 2>&1
./kefu serve --listen 127.0.0.1:$port --data-dir "$out/data" > "$out/server.log" 2>&1 &
pid=$!
holder=
trap 'kill $pid 2>/dev/null || true; kill $holder 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.1; done
base=http://127.0.0.1:$port/api/v1
login() { # username → "cookie csrf"
    curl -s -D - -o "$out/login.json" -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"bench-password-1\"}" $base/auth/login |
        sed -n 's/^Set-Cookie: \(kefu_session=[0-9a-f]*\).*/\1/p'
}
token_of() { # username → an API token
    local c csrf
    c=$(login "$1"); csrf=$(sed 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/' "$out/login.json")
    curl -s -b "$c" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d '{"name":"bench"}' \
        $base/tokens | sed 's/.*"token":"\([^"]*\)".*/\1/'
}
admin=$(token_of bench)
api() { curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' "$@"; }
api -d '{"code":"other","name":"Other"}' $base/departments > "$out/dept.json"
dept=$(sed 's/.*"id":\([0-9]*\).*/\1/;s/,.*//' "$out/dept.json")
users=$(( (streams + 9) / 10 )) # 10 streams per user at most
: > "$out/sup.txt"; : > "$out/spec.txt"
for i in $(seq $users); do
    api -d "{\"username\":\"sup$i\",\"name\":\"S$i\",\"role\":\"supervisor\",\"password\":\"bench-password-1\"}" $base/users > /dev/null
    api -d "{\"username\":\"spec$i\",\"name\":\"P$i\",\"role\":\"specialist\",\"department_id\":$dept,\"password\":\"bench-password-1\"}" $base/users > /dev/null
    token_of "sup$i" >> "$out/sup.txt"; echo >> "$out/sup.txt"
    token_of "spec$i" >> "$out/spec.txt"; echo >> "$out/spec.txt"
done
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
hold() { # tokens file: starts the holder and waits until every stream is open
    node bench/streams.mjs $port "$1" $streams > "$out/holder.txt" &
    holder=$!
    for _ in $(seq 300); do grep -q '^open' "$out/holder.txt" && break; sleep 0.1; done
    cat "$out/holder.txt"
}
release() { kill -TERM $holder; wait $holder 2>/dev/null || true; tail -1 "$out/holder.txt"; sleep 1; }
create() { "$out/loadgen" create $port "$admin" 16 $creates; }
{
    echo "Kefu live streams, $(date -u +%F), $(nproc) cores, $streams streams, $creates creates per run"
    hold "$out/sup.txt"
    t0=$(ticks); sleep 60; t1=$(ticks)
    echo "idle 60 s with $streams streams open: server CPU $(( (t1 - t0) * 1000 / hz )) ms"
    release
    t0=$(ticks); sleep 60; t1=$(ticks)
    echo "idle 60 s without streams: server CPU $(( (t1 - t0) * 1000 / hz )) ms"
    for r in $(seq $rounds); do
        echo "round $r, no streams:              $(create)"
        hold "$out/sup.txt" > /dev/null
        echo "round $r, $streams supervisor streams: $(create)"
        release
        hold "$out/spec.txt" > /dev/null
        echo "round $r, $streams filtered streams:   $(create)"
        release
    done
    echo "peak RSS: $(( $(awk '/VmHWM/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
} | tee "$out/results.txt"
