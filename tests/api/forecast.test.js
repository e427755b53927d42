// The forecast: the next days' volume by hour from past weeks (a known weekly pattern built with
// tickets raised in the past, under the test clock), the agents each planned shift needs for a
// known load (Erlang C), the filters, the roles, and bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv, admin, sup, a1, tech;

async function raise(at, extra = {}) {
  const r = await a1.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', category: 'device-fault', subject: '空调不制冷', urgency: 'low',
    customer: { name: '张三', phone: '13812345678' }, raised_at: at, ...extra,
  });
  assert.equal(r.status, 201, r.text);
}

const forecast = async (query = '', c = sup) => c.get('/api/v1/reports/forecast' + query);

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  let r = await admin.post('/api/v1/departments', { code: 'tech', name: '技术支持', assignment: 'manual' });
  assert.equal(r.status, 201, r.text);
  tech = r.body;
  for (const [username, role] of [['sup', 'supervisor'], ['a1', 'agent']]) {
    r = await admin.post('/api/v1/users', { username, name: username.toUpperCase(), role, password: 'password-123', department_id: tech.id });
    assert.equal(r.status, 201, r.text);
  }
  sup = await new Client(srv.base).login('sup', 'password-123');
  a1 = await new Client(srv.base).login('a1', 'password-123');
  r = await admin.patch('/api/v1/categories/device-fault', { department_id: tech.id });
  assert.equal(r.status, 200, r.text);
  // today is Monday 2026-03-16 in Asia/Shanghai; two weeks of history: each Monday three tickets
  // between 10:00 and 11:00 (phone, tech), each Tuesday one at 14:10 (web form, no department)
  r = await admin.post('/api/v1/test/clock', { now: '2026-03-16T00:30:00+08:00' });
  assert.equal(r.status, 200, r.text);
  for (const day of ['2026-03-02', '2026-03-09']) {
    for (const m of ['05', '20', '40']) await raise(`${day}T10:${m}:00+08:00`);
  }
  for (const day of ['2026-03-03', '2026-03-10']) {
    await raise(`${day}T14:10:00+08:00`, { channel: 'WEB', type: 'inquiry', category: undefined });
  }
  // one person on the Monday 09:00-18:00 shift
  r = await sup.post('/api/v1/shifts', {
    user_id: a1.user.id, department_id: tech.id,
    starts_at: '2026-03-16T09:00:00+08:00', ends_at: '2026-03-16T18:00:00+08:00',
  });
  assert.equal(r.status, 201, r.text);
});

after(() => srv.finish());

test('the weekly pattern of the last weeks is expected again on its weekdays and hours', async () => {
  const r = await forecast('?days=7');
  assert.equal(r.status, 200, r.text);
  const f = r.body;
  assert.equal(f.method, 'weekday_hour'); // two weeks: a weekly pattern, too few for a trend
  assert.equal(f.history_days, 14);
  assert.equal(f.model.weeks, 2);
  assert.deepEqual(f.days.map((d) => d.date), ['2026-03-16', '2026-03-17', '2026-03-18',
    '2026-03-19', '2026-03-20', '2026-03-21', '2026-03-22']);
  assert.deepEqual(f.days.map((d) => d.expected), [3, 1, 0, 0, 0, 0, 0]);
  const monday = f.days[0].hours;
  assert.equal(monday.length, 24);
  assert.deepEqual(monday[10], { hour: 10, expected: 3, low: 1, high: 6 }); // Poisson(3), 5..95 %
  assert.deepEqual(monday[9], { hour: 9, expected: 0, low: 0, high: 0 });
  assert.equal(f.days[1].hours[14].expected, 1);
  assert.equal(f.days[1].hours[14].high, 3); // Poisson(1): P(X<=2) = .92, P(X<=3) = .98
  assert.equal(f.days[7], undefined);
});

test('each planned shift gets the agents its busiest hour needs, beside those planned', async () => {
  // the shipped medium-priority policy answers first within 480 minutes; nothing resolved yet,
  // so the handling time is the default
  let r = await forecast();
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.days.length, 7);
  assert.deepEqual(r.body.staffing_basis, {
    handling_minutes: 15, handling_source: 'default', handling_n: 0, target_minutes: 480,
    target_source: 'sla_policy', service_level: 0.8,
  });
  const mon = r.body.staffing.filter((s) => s.date === '2026-03-16');
  assert.equal(mon.length, 1); // the shift covers the hours that expect tickets
  assert.equal(mon[0].shift, '09:00-18:00');
  assert.equal(mon[0].expected, 3);
  assert.equal(mon[0].planned, 1);
  assert.equal(mon[0].agents_needed, 1); // 3 an hour of 15 minutes: 0.75 Erlang
  assert.equal(mon[0].short, 0);
  assert.equal(Date.parse(mon[0].starts_at), Date.parse('2026-03-16T09:00:00+08:00'));
  // Tuesday has no shift: the part of the day that expects its ticket shows, with nobody planned
  const tue = r.body.staffing.filter((s) => s.date === '2026-03-17');
  assert.deepEqual(tue.map((s) => [s.shift, s.expected, s.agents_needed, s.planned, s.short]),
    [['08:00-16:00', 1, 1, 0, 1]]);
  // 3 tickets an hour of 20 minutes (1 Erlang), 80 % answered within 1 minute: 3 agents
  r = await forecast('?handling_minutes=20&target_minutes=1&service_level=0.8');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.staffing_basis.handling_source, 'query');
  const s = r.body.staffing.find((x) => x.date === '2026-03-16');
  assert.deepEqual([s.agents_needed, s.planned, s.short], [3, 1, 2]);
});

test('filters narrow the history the forecast learns from', async () => {
  let r = await forecast('?channel=WEB');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.days.slice(0, 2).map((d) => d.expected), [0, 1]);
  assert.equal(r.body.history_days, 13); // the first web ticket was on Tuesday 3 March
  r = await forecast(`?department_id=${tech.id}&type=fault`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.days.slice(0, 2).map((d) => d.expected), [3, 0]);
  r = await forecast('?channel=MAIL');
  assert.equal(r.body.method, 'none');
  assert.equal(r.body.history_days, 0);
  assert.ok(r.body.days.every((d) => d.expected === 0));
});

test('only supervisors and admins see it; bad input names the field', async () => {
  assert.equal((await forecast('', a1)).status, 403);
  assert.equal((await forecast('', admin)).status, 200);
  for (const [q, field] of [['?days=0', 'days'], ['?days=29', 'days'], ['?days=abc', 'days'],
    ['?days=', 'days'], ['?department_id=x', 'department_id'], ['?type=bogus', 'type'],
    ['?service_level=2', 'service_level'], ['?handling_minutes=-1', 'handling_minutes'],
    ['?target_minutes=nan', 'target_minutes'], ['?handling_minutes=5000', 'handling_minutes']]) {
    const r = await forecast(q);
    assert.equal(r.status, 422, q + ' ' + r.text);
    assert.equal(r.body.error.field, field, q);
  }
});

test('the handling time is measured from the tickets resolved before today', async () => {
  // five tickets taken over at 09:00 on Friday 13 March and resolved 20 minutes later
  let r = await admin.post('/api/v1/test/clock', { now: '2026-03-13T09:00:00+08:00' });
  assert.equal(r.status, 200, r.text);
  const ids = [];
  for (let i = 0; i < 5; i++) {
    r = await sup.post('/api/v1/tickets', {
      channel: 'MAIL', type: 'inquiry', subject: '发票怎么开', urgency: 'low',
      customer: { name: '李四', phone: '13900001111' },
    });
    assert.equal(r.status, 201, r.text);
    ids.push(r.body.id);
    r = await sup.patch(`/api/v1/tickets/${r.body.id}`, { assignee_id: a1.user.id, status: 'in_progress' });
    assert.equal(r.status, 200, r.text);
  }
  r = await admin.post('/api/v1/test/clock', { now: '2026-03-13T09:20:00+08:00' });
  assert.equal(r.status, 200, r.text);
  for (const id of ids) {
    r = await a1.patch(`/api/v1/tickets/${id}`, { status: 'resolved', result: 'solution_provided' });
    assert.equal(r.status, 200, r.text);
  }
  r = await admin.post('/api/v1/test/clock', { now: '2026-03-16T00:30:00+08:00' });
  assert.equal(r.status, 200, r.text);
  r = await forecast();
  assert.equal(r.status, 200, r.text);
  const b = r.body.staffing_basis;
  assert.equal(b.handling_source, 'history');
  assert.equal(b.handling_n, 5);
  assert.ok(Math.abs(b.handling_minutes - 20) < 0.2, String(b.handling_minutes));
  // a value in the query still wins
  r = await forecast('?handling_minutes=7.5');
  assert.deepEqual([r.body.staffing_basis.handling_minutes, r.body.staffing_basis.handling_source], [7.5, 'query']);
  // and the filters apply: the phone tickets were never resolved
  r = await forecast('?channel=TEL');
  assert.deepEqual([r.body.staffing_basis.handling_n, r.body.staffing_basis.handling_source], [0, 'default']);
});
