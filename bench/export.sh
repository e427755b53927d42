#!/usr/bin/env bash
# export.sh: the record export at scale: fills a fresh database with N tickets (default
# 100,000, over ten days, a tenth with a transfer), then times `kefu export` of the whole range
# as xlsx and as CSV, and GET /api/v1/reports/export as xlsx from a running server, with the
# peak resident memory of each. Results in bench/out/export.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
make -s -j2 build >/dev/null
BIN=build/rel/kefu
DIR=$(mktemp -d /tmp/kefu-bench-export-XXXXXX)
OUT=bench/out
mkdir -p "$OUT"
trap 'kill "$PID" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
PID=
"$BIN" migrate --data-dir "$DIR" 2>/dev/null
# 2023-10-01 00:00 +08:00, in UTC ms
T0=1696089600000
sqlite3 "$DIR/kefu.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO users(username, name, role, password_hash, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT 'agent' || i, '客服' || i || '号', 'agent', 'x', $T0, $T0 FROM n;
INSERT INTO customers(name, phone, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
SELECT '客户' || i || '有限公司', '138' || printf('%08d', i), $T0, $T0 FROM n;
INSERT INTO tickets(number, channel, type, subject, description, urgency, priority, prio_rank,
                    status, customer_id, contact_name, assignee_id, raised_at, taken_over_at,
                    first_response_at, processing_started_at, resolved_at, result, measures,
                    satisfaction, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $N - 1)
SELECT 'B' || printf('%08d', i),
       CASE i % 4 WHEN 0 THEN 'TEL' WHEN 1 THEN 'WEB' WHEN 2 THEN 'MAIL' ELSE 'TEL' END,
       CASE i % 3 WHEN 0 THEN 'inquiry' WHEN 1 THEN 'fault' ELSE 'complaint' END,
       '家电未按时送货 ' || i,
       '客户反映系统无法登录,提示"验证码错误",已尝试重启无效 (' || i || ')',
       'medium', 'medium', 2, 'resolved', 1 + i % 20000, '联系人' || (i % 97),
       1 + i % 40,
       $T0 + i * (864000000 / $N), $T0 + i * (864000000 / $N) + 120000,
       $T0 + i * (864000000 / $N) + 300000, $T0 + i * (864000000 / $N) + 300000,
       $T0 + i * (864000000 / $N) + 1200000, 'solution_provided',
       '远程指导客户清除缓存后登录正常', CASE i % 5 WHEN 0 THEN 'satisfied' ELSE NULL END,
       $T0 + i * (864000000 / $N) + 120000, $T0 + i * (864000000 / $N) + 1200000
FROM n;
INSERT INTO transfers(ticket_id, kind, from_user_id, to_user_id, reason, at)
SELECT id, 'transfer', assignee_id, 1 + assignee_id % 40, '需要技术支持', raised_at + 600000
FROM tickets WHERE id % 10 = 0;
COMMIT;
SQL
count=$(sqlite3 "$DIR/kefu.db" 'SELECT COUNT(*) FROM tickets')
{
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"; echo "tickets: $count (2023-10-01 to 2023-10-10)"
for fmt in xlsx csv; do
    /usr/bin/time -f "%e %M %U %S" -o "$DIR/time" "$BIN" export --from 2023-10-01 --to 2023-10-10 \
        --format "$fmt" --out "$DIR/out.$fmt" --data-dir "$DIR" 2>/dev/null
    read -r secs kib user sys <"$DIR/time"
    echo "kefu export $fmt: ${secs} s (CPU ${user} s user + ${sys} s system), peak RSS $((kib / 1024)) MiB, file $(( $(stat -c %s "$DIR/out.$fmt") / 1024 / 1024 )) MiB"
done
# the same over HTTP, from a running server (its peak memory, VmHWM)
printf 'admin-password-1\n' | "$BIN" user add --username admin --role admin --password-stdin \
    --data-dir "$DIR" 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DIR" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
LOGIN=$(curl -sf -c "$DIR/jar" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"admin-password-1"}' "http://127.0.0.1:$PORT/api/v1/auth/login" >/dev/null &&
    curl -sf -b "$DIR/jar" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null && echo ok)
before=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
t=$(curl -sf -b "$DIR/jar" -o "$DIR/http.xlsx" -w '%{time_total}' \
    "http://127.0.0.1:$PORT/api/v1/reports/export?from=2023-10-01&to=2023-10-10&format=xlsx")
after=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
echo "GET /api/v1/reports/export xlsx: ${t} s, server peak RSS $((before / 1024)) MiB before, $((after / 1024)) MiB after (signed in: $LOGIN)"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
} | tee "$OUT/export.txt"
