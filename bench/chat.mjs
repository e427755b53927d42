// chat.mjs: 1,000 open live chats (each visitor holding its event stream) while agents reply at
// 100 messages a second; the round trip is from sending a reply (POST /tickets/{id}/messages)
// to its arrival on that visitor's stream. Prints p50/p99 and the server's RSS.
//   KEFU_BIN=build/rel/kefu node bench/chat.mjs [CHATS] [RATE] [SECONDS]
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { ADMIN, Client, Server } from '../tests/lib/server.js';

const [chats = 1000, rate = 100, seconds = 20] = process.argv.slice(2).map(Number);
const srv = await new Server({ env: { KEFU_PORTAL_IP_LIMIT: String(chats * 2) } }).start();
const admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
const rss = () => Number(readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const rssIdle = rss();

const post = (path, body, headers = {}) => fetch(srv.base + path, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
}).then((r) => r.json());

const sessions = [];
for (let i = 0; i < chats; i++) {
  const s = await post('/api/v1/chat/sessions', { channel: 'CHAT', name: `访客${i}`, body: `你好 ${i}` });
  const t = await admin.get(`/api/v1/tickets/${encodeURIComponent(s.ticket.number)}`);
  sessions.push({ id: s.id, token: s.visitor_token, ticket: t.body.id });
}
const sent = new Map(); // body -> send time
const rtt = [];
let open = 0;
const reqs = [];
await new Promise((ok, fail) => {
  for (const s of sessions) {
    const req = request(`${srv.base}/api/v1/chat/sessions/${s.id}/stream?visitor_token=${s.token}`, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`stream ${res.statusCode}`));
      if (++open === chats) ok();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m = block.match(/^data: (.*)$/m);
          if (!/^event: message$/m.test(block) || !m) continue;
          const body = JSON.parse(m[1]).message.body;
          const at = sent.get(body);
          if (at !== undefined) rtt.push(performance.now() - at);
        }
      });
    });
    req.on('error', fail);
    req.end();
    reqs.push(req);
  }
});
const rssOpen = rss();
let n = 0;
const t0 = performance.now();
await new Promise((ok) => {
  const timer = setInterval(() => {
    if (performance.now() - t0 > seconds * 1000) { clearInterval(timer); ok(); return; }
    for (let k = 0; k < rate / 10; k++) {
      const s = sessions[n % chats];
      const body = `回复 ${n++}`;
      sent.set(body, performance.now());
      admin.post(`/api/v1/tickets/${s.ticket}/messages`, { kind: 'reply', body });
    }
  }, 100);
});
await new Promise((r) => setTimeout(r, 1000));
const rssLoad = rss();
rtt.sort((a, b) => a - b);
const q = (p) => rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))]?.toFixed(1);
console.log(`chats ${chats} streams ${open} replies sent ${n} arrived ${rtt.length}`);
console.log(`round trip ms p50 ${q(0.5)} p99 ${q(0.99)} max ${q(1)}`);
console.log(`server RSS MiB idle ${rssIdle.toFixed(1)} with ${chats} chats open ${rssOpen.toFixed(1)} after load ${rssLoad.toFixed(1)}`);
for (const r of reqs) r.destroy();
await srv.finish();
