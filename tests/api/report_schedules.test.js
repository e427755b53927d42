// Scheduled reports (定时报表): the day's record export mailed with its workbook attached at the
// set local time, and last week's summary on Mondays, through a mail channel into a real SMTP
// server; each period once, across restarts too; the deliveries list; bad input refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../lib/receiver.js';
import { Client, Server, ADMIN } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';

let srv, admin, sup, agent, sink, daily, weekly;
const FROM = '客服中心 <service@kefu.example.com>';
const TO = ['lead@example.com', 'wang@example.com'];

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const subjectIs = (s) => sink.mails().filter((m) => (m.headers.subject || [])[0] === s);

async function ticket(extra) {
  const r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '咨询', urgency: 'medium',
    customer: { name: '张三', phone: '13812345678' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function login() {
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  sup = await new Client(srv.base).login('s1', 'password-123');
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [username, role] of [['s1', 'supervisor'], ['a1', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name: username, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  await login();
  agent = await new Client(srv.base).login('a1', 'password-123');
  sink = await smtpSink({ reject: 'nobody' }).start();
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { from: FROM, smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none' },
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await sink.stop();
  sink.cleanup();
  await srv.finish();
});

test('bad schedules are refused naming the field; agents may not schedule', async () => {
  const good = { kind: 'daily_export', to: ['lead@example.com'], at: '18:00', format: 'xlsx' };
  for (const [patch, field] of [[{ kind: 'monthly' }, 'kind'], [{ to: 'lead@example.com' }, 'to'],
    [{ to: [] }, 'to'], [{ to: ['not an address'] }, 'to'], [{ at: '25:00' }, 'at'], [{ at: '6:00' }, 'at'],
    [{ format: 'pdf' }, 'format'], [{ channel: 'TEL' }, 'channel'], [{ channel: 'NOPE' }, 'channel'],
    [{ colour: 'red' }, 'colour'], [{ at: undefined }, 'at']]) {
    const r = await sup.post('/api/v1/report-schedules', { ...good, ...patch });
    assert.equal(r.status, 422, JSON.stringify(patch) + r.text);
    assert.equal(r.body.error.field, field, JSON.stringify(patch));
  }
  const bad = await sup.req('POST', '/api/v1/report-schedules', undefined, { raw: '{', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.equal((await agent.post('/api/v1/report-schedules', good)).status, 403);
  assert.equal((await agent.get('/api/v1/report-schedules')).status, 403);
  assert.equal((await sup.get('/api/v1/report-schedules/999')).status, 404);
  assert.equal((await sup.patch('/api/v1/report-schedules/999', { at: '09:00' })).status, 404);
});

test('create, edit and delete a schedule; its next time follows the local clock', async () => {
  await clock('2023-09-30T12:00:00+08:00'); // a Saturday
  let r = await sup.post('/api/v1/report-schedules', { kind: 'daily_export', to: ['x@example.com'], at: '18:00' });
  assert.equal(r.status, 201, r.text);
  const s = r.body.report_schedule;
  assert.equal(s.format, 'xlsx');
  assert.equal(s.channel, null);
  assert.deepEqual(s.deliveries, []);
  assert.equal(Date.parse(s.next_at), Date.parse('2023-09-30T18:00:00+08:00'));
  r = await sup.patch(`/api/v1/report-schedules/${s.id}`, { kind: 'weekly_summary', at: '08:30' });
  assert.equal(r.status, 200, r.text);
  assert.equal(Date.parse(r.body.report_schedule.next_at), Date.parse('2023-10-02T08:30:00+08:00'));
  r = await sup.patch(`/api/v1/report-schedules/${s.id}`, { at: '99:00' });
  assert.equal(r.status, 422);
  assert.equal((await sup.del(`/api/v1/report-schedules/${s.id}`)).status, 204);
  assert.equal((await sup.get(`/api/v1/report-schedules/${s.id}`)).status, 404);
});

test('Monday morning brings last week\'s summary', async () => {
  await clock('2023-09-26T10:00:00+08:00');
  await ticket({ channel: 'WEB', subject: '上周的网页咨询' });
  const t = await ticket({ subject: '上周的电话咨询', raised_at: '2023-09-26T09:50:00+08:00' });
  await clock('2023-09-26T10:20:00+08:00');
  assert.equal((await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'in_progress' })).status, 200);
  const r0 = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'resolved', result: 'fixed' });
  assert.equal(r0.status, 200, r0.text);
  await clock('2023-10-01T12:00:00+08:00');
  const r = await sup.post('/api/v1/report-schedules', { kind: 'weekly_summary', to: TO, at: '08:00', channel: 'MAIL' });
  assert.equal(r.status, 201, r.text);
  weekly = r.body.report_schedule;
  assert.equal(Date.parse(weekly.next_at), Date.parse('2023-10-02T08:00:00+08:00'));
  await clock('2023-10-02T08:00:00+08:00');
  const subject = '服务周报 2023-09-25 至 2023-10-01';
  const mails = await until('the weekly summary', () => subjectIs(subject).length === 2 && subjectIs(subject));
  assert.deepEqual(mails.map((m) => m.rcpt_tos[0]).sort(), ['lead@example.com', 'wang@example.com']);
  const text = mails[0].text;
  assert.match(text, /工单总量:2/);
  assert.match(text, /TEL:1\(50\.0%\)/);
  assert.match(text, /WEB:1\(50\.0%\)/);
  assert.match(text, /平均解决时长:30\.0 分钟/);
  assert.match(text, /平均首次响应时长:无/); // nobody answered them
  assert.match(text, /超时工单数:2/); // so both passed their first-response deadline
  assert.match(text, /客户满意度平均分:无评价/);
  assert.match(text, /问题分类前五/);
  assert.equal(mails[0].attachments.length, 0);
});

test('the day\'s records are mailed at the set time with the workbook attached, once', async () => {
  await clock('2023-10-02T10:00:00+08:00');
  const t = await ticket({ subject: '今天的咨询', customer: { name: '李四', phone: '13900001234' } });
  let r = await sup.post('/api/v1/report-schedules', { kind: 'daily_export', to: TO, at: '18:00', format: 'xlsx' });
  assert.equal(r.status, 201, r.text);
  daily = r.body.report_schedule;
  const subject = '服务响应时间记录 2023-10-02';
  await clock('2023-10-02T17:59:57+08:00');
  await sleep(1500);
  assert.equal(subjectIs(subject).length, 0, 'not before its time');
  await clock('2023-10-02T18:00:00+08:00');
  const mails = await until('the daily export', () => subjectIs(subject).length === 2 && subjectIs(subject));
  const [att] = mails[0].attachments;
  assert.equal(att.filename, 'kefu-records-2023-10-02.xlsx');
  assert.equal(att.content_type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const dir = mkdtempSync(join(tmpdir(), 'kefu-report-'));
  writeFileSync(join(dir, 'r.xlsx'), Buffer.from(att.base64, 'base64'));
  const xml = execFileSync('unzip', ['-p', join(dir, 'r.xlsx'), 'xl/worksheets/sheet1.xml']).toString('utf8');
  assert.ok(xml.includes(t.number) && xml.includes('139****1234') && xml.includes('记录编号'));
  assert.ok(!xml.includes('上周的电话咨询'), 'only the day\'s records');
  await clock('2023-10-02T18:00:30+08:00');
  await sleep(2500);
  assert.equal(subjectIs(subject).length, 2, 'once per address');
  r = await until('the delivery sent', async () => {
    const g = await sup.get(`/api/v1/report-schedules/${daily.id}`);
    return g.body.report_schedule.deliveries[0]?.status === 'sent' && g;
  });
  const s = r.body.report_schedule;
  assert.equal(s.deliveries.length, 1);
  assert.deepEqual([s.deliveries[0].period, s.deliveries[0].mails, s.deliveries[0].sent, s.deliveries[0].error],
    ['2023-10-02', 2, 2, null]);
  assert.equal(s.deliveries[0].filename, 'kefu-records-2023-10-02.xlsx');
  assert.ok(s.deliveries[0].sent_at);
  assert.equal(Date.parse(s.next_at), Date.parse('2023-10-03T18:00:00+08:00'));
  const list = await sup.get('/api/v1/report-schedules');
  assert.deepEqual(list.body.items.map((x) => x.id), [weekly.id, daily.id]);
});

test('a time missed while the server was down is made up once, and never again after restarts', async () => {
  await srv.stop();
  await srv.start(); // the real clock: 3 October 18:00 (2023) has long passed
  await login();
  const subject = '服务响应时间记录 2023-10-03';
  await until('the missed daily export', () => subjectIs(subject).length === 2);
  await srv.stop();
  await srv.start();
  await login();
  await sleep(2500);
  assert.equal(subjectIs(subject).length, 2);
  assert.equal(subjectIs('服务响应时间记录 2023-10-02').length, 2);
  const s = (await sup.get(`/api/v1/report-schedules/${daily.id}`)).body.report_schedule;
  assert.deepEqual(s.deliveries.map((d) => d.period), ['2023-10-03', '2023-10-02']);
  assert.ok(Date.parse(s.next_at) > Date.now());
  // a delivery's file is kept while its mails wait, and dropped a day after they all went
  const files = execFileSync('sqlite3', [join(srv.dataDir, 'kefu.db'),
    `SELECT period, data IS NOT NULL FROM report_deliveries WHERE schedule_id = ${daily.id} ORDER BY period`]).toString();
  assert.equal(files, '2023-10-02|0\n2023-10-03|1\n');
});

test('a mail the server refuses shows as a failed delivery with its error', async () => {
  await clock('2023-10-04T10:00:00+08:00');
  const r = await sup.post('/api/v1/report-schedules', { kind: 'daily_export', to: ['nobody@example.com'], at: '11:00', format: 'csv' });
  assert.equal(r.status, 201, r.text);
  const id = r.body.report_schedule.id;
  await clock('2023-10-04T11:00:00+08:00');
  const d = await until('the failed delivery', async () => {
    const g = await sup.get(`/api/v1/report-schedules/${id}`);
    return g.body.report_schedule.deliveries[0]?.status === 'failed' && g.body.report_schedule.deliveries[0];
  });
  assert.equal(d.period, '2023-10-04');
  assert.equal(d.filename, 'kefu-records-2023-10-04.csv');
  assert.match(d.error, /550/);
});
