// The live board and the bell in the web console: a supervisor watches the board while others
// work through the API, and its numbers change without a reload; an agent's badge rises the
// moment a ticket is assigned to them, and the list leads to the ticket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, dept, xiaoli;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const d = await api.post('/api/v1/departments', { code: 'warehouse', name: '仓储部' });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  const c = await api.patch('/api/v1/categories/logistics-delay', { department_id: dept.id });
  assert.equal(c.status, 200, c.text);
  for (const [username, name, role] of [['wangjie', '王姐', 'supervisor'], ['xiaoli', '小李', 'agent']]) {
    const r = await api.post('/api/v1/users', {
      username, name, role, password: 'password-123', department_id: role === 'agent' ? dept.id : null,
    });
    assert.equal(r.status, 201, r.text);
    if (username === 'xiaoli') xiaoli = r.body;
  }
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

async function ticket(subject) {
  const r = await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay', subject, urgency: 'high',
    customer: { name: '赵六', phone: '13600001111' },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const num = (page, testid) => page.getByTestId(testid).locator('.num');
// waits until the text of locator is want (the page updates by itself, or the test fails)
async function until(locator, want, ms = 10000) {
  const end = Date.now() + ms;
  let got;
  while (Date.now() < end) {
    got = (await locator.innerText().catch(() => '')).trim();
    if (got === want) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(got, want);
}

test("the supervisor's board follows the work without a reload", async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await page.getByTestId('nav-board').click();
  await page.waitForURL('**/board');
  await until(num(page, 'board-open'), '0');
  // a mark in the page: a reload would lose it
  await page.evaluate(() => { window.kefuMark = 'still here'; });

  const t1 = await ticket('冰箱没送到');
  const t2 = await ticket('洗衣机延误');
  await until(num(page, 'board-open'), '2');
  await until(num(page, 'board-unassigned'), '2');
  await until(num(page, 'board-status-new'), '2');

  let r = await api.patch(`/api/v1/tickets/${t1.id}`, { assignee_id: xiaoli.id });
  assert.equal(r.status, 200, r.text);
  await until(page.getByTestId('board-agent-open-' + xiaoli.id), '1');
  await until(num(page, 'board-unassigned'), '1');

  // an hour and a minute later nobody has accepted either: both are overdue, in red
  const later = new Date(Date.now() + 61 * 60000).toISOString();
  r = await api.post('/api/v1/test/clock', { now: later });
  assert.equal(r.status, 200, r.text);
  await until(num(page, 'board-overdue'), '2');
  const late = page.getByTestId('board-list-overdue');
  await late.getByTestId('board-item-' + t2.number).waitFor();
  assert.ok(await late.locator('.late-row').count() >= 2);
  assert.equal(await page.evaluate(() => window.kefuMark), 'still here', 'the page was not reloaded');
  await page.context().close();
});

test("an agent's badge rises live when a ticket is assigned to them, and the list leads to it", async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  const badge = page.getByTestId('notif-badge').locator('.el-badge__content');
  // what is there already (the ticket of the first test, and its clock's warning) is counted at
  // sign-in
  const agent = await new Client(srv.base).login('xiaoli', 'password-123');
  const start = (await agent.get('/api/v1/notifications')).body.unread;
  assert.ok(start >= 1);
  await until(badge, String(start));
  await page.evaluate(() => { window.kefuMark = 'still here'; });

  const t = await ticket('空调安装预约');
  const r = await api.patch(`/api/v1/tickets/${t.id}`, { assignee_id: xiaoli.id });
  assert.equal(r.status, 200, r.text);
  await until(badge, String(start + 1));
  assert.equal(await page.evaluate(() => window.kefuMark), 'still here', 'the page was not reloaded');

  await page.getByTestId('notif-bell').click();
  const first = page.getByTestId('notif-item').first();
  await first.waitFor();
  assert.match(await first.innerText(), new RegExp(t.number));
  assert.match(await first.innerText(), /分派给你/);
  await first.getByTestId('notif-open').click();
  await page.waitForURL(`**/tickets/${t.id}`);
  await until(badge, String(start));
  const left = (await agent.get('/api/v1/notifications?unread=1')).body.items;
  assert.ok(!left.some((n) => n.ticket_id === t.id), 'marked read');
  await page.context().close();
});
