// Reports: the summary and the comparison of a period, against a data set made by hand with the
// test clock: four tickets on Monday 9 October 2023 (Asia/Shanghai) answered after 10, 20 and 40
// minutes and resolved after 60, 120 and 210, scored 5, 4 and 3 by their customers, one left
// alone until all its clocks breach; and one ticket the next day answered after 8 minutes.
// Every figure below is computed by hand from those times.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, Client, Server } from '../lib/server.js';

let srv, admin, sup, a1, a2, dept, gateway;
const t = {};

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
};
const at = (hhmm, day = '09') => `2023-10-${day}T${hhmm}:00+08:00`;
const tokenOf = (text) => (text.match(/\/s\/([0-9a-f]{64})/) || [])[1];

async function tokenClient(username, password) {
  const s = await new Client(srv.base).login(username, password);
  const k = await s.post('/api/v1/tokens', { name: 'reports test', expires_at: null });
  assert.equal(k.status, 201, k.text);
  const c = new Client(srv.base);
  c.token = k.body.token;
  c.user = s.user;
  return c;
}

async function create(channel, type, category, urgency, assignee, subject) {
  const r = await admin.post('/api/v1/tickets', {
    channel, type, category, subject, urgency, customer: { name: subject, phone: `139${String(Object.keys(t).length).padStart(8, '0')}` },
  });
  assert.equal(r.status, 201, r.text);
  const p = await admin.patch(`/api/v1/tickets/${r.body.id}`, { department_id: dept.id, assignee_id: assignee.user.id });
  assert.equal(p.status, 200, p.text);
  return p.body;
}
async function accept(ticket) {
  const r = await admin.patch(`/api/v1/tickets/${ticket.id}`, { status: 'in_progress' });
  assert.equal(r.status, 200, r.text);
}
async function reply(ticket, who) {
  const r = await who.post(`/api/v1/tickets/${ticket.id}/messages`, { kind: 'reply', body: '您好,已为您查询' });
  assert.equal(r.status, 201, r.text);
}
async function resolveAndScore(ticket, who, score) {
  const r = await who.patch(`/api/v1/tickets/${ticket.id}`, { status: 'resolved', result: 'fixed' });
  assert.equal(r.status, 200, r.text);
  const hit = await until(`survey.sent for ${ticket.number}`, () => gateway.got.find(
    (h) => h.body.event === 'survey.sent' && h.body.detail.number === ticket.number));
  const token = tokenOf(hit.body.detail.url);
  const a = await fetch(`${srv.base}/api/v1/surveys/${token}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rating: String(score) }),
  });
  assert.equal(a.status, 200, await a.text());
}
const summary = async (who, query) => {
  const r = await who.get(`/api/v1/reports/summary?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

before(async () => {
  srv = await new Server().start();
  admin = await tokenClient(ADMIN.username, ADMIN.password);
  for (const [username, name, role] of [['s1', '主管', 'supervisor'], ['a1', '小王', 'agent'], ['a2', '小李', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  sup = await tokenClient('s1', 'password-123');
  a1 = await tokenClient('a1', 'password-123');
  a2 = await tokenClient('a2', 'password-123');
  const d = await admin.post('/api/v1/departments', { code: 'service', name: '客服部', supervisor_id: sup.user.id });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  gateway = await receiver();
  let r = await admin.post('/api/v1/webhooks', { url: gateway.url, secret: 'webhook-secret-0123456789', events: ['survey.sent'] });
  assert.equal(r.status, 201, r.text);
  r = await admin.patch('/api/v1/settings', { survey: { scale: 'five_point', delay_minutes: 0 } });
  assert.equal(r.status, 200, r.text);

  await clock(at('09:00'));
  t.t1 = await create('TEL', 'complaint', 'logistics-delay', 'low', a1, '物流太慢');
  t.t2 = await create('TEL', 'complaint', 'logistics-delay', 'low', a1, '快递没到');
  t.t3 = await create('WEB', 'problem', 'app-login', 'low', a2, '登录不了');
  t.t4 = await create('TEL', 'problem', 'payment', 'high', a2, '付款失败'); // left alone
  for (const x of [t.t1, t.t2, t.t3]) await accept(x);
  await clock(at('09:10'));
  await reply(t.t1, a1);
  await clock(at('09:20'));
  await reply(t.t2, a1);
  await clock(at('09:40'));
  await reply(t.t3, a2);
  await clock(at('10:00'));
  await resolveAndScore(t.t1, a1, 5);
  await clock(at('11:00'));
  await resolveAndScore(t.t2, a1, 4);
  await clock(at('12:30'));
  await resolveAndScore(t.t3, a2, 3);
  await clock(at('13:05')); // past t4's accept (10:00), first response (11:00) and resolve (13:00)
  await until('t4 breaches every clock', async () => {
    const x = (await admin.get(`/api/v1/tickets/${t.t4.id}`)).body;
    return x.sla.breached.length === 3;
  });
  await clock(at('09:00', '10'));
  t.t5 = await create('WEB', 'inquiry', 'order-logistics', 'low', a1, '查询订单');
  await accept(t.t5);
  await clock(at('09:08', '10'));
  await reply(t.t5, a1);
});

after(async () => {
  await gateway?.close();
  await srv?.finish();
});

test('the summary of a day: volume, shares, times with percentiles, overdue, SLA, issues, satisfaction, correlation', async () => {
  const s = await summary(sup, 'from=2023-10-09&to=2023-10-09');
  assert.equal(s.from, '2023-10-09T00:00:00+08:00');
  assert.equal(s.to, '2023-10-10T00:00:00+08:00');
  assert.equal(s.granularity, 'day');
  assert.equal(s.volume.total, 4);
  assert.deepEqual(s.volume.by_channel.map((c) => [c.channel, c.count, c.share]), [['TEL', 3, 0.75], ['WEB', 1, 0.25]]);
  assert.equal(s.volume.by_channel[0].name, '电话');
  assert.deepEqual(s.volume.by_type.map((c) => [c.type, c.count, c.share]), [['complaint', 2, 0.5], ['problem', 2, 0.5]]);
  assert.deepEqual(s.volume.by_department.map((c) => [c.department_id, c.name, c.count, c.share]), [[dept.id, '客服部', 4, 1]]);
  assert.deepEqual(s.volume.by_assignee.map((c) => [c.assignee_id, c.name, c.count]),
    [[a1.user.id, '小王', 2], [a2.user.id, '小李', 2]]);
  // answered after 10, 20 and 40 minutes: mean 23.3, nearest-rank median 20 and p90 40
  assert.deepEqual(s.first_response, { avg_minutes: 23.3, p50_minutes: 20, p90_minutes: 40, n: 3 });
  // resolved after 60, 120 and 210 minutes
  assert.deepEqual(s.resolution, { avg_minutes: 130, p50_minutes: 120, p90_minutes: 210, n: 3 });
  assert.deepEqual(s.overdue, { count: 1, by_target: { accept: 1, first_response: 1, resolve: 1 } });
  // three met, one breached, for both targets
  assert.deepEqual(s.sla_attainment, { first_response: 0.75, resolve: 0.75 });
  assert.deepEqual(s.top_issues.map((x) => [x.category, x.name, x.count]),
    [['logistics-delay', '物流延迟', 2], ['app-login', 'APP无法登录', 1], ['payment', '支付异常', 1]]);
  assert.equal(s.satisfaction.n, 3);
  assert.equal(s.satisfaction.avg_score, 4);
  assert.deepEqual(s.satisfaction.distribution,
    { very_satisfied: 1, satisfied: 1, average: 1, unsatisfied: 0 });
  assert.deepEqual(s.satisfaction.by_score, { 1: 0, 2: 0, 3: 1, 4: 1, 5: 1 });
  assert.deepEqual(s.satisfaction.trend, [{ period: '2023-10-09', avg_score: 4, n: 3 }]);
  assert.deepEqual(s.series.map((p) => [p.period, p.created, p.resolved, p.overdue]), [['2023-10-09', 4, 3, 1]]);
  // (10, 5), (20, 4), (40, 3): sxy = -30, sxx = 466.67, syy = 2, r = -30 / sqrt(933.33)
  const c = s.correlation.first_response_vs_score;
  assert.equal(c.n, 3);
  assert.ok(Math.abs(c.pearson - -0.98198) < 0.0005, String(c.pearson));
  assert.deepEqual(c.buckets.slice(0, 4), [
    { max_minutes: 5, avg_score: null, n: 0 }, { max_minutes: 15, avg_score: 5, n: 1 },
    { max_minutes: 30, avg_score: 4, n: 1 }, { max_minutes: 60, avg_score: 3, n: 1 }]);
  assert.deepEqual(c.buckets.at(-1), { max_minutes: null, avg_score: null, n: 0 });
});

test('two days by day and by week; filters narrow the tickets', async () => {
  let s = await summary(sup, 'from=2023-10-09&to=2023-10-10');
  assert.equal(s.volume.total, 5);
  assert.deepEqual(s.series.map((p) => [p.period, p.created, p.resolved, p.overdue]),
    [['2023-10-09', 4, 3, 1], ['2023-10-10', 1, 0, 0]]);
  // 8, 10, 20, 40: mean 19.5, median the second (10), p90 the fourth (40)
  assert.deepEqual(s.first_response, { avg_minutes: 19.5, p50_minutes: 10, p90_minutes: 40, n: 4 });
  assert.deepEqual(s.satisfaction.trend, [{ period: '2023-10-09', avg_score: 4, n: 3 }, { period: '2023-10-10', avg_score: null, n: 0 }]);
  // weeks start on Monday: 1 October (a Sunday) belongs to the week of 25 September
  s = await summary(sup, 'from=2023-10-01&to=2023-10-10&granularity=week');
  assert.deepEqual(s.series.map((p) => [p.period, p.created]), [['2023-09-25', 0], ['2023-10-02', 0], ['2023-10-09', 5]]);
  s = await summary(sup, 'from=2023-10-01&to=2023-10-31&granularity=month');
  assert.deepEqual(s.series.map((p) => [p.period, p.created, p.resolved]), [['2023-10', 5, 3]]);
  // RFC 3339 bounds: the afternoon of the 9th holds nothing created
  s = await summary(sup, `from=${encodeURIComponent('2023-10-09T12:00:00+08:00')}&to=${encodeURIComponent('2023-10-09T18:00:00+08:00')}`);
  assert.equal(s.volume.total, 0);
  assert.deepEqual(s.first_response, { avg_minutes: null, p50_minutes: null, p90_minutes: null, n: 0 });
  assert.equal(s.correlation.first_response_vs_score.pearson, null);
  assert.deepEqual(s.sla_attainment, { first_response: null, resolve: null });
  assert.deepEqual(s.series.map((p) => [p.period, p.resolved]), [['2023-10-09', 1]]); // t3 at 12:30
  s = await summary(sup, 'from=2023-10-09&to=2023-10-10&channel=WEB');
  assert.equal(s.volume.total, 2);
  s = await summary(sup, 'from=2023-10-09&to=2023-10-10&type=complaint');
  assert.deepEqual([s.volume.total, s.satisfaction.avg_score], [2, 4.5]);
  s = await summary(sup, `from=2023-10-09&to=2023-10-10&assignee_id=${a2.user.id}`);
  assert.deepEqual([s.volume.total, s.overdue.count, s.first_response.avg_minutes], [2, 1, 40]);
  s = await summary(sup, `from=2023-10-09&to=2023-10-10&department_id=${dept.id}&type=inquiry`);
  assert.equal(s.volume.total, 1);
  assert.equal((await summary(sup, 'from=2023-10-11&to=2023-10-31')).volume.total, 0);
});

test('the comparison by agent, type, channel and department', async () => {
  let r = await sup.get('/api/v1/reports/compare?by=assignee&from=2023-10-09&to=2023-10-09');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.by, 'assignee');
  assert.deepEqual(r.body.rows, [
    { key: a1.user.id, name: '小王', count: 2, avg_first_response_minutes: 15, avg_resolution_minutes: 90, overdue: 0, avg_score: 4.5 },
    { key: a2.user.id, name: '小李', count: 2, avg_first_response_minutes: 40, avg_resolution_minutes: 210, overdue: 1, avg_score: 3 },
  ]);
  // by agent unless asked otherwise
  assert.deepEqual((await sup.get('/api/v1/reports/compare?from=2023-10-09&to=2023-10-09')).body.rows, r.body.rows);
  r = await sup.get('/api/v1/reports/compare?by=channel&from=2023-10-09&to=2023-10-10');
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.name, x.count, x.avg_first_response_minutes, x.overdue, x.avg_score]),
    [['TEL', '电话', 3, 15, 1, 4.5], ['WEB', '网页表单', 2, 24, 0, 3]]);
  r = await admin.get('/api/v1/reports/compare?by=type&from=2023-10-09&to=2023-10-10');
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.count, x.avg_resolution_minutes]),
    [['complaint', 2, 90], ['problem', 2, 210], ['inquiry', 1, null]]);
  r = await sup.get('/api/v1/reports/compare?by=department&from=2023-10-09&to=2023-10-10');
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.name, x.count, x.overdue]), [[dept.id, '客服部', 5, 1]]);
});

test('an agent sees their own row and their own tickets; another agent\'s are 403', async () => {
  let r = await a1.get('/api/v1/reports/compare?by=assignee&from=2023-10-09&to=2023-10-10');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.count]), [[a1.user.id, 3]]);
  r = await a2.get('/api/v1/reports/compare?by=channel&from=2023-10-09&to=2023-10-10');
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.count]), [['TEL', 1], ['WEB', 1]]);
  const s = await summary(a1, 'from=2023-10-09&to=2023-10-10');
  assert.equal(s.volume.total, 3);
  assert.deepEqual(s.volume.by_assignee.map((x) => x.assignee_id), [a1.user.id]);
  r = await a1.get(`/api/v1/reports/summary?from=2023-10-09&to=2023-10-10&assignee_id=${a2.user.id}`);
  assert.equal(r.status, 403);
  assert.equal(r.body.error.field, 'assignee_id');
  assert.equal((await a1.get(`/api/v1/reports/summary?assignee_id=${a1.user.id}`)).status, 200);
  assert.equal((await new Client(srv.base).get('/api/v1/reports/summary')).status, 401);
});

test('bad values are 422 naming the field', async () => {
  for (const [path, field] of [
    ['summary?from=2023-13-01', 'from'], ['summary?from=2023-02-30', 'from'], ['summary?to=yesterday', 'to'],
    ['summary?from=2023-10-10&to=2023-10-09', 'to'], ['summary?from=2022-01-01&to=2023-10-09', 'to'],
    ['summary?granularity=hour', 'granularity'], ['summary?type=bogus', 'type'],
    ['summary?assignee_id=abc', 'assignee_id'], ['summary?department_id=-1', 'department_id'],
    ['summary?store_id=x', 'store_id'], ['compare?by=store', 'by'], ['compare?by=', 'by'],
    ['compare?by=type&from=10/09/2023', 'from']]) {
    const r = await sup.get(`/api/v1/reports/${path}`);
    assert.equal(r.status, 422, `${path}: ${r.text}`);
    assert.equal(r.body.error.field, field, path);
  }
});

test('the pool lists the tickets behind a figure: a channel\'s slice, an issue\'s bar', async () => {
  const s = await summary(sup, 'from=2023-10-09&to=2023-10-09');
  const range = `created_from=${encodeURIComponent(s.from)}&created_to=${encodeURIComponent(s.to)}`;
  let r = await sup.get(`/api/v1/tickets?${range}&channel=TEL`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items.map((x) => x.id).sort(), [t.t1.id, t.t2.id, t.t4.id].sort());
  r = await sup.get(`/api/v1/tickets?${range}&category=logistics-delay`);
  assert.deepEqual(r.body.items.map((x) => x.id).sort(), [t.t1.id, t.t2.id].sort());
  assert.equal(r.body.items.length, s.top_issues[0].count);
  r = await sup.get(`/api/v1/tickets?category=no-such-category`);
  assert.deepEqual(r.body.items, []);
});

test('a store\'s walk-ins alone (runs last: it registers one more ticket)', async () => {
  const st = await admin.post('/api/v1/stores', { code: 'SH-XJH', name: '上海徐家汇店' });
  assert.equal(st.status, 201, st.text);
  const w = await admin.post('/api/v1/tickets', {
    channel: 'STORE', store_id: st.body.id, type: 'inquiry', subject: '到店咨询', urgency: 'low', customer: { name: '到店客户', phone: '13988887777' },
  });
  assert.equal(w.status, 201, w.text);
  const s = await summary(sup, `from=2023-10-09&to=2023-10-10&store_id=${st.body.id}`);
  assert.deepEqual([s.volume.total, s.volume.by_channel.map((c) => c.channel), s.series.map((p) => p.created)], [1, ['STORE'], [0, 1]]);
  assert.equal((await summary(sup, 'from=2023-10-09&to=2023-10-10')).volume.total, 6);
  const r = await sup.get(`/api/v1/reports/compare?by=type&from=2023-10-09&to=2023-10-10&store_id=${st.body.id}`);
  assert.deepEqual(r.body.rows.map((x) => [x.key, x.count]), [['inquiry', 1]]);
});
