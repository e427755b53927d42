// The knowledge base in the web console: a supervisor publishes the new warranty policy with
// "notify" and another agent, on another page in their own browser, sees the banner at once;
// an agent finds the article from the ticket page and archives a resolved ticket as a draft
// that names the customer by number only; retiring an article strikes it through.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, agentApi;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  for (const [username, name, role] of [['wangjie', '王姐', 'supervisor'], ['xiaoli', '小李', 'agent']]) {
    const r = await api.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  agentApi = await new Client(srv.base).login('xiaoli', 'password-123');
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('publishing with notify puts a banner in front of another agent at once; retiring strikes the old one through', async () => {
  const old = await api.post('/api/v1/kb/articles', { title: '电视保修一年', body: '电视整机保修1年。', need_type: 'inquiry' });
  assert.equal(old.status, 201, old.text);
  assert.equal((await api.post(`/api/v1/kb/articles/${old.body.id}/publish`, {})).status, 200);

  // the agent works on the pool in their own browser
  const agent = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await agent.evaluate(() => { window.__mark = 1; }); // a reload would lose it
  assert.equal(await agent.getByTestId('kb-banner').count(), 0);

  // the supervisor writes the new policy in the editor, with a preview, and publishes it
  const sup = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await sup.getByTestId('nav-kb').click();
  await sup.waitForURL('**/kb');
  await sup.getByTestId('kb-new').click();
  await sup.getByTestId('kb-form-title').fill('电视保修三年');
  await sup.getByTestId('kb-form-body').fill('自10月1日起电视**整机保修3年**。<script>alert(1)</script>');
  await sup.getByRole('tab', { name: '预览' }).click();
  await sup.getByTestId('kb-preview').locator('strong', { hasText: '整机保修3年' }).waitFor();
  assert.match(await sup.getByTestId('kb-preview').innerText(), /<script>alert\(1\)<\/script>/, 'raw HTML is text');
  await sup.getByTestId('kb-form-save').click();
  await sup.waitForURL(/\/kb\/\d+$/);
  await sup.getByTestId('kb-state').filter({ hasText: '草稿' }).waitFor();
  await sup.getByTestId('kb-publish').click();
  await sup.getByTestId('kb-publish-confirm').click();
  await sup.getByTestId('kb-state').filter({ hasText: '已发布' }).waitFor();
  const id = Number(sup.url().split('/').pop());

  // the agent sees it without a reload
  const banner = agent.getByTestId('kb-banner');
  await banner.waitFor();
  assert.match(await banner.innerText(), /电视保修三年/);
  assert.equal(await agent.evaluate(() => window.__mark), 1, 'no reload');
  // it stays on the next page until dismissed
  await agent.getByTestId('nav-new').click();
  await agent.waitForURL('**/tickets/new');
  await banner.waitFor();
  await agent.getByTestId('kb-banner-dismiss').click();
  await banner.waitFor({ state: 'detached' });
  await agent.reload();
  await agent.getByTestId('nav-pool').waitFor();
  await agent.waitForTimeout(500);
  assert.equal(await agent.getByTestId('kb-banner').count(), 0, 'dismissed for good');

  // the supervisor retires the old article with the new one as its replacement
  await sup.goto(`${srv.base}/kb/${old.body.id}`);
  await sup.getByTestId('kb-obsolete').click();
  await sup.getByTestId('kb-replaced-by').locator('input').fill('三年');
  await sup.locator('.el-select-dropdown__item:visible', { hasText: '电视保修三年' }).first().click();
  await sup.getByTestId('kb-obsolete-confirm').click();
  await sup.getByTestId('kb-state').filter({ hasText: '已淘汰' }).waitFor();
  const title = sup.getByTestId('kb-title');
  assert.equal(await title.evaluate((el) => getComputedStyle(el).textDecorationLine), 'line-through');
  await sup.getByTestId('kb-replacement').click();
  await sup.waitForURL(`**/kb/${id}`);
  await sup.getByTestId('kb-title').filter({ hasText: '电视保修三年' }).waitFor();
  await agent.context().close();
  await sup.context().close();
});

test('from the ticket page an agent finds the policy, sees suggestions and archives the resolved ticket', async () => {
  let r = await agentApi.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', category: 'warranty-policy', subject: '电视保修期多久',
    description: '客户王五(13712345678)问电视保修期', urgency: 'low',
    customer: { name: '王五', phone: '13712345678', member_id: '77' },
  });
  assert.equal(r.status, 201, r.text);
  const t = r.body;
  for (const body of [{ assignee_id: agentApi.user.id }, { status: 'in_progress' }]) {
    r = await agentApi.patch(`/api/v1/tickets/${t.id}`, body);
    assert.equal(r.status, 200, r.text);
  }
  r = await agentApi.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '王五您好,电视整机保修3年。' });
  assert.equal(r.status, 201, r.text);
  r = await api.post('/api/v1/templates', {
    name: '保修期答复', type: 'inquiry', category: 'warranty-policy', shortcut: 'bxq',
    body: '{{customer.name}}您好,[[感谢您的耐心]],电视整机保修3年。',
  });
  assert.equal(r.status, 201, r.text);

  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.goto(`${srv.base}/tickets/${t.id}`);
  const panel = page.getByTestId('kb-panel');
  await panel.waitFor();
  await page.getByTestId('kb-suggestion').filter({ hasText: '电视保修三年' }).waitFor();
  // the standard reply of the ticket's category, one click into the reply box, its blank selected
  await page.getByTestId('template-suggestion').filter({ hasText: '保修期答复' }).click();
  const box = page.locator('.composer textarea');
  await page.waitForFunction(() => document.querySelector('.composer textarea')?.value.includes('保修3年'));
  assert.equal(await box.inputValue(), '王五您好,感谢您的耐心,电视整机保修3年。');
  assert.equal(await box.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd)), '感谢您的耐心');
  assert.equal(await page.getByTestId('kb-archive').count(), 0, 'not resolved: nothing to archive');
  await page.getByTestId('kb-panel-q').fill('保修');
  await page.getByTestId('kb-panel-search').click();
  const hit = page.getByTestId('kb-panel-result').first();
  await hit.waitFor();
  assert.match(await hit.innerText(), /电视保修三年/);
  assert.equal(await hit.locator('mark').first().innerText(), '保修');

  r = await agentApi.patch(`/api/v1/tickets/${t.id}`, { status: 'resolved', result: 'solution_provided', measures: '告知王五新政策' });
  assert.equal(r.status, 200, r.text);
  await page.reload();
  await page.getByTestId('kb-archive').click();
  await page.waitForURL(/\/kb\/\d+\/edit$/);
  const body = page.getByTestId('kb-form-body');
  await page.waitForFunction(() => document.querySelector('[data-testid="kb-form-body"]')?.value);
  const text = await body.inputValue();
  assert.match(text, /ID-77/);
  assert.match(text, /整机保修3年/);
  assert.ok(!text.includes('王五') && !text.includes('13712345678'), text);
  assert.equal(await page.getByTestId('kb-form-title').inputValue(), '电视保修期多久');
  await page.context().close();
});
