// Walk-ins (门店到访): the admin adds the stores in the console; an agent registers a customer who
// came to a store (channel STORE, the store picked from the list) and the pool and the ticket show
// the store; the pool filters by it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, admin, browser;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  browser = await launch();
  const r = await admin.post('/api/v1/users', { username: 'li', name: '李客服', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('the admin adds stores; an agent registers a walk-in at one; pool and ticket show it', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-stores').click();
  for (const [code, name] of [['SH-XJH', '上海徐家汇店'], ['BJ-WFJ', '北京王府井店']]) {
    await page.getByTestId('store-new').click();
    await page.getByTestId('store-code').fill(code);
    await page.getByTestId('store-name-input').fill(name);
    await page.getByTestId('store-save').click();
    await page.getByTestId('stores-table').getByText(name).waitFor();
  }
  // a code taken already: the dialog says so at the field
  await page.getByTestId('store-new').click();
  await page.getByTestId('store-code').fill('SH-XJH');
  await page.getByTestId('store-name-input').fill('重复');
  await page.getByTestId('store-save').click();
  await page.locator('.el-form-item__error', { hasText: 'a store with this code exists' }).waitFor();
  await page.context().close();

  const agent = await signIn(browser, srv.base, 'li', 'password-123');
  await agent.getByTestId('nav-new').click();
  await agent.getByTestId('customer-name').fill('赵六');
  await agent.getByTestId('customer-phone').fill('13900001111');
  assert.equal(await agent.getByTestId('ticket-store').count(), 0, 'no store picker on a phone registration');
  await choose(agent, 'ticket-channel', 'STORE');
  await choose(agent, 'ticket-store', '北京王府井店');
  await agent.getByTestId('type-complaint').click();
  await agent.getByTestId('ticket-subject').fill('门店退货被拒');
  await agent.getByTestId('ticket-submit').click();
  await agent.getByTestId('created-number').waitFor();
  const number = (await agent.getByTestId('created-number').innerText()).trim();
  assert.match(number, /^STORE-/);

  const t = (await admin.get('/api/v1/tickets/' + number)).body;
  assert.equal(t.store.name, '北京王府井店');

  await agent.getByTestId('created-another').click();
  await agent.getByTestId('nav-pool').click();
  const row = agent.locator('tr', { hasText: number });
  await row.getByTestId('pool-store').filter({ hasText: '北京王府井店' }).waitFor();
  // filtered by the other store, the ticket is not listed
  await choose(agent, 'filter-store', '上海徐家汇店');
  await agent.getByTestId('pool-table').getByText('暂无数据').or(agent.getByTestId('pool-table').locator('.el-table__empty-text')).first().waitFor();
  assert.equal(await agent.locator('tr', { hasText: number }).count(), 0);

  // on the ticket page: shown, and changed to the other store
  await agent.goto(srv.base + '/tickets/' + t.id);
  await agent.getByTestId('ticket-store').filter({ hasText: '北京王府井店' }).waitFor();
  await choose(agent, 'ticket-store-pick', '上海徐家汇店');
  await agent.getByTestId('ticket-store').filter({ hasText: '上海徐家汇店' }).waitFor();
  assert.equal((await admin.get('/api/v1/tickets/' + t.id)).body.store.name, '上海徐家汇店');
  await agent.context().close();
});
