// An app (or any platform) connected as a webhook channel: signed messages become tickets once,
// a thread stays in one ticket, files come along, and agents' replies reach the app's callback
// URL signed, retried and with their delivery shown on the message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, Client, Server } from '../lib/server.js';

const SECRET = 'app-secret-0123456789';
let srv, admin, rx, offset = 0;

const sign = (raw, secret = SECRET) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');

async function post(body, { secret = SECRET, code = 'APP', raw, base = srv.base } = {}) {
  const text = raw ?? JSON.stringify(body);
  const r = await fetch(`${base}/hooks/${code}`, {
    method: 'POST', body: text,
    headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': sign(text, secret) },
  });
  const t = await r.text();
  return { status: r.status, body: t ? JSON.parse(t) : null, text: t };
}

const msg = (id, extra = {}) => ({
  message_id: id, thread_id: 'u-42',
  customer: { external_id: 'u-42', name: '小王', phone: '13812345678' },
  body: '订单一直显示待发货', ...extra,
});

async function advance(s) {
  offset += s * 1000;
  const r = await admin.post('/api/v1/test/clock', { now: new Date(Date.now() + offset).toISOString() });
  assert.equal(r.status, 200, r.text);
}

async function messages(id) {
  const r = await admin.get(`/api/v1/tickets/${id}/messages`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
}

const ticketCount = async () => (await admin.get('/api/v1/tickets?limit=100')).body.items.length;

before(async () => {
  srv = await new Server().start();
  admin = new Client(srv.base);
  const s = await admin.login(ADMIN.username, ADMIN.password);
  const t = await s.post('/api/v1/tokens', { name: 'hooks test', expires_at: null });
  admin = new Client(srv.base);
  admin.token = t.body.token;
  rx = await receiver({ answer: (hit) => (hit.body.message.body.includes('永不') ? 404 : 200) });
  const r = await admin.patch('/api/v1/channels/APP', { kind: 'webhook', settings: { secret: SECRET, reply_url: rx.url } });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await rx?.close();
  await srv?.finish();
});

test('a bad or missing signature is 401 and stores nothing', async () => {
  const before = await ticketCount();
  let r = await post(msg('m-0'), { secret: 'wrong-secret' });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.body.error.field, 'X-Kefu-Signature');
  r = await fetch(`${srv.base}/hooks/APP`, { method: 'POST', body: JSON.stringify(msg('m-0')) });
  assert.equal(r.status, 401);
  // not even a malformed body is looked at before the signature
  r = await post(null, { raw: '{not json', secret: 'x' });
  assert.equal(r.status, 401);
  assert.equal(await ticketCount(), before);
  r = await post(null, { code: 'NOPE' });
  assert.equal(r.status, 404);
});

test('a signed message is a ticket; the same message_id again is a duplicate storing nothing', async () => {
  let r = await post(msg('m-1001'));
  assert.equal(r.status, 202, r.text);
  assert.equal(r.body.duplicate, false);
  assert.match(r.body.ticket.number, /^APP-/);
  const first = r.body;
  const t = (await admin.get(`/api/v1/tickets/${first.ticket.id}`)).body;
  assert.equal(t.channel, 'APP');
  assert.equal(t.customer.name, '小王');
  const n = await ticketCount();
  r = await post(msg('m-1001', { body: '重发一次' }));
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(r.body, { ...first, duplicate: true });
  assert.equal(await ticketCount(), n);
  assert.equal((await messages(first.ticket.id)).length, 1);
});

test('a thread joins its open ticket with the same customer; another thread is another ticket', async () => {
  const a = await post(msg('m-2001', { thread_id: 't-9' }));
  const b = await post(msg('m-2002', { thread_id: 't-9', body: '补充:订单号 8899', customer: { external_id: 'u-42' } }));
  assert.equal(b.status, 202, b.text);
  assert.equal(b.body.ticket.id, a.body.ticket.id);
  assert.notEqual(b.body.message_id, a.body.message_id);
  const items = await messages(a.body.ticket.id);
  assert.deepEqual(items.map((m) => m.body), ['订单一直显示待发货', '补充:订单号 8899']);
  // another thread is another ticket; a bad body names its field
  const c = await post(msg('m-2003', { thread_id: 't-10' }));
  assert.notEqual(c.body.ticket.id, a.body.ticket.id);
  const bad = await post({ message_id: 'm-2004', customer: { external_id: 'u-1' } });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.error.field, 'body');
  const noCustomer = await post({ message_id: 'm-2005', body: 'x' });
  assert.equal(noCustomer.body.error.field, 'customer');
});

test('attachments in base64 are stored with the message', async () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const r = await post(msg('m-3001', { thread_id: 't-files', attachments: [{ filename: '截图.png', content_type: 'image/png', base64: png.toString('base64') }] }));
  assert.equal(r.status, 202, r.text);
  const [m] = await messages(r.body.ticket.id);
  assert.equal(m.attachments.length, 1);
  assert.equal(m.attachments[0].filename, '截图.png');
  const bad = await post(msg('m-3002', { attachments: [{ filename: 'a.bin', base64: '***' }] }));
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.error.field, 'attachments[0].base64');
});

test('a body over 1 MiB is 413', async () => {
  const big = JSON.stringify(msg('m-4001', { body: 'x'.repeat(1024 * 1024 + 10) }));
  const r = await post(null, { raw: big });
  assert.equal(r.status, 413);
});

test('an agent\'s reply is POSTed to reply_url signed, and its delivery shows sent', async () => {
  const r = await post(msg('m-5001', { thread_id: 't-reply' }));
  const id = r.body.ticket.id;
  const rep = await admin.post(`/api/v1/tickets/${id}/messages`, { kind: 'reply', body: '已为您催促仓库发货' });
  assert.equal(rep.status, 201, rep.text);
  const hit = await until('the callback', () => rx.got.find((h) => h.body.message?.id === rep.body.id));
  assert.equal(hit.headers['x-kefu-signature'], sign(hit.raw));
  assert.equal(hit.body.event, 'reply');
  assert.equal(hit.body.ticket.number, r.body.ticket.number);
  assert.equal(hit.body.thread_id, 't-reply');
  assert.equal(hit.body.customer.external_id, 'u-42');
  assert.equal(hit.body.message.body, '已为您催促仓库发货');
  const d = await until('sent', async () => {
    const m = (await messages(id)).find((x) => x.id === rep.body.id);
    return m.delivery?.status === 'sent' && m.delivery;
  });
  assert.equal(d.attempts, 1);
});

test('a receiver that is down gets the reply on a later try; a 4xx fails it for good', async () => {
  const down = await receiver();
  const url = down.url;
  await down.close(); // nothing listens there now
  let r = await admin.patch('/api/v1/channels/APP', { settings: { reply_url: url } });
  assert.equal(r.status, 200, r.text);
  const t = await post(msg('m-6001', { thread_id: 't-retry' }));
  const rep = await admin.post(`/api/v1/tickets/${t.body.ticket.id}/messages`, { kind: 'reply', body: '稍等' });
  const failedOnce = await until('a failed try', async () => {
    const m = (await messages(t.body.ticket.id)).find((x) => x.id === rep.body.id);
    return m.delivery?.attempts === 1 && m.delivery;
  });
  assert.equal(failedOnce.status, 'queued');
  assert.ok(failedOnce.last_error);
  const status = (await admin.get('/api/v1/channels/APP/status')).body;
  assert.equal(status.queued_out, 1);
  // the receiver is back: after the back-off the reply arrives
  r = await admin.patch('/api/v1/channels/APP', { settings: { reply_url: rx.url } });
  await advance(60);
  await until('the retried callback', () => rx.got.find((h) => h.body.message?.id === rep.body.id));
  await until('sent', async () => (await messages(t.body.ticket.id)).find((x) => x.id === rep.body.id).delivery.status === 'sent');
  // the receiver refuses with 404: failed at once, shown on the message and the channel
  const rep2 = await admin.post(`/api/v1/tickets/${t.body.ticket.id}/messages`, { kind: 'reply', body: '永不接收' });
  const d = await until('failed', async () => {
    const m = (await messages(t.body.ticket.id)).find((x) => x.id === rep2.body.id);
    return m.delivery?.status === 'failed' && m.delivery;
  });
  assert.equal(d.attempts, 1);
  assert.match(d.last_error, /404/);
  assert.equal((await admin.get('/api/v1/channels/APP/status')).body.failed_out, 1);
});

test('a channel is rate-limited: 429 once over its limit', async () => {
  const s2 = await new Server({ env: { KEFU_HOOK_RATE_LIMIT: '3' } }).start();
  try {
    const c = await new Client(s2.base).login(ADMIN.username, ADMIN.password);
    assert.equal((await c.patch('/api/v1/channels/APP', { kind: 'webhook', settings: { secret: SECRET } })).status, 200);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await post(msg(`r-${i}`), { base: s2.base })).status);
    assert.deepEqual(codes, [202, 202, 202, 429, 429]);
  } finally {
    await s2.finish();
  }
});
