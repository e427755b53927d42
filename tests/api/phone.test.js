// A telephony system connected as phone channel TEL: a ringing call reaches the named agent's
// live stream with the caller (masked) and their recent tickets; the ended call is recorded on
// the ticket the agent registered during it; a call nobody answered becomes a call-back ticket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { ADMIN, Client, Server } from '../lib/server.js';
import { openStream } from '../lib/sse.js';
import { receiver, until } from '../lib/receiver.js';

const SECRET = 'tel-secret-0123456789';
let srv, admin, li, wang;

const sign = (raw, secret = SECRET) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
async function event(body, secret = SECRET) {
  const raw = JSON.stringify(body);
  const r = await fetch(`${srv.base}/hooks/TEL`, {
    method: 'POST', body: raw, headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': sign(raw, secret) },
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, text };
}
const calls = async (ticketId) => {
  const r = await li.get(`/api/v1/calls?ticket_id=${ticketId}`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
};

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [username, name] of [['li', '李四'], ['wang', '王五']]) {
    const r = await admin.post('/api/v1/users', { username, name, role: 'agent', password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  li = await new Client(srv.base).login('li', 'password-123');
  wang = await new Client(srv.base).login('wang', 'password-123');
  const r = await admin.patch('/api/v1/channels/TEL', { kind: 'phone', settings: { secret: SECRET } });
  assert.equal(r.status, 200, r.text);
});

after(() => srv.finish());

test('a bad signature is 401; a bad event names its field', async () => {
  assert.equal((await event({ event: 'ringing', call_id: 'c-0', caller: '13812345678' }, 'wrong')).status, 401);
  const r = await event({ event: 'hold', call_id: 'c-0', caller: '13812345678' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.field, 'event');
  assert.equal((await event({ event: 'ringing', call_id: 'c-0', caller: 'abc' })).body.error.field, 'caller');
});

test('ringing reaches the named agent with the caller masked and their history; ended records the call on the ticket registered meanwhile', async () => {
  const earlier = await admin.post('/api/v1/tickets', {
    channel: 'MAIL', type: 'fault', subject: '热水器漏水', customer: { name: '张三', phone: '13812345678' },
  });
  assert.equal(earlier.status, 201, earlier.text);
  const liStream = await openStream(li);
  const wangStream = await openStream(wang);
  try {
    const started = new Date().toISOString();
    assert.equal((await event({ event: 'ringing', call_id: 'c-1', caller: '13812345678', agent: 'li', at: started })).status, 202);
    const ring = await liStream.waitFor((evs) => evs.find((e) => e.event === 'call.ringing'));
    const p = ring.data.payload;
    assert.equal(p.call_id, 'c-1');
    assert.equal(p.caller, '138****5678');
    assert.equal(p.customer.name, '张三');
    assert.equal(p.customer.phone, '138****5678');
    assert.deepEqual(p.tickets.map((t) => t.number), [earlier.body.number]);
    // a repeated ringing pops nothing more; another agent sees none of it
    await event({ event: 'ringing', call_id: 'c-1', caller: '13812345678', agent: 'li' });
    assert.equal((await event({ event: 'answered', call_id: 'c-1', caller: '13812345678', agent: 'li' })).status, 202);
    const t = await li.post('/api/v1/tickets', {
      channel: 'TEL', type: 'fault', subject: '热水器又漏水', customer: { name: '张三', phone: '13812345678' },
    });
    assert.equal(t.status, 201, t.text);
    await new Promise((r) => setTimeout(r, 1100)); // a call that lasted a second
    const end = await event({ event: 'ended', call_id: 'c-1', caller: '13812345678', agent: 'li', recording_url: 'https://pbx.example.com/rec/c-1.mp3' });
    assert.equal(end.status, 202, end.text);
    assert.equal(end.body.ticket_id, t.body.id);
    const [c] = await calls(t.body.id);
    assert.equal(c.call_id, 'c-1');
    assert.equal(c.caller, '138****5678');
    assert.equal(c.agent, 'li');
    assert.equal(c.recording_url, 'https://pbx.example.com/rec/c-1.mp3');
    assert.equal(c.ticket_id, t.body.id);
    assert.ok(c.duration_seconds >= 1, JSON.stringify(c));
    assert.ok(c.answered_at && c.ended_at);
    assert.equal(liStream.events.filter((e) => e.event === 'call.ringing').length, 1);
    assert.equal(wangStream.events.filter((e) => e.event === 'call.ringing').length, 0);
  } finally {
    liStream.close();
    wangStream.close();
  }
});

test('a call nobody answered becomes a special ticket to call back', async () => {
  await event({ event: 'ringing', call_id: 'c-2', caller: '13900001111' });
  const end = await event({ event: 'ended', call_id: 'c-2', caller: '13900001111' });
  assert.equal(end.status, 202, end.text);
  assert.ok(end.body.ticket_id);
  const t = (await admin.get(`/api/v1/tickets/${end.body.ticket_id}`)).body;
  assert.equal(t.type, 'special');
  assert.equal(t.subject, '未接来电 139****1111');
  assert.equal(t.channel, 'TEL');
  const [c] = await calls(t.id);
  assert.equal(c.duration_seconds, 0);
  assert.equal(c.answered_at, null);
  // the same ended again makes no second ticket
  const again = await event({ event: 'ended', call_id: 'c-2', caller: '13900001111' });
  assert.equal(again.body.ticket_id, null);
  assert.equal((await calls(t.id)).length, 1);
});

test('a call for no agent in particular rings for everyone on shift, and only them', async () => {
  const d = await admin.post('/api/v1/departments', { code: 'hotline', name: '热线组', assignment: 'round_robin' });
  assert.equal(d.status, 201, d.text);
  let r = await admin.post(`/api/v1/departments/${d.body.id}/members`, { user_id: wang.user.id });
  assert.ok(r.status < 300, r.text);
  const now = Date.now();
  r = await admin.post('/api/v1/shifts', {
    user_id: wang.user.id, department_id: d.body.id,
    starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3600e3).toISOString(),
  });
  assert.equal(r.status, 201, r.text);
  const liStream = await openStream(li);
  const wangStream = await openStream(wang);
  try {
    assert.equal((await event({ event: 'ringing', call_id: 'c-3', caller: '13700002222' })).status, 202);
    const ring = await wangStream.waitFor((evs) => evs.find((e) => e.event === 'call.ringing'));
    assert.equal(ring.data.payload.customer, null); // nobody has this number yet
    assert.deepEqual(ring.data.payload.tickets, []);
    await new Promise((ok) => setTimeout(ok, 300));
    assert.equal(liStream.events.filter((e) => e.event === 'call.ringing').length, 0);
  } finally {
    liStream.close();
    wangStream.close();
  }
});

test('a ringing call reaches the notification webhook as call.ringing, the caller masked', async () => {
  const rx = await receiver();
  try {
    const r = await admin.post('/api/v1/webhooks', { url: rx.url, secret: 'gateway-secret-0123456789', events: ['call.ringing'] });
    assert.equal(r.status, 201, r.text);
    assert.equal((await event({ event: 'ringing', call_id: 'c-hook', caller: '13812345678', agent: 'li' })).status, 202);
    const hit = await until('the delivery', () => rx.got.find((h) => h.body.event === 'call.ringing'));
    assert.match(hit.headers['x-kefu-signature'], /^sha256=[0-9a-f]{64}$/);
    assert.equal(hit.body.ticket, null);
    assert.ok(hit.raw.includes('138****5678'), 'the caller, masked');
    assert.ok(!hit.raw.includes('13812345678'), 'never the full number');
  } finally {
    await rx.close();
  }
});
