// The record export of seed 004's template: every ticket of a day or a range as CSV (UTF-8 with
// a byte-order mark, quoted, formulas defused) or a real .xlsx workbook, contacts masked, headers
// in the caller's language; agents get their own tickets; `kefu export` writes the same file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, kefu, Server, ADMIN } from '../lib/server.js';

let srv, admin, sup, agent, other, first;

const clock = async (at) => {
  const r = await admin.post('/api/v1/test/clock', { now: at });
  assert.equal(r.status, 200, r.text);
};

async function download(client, query, headers = {}) {
  const h = { Cookie: client.cookie, ...headers };
  const r = await fetch(srv.base + '/api/v1/reports/export?' + query, { headers: h });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

// the cells of a CSV file (RFC 4180: quoted cells may hold commas, quotes and line breaks)
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += c;
  }
  return rows;
}

const sheetXml = (bytes) => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-xlsx-'));
  writeFileSync(join(dir, 'r.xlsx'), bytes);
  return execFileSync('unzip', ['-p', join(dir, 'r.xlsx'), 'xl/worksheets/sheet1.xml'], { maxBuffer: 1 << 30 }).toString('utf8');
};

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [username, name, role] of [['s1', '主管王姐', 'supervisor'], ['a1', '客服小李', 'agent'], ['a2', '客服小张', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  sup = await new Client(srv.base).login('s1', 'password-123');
  agent = await new Client(srv.base).login('a1', 'password-123');
  other = await new Client(srv.base).login('a2', 'password-123');
  await clock('2023-10-01T09:02:00+08:00');
  let r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '批量折扣', urgency: 'medium',
    description: '询问如何开通企业会员的"批量折扣"功能, 急', contact_name: '刘经理',
    raised_at: '2023-10-01T09:00:00+08:00', customer: { name: 'A公司', phone: '13856781234' },
  });
  assert.equal(r.status, 201, r.text);
  first = r.body;
  r = await agent.patch(`/api/v1/tickets/${first.id}`, { assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-01T09:05:00+08:00');
  r = await agent.patch(`/api/v1/tickets/${first.id}`, { status: 'in_progress' });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-01T09:20:00+08:00');
  r = await agent.patch(`/api/v1/tickets/${first.id}`, {
    status: 'resolved', result: 'solution_provided', measures: '=HYPERLINK("http://x")',
  });
  assert.equal(r.status, 200, r.text);
  // another agent's ticket the same day, and one the next day
  await clock('2023-10-01T15:00:00+08:00');
  r = await other.post('/api/v1/tickets', {
    channel: 'WEB', type: 'fault', subject: 'APP 无法上传文件', urgency: 'high',
    customer: { name: 'B客户', phone: '13912345678' },
  });
  assert.equal(r.status, 201, r.text);
  r = await other.patch(`/api/v1/tickets/${r.body.id}`, { assignee_id: other.user.id });
  assert.equal(r.status, 200, r.text);
  await clock('2023-10-02T10:00:00+08:00');
  r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', subject: '第二天的投诉', urgency: 'low', customer: { name: 'C客户', phone: '13700001111' },
  });
  assert.equal(r.status, 201, r.text);
});

after(() => srv.finish());

test('the day\'s CSV starts with a byte-order mark and holds seed 004\'s columns in Chinese', async () => {
  const r = await download(sup, 'from=2023-10-01&to=2023-10-01&format=csv');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  assert.match(r.headers.get('content-disposition'), /attachment; filename="kefu-records-2023-10-01\.csv"/);
  assert.deepEqual([...r.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = r.bytes.subarray(3).toString('utf8');
  assert.ok(text.includes('\r\n'));
  const rows = parseCsv(text);
  assert.deepEqual(rows[0], ['记录编号', '日期', '客户名称/编号', '联系人', '联系方式', '需求类型', '问题描述',
    '受理人', '客户提出时间', '受理人接手时间', '首次响应时间', '问题处理开始时间', '问题解决时间',
    '总响应时长(分钟)', '解决结果', '客户满意度', '处理措施简述', '转接记录', '审核人']);
  assert.equal(rows.length, 3, text); // the header and the two tickets of 1 October
  const row = rows.find((x) => x[0] === first.number);
  assert.equal(row[1], '2023-10-01');
  assert.equal(row[2], 'A公司');
  assert.equal(row[3], '刘经理');
  assert.equal(row[4], '138****1234');
  assert.equal(row[5], '咨询类');
  assert.equal(row[6], '询问如何开通企业会员的"批量折扣"功能, 急');
  assert.equal(row[7], '客服小李');
  assert.equal(row[8], '2023-10-01 09:00');
  assert.equal(row[12], '2023-10-01 09:20');
  assert.equal(row[13], '20');
  assert.equal(row[14], '已提供解决方案');
  assert.equal(row[16], '\'=HYPERLINK("http://x")'); // not run as a formula
  assert.equal(row[17], '无');
  assert.ok(!text.includes('13856781234') && !text.includes('13912345678'), 'no full phone number');
  assert.ok(text.includes('"询问如何开通企业会员的""批量折扣""功能, 急"'), 'quotes doubled inside quotes');
});

test('Accept-Language: en gives English headers and labels', async () => {
  const r = await download(sup, 'from=2023-10-01&format=csv', { 'Accept-Language': 'en-US,en;q=0.9' });
  assert.equal(r.status, 200);
  const rows = parseCsv(r.bytes.subarray(3).toString('utf8'));
  assert.equal(rows[0][0], 'Record number');
  assert.equal(rows[0][13], 'Total response time (minutes)');
  assert.equal(rows.find((x) => x[0] === first.number)[5], 'Inquiry');
});

test('the xlsx is a real workbook whose sheet holds the values, dates as dates', async () => {
  const r = await download(sup, 'from=2023-10-01&to=2023-10-02&format=xlsx');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(r.bytes.subarray(0, 2).toString('latin1'), 'PK');
  const xml = sheetXml(r.bytes);
  for (const s of ['记录编号', '总响应时长(分钟)', first.number, 'A公司', '138****1234', '第二天的投诉', '已提供解决方案'])
    assert.ok(xml.includes(s), `the sheet holds ${s}`);
  assert.ok(!xml.includes('13856781234'));
  assert.match(xml, /<pane [^>]*ySplit="1"[^>]*state="frozen"/);
  // 2023-10-01 09:00 as an Excel serial date (45200 is 2023-10-01) in a numeric cell
  assert.match(xml, /<c r="I\d+" s="\d+"><v>45200\.375<\/v><\/c>/);
  assert.match(xml, /<c r="N\d+"><v>20<\/v><\/c>/);
});

test('an agent exports their own tickets only; others\' are refused', async () => {
  let r = await download(agent, 'from=2023-10-01&format=csv');
  assert.equal(r.status, 200);
  const rows = parseCsv(r.bytes.subarray(3).toString('utf8'));
  assert.deepEqual(rows.slice(1).map((x) => x[7]), ['客服小李']);
  r = await download(agent, `from=2023-10-01&assignee_id=${other.user.id}`);
  assert.equal(r.status, 403);
  // a supervisor narrows by the list filters
  r = await download(sup, `from=2023-10-01&assignee_id=${other.user.id}&channel=WEB`);
  assert.equal(parseCsv(r.bytes.subarray(3).toString('utf8')).length, 2);
});

test('bad periods, formats and filters are refused naming the field', async () => {
  for (const [q, field] of [['from=yesterday', 'from'], ['from=2023-02-30', 'from'], ['from=2023-10-01&to=2023-09-30', 'to'],
    ['from=2023-10-01&format=pdf', 'format'], ['from=2023-10-01&type=nope', 'type'],
    ['from=2023-10-01&department_id=x', 'department_id'], ['from=2021-01-01&to=2023-01-01', 'to']]) {
    const r = await sup.get('/api/v1/reports/export?' + q);
    assert.equal(r.status, 422, q);
    assert.equal(r.body.error.field, field, q);
  }
  // no period: today's records
  const today = await download(sup, 'format=csv');
  assert.equal(today.status, 200);
  assert.match(today.headers.get('content-disposition'), /kefu-records-\d{4}-\d{2}-\d{2}\.csv/);
  const anon = await fetch(srv.base + '/api/v1/reports/export?from=2023-10-01');
  assert.equal(anon.status, 401);
});

test('kefu export writes the end-of-day file from the shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-export-'));
  const out = join(dir, 'day.xlsx');
  let r = kefu(['export', '--date', '2023-10-01', '--format', 'xlsx', '--out', out, '--data-dir', srv.dataDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /2 records written/);
  const xml = sheetXml(readFileSync(out));
  assert.ok(xml.includes(first.number) && xml.includes('客服小张') && !xml.includes('第二天的投诉'));
  const csv = join(dir, 'range.csv');
  r = kefu(['export', '--from', '2023-10-01', '--to', '2023-10-02', '--lang', 'en', '--out', csv, '--data-dir', srv.dataDir]);
  assert.equal(r.status, 0, r.stderr);
  const rows = parseCsv(readFileSync(csv).subarray(3).toString('utf8'));
  assert.equal(rows[0][0], 'Record number');
  assert.equal(rows.length, 4);
  r = kefu(['export', '--date', '2023-13-01', '--out', csv, '--data-dir', srv.dataDir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /YYYY-MM-DD/);
  r = kefu(['export', '--date', '2023-10-01', '--data-dir', srv.dataDir]);
  assert.match(r.stderr, /--out/);
});

test('a long export keeps neither the other requests nor the writer waiting', async () => {
  // 40,000 tickets on one day, written straight into the stopped server's database
  await srv.stop();
  const T0 = Date.parse('2023-11-01T00:00:00+08:00');
  execFileSync('sqlite3', [join(srv.dataDir, 'kefu.db')], {
    input: `BEGIN;
INSERT INTO tickets(number, channel, type, subject, description, urgency, priority, prio_rank, status,
                    customer_id, raised_at, resolved_at, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 39999)
SELECT 'BULK' || i, 'TEL', 'inquiry', '批量 ' || i, '客户反映系统无法登录,提示"验证码错误"', 'medium', 'medium', 2,
       'resolved', (SELECT MIN(id) FROM customers), ${T0} + i * 2000, ${T0} + i * 2000 + 600000,
       ${T0} + i * 2000, ${T0} + i * 2000 FROM n;
COMMIT;`,
  });
  await srv.start();
  sup = await new Client(srv.base).login('s1', 'password-123');
  let exportDone = 0;
  const exporting = download(sup, 'from=2023-11-01&format=xlsx').then((r) => { exportDone = Date.now(); return r; });
  await new Promise((r) => setTimeout(r, 100)); // the export is under way
  // reads over several connections (each request thread gets some) and a write
  const reads = await Promise.all([...Array(6)].map(() => sup.get('/api/v1/me')));
  const created = await sup.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '导出时新建', urgency: 'low', customer: { name: 'D客户', phone: '13600002222' },
  });
  const answered = Date.now();
  assert.deepEqual(reads.map((x) => x.status), [200, 200, 200, 200, 200, 200]);
  assert.equal(created.status, 201, created.text);
  const r = await exporting;
  assert.equal(r.status, 200);
  assert.ok(answered < exportDone, `the export (${exportDone}) outlasted them (${answered})`);
  const xml = sheetXml(r.bytes);
  assert.ok(xml.includes('BULK0') && xml.includes('BULK39999'));
});
