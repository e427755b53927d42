// Service levels: the shipped policies, due times on creation, warnings, escalation and breach
// by themselves (driven by the test clock), pauses while waiting for the customer, business
// calendars, and each clock event exactly once, also across a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Server, ADMIN } from '../lib/server.js';

let srv, admin, sup, agent, dept;

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
  return r.body;
};
// within two seconds of the time expected, for times that follow the server's running clock
const near = (actual, expected) => assert.ok(
  actual && Math.abs(Date.parse(actual) - Date.parse(expected)) < 2000, `${actual} is not ${expected}`);
const history = async (id) => (await admin.get(`/api/v1/tickets/${id}/history`)).body.items;
const actions = (h, action) => h.filter((e) => e.action === action).map((e) => e.detail.target);

async function create(extra = {}) {
  const r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay', subject: '家电未按时送货',
    urgency: 'high', customer: { name: '张三', phone: '13812345678' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [username, role] of [['s1', 'supervisor'], ['a1', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name: username, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  sup = await new Client(srv.base).login('s1', 'password-123');
  agent = await new Client(srv.base).login('a1', 'password-123');
  const d = await admin.post('/api/v1/departments', { code: 'warehouse', name: '仓储部', supervisor_id: sup.user.id });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  const c = await admin.patch('/api/v1/categories/logistics-delay', { department_id: dept.id });
  assert.equal(c.status, 200, c.text);
});

after(() => srv.finish());

test('a fresh install ships the seeds\' policies', async () => {
  const r = await agent.get('/api/v1/sla-policies');
  assert.equal(r.status, 200, r.text);
  const by = (p, t = null) => r.body.items.find((x) => x.priority === p && x.type === t);
  assert.deepEqual([by('high').accept_minutes, by('high').first_response_minutes, by('high').resolve_minutes], [60, 120, 240]);
  assert.equal(by('medium').resolve_minutes, 24 * 60);
  assert.deepEqual([by('low').first_response_minutes, by('low').resolve_minutes], [24 * 60, 3 * 24 * 60]);
  assert.equal(by('medium', 'inquiry').first_response_minutes, 30);
  assert.equal(by('low', 'fault').first_response_minutes, 120);
  assert.equal(by('high').warn_percent, 80);
  assert.equal(by('high').calendar_id, null);
});

test('due times follow the most specific policy, from raised_at, around the clock', async () => {
  await clock('2023-10-02T10:00:00+08:00');
  const t = await create();
  near(t.due.accept_by, '2023-10-02T11:00:00+08:00');
  near(t.due.first_response_by, '2023-10-02T12:00:00+08:00');
  near(t.due.resolve_by, '2023-10-02T14:00:00+08:00');
  assert.equal(t.sla.paused, false);
  assert.deepEqual(t.sla.breached, []);
  const policies = (await agent.get('/api/v1/sla-policies')).body.items;
  assert.equal(t.sla.policy_id, policies.find((x) => x.priority === 'high' && !x.type).id);
  // an inquiry: the per-type 30 minutes; raised earlier than registered: counted from then
  const q = await create({ type: 'inquiry', category: null, urgency: 'medium', raised_at: '2023-10-02T09:50:00+08:00' });
  near(q.due.first_response_by, '2023-10-02T10:20:00+08:00');
  near(q.due.resolve_by, '2023-10-03T09:50:00+08:00');
});

test('the clocks warn, escalate and mark breaches by themselves, each once', async () => {
  await clock('2023-10-03T10:00:00+08:00');
  const t = await create({ subject: '三天没发货' });
  // 80 % of the hour to accept: a warning; nobody owns it, so the department's supervisor hears
  await clock('2023-10-03T10:49:00+08:00');
  let h = await history(t.id);
  assert.deepEqual(actions(h, 'sla_warning'), ['accept']);
  assert.equal(h.find((e) => e.action === 'sla_warning').actor, null);
  let n = (await sup.get('/api/v1/notifications')).body;
  assert.ok(n.items.some((x) => x.kind === 'sla_warning' && x.ticket_id === t.id), JSON.stringify(n));
  assert.ok(n.unread >= 1);
  // not accepted within the hour: escalated to the supervisor, and marked
  await clock('2023-10-03T11:01:00+08:00');
  h = await history(t.id);
  assert.deepEqual(actions(h, 'escalated'), ['accept']);
  n = (await sup.get('/api/v1/notifications')).body;
  const esc = n.items.find((x) => x.kind === 'escalated' && x.ticket_id === t.id);
  assert.ok(esc, JSON.stringify(n.items));
  assert.equal(esc.detail.target, 'accept');
  assert.equal(esc.detail.number, t.number);
  let cur = (await agent.get(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual(cur.sla.breached, ['accept']);
  // the agent takes it now; the first response warning goes to them
  let r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'accepted' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-03T11:37:00+08:00'); // 80 % of 2 h = 11:36
  h = await history(t.id);
  assert.deepEqual(actions(h, 'sla_warning'), ['accept', 'first_response']);
  const mine = (await agent.get('/api/v1/notifications')).body.items;
  assert.ok(mine.some((x) => x.kind === 'sla_warning' && x.detail.target === 'first_response'));
  // the same time again, and later: nothing twice
  await clock('2023-10-03T11:38:00+08:00');
  await clock('2023-10-03T12:01:00+08:00');
  h = await history(t.id);
  assert.deepEqual(actions(h, 'sla_warning'), ['accept', 'first_response']);
  assert.deepEqual(actions(h, 'escalated'), ['accept']);
  assert.deepEqual(actions(h, 'breached'), ['first_response']);
  cur = (await agent.get(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual(cur.sla.breached, ['accept', 'first_response']);
  const breach = (await sup.get('/api/v1/notifications')).body.items.find((x) => x.kind === 'breached');
  assert.equal(breach.ticket_id, t.id);
  // a notification is read once, and only by its owner
  r = await agent.post(`/api/v1/notifications/${breach.id}/read`);
  assert.equal(r.status, 404);
  r = await sup.post(`/api/v1/notifications/${breach.id}/read`);
  assert.equal(r.status, 204);
  const unread = (await sup.get('/api/v1/notifications?unread=1')).body.items;
  assert.ok(!unread.some((x) => x.id === breach.id));
});

test('a reply meets the first response; waiting for the customer pauses the resolve clock', async () => {
  await clock('2023-10-04T10:00:00+08:00');
  const t = await create({ subject: '包裹破损' });
  let r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'in_progress' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-04T10:30:00+08:00');
  r = await agent.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '您好,正在核实' });
  assert.equal(r.status, 201, r.text);
  // an hour used of the four to resolve, then the customer is asked
  await clock('2023-10-04T11:00:00+08:00');
  r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'waiting_customer' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.sla.paused, true);
  assert.equal(r.body.due.resolve_by, null);
  // a day later the customer answers: three hours are left
  await clock('2023-10-05T11:00:00+08:00');
  r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'in_progress' });
  assert.equal(r.body.sla.paused, false);
  near(r.body.due.resolve_by, '2023-10-05T14:00:00+08:00');
  await clock('2023-10-05T13:30:00+08:00');
  const h = await history(t.id);
  assert.deepEqual(actions(h, 'breached'), [], 'the pause did not count');
  assert.ok(actions(h, 'sla_warning').includes('resolve')); // 80 % of 4 h is past
  assert.ok(!actions(h, 'sla_warning').includes('first_response'));
  r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'resolved', result: 'fixed' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-06T13:30:00+08:00');
  assert.deepEqual(actions(await history(t.id), 'breached'), [], 'a resolved ticket is not late');
});

test('calendars: working hours, holidays and 调休 days count; bad ones are refused', async () => {
  const bad = [
    [{ name: 'x', time_zone: 'Mars/Olympus', hours: { mon: [['09:00', '18:00']] } }, 'time_zone'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: { mon: [['09:00', '12:00'], ['11:00', '18:00']] } }, 'hours.mon'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: { mon: [['18:00', '09:00']] } }, 'hours.mon'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: { funday: [] } }, 'hours.funday'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: {} }, 'hours'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: { mon: [['09:00', '18:00']] }, holidays: ['2023-02-30'] }, 'holidays'],
    [{ name: 'x', time_zone: 'Asia/Shanghai', hours: { mon: [['09:00', '18:00']] }, holidays: ['2023-10-07'], extra_workdays: ['2023-10-07'] }, 'extra_workdays'],
  ];
  for (const [body, field] of bad) {
    const r = await admin.post('/api/v1/calendars', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  const week = [['09:00', '18:00']];
  let r = await admin.post('/api/v1/calendars', {
    name: '工作日', time_zone: 'Asia/Shanghai',
    hours: { mon: week, tue: week, wed: week, thu: week, fri: week, sat: [], sun: [] },
    holidays: ['2023-10-02', '2023-10-03', '2023-10-04', '2023-10-05', '2023-10-06'],
    extra_workdays: ['2023-10-07', '2023-10-08'],
  });
  assert.equal(r.status, 201, r.text);
  const cal = r.body;
  assert.deepEqual(cal.hours.mon, week);
  assert.deepEqual(cal.hours.sat, []);
  assert.deepEqual(cal.extra_workdays, ['2023-10-07', '2023-10-08']);
  r = await admin.post('/api/v1/calendars', { name: '工作日', time_zone: 'UTC', hours: { mon: week } });
  assert.equal(r.status, 409);
  r = await sup.post('/api/v1/calendars', { name: 'y', time_zone: 'UTC', hours: { mon: week } });
  assert.equal(r.status, 403);

  // the low policy counts on it: a first response within 24 working hours
  const low = (await agent.get('/api/v1/sla-policies')).body.items.find((x) => x.priority === 'low' && !x.type);
  r = await admin.patch(`/api/v1/sla-policies/${low.id}`, { calendar_id: cal.id, first_response_minutes: 120 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.calendar_id, cal.id);
  // Friday 2023-09-29 17:00: one working hour that day, then the holidays, then the 调休 Saturday
  await clock('2023-09-29T17:00:00+08:00');
  const t = await create({ type: 'suggestion', category: null, urgency: 'low', subject: '建议增加夜间配送' });
  assert.equal(t.priority, 'low');
  near(t.due.first_response_by, '2023-10-07T10:00:00+08:00');
  // closing time exactly: the deadline stays there
  await clock('2023-10-09T16:00:00+08:00');
  const u = await create({
    type: 'suggestion', category: null, urgency: 'low', subject: '建议二', raised_at: '2023-10-09T16:00:00+08:00',
  });
  assert.equal(u.due.first_response_by, '2023-10-09T18:00:00+08:00');
});

test('policies are refused with the field at fault, and one per priority and type', async () => {
  let r = await admin.post('/api/v1/sla-policies', { name: '重复', priority: 'high', accept_minutes: 30 });
  assert.equal(r.status, 409, r.text);
  r = await admin.post('/api/v1/sla-policies', { name: 'x', priority: 'highest', accept_minutes: 30 });
  assert.equal(r.body.error.field, 'priority');
  r = await admin.post('/api/v1/sla-policies', { name: 'x', priority: 'high', type: 'question', accept_minutes: 30 });
  assert.equal(r.body.error.field, 'type');
  r = await admin.post('/api/v1/sla-policies', { name: 'x', priority: 'high', type: 'complaint', calendar_id: 999, accept_minutes: 30 });
  assert.equal(r.body.error.field, 'calendar_id');
  r = await admin.post('/api/v1/sla-policies', { name: 'x', priority: 'high', type: 'complaint', warn_percent: 120, accept_minutes: 30 });
  assert.equal(r.body.error.field, 'warn_percent');
  r = await admin.post('/api/v1/sla-policies', { name: 'x', priority: 'high', type: 'complaint' });
  assert.equal(r.status, 422);
  r = await admin.post('/api/v1/sla-policies', {
    name: '高优先级投诉', priority: 'high', type: 'complaint', accept_minutes: 30, first_response_minutes: 60, resolve_minutes: 240,
  });
  assert.equal(r.status, 201, r.text);
  await clock('2023-10-10T10:00:00+08:00');
  const t = await create({ subject: '投诉' });
  assert.equal(t.sla.policy_id, r.body.id);
  near(t.due.accept_by, '2023-10-10T10:30:00+08:00');
  r = await agent.post('/api/v1/sla-policies', { name: 'x', priority: 'low', type: 'special', accept_minutes: 1 });
  assert.equal(r.status, 403);
});

test('deleting: a policy goes and its tickets keep their deadlines; a calendar in use is kept', async () => {
  const day = [['09:00', '18:00']];
  let r = await admin.post('/api/v1/calendars', {
    name: '值班日历', time_zone: 'Asia/Shanghai', hours: { mon: day, tue: day, wed: day, thu: day, fri: day },
  });
  assert.equal(r.status, 201, r.text);
  const cal = r.body;
  r = await admin.post('/api/v1/sla-policies', {
    name: '低优先级投诉', priority: 'low', type: 'complaint', accept_minutes: 10, first_response_minutes: 20,
    resolve_minutes: 30, calendar_id: cal.id,
  });
  assert.equal(r.status, 201, r.text);
  const pol = r.body;
  await clock('2023-10-10T14:00:00+08:00');
  const t = await create({ urgency: 'low', subject: '删除策略前的工单' });
  assert.equal(t.sla.policy_id, pol.id);

  r = await admin.del(`/api/v1/calendars/${cal.id}`);
  assert.equal(r.status, 409, 'a policy counts on it');
  assert.equal(r.body.error.field, 'id');
  r = await sup.del(`/api/v1/sla-policies/${pol.id}`);
  assert.equal(r.status, 403);
  r = await admin.del(`/api/v1/sla-policies/${pol.id}`);
  assert.equal(r.status, 204, r.text);
  assert.equal((await admin.get(`/api/v1/sla-policies/${pol.id}`)).status, 404);
  assert.equal((await admin.del(`/api/v1/sla-policies/${pol.id}`)).status, 404);

  // the ticket keeps its due times, and its clocks still act
  const kept = (await admin.get(`/api/v1/tickets/${t.id}`)).body;
  assert.deepEqual(kept.due, t.due);
  assert.equal(kept.sla.policy_id, null);
  await clock('2023-10-10T14:15:00+08:00');
  assert.deepEqual(actions(await history(t.id), 'escalated'), ['accept']);
  // a new ticket of that priority and type gets the priority's own policy
  const u = await create({ urgency: 'low', subject: '删除策略后的工单' });
  const low = (await agent.get('/api/v1/sla-policies')).body.items.find((x) => x.priority === 'low' && !x.type);
  assert.equal(u.sla.policy_id, low.id);

  r = await sup.del(`/api/v1/calendars/${cal.id}`);
  assert.equal(r.status, 403);
  r = await admin.del(`/api/v1/calendars/${cal.id}`);
  assert.equal(r.status, 204, r.text);
  assert.equal((await admin.get(`/api/v1/calendars/${cal.id}`)).status, 404);
  assert.ok(!(await admin.get('/api/v1/calendars')).body.items.some((c) => c.id === cal.id));
});

test('a deadline that passes while the server is down is acted on once when it is back', async () => {
  await clock('2023-10-11T10:00:00+08:00');
  const t = await create({ subject: '停机期间' });
  await srv.stop();
  // back without the test clock set: its real time is years later, every clock is past due
  await srv.start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  let h = [];
  for (let i = 0; i < 100 && actions(h, 'breached').length < 2; i++) {
    await new Promise((ok) => setTimeout(ok, 100));
    h = await history(t.id);
  }
  await clock('2023-10-11T12:30:00+08:00');
  await clock('2023-10-12T12:30:00+08:00');
  h = await history(t.id);
  assert.deepEqual(actions(h, 'escalated'), ['accept']);
  assert.deepEqual(actions(h, 'breached').sort(), ['first_response', 'resolve']);
  assert.deepEqual(actions(h, 'sla_warning'), [], 'no warning after the deadline');
});
