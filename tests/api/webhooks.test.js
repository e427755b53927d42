// The notification webhook: an admin points it at a gateway (here a real HTTP receiver on
// 127.0.0.1 started by the test); every subscribed event reaches it once, signed, retried with
// back-off until a 2xx, every try visible, nothing lost or repeated across a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, Client, Server, freePort } from '../lib/server.js';

const SECRET = 'gateway-secret-0123456789';
let srv, admin, agent, offset = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Moves the server's clock on by `s` seconds (and by what has passed meanwhile).
async function advance(s) {
  offset += s * 1000;
  const r = await admin.post('/api/v1/test/clock', { now: new Date(Date.now() + offset).toISOString() });
  assert.equal(r.status, 200, r.text);
}

async function hook(url, events = ['ticket.assigned']) {
  const r = await admin.post('/api/v1/webhooks', { url, secret: SECRET, events });
  assert.equal(r.status, 201, r.text);
  return r.body.webhook;
}

const deliveries = async (id) => {
  const r = await admin.get(`/api/v1/webhooks/${id}/deliveries`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
};

async function assigned(subject = '空调不制冷') {
  let r = await admin.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', subject, urgency: 'high',
    customer: { name: '张三', phone: '13812345678' },
  });
  assert.equal(r.status, 201, r.text);
  r = await admin.patch(`/api/v1/tickets/${r.body.id}`, { assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// The admin (by an API token that does not expire: the test clock runs days on, past any
// session) and the agent 李四, again after a restart (the port is new).
let adminToken;
async function signIn() {
  if (!adminToken) {
    const session = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
    const r = await session.post('/api/v1/tokens', { name: 'webhooks test', expires_at: null });
    assert.equal(r.status, 201, r.text);
    adminToken = r.body.token;
  }
  admin = new Client(srv.base);
  admin.token = adminToken;
  agent = await new Client(srv.base).login('li', 'password-123');
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const r = await admin.post('/api/v1/users', {
    username: 'li', name: '李四', role: 'agent', password: 'password-123',
  });
  assert.equal(r.status, 201, r.text);
  await signIn();
});

after(() => srv.finish());

test('an admin configures webhooks; bad ones are refused naming the field; the secret is never shown', async () => {
  const bad = [
    [{ url: 'ftp://gw.example.com/x', secret: SECRET, events: ['ticket.assigned'] }, 'url'],
    [{ url: 'http:///nohost', secret: SECRET, events: ['ticket.assigned'] }, 'url'],
    [{ secret: SECRET, events: ['ticket.assigned'] }, 'url'],
    [{ url: 'http://10.0.0.8/sms', secret: 'short', events: ['ticket.assigned'] }, 'secret'],
    [{ url: 'http://10.0.0.8/sms', secret: '', events: ['ticket.assigned'] }, 'secret'],
    [{ url: 'http://10.0.0.8/sms', events: ['ticket.assigned'] }, 'secret'],
    [{ url: 'http://10.0.0.8/sms', secret: SECRET, events: [] }, 'events'],
    [{ url: 'http://10.0.0.8/sms', secret: SECRET }, 'events'],
    [{ url: 'http://10.0.0.8/sms', secret: SECRET, events: ['ticket.exploded'] }, 'events'],
    [{ url: 'http://10.0.0.8/sms', secret: SECRET, events: 'ticket.assigned' }, 'events'],
    [{ url: 'http://10.0.0.8/sms', secret: SECRET, events: ['*'], enabled: 'yes' }, 'enabled'],
  ];
  for (const [body, field] of bad) {
    const r = await admin.post('/api/v1/webhooks', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  const r0 = await admin.req('POST', '/api/v1/webhooks', undefined, { raw: '{"url":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r0.status, 400);

  // private and loopback addresses are the admin's choice
  let r = await admin.post('/api/v1/webhooks', { url: 'http://10.0.0.8:8080/sms', secret: SECRET, events: ['*'], enabled: false });
  assert.equal(r.status, 201, r.text);
  const w = r.body.webhook;
  assert.deepEqual(w.events, ['*']);
  assert.equal(w.enabled, false);
  assert.equal(JSON.stringify(r.body).includes(SECRET), false, 'the secret is not echoed');
  r = await admin.get(`/api/v1/webhooks/${w.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.webhook.url, 'http://10.0.0.8:8080/sms');
  assert.equal(r.text.includes(SECRET), false);
  r = await admin.get('/api/v1/webhooks');
  assert.ok(r.body.items.some((x) => x.id === w.id));
  assert.equal(r.text.includes(SECRET), false);
  r = await admin.patch(`/api/v1/webhooks/${w.id}`, { events: ['ticket.sla_warning', 'ticket.escalated'], enabled: true });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.webhook.events, ['ticket.sla_warning', 'ticket.escalated']);
  assert.equal(r.body.webhook.enabled, true);
  r = await admin.patch(`/api/v1/webhooks/${w.id}`, { secret: 'too-short' });
  assert.equal(r.body.error.field, 'secret');
  r = await admin.patch(`/api/v1/webhooks/${w.id + 1000}`, { enabled: false });
  assert.equal(r.status, 404);

  // only admins
  for (const [m, p, b] of [['GET', '/api/v1/webhooks'], ['POST', '/api/v1/webhooks', { url: 'http://x.example', secret: SECRET, events: ['*'] }],
    ['GET', `/api/v1/webhooks/${w.id}`], ['PATCH', `/api/v1/webhooks/${w.id}`, { enabled: false }],
    ['DELETE', `/api/v1/webhooks/${w.id}`], ['GET', `/api/v1/webhooks/${w.id}/deliveries`]]) {
    r = await agent.req(m, p, b);
    assert.equal(r.status, 403, `${m} ${p}`);
  }
  r = await admin.del(`/api/v1/webhooks/${w.id}`);
  assert.equal(r.status, 204);
  r = await admin.get(`/api/v1/webhooks/${w.id}`);
  assert.equal(r.status, 404);
});

test('an assignment reaches the gateway once: signed, with the ticket (contact masked) and the notice', async () => {
  const rx = await receiver();
  const w = await hook(rx.url, ['ticket.assigned', 'notification.created']);
  const t = await assigned('热水器漏水');
  await until('two deliveries', () => rx.got.length >= 2);
  await sleep(1500); // nothing more comes
  const mine = rx.got.filter((h) => h.body.ticket?.id === t.id);
  assert.equal(mine.length, 2, JSON.stringify(rx.got.map((h) => h.body.event)));
  const a = mine.find((h) => h.body.event === 'ticket.assigned');
  const n = mine.find((h) => h.body.event === 'notification.created');
  assert.ok(a && n);

  for (const h of [a, n]) {
    assert.equal(h.method, 'POST');
    assert.equal(h.url, '/hook');
    assert.match(h.headers['content-type'], /^application\/json/);
    assert.equal(h.headers['x-kefu-event'], h.body.event);
    const sig = 'sha256=' + createHmac('sha256', SECRET).update(h.raw).digest('hex');
    assert.equal(h.headers['x-kefu-signature'], sig);
    const wrong = 'sha256=' + createHmac('sha256', 'another-secret-00000').update(h.raw).digest('hex');
    assert.notEqual(h.headers['x-kefu-signature'], wrong);
    assert.equal(h.headers['x-kefu-delivery'], String(h.body.delivery));
    assert.ok(!Number.isNaN(Date.parse(h.body.at)));
    assert.equal(h.body.ticket.number, t.number);
    assert.equal(h.body.ticket.assignee.id, agent.user.id);
    assert.equal(h.body.ticket.customer.phone, '138****5678', 'the contact is masked');
    assert.equal(h.raw.includes('13812345678'), false);
  }
  assert.equal(a.body.detail.to, agent.user.id);
  // the assignee's notice: who, the summary, the deadline, the contact
  assert.equal(n.body.notification.kind, 'assigned');
  assert.deepEqual(n.body.notification.user, { id: agent.user.id, name: '李四' });
  assert.equal(n.body.notification.notice.subject, '热水器漏水');
  assert.equal(n.body.notification.notice.number, t.number);
  assert.ok(n.body.notification.notice.due_at, 'the deadline');
  assert.equal(n.body.notification.notice.customer.contact, '138****5678');

  const list = await deliveries(w.id);
  assert.equal(list.length, 2);
  for (const d of list) {
    assert.equal(d.status, 'delivered');
    assert.equal(d.attempts, 1);
    assert.equal(d.next_at, null);
    assert.equal(d.last_status, 200);
    assert.equal(d.tries.length, 1);
    assert.equal(d.tries[0].status, 200);
  }
  assert.ok(list[0].id > list[1].id, 'newest first');
  await rx.close();
  await admin.del(`/api/v1/webhooks/${w.id}`);
});

test('a receiver answering 500 gets it again after the back-off, and every try is listed', async () => {
  const rx = await receiver({ answer: (h, i) => (i === 1 ? 500 : 204) });
  const w = await hook(rx.url);
  const t = await assigned();
  await until('the first try', () => rx.got.length === 1);
  let d = await until('the try recorded', async () => (await deliveries(w.id)).find((x) => x.attempts === 1));
  assert.equal(d.status, 'pending');
  assert.equal(d.last_status, 500);
  assert.ok(d.last_error);
  assert.equal(d.tries.length, 1);
  const wait = Date.parse(d.next_at) - Date.parse(d.tries[0].at);
  assert.equal(wait, 30000, 'the first back-off is 30 seconds');
  await sleep(2500);
  assert.equal(rx.got.length, 1, 'not again before the back-off');
  await advance(31);
  await until('the second try', () => rx.got.length === 2);
  d = await until('delivered', async () => (await deliveries(w.id)).find((x) => x.status === 'delivered'));
  assert.equal(d.attempts, 2);
  assert.deepEqual(d.tries.map((x) => x.status), [500, 204]);
  assert.equal(d.last_status, 204);
  assert.equal(rx.got[0].headers['x-kefu-delivery'], rx.got[1].headers['x-kefu-delivery'], 'the same id');
  assert.equal(rx.got[0].raw, rx.got[1].raw, 'the same body');
  assert.equal(rx.got[1].body.ticket.id, t.id);
  await rx.close();
  await admin.del(`/api/v1/webhooks/${w.id}`);
});

test('a receiver that is down gets the delivery once it is up', async () => {
  const port = await freePort();
  const w = await hook(`http://127.0.0.1:${port}/hook`);
  const t = await assigned();
  const d = await until('a failed try', async () => (await deliveries(w.id)).find((x) => x.attempts === 1));
  assert.equal(d.status, 'pending');
  assert.equal(d.last_status, null);
  assert.ok(d.tries[0].error, 'what went wrong');
  assert.equal(d.tries[0].status, null);
  const rx = await receiver({ port });
  await advance(31);
  await until('the delivery', () => rx.got.length === 1);
  assert.equal(rx.got[0].body.ticket.id, t.id);
  assert.equal(rx.got[0].headers['x-kefu-delivery'], String(d.id));
  const done = await until('delivered', async () => (await deliveries(w.id)).find((x) => x.status === 'delivered'));
  assert.equal(done.tries.length, 2);
  await rx.close();
  await admin.del(`/api/v1/webhooks/${w.id}`);
});

test('a restart neither loses nor repeats a delivery', async () => {
  // one tried and due again when the server stops; one whose event is written just before a crash
  const rx = await receiver({ answer: (h, i) => (i === 1 ? 503 : 200) });
  const w1 = await hook(rx.url);
  const t1 = await assigned('重启前');
  await until('the first try recorded', async () => (await deliveries(w1.id)).find((x) => x.attempts === 1));
  assert.equal((await srv.stop()).code, 0);
  await srv.start();
  await signIn();
  await advance(31);
  await until('delivered after the restart', () => rx.got.length === 2);
  assert.equal(rx.got[0].headers['x-kefu-delivery'], rx.got[1].headers['x-kefu-delivery']);

  const port = await freePort();
  const w2 = await hook(`http://127.0.0.1:${port}/hook`);
  const t2 = await assigned('崩溃前');
  await srv.kill(); // SIGKILL: no shutdown at all
  await srv.start();
  await signIn();
  const rx2 = await receiver({ port });
  await advance(31);
  await until('the crashed one delivered', () => rx2.got.length >= 1);
  await advance(120); // were it queued twice or left pending, it would come again by now
  await sleep(2500);
  assert.equal(rx2.got.length, 1, 'delivered once');
  assert.equal(rx2.got[0].body.ticket.id, t2.id);
  // the first webhook takes every assignment too: t1 twice (the try before the stop and the
  // one after, one delivery id), t2 once
  const of = (t) => rx.got.filter((h) => h.body.ticket.id === t.id);
  assert.equal(of(t1).length, 2);
  assert.equal(of(t2).length, 1, 'the crashed one reached the first receiver once as well');

  const l1 = (await deliveries(w1.id)).filter((d) => d.body.ticket.id === t1.id);
  assert.equal(l1.length, 1);
  assert.equal(l1[0].status, 'delivered');
  assert.deepEqual(l1[0].tries.map((x) => x.status), [503, 200]);
  assert.equal((await deliveries(w1.id)).length, 2);
  const l2 = await deliveries(w2.id);
  assert.equal(l2.length, 1, 'one delivery of the event');
  assert.equal(l2[0].status, 'delivered');
  assert.equal(String(l2[0].id), rx2.got[0].headers['x-kefu-delivery']);
  await rx.close();
  await rx2.close();
});

test('a disabled webhook sends nothing; a delivery can be tried again at once', async () => {
  const rx = await receiver({ answer: () => 500 });
  const w = await hook(rx.url);
  await assigned();
  const d = await until('a failed try', async () => (await deliveries(w.id)).find((x) => x.attempts === 1));
  let r = await admin.patch(`/api/v1/webhooks/${w.id}`, { enabled: false });
  assert.equal(r.status, 200);
  r = await admin.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.delivery.id, d.id);
  assert.equal(r.body.delivery.status, 'pending');
  assert.ok(Date.parse(r.body.delivery.next_at) <= Date.parse(d.next_at), 'due now, not after the back-off');
  await sleep(2500);
  assert.equal(rx.got.length, 1, 'disabled: not sent');
  r = await admin.patch(`/api/v1/webhooks/${w.id}`, { enabled: true });
  await until('sent again at once', () => rx.got.length === 2);
  r = await admin.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id + 1000}/retry`);
  assert.equal(r.status, 404);
  r = await agent.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`);
  assert.equal(r.status, 403);
  r = await admin.get(`/api/v1/webhooks/${w.id}/deliveries?cursor=x`);
  assert.equal(r.body.error.field, 'cursor');
  await rx.close();
  await admin.del(`/api/v1/webhooks/${w.id}`);
});

test('after about a day of failures a delivery is failed; an admin queues it again', async () => {
  let status = 500;
  const rx = await receiver({ answer: () => status });
  const w = await hook(rx.url);
  await assigned('一直失败');
  let d = await until('the first try', async () => (await deliveries(w.id)).find((x) => x.attempts === 1));
  const waits = [30, 60, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800];
  for (let i = 0; i < waits.length; i++) {
    assert.equal(d.status, 'pending');
    assert.equal(Date.parse(d.next_at) - Date.parse(d.tries[i].at), waits[i] * 1000, `back-off ${i + 1}`);
    await advance(waits[i] + 1);
    d = await until(`try ${i + 2}`, async () => (await deliveries(w.id)).find((x) => x.attempts === i + 2));
  }
  assert.equal(d.status, 'failed', 'given up after twelve tries over about a day');
  assert.equal(d.next_at, null);
  assert.equal(d.tries.length, 12);
  assert.equal(rx.got.length, 12);
  await advance(86400);
  await sleep(1500);
  assert.equal(rx.got.length, 12, 'a failed delivery is not tried by itself');

  status = 200;
  let r = await admin.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.delivery.status, 'pending');
  assert.equal(r.body.delivery.attempts, 0);
  d = await until('delivered', async () => (await deliveries(w.id)).find((x) => x.status === 'delivered'));
  assert.equal(d.tries.length, 13, 'every try stays listed');
  assert.equal(rx.got.length, 13);
  r = await admin.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`);
  assert.equal(r.status, 409, 'a delivered one is not sent again');
  await rx.close();
  await admin.del(`/api/v1/webhooks/${w.id}`);
});
