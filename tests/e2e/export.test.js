// The export page (导出) and the scheduled reports page (定时报表): a supervisor downloads today's
// records as xlsx and as CSV (the files' contents checked), and schedules, edits and removes a
// daily export, with a refused address shown at its field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, api, browser, ticket;
const dir = mkdtempSync(join(tmpdir(), 'kefu-e2e-export-'));

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const r = await api.post('/api/v1/users', { username: 'wangjie', name: '主管王姐', role: 'supervisor', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  const t = await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', subject: 'APP 无法上传文件', description: '反映APP无法上传文件,提示“网络错误”',
    urgency: 'high', contact_name: '陈先生', customer: { name: 'B客户', phone: '13912345678' },
  });
  assert.equal(t.status, 201, t.text);
  ticket = t.body;
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

async function download(page) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()]);
  const path = join(dir, d.suggestedFilename());
  await d.saveAs(path);
  return { name: d.suggestedFilename(), bytes: readFileSync(path), path };
}

test('today\'s records download as a workbook and as CSV from the export page', async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await page.getByTestId('nav-export').click();
  await page.waitForURL('**/reports/export');
  let f = await download(page);
  assert.match(f.name, /^kefu-records-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const xml = execFileSync('unzip', ['-p', f.path, 'xl/worksheets/sheet1.xml']).toString('utf8');
  for (const s of ['记录编号', '问题解决时间', ticket.number, 'B客户', '陈先生', '139****5678', '故障报修'])
    assert.ok(xml.includes(s), `the workbook holds ${s}`);
  assert.ok(!xml.includes('13912345678'), 'the phone is masked');

  await choose(page, 'export-format', 'CSV');
  f = await download(page);
  assert.match(f.name, /\.csv$/);
  assert.deepEqual([...f.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = f.bytes.subarray(3).toString('utf8');
  assert.ok(text.startsWith('记录编号,日期,客户名称/编号,联系人,联系方式,需求类型,问题描述,受理人,'), text.slice(0, 80));
  assert.ok(text.includes(ticket.number) && text.includes('139****5678') && text.includes('\r\n'));

  // yesterday holds nothing: a header only
  await page.getByTestId('period-yesterday').click();
  f = await download(page);
  assert.equal(f.bytes.subarray(3).toString('utf8').split('\r\n').filter(Boolean).length, 1);
});

test('a supervisor schedules, edits and removes a daily export', async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await page.getByTestId('nav-report-schedules').click();
  await page.waitForURL('**/reports/schedules');
  await page.getByTestId('schedule-new').click();
  await page.getByTestId('schedule-to').fill('lead@example.com, 不是地址');
  await page.getByTestId('schedule-save').click();
  const toError = page.locator('.el-form-item', { has: page.getByTestId('schedule-to') }).locator('.el-form-item__error');
  await toError.waitFor();
  assert.match(await toError.innerText(), /address/);
  assert.equal((await api.get('/api/v1/report-schedules')).body.items.length, 0);
  await page.getByTestId('schedule-to').fill('lead@example.com\nwang@example.com');
  await page.getByTestId('schedule-save').click();
  const row = page.getByTestId('schedules-table').locator('tr', { hasText: 'lead@example.com, wang@example.com' });
  await row.waitFor();
  assert.match(await row.innerText(), /每日导出[\s\S]*18:00[\s\S]*xlsx/);
  let [s] = (await api.get('/api/v1/report-schedules')).body.items;
  assert.deepEqual([s.kind, s.at, s.format, s.to], ['daily_export', '18:00', 'xlsx', ['lead@example.com', 'wang@example.com']]);

  await page.getByTestId(`schedule-edit-${s.id}`).click();
  await page.getByTestId('schedule-kind-weekly_summary').click();
  await page.getByTestId('schedule-save').click();
  await page.getByTestId('schedules-table').locator('tr', { hasText: '周报汇总' }).waitFor();
  [s] = (await api.get('/api/v1/report-schedules')).body.items;
  assert.equal(s.kind, 'weekly_summary');

  await page.getByTestId(`schedule-delete-${s.id}`).click();
  await page.locator('.el-message-box .el-button--danger').click();
  await page.getByTestId('schedules-table').locator('.el-table__empty-text').waitFor();
  assert.equal((await api.get('/api/v1/report-schedules')).body.items.length, 0);
});
