// hooks.mjs: POST /hooks/{code} intake at concurrency C: signed app messages (half of them on
// threads that join an open ticket, the rest new tickets), every answer checked (202), then
// the messages per second and the latency p50/p99 as the platform sees it. A fresh server.
//   node bench/hooks.mjs [MESSAGES [CONCURRENCY]]     (make bench-hooks)
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startWithAdmin } from '../tests/lib/server.js';

const N = Number(process.argv[2] || 4000);
const C = Number(process.argv[3] || 16);
const SECRET = 'bench-secret-0123456789';
const { srv, admin } = await startWithAdmin();
// (make bench-hooks lifts hook_rate_limit: the guard is not what is measured)
try {
  const r = await admin.patch('/api/v1/channels/APP', { kind: 'webhook', settings: { secret: SECRET } });
  assert.equal(r.status, 200, r.text);
  const times = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < N) {
      const i = next++;
      const raw = JSON.stringify({
        message_id: `b-${i}`, thread_id: i % 2 ? `t-${i % 200}` : undefined,
        customer: { external_id: `u-${i % 500}`, name: `用户${i % 500}` },
        body: '订单一直显示待发货,麻烦帮忙查一下物流,谢谢。'.repeat(3),
      });
      const sig = 'sha256=' + createHmac('sha256', SECRET).update(raw).digest('hex');
      const t0 = performance.now();
      const res = await fetch(`${srv.base}/hooks/APP`, {
        method: 'POST', body: raw, headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': sig },
      });
      const text = await res.text();
      times.push(performance.now() - t0);
      assert.equal(res.status, 202, text);
    }
  }));
  const secs = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  console.log(`hooks: ${N} messages at concurrency ${C} in ${secs.toFixed(2)} s: ${(N / secs).toFixed(0)} messages/s, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
} finally {
  await srv.finish();
}
