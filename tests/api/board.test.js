// The supervisor's board: open tickets counted by status, department and assignee, what is
// overdue and what is due soon, each agent's load; for supervisors and admins only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Server, ADMIN } from '../lib/server.js';

let srv, admin, sup, a1, a2, spec, dept;

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
};
const board = async (c = sup) => {
  const r = await c.get('/api/v1/board');
  assert.equal(r.status, 200, r.text);
  return r.body;
};
const row = (b, userId) => b.by_assignee.find((x) => x.user.id === userId);
const deptRow = (b, id) => b.by_department.find((x) => (x.department ? x.department.id : null) === id);

async function create(subject, extra = {}) {
  const r = await a2.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay', subject, urgency: 'high',
    customer: { name: '王五', phone: '13700001234' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const d = await admin.post('/api/v1/departments', { code: 'warehouse', name: '仓储部' });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  const c = await admin.patch('/api/v1/categories/logistics-delay', { department_id: dept.id });
  assert.equal(c.status, 200, c.text);
  const made = {};
  for (const [username, role, inDept] of [['s1', 'supervisor', false], ['a1', 'agent', true], ['a2', 'agent', true], ['p1', 'specialist', true]]) {
    const r = await admin.post('/api/v1/users', {
      username, name: username.toUpperCase(), role, password: 'password-123', department_id: inDept ? dept.id : null,
    });
    assert.equal(r.status, 201, r.text);
    made[username] = await new Client(srv.base).login(username, 'password-123');
  }
  ({ s1: sup, a1, a2, p1: spec } = made);
});

after(() => srv.finish());

test('agents and specialists may not open the board; a fresh install shows nothing open', async () => {
  for (const c of [a1, spec]) {
    const r = await c.get('/api/v1/board');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, 'forbidden');
  }
  const b = await board(admin);
  assert.deepEqual(b.totals, { open: 0, overdue: 0, due_soon: 0, unassigned: 0 });
  assert.deepEqual(b.by_status, { new: 0, accepted: 0, in_progress: 0, waiting_customer: 0 });
  assert.deepEqual(b.overdue, []);
  assert.deepEqual(b.due_soon, []);
  // every agent and specialist is listed, idle
  assert.deepEqual(b.by_assignee.map((x) => x.user.name).sort(), ['A1', 'A2', 'P1']);
  assert.ok(b.by_assignee.every((x) => x.open === 0 && !x.on_shift));
});

test('counts, the late lists and the load follow the tickets and the clocks', async () => {
  await clock('2023-10-02T10:00:00+08:00');
  const t1 = await create('冰箱未送达');
  const t2 = await create('洗衣机延迟');
  const t3 = await create('无部门的投诉', { category: null, urgency: 'low' });
  let r = await sup.patch(`/api/v1/tickets/${t1.id}`, { assignee_id: a1.user.id });
  assert.equal(r.status, 200, r.text);
  r = await sup.post('/api/v1/shifts', {
    user_id: a1.user.id, department_id: dept.id, starts_at: '2023-10-02T09:00:00+08:00', ends_at: '2023-10-02T18:00:00+08:00',
  });
  assert.equal(r.status, 201, r.text);

  let b = await board();
  assert.deepEqual(b.totals, { open: 3, overdue: 0, due_soon: 0, unassigned: 2 });
  assert.equal(b.by_status.new, 3);
  assert.deepEqual(deptRow(b, dept.id), {
    department: { id: dept.id, code: 'warehouse', name: '仓储部' }, open: 2, overdue: 0, unassigned: 1,
  });
  assert.deepEqual(deptRow(b, null), { department: null, open: 1, overdue: 0, unassigned: 1 });
  assert.deepEqual(row(b, a1.user.id), {
    user: { id: a1.user.id, name: 'A1' }, role: 'agent', open: 1, overdue: 0, due_soon: 0, on_shift: true,
  });
  assert.equal(row(b, a2.user.id).open, 0);
  assert.equal(row(b, a2.user.id).on_shift, false);

  // 80 % of the hour to accept has passed: all three are due soon, by their accept clocks
  await clock('2023-10-02T10:50:00+08:00');
  b = await board();
  assert.equal(b.totals.due_soon, 3);
  assert.equal(b.totals.overdue, 0);
  assert.deepEqual(b.due_soon.map((x) => x.target), ['accept', 'accept', 'accept']);
  const item = b.due_soon.find((x) => x.id === t1.id);
  assert.equal(item.number, t1.number);
  assert.equal(item.subject, '冰箱未送达');
  assert.equal(item.priority, 'high');
  assert.deepEqual(item.assignee, { id: a1.user.id, name: 'A1' });
  assert.equal(item.department.code, 'warehouse');
  assert.ok(Math.abs(Date.parse(item.due_at) - Date.parse('2023-10-02T11:00:00+08:00')) < 2000, item.due_at);
  assert.equal(row(b, a1.user.id).due_soon, 1);

  // a1 accepts theirs: its accept clock stops, the first response (12:00) is not close yet
  r = await a1.patch(`/api/v1/tickets/${t1.id}`, { status: 'accepted' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-02T11:05:00+08:00');
  b = await board();
  assert.deepEqual(b.by_status, { new: 2, accepted: 1, in_progress: 0, waiting_customer: 0 });
  assert.equal(b.totals.overdue, 2);
  assert.deepEqual(b.overdue.map((x) => x.id).sort(), [t2.id, t3.id].sort());
  assert.ok(b.overdue.every((x) => x.target === 'accept' && x.assignee === null));
  assert.equal(deptRow(b, dept.id).overdue, 1);
  assert.equal(deptRow(b, null).overdue, 1);
  assert.ok(!b.due_soon.some((x) => x.id === t1.id));
  assert.equal(row(b, a1.user.id).due_soon, 0);

  // its first response: due soon after 11:36, overdue after 12:00
  await clock('2023-10-02T11:40:00+08:00');
  b = await board();
  assert.deepEqual(b.due_soon.filter((x) => x.id === t1.id).map((x) => x.target), ['first_response']);
  assert.equal(row(b, a1.user.id).due_soon, 1);
  await clock('2023-10-02T12:01:00+08:00');
  b = await board();
  assert.deepEqual(b.overdue.filter((x) => x.id === t1.id).map((x) => x.target), ['first_response']);
  assert.equal(row(b, a1.user.id).overdue, 1);
  assert.equal(b.totals.overdue, 3);
  // overdue first: the one due first leads
  const due = b.overdue.map((x) => Date.parse(x.due_at));
  assert.deepEqual(due, [...due].sort((x, y) => x - y));

  // a resolved ticket leaves the board; the shift is over in the evening
  r = await a1.patch(`/api/v1/tickets/${t1.id}`, { status: 'resolved', result: 'fixed' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-02T18:30:00+08:00');
  b = await board();
  assert.equal(b.totals.open, 2);
  assert.ok(!b.overdue.some((x) => x.id === t1.id));
  assert.equal(row(b, a1.user.id).open, 0);
  assert.equal(row(b, a1.user.id).on_shift, false);
});
