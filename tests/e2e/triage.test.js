// Triage in the web console: an admin writes priority rules and maps categories to departments,
// a dry run shows what the rules would do, and a new ticket carries their priority and labels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, browser, api, tech, warehouse;

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
  for (const [username, name, role] of [['wangjie', '王姐', 'supervisor'], ['xiaoli', '小李', 'agent']]) {
    const r = await api.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

const rules = async () => (await api.get('/api/v1/priority-rules')).body.items;

// Types each word into an Element Plus tags input and adds it with Enter.
async function addTags(page, itemTestid, words) {
  const input = page.getByTestId(itemTestid).locator('input');
  for (const w of words) {
    await input.fill(w);
    await input.press('Enter');
  }
}

const texts = (page, testid) => page.getByTestId(testid).allInnerTexts().then((v) => v.map((x) => x.trim()));

test('an admin writes a rule, dry-runs it, and a registered ticket gets its priority and label', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-rules').click();
  await page.getByTestId('rules-table').waitFor();
  await page.getByTestId('rule-new').click();
  await page.getByTestId('rule-name').fill('资金安全');
  await addTags(page, 'rule-keywords-item', ['资金', '资金安全']);
  await choose(page, 'rule-priority', '紧急');
  await addTags(page, 'rule-labels-item', ['资金']);
  await page.getByTestId('rule-stop').click();
  await page.getByTestId('rule-save').click();
  await page.getByTestId('rules-table').getByText('资金安全').first().waitFor();
  await page.getByTestId('rule-dialog').waitFor({ state: 'hidden' });

  const [stored] = await rules();
  assert.equal(stored.name, '资金安全');
  assert.deepEqual(stored.conditions, { keywords: ['资金', '资金安全'] }, 'only the conditions given are sent');
  assert.deepEqual(stored.actions, { priority: 'urgent', department_id: null, labels: ['资金'] });
  assert.equal(stored.stop, true);
  assert.equal(stored.enabled, true);
  assert.match(await page.getByTestId('rule-row-conditions').innerText(), /关键词: 资金、资金安全/);
  assert.match(await page.getByTestId('rule-row-actions').innerText(), /优先级 → 紧急; 标签 资金/);

  await page.getByTestId('dry-subject').fill('资金被冻结');
  await page.getByTestId('dry-run-submit').click();
  await page.getByTestId('dry-matched').first().waitFor();
  assert.deepEqual(await texts(page, 'dry-matched'), ['资金安全']);
  assert.equal((await page.getByTestId('dry-priority').innerText()).trim(), '紧急');
  assert.deepEqual(await texts(page, 'dry-label'), ['资金']);
  assert.equal((await api.get('/api/v1/tickets')).body.items.length, 0, 'the dry run stored nothing');

  await page.getByTestId('dry-subject').fill('想了解保修政策');
  await page.getByTestId('dry-run-submit').click();
  await page.getByTestId('dry-none').waitFor();
  assert.equal((await page.getByTestId('dry-priority').innerText()).trim(), '中', 'without a match the urgency');

  await page.getByTestId('nav-new').click();
  await page.getByTestId('customer-name').fill('张三');
  await page.getByTestId('customer-phone').fill('13812345678');
  await page.getByTestId('type-problem').click();
  await choose(page, 'ticket-category', '支付异常');
  await page.getByTestId('ticket-subject').fill('资金被冻结');
  await page.getByTestId('ticket-description').fill('账户余额无法提现');
  await page.getByTestId('ticket-submit').click();
  await page.getByTestId('created-number').waitFor();
  const number = (await page.getByTestId('created-number').innerText()).trim();
  await page.getByTestId('created-open').click();
  await page.getByTestId('ticket-number').waitFor();
  assert.equal((await page.getByTestId('ticket-priority').innerText()).trim(), '紧急');
  assert.deepEqual(await texts(page, 'ticket-label'), ['资金']);
  await page.getByTestId('history-item').filter({ hasText: '规则生效' }).waitFor();
  const applied = await page.getByTestId('history-item').filter({ hasText: '规则生效' }).innerText();
  assert.match(applied, /系统/);
  assert.match(applied, /规则「资金安全」: 优先级 → 紧急, 标签 资金/);

  await page.getByTestId('nav-pool').click();
  const row = page.getByTestId('pool-table').locator('tr', { hasText: number });
  await row.waitFor();
  assert.deepEqual((await row.getByTestId('pool-label').allInnerTexts()).map((x) => x.trim()), ['资金']);
  await page.context().close();
});

test("the server's refusal of a rule shows at the field it names", async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-rules').click();
  await page.getByTestId('rule-new').click();
  await page.getByTestId('rule-name').fill('空关键词');
  await choose(page, 'rule-priority', '高');
  const keywordsError = page.getByTestId('rule-keywords-item').locator('.el-form-item__error');

  // The editor leaves an empty condition out; a body that carries one anyway (as an older
  // client or a script might send) is refused by the server at conditions.keywords.
  const sent = [];
  await page.route('**/api/v1/priority-rules', async (route) => {
    const body = route.request().postDataJSON();
    sent.push(structuredClone(body));
    body.conditions.keywords = [];
    await route.continue({ postData: JSON.stringify(body) });
  });
  await page.getByTestId('rule-save').click();
  await keywordsError.waitFor();
  assert.match(await keywordsError.innerText(), /empty list/);
  assert.deepEqual(sent[0].conditions, {}, 'no empty list was sent by the editor');
  await page.unroute('**/api/v1/priority-rules');

  await addTags(page, 'rule-keywords-item', ['资'.repeat(51)]);
  await page.getByTestId('rule-save').click();
  await page.waitForFunction(() => /50 characters/.test(
    document.querySelector('[data-testid=rule-keywords-item] .el-form-item__error')?.textContent || ''));
  assert.equal(await page.getByTestId('rule-name-item').locator('.el-form-item__error').count(), 0);
  assert.ok(await page.getByTestId('rule-dialog').isVisible(), 'the editor stays open with the error');
  assert.ok(!(await rules()).some((r) => r.name === '空关键词'), 'nothing refused was stored');
  await page.context().close();
});

test('an admin maps a category to a department and adds a sub-category on the categories screen', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-categories').click();
  await page.getByTestId('category-edit-logistics-delay').click();
  await choose(page, 'category-department', '仓储部');
  await page.getByTestId('category-save').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=category-department-logistics-delay]')?.textContent.trim() === '仓储部');
  let cats = (await api.get('/api/v1/categories')).body.items;
  assert.equal(cats.find((c) => c.code === 'logistics-delay').department_id, warehouse.id);

  await page.getByTestId('category-sub-logistics-delay').click();
  await page.getByTestId('category-code').fill('delivery-late');
  await page.getByTestId('category-name').fill('配送超时');
  await choose(page, 'category-department', '技术支持');
  await page.getByTestId('category-save').click();
  await page.getByTestId('categories-complaint').getByText('配送超时').waitFor();
  cats = (await api.get('/api/v1/categories')).body.items;
  assert.deepEqual(cats.find((c) => c.code === 'delivery-late'),
    { code: 'delivery-late', name: '配送超时', type: 'complaint', parent_code: 'logistics-delay', department_id: tech.id });

  // a code in use: the server's answer at the code field, and the dialog stays open
  await page.getByTestId('category-new-problem').click();
  await page.getByTestId('category-code').fill('payment');
  await page.getByTestId('category-name').fill('重复');
  await page.getByTestId('category-save').click();
  const codeError = page.getByTestId('category-dialog').locator('.el-form-item__error');
  await codeError.waitFor();
  assert.match(await codeError.innerText(), /exists/);
  await page.context().close();
});

test('a supervisor reads the rules and dry-runs them without edit controls; an admin reorders, disables and deletes', async () => {
  const vip = (await api.post('/api/v1/priority-rules', {
    name: 'VIP投诉', conditions: { tier: ['vip'], type: ['complaint'] }, actions: { priority: 'high', labels: ['VIP'] },
  })).body;
  const sup = await signIn(browser, srv.base, 'wangjie', 'password-123');
  assert.equal(await sup.getByTestId('nav-categories').count(), 0);
  await sup.getByTestId('nav-rules').click();
  await sup.getByTestId('rules-read-only').waitFor();
  assert.deepEqual(await texts(sup, 'rule-row-name'), ['资金安全', 'VIP投诉']);
  assert.equal(await sup.getByTestId('rule-new').count(), 0);
  assert.equal(await sup.getByTestId('rule-edit-' + vip.id).count(), 0);
  assert.equal(await sup.getByTestId('rule-delete-' + vip.id).count(), 0);
  assert.match(await sup.getByTestId('rule-enabled-' + vip.id).getAttribute('class'), /is-disabled/);
  await sup.getByTestId('dry-tier-vip').click();
  await choose(sup, 'dry-type', '投诉');
  await sup.getByTestId('dry-subject').fill('快递太慢');
  await sup.getByTestId('dry-run-submit').click();
  await sup.getByTestId('dry-matched').first().waitFor();
  assert.deepEqual(await texts(sup, 'dry-matched'), ['VIP投诉']);
  assert.equal((await sup.getByTestId('dry-priority').innerText()).trim(), '高');
  await sup.goto(srv.base + '/admin/categories');
  await sup.waitForURL('**/tickets');
  const agent = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  assert.equal(await agent.getByTestId('nav-rules').count(), 0);
  await agent.context().close();

  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-rules').click();
  await page.getByTestId('rule-up-' + vip.id).click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=rule-row-name]')?.textContent === 'VIP投诉');
  assert.deepEqual((await rules()).map((r) => [r.name, r.position]), [['VIP投诉', 1], ['资金安全', 2]]);

  await page.getByTestId('rule-enabled-' + vip.id).click();
  await page.waitForFunction((id) =>
    !document.querySelector(`[data-testid=rule-enabled-${id}]`).classList.contains('is-checked'), vip.id);
  assert.equal((await api.get('/api/v1/priority-rules/' + vip.id)).body.enabled, false);

  await page.getByTestId('rule-edit-' + vip.id).click();
  await page.getByTestId('rule-name').fill('VIP投诉升级');
  await page.getByTestId('rule-save').click();
  await page.getByTestId('rules-table').getByText('VIP投诉升级').waitFor();
  const edited = (await api.get('/api/v1/priority-rules/' + vip.id)).body;
  assert.deepEqual(edited.conditions, { tier: ['vip'], type: ['complaint'] }, 'an edit keeps what it did not touch');
  assert.equal(edited.enabled, false);

  await page.getByTestId('rule-delete-' + vip.id).click();
  await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=rule-row-name]').length === 1);
  assert.equal((await api.get('/api/v1/priority-rules/' + vip.id)).status, 404);
  await page.context().close();
  await sup.context().close();
});
