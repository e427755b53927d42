// The live stream: the outbox's events as Server-Sent Events, resumed by Last-Event-ID without
// loss or repeat, filtered by who may see them, closed when the session ends, and no obstacle
// to stopping the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Server, ADMIN } from '../lib/server.js';
import { about, openStream } from '../lib/sse.js';

let srv, admin, sup, agent, spec, tech, warehouse;

async function user(username, role, dept) {
  const r = await admin.post('/api/v1/users', {
    username, name: username.toUpperCase(), role, password: 'password-123', department_id: dept ? dept.id : null,
  });
  assert.equal(r.status, 201, r.text);
  return new Client(srv.base).login(username, 'password-123');
}

async function ticket(subject, category = null) {
  const r = await admin.post('/api/v1/tickets', {
    channel: 'TEL', type: { 'device-fault': 'fault', 'logistics-delay': 'complaint' }[category] || 'inquiry',
    category, subject, urgency: 'medium',
    customer: { name: '李四', phone: '13900001111' },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [code, name] of [['tech', '技术支持'], ['warehouse', '仓储部']]) {
    const r = await admin.post('/api/v1/departments', { code, name });
    assert.equal(r.status, 201, r.text);
    if (code === 'tech') tech = r.body; else warehouse = r.body;
  }
  let r = await admin.patch('/api/v1/categories/device-fault', { department_id: tech.id });
  assert.equal(r.status, 200, r.text);
  r = await admin.patch('/api/v1/categories/logistics-delay', { department_id: warehouse.id });
  assert.equal(r.status, 200, r.text);
  sup = await user('sup', 'supervisor');
  agent = await user('agent', 'agent');
  spec = await user('spec', 'specialist', tech);
});

after(() => srv.cleanup());

test('without a session or token the stream answers 401; a bad Last-Event-ID 422', async () => {
  const s = await openStream(new Client(srv.base));
  assert.equal(s.status, 401);
  assert.equal(s.body.error.code, 'unauthorized');
  const bad = await openStream(admin, { lastEventId: 'yesterday' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'last_event_id');
});

test('an event arrives as soon as a ticket is created', async () => {
  const s = await openStream(sup);
  assert.equal(s.status, 200);
  assert.match(s.headers['content-type'], /^text\/event-stream/);
  const ready = await s.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  assert.match(s.text, /^retry: \d+\n/);
  const t = await ticket('打印机卡纸', 'device-fault');
  const [ev] = await s.waitFor((evs) => about(evs, 'ticket.created', t.id).length && about(evs, 'ticket.created', t.id));
  assert.ok(ev.id > ready.id);
  assert.deepEqual(Object.keys(ev.data).sort(), ['at', 'entity', 'entity_id', 'kind', 'payload']);
  assert.equal(ev.data.kind, 'ticket.created');
  assert.equal(ev.data.entity, 'ticket');
  assert.equal(ev.data.payload.number, t.number);
  assert.ok(Math.abs(Date.parse(ev.data.at) - Date.parse(t.created_at)) < 1000);
  s.close();
});

test('Last-Event-ID resumes after the event named: nothing lost, nothing twice', async () => {
  const s = await openStream(admin);
  await s.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  const t1 = await ticket('第一单');
  const t2 = await ticket('第二单');
  await s.waitFor((ev) => about(ev, 'ticket.created', t2.id).length);
  const mark = about(s.events, 'ticket.created', t1.id)[0].id;
  const seen = s.events.filter((e) => e.id > mark && e.event !== 'ready');
  s.close();
  // while nobody listens, more happens
  const t3 = await ticket('第三单');
  let r = await admin.patch(`/api/v1/tickets/${t3.id}`, { status: 'accepted' });
  assert.equal(r.status, 200, r.text);
  for (const resume of [{ lastEventId: mark }, { query: `?last_event_id=${mark}` }]) {
    const again = await openStream(admin, resume);
    assert.equal(again.status, 200);
    await again.waitFor((ev) => about(ev, 'ticket.status_changed', t3.id).length);
    const got = again.events.filter((e) => e.event !== 'ready');
    const ids = got.map((e) => e.id);
    assert.ok(ids[0] > mark, 'nothing from before the mark');
    assert.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b), 'each once, in order');
    // everything the first stream saw after the mark comes again, then what came meanwhile
    for (const e of seen) assert.ok(ids.includes(e.id), `event ${e.id} (${e.event}) is there`);
    assert.ok(about(got, 'ticket.created', t2.id).length === 1);
    assert.ok(about(got, 'ticket.created', t3.id).length === 1);
    assert.equal(about(got, 'ticket.created', t1.id).length, 0);
    // and it goes on live, without repeats
    const t4 = await ticket('第四单');
    await again.waitFor((ev) => about(ev, 'ticket.created', t4.id).length);
    const all = again.events.map((e) => e.id).filter((x) => x > mark);
    assert.equal(all.length, new Set(all).size);
    again.close();
  }
  r = await admin.patch(`/api/v1/tickets/${t3.id}`, { status: 'in_progress' });
  assert.equal(r.status, 200);
});

test('a long backlog comes whole after a resume, in order, each event once', async () => {
  const s = await openStream(admin);
  const ready = await s.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  s.close();
  const made = [];
  for (let i = 0; i < 300; i++) made.push((await ticket(`积压工单 ${i} ` + '很长的描述'.repeat(10))).id);
  const again = await openStream(admin, { lastEventId: ready.id });
  await again.waitFor((ev) => about(ev, 'ticket.created', made[made.length - 1]).length, 20000);
  const created = again.events.filter((e) => e.event === 'ticket.created').map((e) => e.data.entity_id);
  assert.deepEqual(created, made);
  const ids = again.events.filter((e) => e.event !== 'ready').map((e) => e.id);
  assert.deepEqual(ids, [...new Set(ids)].sort((x, y) => x - y));
  again.close();
});

test("a specialist gets their departments' ticket events and their own notifications only", async () => {
  const mine = await openStream(spec);
  const other = await openStream(agent);
  await mine.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  await other.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  // first what they must not see: the warehouse's ticket, and a notice for the agent
  const away = await ticket('物流延迟', 'logistics-delay');
  let r = await sup.patch(`/api/v1/tickets/${away.id}`, { assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  // then their own department's ticket, assigned to them
  const home = await ticket('设备故障', 'device-fault');
  r = await sup.patch(`/api/v1/tickets/${home.id}`, { assignee_id: spec.user.id });
  assert.equal(r.status, 200, r.text);
  await mine.waitFor((ev) => ev.find((e) => e.event === 'notification.created'));
  await mine.waitFor((ev) => about(ev, 'ticket.assigned', home.id).length);
  assert.ok(about(mine.events, 'ticket.created', home.id).length === 1);
  // the hub hands events out in order: what came before theirs would be there by now
  assert.equal(mine.events.filter((e) => e.data.entity === 'ticket' && e.data.entity_id === away.id).length, 0);
  const notes = mine.events.filter((e) => e.event === 'notification.created');
  assert.equal(notes.length, 1);
  assert.equal(notes[0].data.entity_id, spec.user.id);
  assert.equal(notes[0].data.payload.ticket_id, home.id);
  assert.equal(notes[0].data.payload.kind, 'assigned');
  // the agent (who sees every ticket) got the warehouse's ticket and only their own notice
  await other.waitFor((ev) => about(ev, 'ticket.assigned', home.id).length);
  const theirs = other.events.filter((e) => e.event === 'notification.created');
  assert.deepEqual(theirs.map((e) => e.data.entity_id), [agent.user.id]);
  assert.equal(theirs[0].data.payload.ticket_id, away.id);
  mine.close();
  other.close();
});

test('a stream ends when its session is signed out; too many streams are refused', async () => {
  const c = await new Client(srv.base).login('agent', 'password-123');
  const s = await openStream(c);
  await s.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  const r = await c.post('/api/v1/auth/logout');
  assert.equal(r.status, 204);
  await s.untilEnd(5000);
  assert.ok(s.ended);
  // ten at once per user; the eleventh is refused, and a closed one makes room
  const open = [];
  for (let i = 0; i < 10; i++) open.push(await openStream(sup));
  assert.deepEqual(open.map((x) => x.status), Array(10).fill(200));
  const extra = await openStream(sup);
  assert.equal(extra.status, 429);
  assert.equal(extra.body.error.code, 'too_many_requests');
  open.pop().close();
  let again;
  for (let i = 0; i < 20; i++) { // once the server has seen the socket close
    again = await openStream(sup);
    if (again.status === 200) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.equal(again.status, 200);
  for (const x of [...open, again]) x.close();
});

test('the server stops promptly with streams open, ending them', async () => {
  const a = await openStream(admin);
  const b = await openStream(spec);
  await a.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  await b.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  const t0 = Date.now();
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, srv.log);
  assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
  await a.untilEnd(1000);
  await b.untilEnd(1000);
});
