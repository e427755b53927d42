// Routing and service levels in the web console: a supervisor transfers a ticket and nudges, the
// shift week is planned in the browser, an admin edits SLA policies and calendars, and the pending
// pool shows the time left to each ticket's nearest deadline, red once it has passed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, browser, api, tech, warehouse;
const people = {};

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const dep = async (code, name) => {
    const r = await api.post('/api/v1/departments', { code, name });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  tech = await dep('tech', '技术支持');
  warehouse = await dep('warehouse', '仓储部');
  for (const [username, name, role, d] of [['wangjie', '王姐', 'supervisor', tech], ['zhouzhu', '周主管', 'supervisor', warehouse],
    ['xiaoli', '小李', 'agent', tech], ['xiaozhao', '小赵', 'agent', tech]]) {
    const r = await api.post('/api/v1/users', { username, name, role, password: 'password-123', department_id: d.id });
    assert.equal(r.status, 201, r.text);
    people[username] = r.body;
    assert.equal((await api.post(`/api/v1/departments/${d.id}/members`, { user_id: r.body.id })).status, 201);
  }
  let r = await api.patch(`/api/v1/departments/${warehouse.id}`, { supervisor_id: people.zhouzhu.id });
  assert.equal(r.status, 200, r.text);
  r = await api.patch('/api/v1/categories/device-fault', { department_id: tech.id });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

async function ticket(extra = {}) {
  const r = await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', category: 'device-fault', subject: '空调不制冷', urgency: 'high',
    customer: { name: '张三', phone: '13812345678' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

// The wall clock in Shanghai at ms, as a picker shows it ("2023-10-02 10:00").
const shanghai = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// Types a time into the date picker named name, as a person would, and leaves the field.
async function typeTime(page, name, text, leave) {
  const input = page.locator(`input[name=${name}]`);
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator(leave).first().click();
}

test('a supervisor transfers a ticket to another department with a reason, and nudges', async () => {
  const t = await ticket({ subject: '空调漏水' });
  let r = await api.patch(`/api/v1/tickets/${t.id}`, { assignee_id: people.xiaoli.id }, { headers: { 'If-Match': String(t.version) } });
  assert.equal(r.status, 200, r.text);

  // the browser in New York: the feedback time is typed and shown in Shanghai's
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123', { timezoneId: 'America/New_York' });
  await page.goto(`${srv.base}/tickets/${t.id}`);
  await page.getByTestId('transfers-empty').waitFor();
  assert.equal((await page.getByTestId('ticket-department').innerText()).trim(), '技术支持');
  await page.evaluate(() => { window.stillThisPage = true; });

  await page.getByTestId('transfer-open').click();
  await page.getByTestId('transfer-to-department').click();
  await choose(page, 'transfer-department', '仓储部');
  // without a reason the dialog says so and sends nothing
  await page.getByTestId('transfer-submit').click();
  const reasonError = page.getByTestId('transfer-reason-item').locator('.el-form-item__error');
  await reasonError.waitFor();
  assert.match(await reasonError.innerText(), /转接原因/);
  assert.equal((await api.get(`/api/v1/tickets/${t.id}/transfers`)).body.items.length, 0);

  await page.getByTestId('transfer-reason-input').fill('需要仓储部核实库存');
  const due = shanghai(Date.now() + 24 * 3600e3);
  await typeTime(page, 'transfer_due_at', due, '[data-testid=transfer-dialog] .el-dialog__header');
  await page.getByTestId('transfer-submit').click();
  const item = page.getByTestId('transfer-item').filter({ hasText: '需要仓储部核实库存' });
  await item.waitFor();
  await page.getByTestId('transfer-dialog').waitFor({ state: 'hidden' });
  assert.match(await item.getByTestId('transfer-from').innerText(), /小李 · 技术支持/);
  assert.match(await item.getByTestId('transfer-to').innerText(), /仓储部/);
  assert.equal((await item.getByTestId('transfer-actor').innerText()).trim(), '王姐');
  assert.equal((await item.getByTestId('transfer-due').innerText()).trim(), due);
  // the page shows the new department and the history entry without a reload
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=ticket-department]')?.textContent.trim() === '仓储部');
  const entry = page.getByTestId('history-item').filter({ hasText: '转接' }).filter({ hasText: '需要仓储部核实库存' });
  await entry.waitFor();
  assert.match(await entry.innerText(), /王姐/);
  assert.match(await entry.innerText(), /技术支持 → 仓储部/);
  assert.equal(await page.evaluate(() => window.stillThisPage), true, 'no reload');

  const [stored] = (await api.get(`/api/v1/tickets/${t.id}/transfers`)).body.items;
  assert.equal(stored.to.department.id, warehouse.id);
  assert.equal(stored.reason, '需要仓储部核实库存');
  assert.equal(Date.parse(stored.due_at), Date.parse(due.replace(' ', 'T') + ':00+08:00'), 'the feedback time in Shanghai');
  assert.equal((await api.get(`/api/v1/tickets/${t.id}`)).body.department.id, warehouse.id);

  // 催办: nobody in the warehouse has it yet, so its supervisor is reminded
  await page.getByTestId('nudge-open').click();
  await page.getByTestId('nudge-message').fill('客户催了三次,请尽快处理');
  await page.getByTestId('nudge-send').click();
  const nudged = page.getByTestId('history-item').filter({ hasText: '催办' });
  await nudged.waitFor();
  assert.match(await nudged.innerText(), /周主管: 客户催了三次,请尽快处理/);
  await page.context().close();

  // an agent who does not have the ticket sees the record but neither action
  const agent = await signIn(browser, srv.base, 'xiaozhao', 'password-123');
  await agent.goto(`${srv.base}/tickets/${t.id}`);
  await agent.getByTestId('transfer-item').first().waitFor();
  assert.equal(await agent.getByTestId('nudge-open').count(), 0);
  await agent.context().close();
});

test('a supervisor plans a shift in the week view and it shows in its day column', async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123', { timezoneId: 'America/New_York' });
  await page.getByTestId('nav-shifts').click();
  await page.getByTestId('shifts-grid').waitFor();
  await page.goto(`${srv.base}/shifts?week=2023-10-11&department_id=${tech.id}`);
  await page.waitForFunction(() => document.querySelector('[data-testid=shifts-week]')?.textContent.trim() === '2023-10-09 – 2023-10-15');
  assert.match(await page.getByTestId('shift-day-2023-10-11').innerText(), /周三/);
  const row = page.getByTestId('shift-row-' + people.xiaoli.id);
  await row.waitFor();

  await page.getByTestId(`shift-add-${people.xiaoli.id}-2023-10-11`).click();
  await page.getByTestId('shift-dialog').waitFor();
  await typeTime(page, 'ends_at', '2023-10-11 17:30', '[data-testid=shift-dialog] .el-dialog__header');
  await page.getByTestId('shift-save').click();
  const cell = page.getByTestId(`shift-cell-${people.xiaoli.id}-2023-10-11`);
  await cell.getByTestId('shift-block').waitFor();
  assert.equal((await cell.getByTestId('shift-block').innerText()).replace('×', '').trim(), '09:00–17:30');
  assert.equal(await row.getByTestId('shift-block').count(), 1, 'in no other day');

  const q = new URLSearchParams({ from: '2023-10-09T00:00:00+08:00', to: '2023-10-16T00:00:00+08:00', department_id: tech.id });
  const [s] = (await api.get('/api/v1/shifts?' + q)).body.items;
  assert.equal(s.user_id, people.xiaoli.id);
  assert.equal(s.starts_at, '2023-10-11T09:00:00+08:00');
  assert.equal(s.ends_at, '2023-10-11T17:30:00+08:00');

  // an overlapping one is refused at its start, in the console's words
  await page.getByTestId(`shift-add-${people.xiaoli.id}-2023-10-11`).click();
  await page.getByTestId('shift-save').click();
  const startError = page.getByTestId('shift-start-item').locator('.el-form-item__error');
  await startError.waitFor();
  assert.equal((await startError.innerText()).trim(), '此人在这段时间已有班次');
  await page.getByTestId('shift-dialog').getByRole('button', { name: '取消' }).click();

  // the next week has nothing of it
  await page.getByTestId('shifts-next').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=shifts-week]')?.textContent.trim() === '2023-10-16 – 2023-10-22');
  await page.getByTestId('shift-row-' + people.xiaoli.id).waitFor();
  assert.equal(await page.getByTestId('shift-block').count(), 0);
  await page.context().close();

  // an agent sees the week but cannot change it
  const agent = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await agent.goto(`${srv.base}/shifts?week=2023-10-09&department_id=${tech.id}`);
  await agent.getByTestId(`shift-cell-${people.xiaoli.id}-2023-10-11`).getByTestId('shift-block').waitFor();
  await agent.getByTestId('shifts-read-only').waitFor();
  assert.equal(await agent.getByTestId('shift-new').count(), 0);
  assert.equal(await agent.getByTestId('shift-delete-' + s.id).count(), 0);
  await agent.context().close();

  // the supervisor removes it again
  const sup = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await sup.goto(`${srv.base}/shifts?week=2023-10-09&department_id=${tech.id}`);
  await sup.getByTestId('shift-delete-' + s.id).click();
  await sup.locator('.el-message-box').getByRole('button', { name: '删除' }).click();
  await sup.getByTestId('shift-block').waitFor({ state: 'detached' });
  assert.equal((await api.get('/api/v1/shifts?' + q)).body.items.length, 0);
  await sup.context().close();
});

test('an admin changes an SLA policy; a duplicate and a bad value are shown at their fields', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-sla').click();
  await page.getByTestId('sla-table').waitFor();
  const rowOf = (name) => page.getByTestId('sla-table').locator('tr', { has: page.getByTestId('sla-row-name').getByText(name, { exact: true }) });
  const cellText = async (name, testid) => (await rowOf(name).getByTestId(testid).innerText()).trim();
  await rowOf('高优先级').waitFor();
  assert.equal(await cellText('高优先级', 'sla-row-accept'), '1 小时');
  assert.equal(await cellText('高优先级', 'sla-row-first-response'), '2 小时');
  assert.equal(await cellText('中优先级', 'sla-row-resolve'), '24 小时');
  assert.equal(await cellText('低优先级', 'sla-row-resolve'), '3 天');
  assert.equal(await cellText('高优先级', 'sla-row-calendar'), '全天计时(不用日历)');
  assert.equal(await cellText('高优先级', 'sla-row-warn'), '80 %');

  const high = (await api.get('/api/v1/sla-policies')).body.items.find((p) => p.priority === 'high' && !p.type);
  await page.getByTestId('sla-edit-' + high.id).click();
  const first = page.getByTestId('sla-first_response_minutes').locator('input');
  assert.equal(await first.inputValue(), '2');
  await first.fill('90');
  await choose(page, 'sla-first_response_minutes-unit', '分钟');
  await page.getByTestId('sla-save').click();
  await page.getByTestId('sla-dialog').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=sla-row-first-response]')]
    .some((e) => e.textContent.trim() === '1 小时 30 分钟'));
  const changed = (await api.get(`/api/v1/sla-policies/${high.id}`)).body;
  assert.equal(changed.first_response_minutes, 90);
  assert.equal(changed.accept_minutes, 60, 'the rest is as it was');

  // a second policy for high priority and any type: the server's 409 at the type
  await page.getByTestId('sla-new').click();
  await page.getByTestId('sla-name').fill('又一个高优先级');
  await choose(page, 'sla-priority', '高');
  await page.getByTestId('sla-accept_minutes').locator('input').fill('30');
  await choose(page, 'sla-accept_minutes-unit', '分钟');
  await page.getByTestId('sla-save').click();
  const typeError = page.getByTestId('sla-type-item').locator('.el-form-item__error');
  await typeError.waitFor();
  assert.equal((await typeError.innerText()).trim(), '这个优先级和类型已有策略');
  assert.ok(await page.getByTestId('sla-dialog').isVisible(), 'the editor stays open');

  // for complaints it is new, but 400 days is more than the server takes: its 422 at that clock
  await choose(page, 'sla-type', '投诉');
  await page.getByTestId('sla-accept_minutes').locator('input').fill('400');
  await choose(page, 'sla-accept_minutes-unit', '天');
  await page.getByTestId('sla-save').click();
  const acceptError = page.getByTestId('sla-accept_minutes-item').locator('.el-form-item__error');
  await acceptError.waitFor();
  assert.match(await acceptError.innerText(), /527040/);
  await typeError.waitFor({ state: 'detached' }); // the earlier error is gone
  await page.getByTestId('sla-accept_minutes').locator('input').fill('2');
  await choose(page, 'sla-accept_minutes-unit', '小时');
  await page.getByTestId('sla-save').click();
  await page.getByTestId('sla-dialog').waitFor({ state: 'hidden' });
  await rowOf('又一个高优先级').waitFor();
  assert.equal(await cellText('又一个高优先级', 'sla-row-type'), '投诉');
  assert.equal(await cellText('又一个高优先级', 'sla-row-accept'), '2 小时');
  const made = (await api.get('/api/v1/sla-policies')).body.items.filter((p) => p.name === '又一个高优先级');
  assert.deepEqual(made.map((p) => [p.priority, p.type, p.accept_minutes, p.first_response_minutes]), [['high', 'complaint', 120, null]]);

  // the same in English
  await choose(page, 'language', 'English');
  await page.getByText('Accept within').first().waitFor();
  assert.equal(await cellText('高优先级', 'sla-row-first-response'), '1 h 30 min');
  assert.equal(await cellText('低优先级', 'sla-row-resolve'), '3 d');
  assert.equal(await cellText('又一个高优先级', 'sla-row-type'), 'Complaint');
  await choose(page, 'language', '中文');
  await page.context().close();
});

test('an admin writes a business calendar; overlapping hours are shown at their weekday', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-calendars').click();
  await page.getByTestId('calendar-new').click();
  await page.getByTestId('calendar-name').fill('客服工作日');
  // a second Monday span that overlaps the first: the server names hours.mon
  await page.getByTestId('calendar-mon-add').click();
  await page.getByTestId('calendar-save').click();
  const monError = page.getByTestId('calendar-day-mon').locator('.el-form-item__error');
  await monError.waitFor();
  assert.equal(await page.getByTestId('calendar-day-tue').locator('.el-form-item__error').count(), 0);
  await page.getByTestId('calendar-mon-remove-1').click();
  await page.getByTestId('calendar-sat-add').click();
  await page.getByTestId('calendar-save').click();
  await page.getByTestId('calendar-dialog').waitFor({ state: 'hidden' });
  await page.getByTestId('calendar-row-name').getByText('客服工作日').waitFor();
  const [cal] = (await api.get('/api/v1/calendars')).body.items;
  assert.equal(cal.time_zone, 'Asia/Shanghai', 'the configured zone to begin with');
  assert.deepEqual(cal.hours.mon, [['09:00', '18:00']]);
  assert.deepEqual(cal.hours.sat, [['09:00', '18:00']]);
  assert.deepEqual(cal.hours.sun, []);
  const lines = (await page.getByTestId('calendar-row-hours').allInnerTexts()).map((x) => x.trim());
  assert.deepEqual(lines, ['周一 09:00–18:00', '周二 09:00–18:00', '周三 09:00–18:00', '周四 09:00–18:00',
    '周五 09:00–18:00', '周六 09:00–18:00']);
  await page.context().close();
});

test('the pool shows the time left, red once a deadline has passed, and counts on by itself', async () => {
  // the server's clock three hours back: the ticket registered then is overdue now
  const clock = async (ms) => assert.equal((await api.post('/api/v1/test/clock', { now: rfc3339(ms) })).status, 200);
  await clock(Date.now() - 3 * 3600e3);
  const late = await ticket({ subject: '三小时前的故障' });
  await clock(Date.now());
  const fresh = await ticket({ subject: '刚登记的故障', urgency: 'low', type: 'suggestion', category: null });

  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.clock.install();
  await page.goto(srv.base + '/tickets');
  const cellOf = (number) => page.getByTestId('pool-table').locator('tr', { hasText: number }).getByTestId('pool-remaining');
  await cellOf(late.number).waitFor();
  assert.match(await cellOf(late.number).innerText(), /^已超时 2 小时( \d+ 分钟)?$/);
  assert.match(await cellOf(late.number).getAttribute('class'), /overdue/);
  assert.match(await cellOf(fresh.number).innerText(), /^剩余 (59|1 小时)/);
  assert.doesNotMatch(await cellOf(fresh.number).getAttribute('class'), /overdue/);

  // the order is the server's: priority, then the nearest deadline
  const shown = (await page.getByTestId('pool-number').allInnerTexts()).map((x) => x.trim());
  const served = (await api.get('/api/v1/tickets?status=new,accepted,in_progress,waiting_customer')).body.items.map((x) => x.number);
  assert.deepEqual(shown, served);

  // an hour and a minute later, without a reload, the fresh ticket's hour to accept has passed too
  await page.clock.fastForward('01:01:00');
  await page.waitForFunction((n) => {
    const row = [...document.querySelectorAll('[data-testid=pool-table] tr')].find((r) => r.textContent.includes(n));
    return row && /已超时/.test(row.querySelector('[data-testid=pool-remaining]').textContent);
  }, fresh.number);
  assert.match(await cellOf(fresh.number).getAttribute('class'), /overdue/);

  // the ticket page says the same, with the escalation the server's clocks wrote
  await page.getByTestId('pool-table').locator('tr', { hasText: late.number }).click();
  await page.getByTestId('ticket-due').waitFor();
  const accept = page.getByTestId('due-accept_by');
  assert.match(await accept.getByTestId('due-left').getAttribute('class'), /overdue/);
  await accept.getByTestId('due-breached').waitFor();
  await page.getByTestId('history-item').filter({ hasText: '超时升级' }).waitFor();
  await page.context().close();
});
