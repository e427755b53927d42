// Registering, finding, working and closing tickets; the conversation and the record.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv, admin, agent, agent2, sup, spec;

const today = () => {
  const d = new Date(Date.now() + 8 * 3600 * 1000); // Asia/Shanghai
  return d.toISOString().slice(0, 10).replaceAll('-', '');
};

async function newTicket(c, extra = {}) {
  const r = await c.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay',
    subject: '家电未按时送货', description: '承诺10月1日送达,至今未收到', urgency: 'high',
    customer: { name: '张三', phone: '13812345678', email: 'zhang@example.com', member_id: '86', tier: 'vip' },
    ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  const d = await admin.post('/api/v1/departments', { code: 'tech', name: '技术支持' });
  assert.equal(d.status, 201, d.text);
  for (const [username, role, dep] of [['a1', 'agent'], ['a2', 'agent'], ['s1', 'supervisor'], ['sp1', 'specialist', d.body.id]]) {
    const r = await admin.post('/api/v1/users', { username, name: username.toUpperCase(), role, password: 'password-123', department_id: dep });
    assert.equal(r.status, 201, r.text);
  }
  agent = await new Client(srv.base).login('a1', 'password-123');
  agent2 = await new Client(srv.base).login('a2', 'password-123');
  sup = await new Client(srv.base).login('s1', 'password-123');
  spec = await new Client(srv.base).login('sp1', 'password-123');
});

after(() => srv.finish());

test('a registered phone request gets its number at once, masked contacts and every record field', async () => {
  const t = await newTicket(agent, { raised_at: new Date(Date.now() - 10 * 60000).toISOString(), contact_name: '张先生', mood: 'anxious', mood_note: '语气急促' });
  assert.match(t.number, new RegExp(`^TEL-${today()}-\\d{3}$`));
  assert.equal(t.status, 'new');
  assert.equal(t.priority, 'high');
  assert.equal(t.version, 1);
  assert.deepEqual(t.customer, {
    id: t.customer.id, name: '张三', phone: '138****5678', email: 'z***@example.com',
    member_id: 'ID-86', tier: 'vip', masked: true,
  });
  assert.equal(t.mood, 'anxious');
  assert.equal(t.contact_name, '张先生');
  assert.match(t.times.raised_at, /\+08:00$/);
  for (const k of ['taken_over_at', 'first_response_at', 'processing_started_at', 'resolved_at', 'closed_at']) {
    assert.equal(t.times[k], null, k);
  }
  assert.deepEqual(Object.keys(t.durations), ['first_response_minutes', 'resolution_minutes', 'total_minutes']);
  assert.deepEqual(t.next_statuses, ['accepted', 'in_progress']);
  assert.equal(t.created_by.name, 'A1');
  assert.ok(!JSON.stringify(t).includes('13812345678'));
});

test('the second ticket of the same customer finds the customer, and numbers count up', async () => {
  const a = await newTicket(agent);
  const b = await newTicket(agent, { customer: { name: '张三', phone: '138 1234 5678' } });
  assert.equal(a.customer.id, b.customer.id);
  assert.equal(Number(b.number.slice(-3)), Number(a.number.slice(-3)) + 1);
});

test('the seed 004 number format can be chosen in settings', async () => {
  const s = await admin.patch('/api/v1/settings', { ticket_number_format: '{YYYYMMDD}{serial:3}' });
  assert.equal(s.status, 200, s.text);
  const t = await newTicket(agent);
  assert.match(t.number, new RegExp(`^${today()}\\d{3}$`));
  const bad = await admin.patch('/api/v1/settings', { ticket_number_format: '{channel}' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'ticket_number_format');
  await admin.patch('/api/v1/settings', { ticket_number_format: '{channel}-{YYYYMMDD}-{serial}' });
});

test('the lifecycle fills the time nodes and durations; illegal moves are refused', async () => {
  const t = await newTicket(agent, { raised_at: new Date(Date.now() - 30 * 60000).toISOString() });
  const path = '/api/v1/tickets/' + t.id;
  let r = await agent.patch(path, { status: 'closed' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'status');

  r = await agent.patch(path, { status: 'accepted' });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.times.taken_over_at);
  assert.equal(r.body.assignee.name, 'A1');

  r = await agent2.patch(path, { status: 'in_progress' });
  assert.equal(r.status, 403, 'another agent may not work a ticket that is not theirs');

  r = await agent.patch(path, { status: 'in_progress' });
  assert.ok(r.body.times.processing_started_at);

  r = await agent.post(path + '/messages', { kind: 'note', body: '内部:联系仓库' });
  assert.equal(r.status, 201);
  r = await agent.get(path);
  assert.equal(r.body.times.first_response_at, null, 'a note is not a response');
  r = await agent.post(path + '/messages', { kind: 'reply', body: '您好,已为您加急处理' });
  assert.equal(r.status, 201);
  r = await agent.get(path);
  assert.ok(r.body.times.first_response_at);
  assert.ok(r.body.durations.first_response_minutes >= 29);

  r = await agent.patch(path, { status: 'waiting_customer' });
  assert.equal(r.body.status, 'waiting_customer');
  r = await agent.patch(path, { status: 'resolved' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'result');
  r = await agent.patch(path, { status: 'resolved', result: 'fixed', measures: '协调仓库当日发货' });
  assert.equal(r.status, 200);
  assert.ok(r.body.times.resolved_at);
  assert.ok(r.body.durations.resolution_minutes >= 29);
  assert.equal(r.body.measures, '协调仓库当日发货');
  r = await agent.patch(path, { status: 'closed' });
  assert.ok(r.body.times.closed_at);
  assert.ok(r.body.durations.total_minutes >= 29);
  assert.deepEqual(r.body.next_statuses, []);

  r = await agent.patch(path, { status: 'in_progress' });
  assert.equal(r.status, 403, 'only a supervisor reopens a closed ticket');
  r = await sup.patch(path, { status: 'in_progress' });
  assert.equal(r.status, 200);
  assert.equal(r.body.times.resolved_at, null);
  assert.equal(r.body.times.closed_at, null);

  const h = await agent.get(path + '/history');
  const actions = h.body.items.map((e) => e.action);
  assert.deepEqual(actions.slice(0, 3), ['created', 'status_changed', 'assigned']);
  assert.ok(actions.includes('noted') && actions.includes('replied'));
  const moves = h.body.items.filter((e) => e.action === 'status_changed').map((e) => e.detail.to);
  assert.deepEqual(moves, ['accepted', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'in_progress']);
  for (const e of h.body.items) {
    assert.match(e.at, /\+08:00$/);
    assert.ok(e.actor && e.actor.name);
  }
});

test('re-classification is allowed and logged with before and after', async () => {
  const t = await newTicket(agent);
  const r = await agent.patch('/api/v1/tickets/' + t.id, { type: 'fault', category: 'device-fault', urgency: 'low' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, 'fault');
  assert.equal(r.body.priority, 'low');
  const h = await agent.get(`/api/v1/tickets/${t.id}/history`);
  const rc = h.body.items.find((e) => e.action === 'reclassified');
  assert.deepEqual(rc.detail.changes.type, { from: 'complaint', to: 'fault' });
  assert.deepEqual(rc.detail.changes.category, { from: 'logistics-delay', to: 'device-fault' });
  assert.deepEqual(rc.detail.changes.urgency, { from: 'high', to: 'low' });
});

test('two agents editing the same version: the second gets 409, not a silent overwrite', async () => {
  const t = await newTicket(agent);
  const path = '/api/v1/tickets/' + t.id;
  const a = await agent.patch(path, { remarks: '第一位' }, { headers: { 'If-Match': String(t.version) } });
  assert.equal(a.status, 200);
  const b = await sup.patch(path, { remarks: '第二位' }, { headers: { 'If-Match': String(t.version) } });
  assert.equal(b.status, 409);
  assert.equal(b.body.error.code, 'conflict');
  const now = await agent.get(path);
  assert.equal(now.body.remarks, '第一位');
  assert.equal(now.headers.get('etag'), `"${now.body.version}"`);
});

test('the pending pool sorts by priority then age and filters', async () => {
  const lo = await newTicket(agent, { urgency: 'low', subject: '排序低', channel: 'WX' });
  const hi = await newTicket(agent, { urgency: 'high', subject: '排序高', channel: 'WX' });
  const mid = await newTicket(agent, { urgency: 'medium', subject: '排序中', channel: 'WX' });
  const r = await agent.get('/api/v1/tickets?channel=WX');
  assert.deepEqual(r.body.items.map((t) => t.id), [hi.id, mid.id, lo.id]);
  const f = await agent.get('/api/v1/tickets?channel=WX&priority=low,medium');
  assert.deepEqual(f.body.items.map((t) => t.id), [mid.id, lo.id]);
  const none = await agent.get('/api/v1/tickets?channel=WX&assignee_id=me');
  assert.equal(none.body.items.length, 0);
  const un = await agent.get('/api/v1/tickets?channel=WX&assignee_id=none&status=new');
  assert.equal(un.body.items.length, 3);
  const bad = await agent.get('/api/v1/tickets?status=open');
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'status');
});

test('paging with next_cursor visits every ticket once', async () => {
  for (let i = 0; i < 7; i++) await newTicket(agent, { channel: 'APP', urgency: ['low', 'high', 'medium'][i % 3] });
  const seen = [];
  let cursor = null;
  do {
    const r = await agent.get('/api/v1/tickets?channel=APP&limit=3' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    assert.equal(r.status, 200, r.text);
    seen.push(...r.body.items.map((t) => t.id));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7);
  const bad = await agent.get('/api/v1/tickets?cursor=garbage');
  assert.equal(bad.status, 422);
});

test('text search finds two-character Chinese words, English words and ticket numbers', async () => {
  const a = await newTicket(agent, { subject: '申请退款', description: 'refund for order 7788', channel: 'SOC' });
  const b = await newTicket(agent, { subject: '空调不制冷', description: '家里空调坏了', channel: 'SOC', type: 'fault', category: 'device-fault' });
  const q = async (s) => (await agent.get('/api/v1/tickets?channel=SOC&q=' + encodeURIComponent(s))).body.items.map((t) => t.id);
  assert.deepEqual(await q('退款'), [a.id]);
  assert.deepEqual(await q('空调'), [b.id]);
  assert.deepEqual(await q('REFUND'), [a.id]);
  assert.deepEqual(await q(b.number), [b.id]);
  assert.deepEqual(await q('退款 空调'), []);
  assert.deepEqual(await q('"quoted'), []);
});

test('supervisors see the full contact only on request, and the view is logged', async () => {
  const t = await newTicket(agent);
  const denied = await agent.get(`/api/v1/tickets/${t.id}?unmask=1`);
  assert.equal(denied.status, 403);
  const r = await sup.get(`/api/v1/tickets/${t.id}?unmask=1`);
  assert.equal(r.status, 200);
  assert.equal(r.body.customer.phone, '13812345678');
  assert.equal(r.body.customer.email, 'zhang@example.com');
  assert.equal(r.body.customer.masked, false);
  const h = await sup.get(`/api/v1/tickets/${t.id}/history`);
  const v = h.body.items.filter((e) => e.action === 'contact_viewed');
  assert.equal(v.length, 1);
  assert.equal(v[0].actor.name, 'S1');
  const c = await sup.get(`/api/v1/customers/${t.customer.id}?unmask=1`);
  assert.equal(c.body.phone, '13812345678');
});

test('the customer history shows the last months of tickets', async () => {
  const t = await newTicket(agent, { customer: { name: '王五', phone: '13911112222' } });
  await newTicket(agent, { customer: { name: '王五', phone: '13911112222' } });
  const r = await agent.get(`/api/v1/customers/${t.customer.id}/history?months=3`);
  assert.equal(r.status, 200);
  assert.equal(r.body.items.length, 2);
  assert.ok(r.body.items.every((x) => x.customer.id === t.customer.id));
  assert.equal((await agent.get(`/api/v1/customers/${t.customer.id}/history?months=99`)).status, 422);
});

test('a customer\'s contact can be changed and removed, the name not', async () => {
  const r = await agent.post('/api/v1/customers', { name: '赵六', phone: '13922223333', email: 'zhao@example.com' });
  assert.equal(r.status, 201, r.text);
  const id = r.body.id;
  let p = await agent.patch(`/api/v1/customers/${id}`, { email: null, member_id: 'M-77' });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.body.email, null);
  assert.ok(p.body.phone); // untouched (and masked)
  const c = await sup.get(`/api/v1/customers/${id}?unmask=1`);
  assert.equal(c.body.email, null);
  assert.equal(c.body.phone, '13922223333');
  assert.equal(c.body.member_id, 'M-77');
  // the address is free for someone else now
  const other = await agent.post('/api/v1/customers', { name: '孙七', email: 'zhao@example.com' });
  assert.equal(other.status, 201, other.text);
  p = await agent.patch(`/api/v1/customers/${id}`, { name: null });
  assert.equal(p.status, 422);
  assert.equal(p.body.error.field, 'name');
  assert.equal((await sup.get(`/api/v1/customers/${id}`)).body.name, '赵六');
});

test('attachments upload, link to a reply and download unchanged', async () => {
  const t = await newTicket(agent);
  const bytes = Buffer.from('\x89PNG fake image bytes \x00\x01\x02', 'binary');
  const up = await agent.req('POST', '/api/v1/attachments?filename=' + encodeURIComponent('截图 1.png'), undefined,
    { raw: bytes, headers: { 'Content-Type': 'image/png' } });
  assert.equal(up.status, 201, up.text);
  assert.equal(up.body.size, bytes.length);
  const m = await agent.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '请看截图', attachments: [up.body.id] });
  assert.equal(m.status, 201, m.text);
  assert.equal(m.body.attachments[0].filename, '截图 1.png');
  const again = await agent.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: 'x', attachments: [up.body.id] });
  assert.equal(again.status, 422, 'an attachment is used once');
  const dl = await fetch(srv.base + '/api/v1/attachments/' + up.body.id, { headers: { Cookie: agent.cookie } });
  assert.equal(dl.status, 200);
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), bytes);
  assert.match(dl.headers.get('content-disposition'), /^attachment; filename\*=UTF-8''/);
  const list = await agent.get(`/api/v1/tickets/${t.id}/messages`);
  assert.equal(list.body.items.at(-1).attachments.length, 1);
});

test('a specialist sees only the tickets of their department', async () => {
  const t = await newTicket(agent, { channel: 'STORE' });
  assert.equal((await spec.get('/api/v1/tickets/' + t.id)).status, 404);
  const deps = await admin.get('/api/v1/departments');
  const tech = deps.body.items.find((d) => d.code === 'tech');
  const r = await sup.patch('/api/v1/tickets/' + t.id, { department_id: tech.id });
  assert.equal(r.status, 200, r.text);
  assert.equal((await spec.get('/api/v1/tickets/' + t.id)).status, 200);
  const list = await spec.get('/api/v1/tickets?channel=STORE');
  assert.deepEqual(list.body.items.map((x) => x.id), [t.id]);
});

test('a supervisor re-assigns; an agent may only take a ticket', async () => {
  const t = await newTicket(agent);
  const users = (await agent.get('/api/v1/users')).body.items;
  const a2 = users.find((u) => u.username === 'a2');
  const no = await agent.patch('/api/v1/tickets/' + t.id, { assignee_id: a2.id });
  assert.equal(no.status, 403);
  const yes = await sup.patch('/api/v1/tickets/' + t.id, { assignee_id: a2.id });
  assert.equal(yes.status, 200);
  assert.equal(yes.body.assignee.id, a2.id);
  const h = await sup.get(`/api/v1/tickets/${t.id}/history`);
  const as = h.body.items.find((e) => e.action === 'assigned');
  assert.equal(as.detail.to, a2.id);
});

test('the promised completion time is kept, changed and logged', async () => {
  const t = await newTicket(agent, { expected_at: '2030-10-02T17:00:00+08:00' });
  assert.equal(t.expected_at, '2030-10-02T17:00:00+08:00');
  const r = await agent.patch('/api/v1/tickets/' + t.id, { expected_at: '2030-10-03T09:30:00Z' });
  assert.equal(r.body.expected_at, '2030-10-03T17:30:00+08:00');
  const h = await agent.get(`/api/v1/tickets/${t.id}/history`);
  const u = h.body.items.find((e) => e.action === 'updated');
  assert.deepEqual(u.detail.changes.expected_at, { from: '2030-10-02T17:00:00+08:00', to: '2030-10-03T17:30:00+08:00' });
  const bad = await agent.patch('/api/v1/tickets/' + t.id, { expected_at: 'tomorrow' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'expected_at');
});

test('a supervisor reviews a resolved record once; others may not', async () => {
  const t = await newTicket(agent);
  const path = '/api/v1/tickets/' + t.id;
  let r = await sup.post(path + '/review');
  assert.equal(r.status, 422, 'not before it is resolved');
  await agent.patch(path, { status: 'in_progress' });
  r = await agent.patch(path, { status: 'resolved', result: 'solution_provided', measures: '已提供解决方案' });
  assert.equal((await agent.post(path + '/review')).status, 403);
  r = await sup.post(path + '/review', undefined, { headers: { 'If-Match': String(r.body.version - 1) } });
  assert.equal(r.status, 409, 'a stale version');
  r = await sup.post(path + '/review');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.reviewer.name, 'S1');
  assert.match(r.body.reviewed_at, /\+08:00$/);
  assert.equal((await sup.post(path + '/review')).status, 409, 'reviewed already');
  const h = await sup.get(path + '/history');
  assert.equal(h.body.items.at(-1).action, 'reviewed');
});
