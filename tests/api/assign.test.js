// Routing to people: shifts, automatic assignment (round robin, least loaded) among members on
// shift, the assignee's notice, transfers with a reason and a feedback deadline, cooperating
// departments, nudges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv, admin, sup, a1, a2, a3, other, tech, warehouse;

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
};
const history = async (id) => (await admin.get(`/api/v1/tickets/${id}/history`)).body.items;

async function create(extra = {}) {
  const r = await a1.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', category: 'device-fault', subject: '空调不制冷', urgency: 'high',
    customer: { name: '张三', phone: '13812345678' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function shift(c, user, dept, from, to) {
  return c.post('/api/v1/shifts', { user_id: user.id, department_id: dept.id, starts_at: from, ends_at: to });
}

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  const dep = async (code, name, assignment) => {
    const r = await admin.post('/api/v1/departments', { code, name, assignment });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  tech = await dep('tech', '技术支持', 'round_robin');
  warehouse = await dep('warehouse', '仓储部', 'least_loaded');
  const users = {};
  for (const [username, role, d] of [['sup', 'supervisor', tech], ['a1', 'agent', tech], ['a2', 'specialist', tech],
    ['a3', 'specialist', warehouse], ['other', 'agent', null]]) {
    const r = await admin.post('/api/v1/users', { username, name: username.toUpperCase(), role, password: 'password-123', department_id: d ? d.id : null });
    assert.equal(r.status, 201, r.text);
    users[username] = await new Client(srv.base).login(username, 'password-123');
  }
  ({ sup, a1, a2, a3, other } = users);
  let r = await admin.patch(`/api/v1/departments/${tech.id}`, { supervisor_id: sup.user.id });
  assert.equal(r.status, 200, r.text);
  r = await admin.patch('/api/v1/categories/device-fault', { department_id: tech.id });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-09T08:00:00+08:00');
});

after(() => srv.finish());

test('supervisors plan shifts; bad ones are refused', async () => {
  let r = await shift(sup, a1.user, tech, '2023-10-09T09:00:00+08:00', '2023-10-09T18:00:00+08:00');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.user.name, 'A1');
  r = await shift(sup, a2.user, tech, '2023-10-09T09:00:00+08:00', '2023-10-09T18:00:00+08:00');
  assert.equal(r.status, 201, r.text);
  r = await shift(sup, a1.user, tech, '2023-10-09T17:00:00+08:00', '2023-10-09T20:00:00+08:00');
  assert.equal(r.status, 409, 'overlapping shifts of one person');
  r = await shift(sup, a1.user, tech, '2023-10-09T18:00:00+08:00', '2023-10-09T17:00:00+08:00');
  assert.equal(r.body.error.field, 'ends_at');
  r = await shift(sup, a3.user, tech, '2023-10-10T09:00:00+08:00', '2023-10-10T18:00:00+08:00');
  assert.equal(r.body.error.field, 'user_id', 'not a member of the department');
  r = await shift(a1, a1.user, tech, '2023-10-10T09:00:00+08:00', '2023-10-10T18:00:00+08:00');
  assert.equal(r.status, 403);
  r = await shift(sup, a3.user, warehouse, '2023-10-09T09:00:00+08:00', '2023-10-09T18:00:00+08:00');
  assert.equal(r.status, 201, r.text);
  r = await sup.get('/api/v1/shifts?from=2023-10-09T00:00:00%2B08:00&to=2023-10-16T00:00:00%2B08:00');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.items.length, 3);
  r = await sup.get(`/api/v1/shifts?from=2023-10-09T00:00:00%2B08:00&to=2023-10-16T00:00:00%2B08:00&department_id=${tech.id}`);
  assert.equal(r.body.items.length, 2);
});

test('nobody on shift: the ticket waits unassigned; on shift: round robin, with a notice', async () => {
  let t = await create(); // 08:00: before the shifts
  assert.equal(t.department.code, 'tech');
  assert.equal(t.assignee, null);
  await clock('2023-10-09T10:00:00+08:00');
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await create({ subject: `故障 ${i}` })).assignee.id);
  assert.deepEqual(got, [a1.user.id, a2.user.id, a1.user.id, a2.user.id]);
  t = await create({ subject: '显示屏花屏' });
  const h = await history(t.id);
  const assigned = h.find((e) => e.action === 'assigned');
  assert.equal(assigned.actor, null);
  assert.equal(assigned.detail.by, 'round_robin');
  const client = t.assignee.id === a1.user.id ? a1 : a2;
  const n = (await client.get('/api/v1/notifications')).body.items.find((x) => x.ticket_id === t.id);
  assert.equal(n.kind, 'assigned');
  assert.equal(n.detail.number, t.number);
  assert.equal(n.detail.subject, '显示屏花屏');
  assert.equal(n.detail.due_at, t.due.accept_by);
  assert.equal(n.detail.customer.contact, '138****5678');
});

test('least loaded: the one with fewest open tickets gets the next', async () => {
  const r = await admin.post('/api/v1/users', { username: 'a4', name: 'A4', role: 'specialist', password: 'password-123', department_id: warehouse.id });
  assert.equal(r.status, 201, r.text);
  const a4 = await new Client(srv.base).login('a4', 'password-123');
  assert.equal((await shift(sup, a4.user, warehouse, '2023-10-09T09:00:00+08:00', '2023-10-09T18:00:00+08:00')).status, 201);
  const got = [];
  for (let i = 0; i < 4; i++) {
    const t = await create({ type: 'complaint', category: 'logistics-delay', subject: `物流 ${i}` });
    // logistics-delay has no department: route it with the API of departments
    const x = await admin.post(`/api/v1/tickets/${t.id}/transfers`, { to_department_id: warehouse.id, reason: '物流问题' });
    assert.equal(x.status, 201, x.text);
    got.push(x.body.ticket.assignee.id);
  }
  got.sort();
  assert.deepEqual(got, [a3.user.id, a3.user.id, a4.user.id, a4.user.id].sort(), 'two each');
});

test('a transfer to a person records from, to, when and why, and asks for feedback', async () => {
  const t = await create({ subject: '需要仓库核实' });
  const holder = t.assignee.id === a1.user.id ? a1 : a2;
  let r = await other.post(`/api/v1/tickets/${t.id}/transfers`, { to_user_id: a3.user.id, reason: 'x' });
  assert.equal(r.status, 403, 'not theirs');
  r = await holder.post(`/api/v1/tickets/${t.id}/transfers`, { to_user_id: a3.user.id });
  assert.equal(r.body.error.field, 'reason');
  r = await holder.post(`/api/v1/tickets/${t.id}/transfers`, { to_user_id: holder.user.id, reason: '循环' });
  assert.equal(r.body.error.field, 'to_user_id', 'a transfer to whoever has it is a loop');
  r = await holder.post(`/api/v1/tickets/${t.id}/transfers`, { to_user_id: a3.user.id, to_department_id: tech.id, reason: 'x' });
  assert.equal(r.status, 422);
  r = await holder.post(`/api/v1/tickets/${t.id}/transfers`, {
    to_user_id: a3.user.id, reason: '需仓储部核实库存', due_at: '2023-10-10T10:00:00+08:00',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.ticket.assignee.id, a3.user.id);
  assert.equal(r.body.ticket.department.code, 'warehouse', "the new holder's department leads");
  const list = (await a3.get(`/api/v1/tickets/${t.id}/transfers`)).body.items;
  assert.equal(list.length, 1);
  assert.equal(list[0].from.user.name, holder.user.name);
  assert.equal(list[0].to.user.name, 'A3');
  assert.equal(list[0].reason, '需仓储部核实库存');
  assert.equal(list[0].actor.id, holder.user.id);
  const n = (await a3.get('/api/v1/notifications')).body.items.find((x) => x.ticket_id === t.id);
  assert.equal(n.kind, 'transferred');
  assert.equal(n.detail.reason, '需仓储部核实库存');
  assert.equal(n.detail.due_at, '2023-10-10T10:00:00+08:00');
  // no feedback by then: breached, once
  await clock('2023-10-10T10:01:00+08:00');
  await clock('2023-10-10T10:02:00+08:00');
  const h = await history(t.id);
  assert.equal(h.filter((e) => e.action === 'breached' && e.detail.target === 'feedback').length, 1);
  assert.ok(h.some((e) => e.action === 'transferred' && e.detail.reason === '需仓储部核实库存'));
});

test('feedback in time meets the transfer deadline', async () => {
  await clock('2023-10-11T10:00:00+08:00');
  const t = await create({ subject: '二次确认' });
  const r = await admin.post(`/api/v1/tickets/${t.id}/transfers`, { to_user_id: a3.user.id, reason: '核实', due_at: '2023-10-11T12:00:00+08:00' });
  assert.equal(r.status, 201, r.text);
  const m = await a3.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: '库存已核实' });
  assert.equal(m.status, 201, m.text);
  await clock('2023-10-11T12:30:00+08:00');
  const h = await history(t.id);
  assert.ok(!h.some((e) => e.detail.target === 'feedback' && e.action !== 'transferred'));
});

test('a cooperating department joins; the lead stays', async () => {
  const t = await create({ subject: '跨部门' });
  let r = await sup.post(`/api/v1/tickets/${t.id}/transfers`, { to_department_id: warehouse.id, cooperate: true, reason: '需仓储协助' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.ticket.department.code, 'tech');
  assert.deepEqual(r.body.ticket.cooperating_departments.map((d) => d.code), ['warehouse']);
  assert.equal(r.body.transfer.kind, 'cooperate');
  r = await sup.post(`/api/v1/tickets/${t.id}/transfers`, { to_department_id: warehouse.id, cooperate: true, reason: '再次' });
  assert.equal(r.body.error.field, 'to_department_id');
  // a specialist of the cooperating department sees it, also in the pending pool
  r = await a3.get(`/api/v1/tickets/${t.id}`);
  assert.equal(r.status, 200, r.text);
  r = await a3.get('/api/v1/tickets?q=' + encodeURIComponent('跨部门'));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items.map((i) => i.id), [t.id]);
});

test('a supervisor nudges the assignee; agents may not', async () => {
  const t = await create({ subject: '催办测试' }); // nobody is on shift now
  assert.equal(t.assignee, null);
  let r = await sup.post(`/api/v1/tickets/${t.id}/nudges`, { message: '快点' });
  assert.equal(r.status, 422, 'the supervisor would nudge only themselves');
  r = await sup.patch(`/api/v1/tickets/${t.id}`, { assignee_id: a2.user.id });
  assert.equal(r.status, 200, r.text);
  const holder = a2;
  r = await a1.post(`/api/v1/tickets/${t.id}/nudges`, { message: '快点' });
  assert.equal(r.status, 403);
  r = await sup.post(`/api/v1/tickets/${t.id}/nudges`, { message: '客户第三次来电,请尽快处理' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.to.id, holder.user.id);
  const n = (await holder.get('/api/v1/notifications')).body.items.find((x) => x.kind === 'nudge');
  assert.equal(n.ticket_id, t.id);
  assert.equal(n.detail.reason, '客户第三次来电,请尽快处理');
  const h = await history(t.id);
  assert.equal(h.find((e) => e.action === 'nudged').detail.message, '客户第三次来电,请尽快处理');
});

test('assigning by hand tells the new assignee', async () => {
  const t = await create({ subject: '手动分派', category: null, type: 'inquiry' });
  assert.equal(t.assignee, null);
  const r = await sup.patch(`/api/v1/tickets/${t.id}`, { assignee_id: a3.user.id });
  assert.equal(r.status, 200, r.text);
  const n = (await a3.get('/api/v1/notifications')).body.items.find((x) => x.ticket_id === t.id);
  assert.equal(n.kind, 'assigned');
  assert.equal(n.detail.by, 'SUP');
});
