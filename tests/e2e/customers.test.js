// The same person as two customers: an agent opens the one registered by phone from its ticket,
// links a WeChat openid, is told that another customer has it, merges that customer in after
// checking the summary, and sees its tickets on the page; the merged customer points to the
// survivor and each moved ticket's history says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api;

async function ticket(body) {
  const r = await api.post('/api/v1/tickets', { channel: 'TEL', type: 'inquiry', urgency: 'medium', ...body });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const r = await api.post('/api/v1/users', { username: 'li', name: '李四', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('an agent links an identity, merges the customer who had it and sees its tickets moved', async () => {
  const byPhone = await ticket({ subject: '电话咨询保修', customer: { name: '周七', phone: '13755556666' } });
  const wx = await api.post('/api/v1/customers', { name: '周七(微信)', email: 'zhou7@example.com' });
  assert.equal(wx.status, 201, wx.text);
  const r = await api.post(`/api/v1/customers/${wx.body.id}/identities`, { kind: 'wechat_openid', value: 'oZhou7' });
  assert.equal(r.status, 201, r.text);
  const byWechat = [await ticket({ subject: '微信问物流', customer_id: wx.body.id }),
    await ticket({ subject: '微信问退款', customer_id: wx.body.id })];

  const page = await signIn(browser, srv.base, 'li', 'password-123');
  // from the ticket, the customer's name opens the customer's page
  await page.goto(`${srv.base}/tickets/${byPhone.id}`);
  await Promise.all([page.waitForURL(`**/customers/${byPhone.customer.id}`), page.getByTestId('ticket-customer-link').click()]);
  assert.equal((await page.getByTestId('customer-title').innerText()).trim(), '周七');
  assert.equal((await page.getByTestId('customer-phone').innerText()).trim(), '137****6666', 'masked');
  assert.deepEqual(await page.getByTestId('customer-ticket-subject').allInnerTexts(), ['电话咨询保修']);

  // link a phone of its own: listed, masked
  await page.getByTestId('identity-kind-select').click();
  await page.getByTestId('identity-kind-phone').click();
  await page.getByTestId('identity-value-input').fill('139 0000 7777');
  await page.getByTestId('identity-add').click();
  await page.getByTestId('identity-value').first().waitFor();
  assert.deepEqual(await page.getByTestId('identity-value').allInnerTexts(), ['139****7777']);

  // the openid is the other customer's: the page says whose and offers the merge
  await page.getByTestId('identity-kind-select').click();
  await page.getByTestId('identity-kind-wechat_openid').click();
  await page.getByTestId('identity-value-input').fill('oZhou7');
  await page.getByTestId('identity-add').click();
  await page.getByTestId('identity-error').waitFor();
  assert.match(await page.getByTestId('identity-error').innerText(), new RegExp(`#${wx.body.id}\\b`));
  await page.getByTestId('identity-merge-owner').click();
  await page.getByTestId('merge-summary').waitFor();
  const summary = await page.getByTestId('merge-summary').innerText();
  assert.match(summary, /周七\(微信\)/);
  assert.match(summary, /2 张工单/, 'the summary counts the tickets that come along');
  await page.getByTestId('merge-confirm').click();

  // its tickets are here now, the openid too
  await page.locator('[data-testid=customer-ticket-subject]', { hasText: '微信问退款' }).waitFor();
  assert.deepEqual((await page.getByTestId('customer-ticket-subject').allInnerTexts()).sort(), ['微信问物流', '微信问退款', '电话咨询保修'].sort());
  assert.match(await page.getByTestId('customer-ticket-count').innerText(), /3/);
  assert.ok((await page.getByTestId('identity-value').allInnerTexts()).includes('oZhou7'));
  assert.equal(await page.getByTestId('identity-error').count(), 0, 'the refusal is gone');

  // the merged customer points to the survivor; the ticket's history tells of the merge
  await page.goto(`${srv.base}/customers/${wx.body.id}`);
  await page.getByTestId('customer-merged').waitFor();
  await Promise.all([page.waitForURL(`**/customers/${byPhone.customer.id}`), page.getByTestId('customer-merged-link').click()]);
  await page.goto(`${srv.base}/tickets/${byWechat[0].id}`);
  await page.getByText('客户合并').first().waitFor();
  assert.ok((await page.locator('body').innerText()).includes(`周七(微信)(#${wx.body.id})合并到 周七(#${byPhone.customer.id})`));

  // the list and its search no longer show the merged customer
  await page.goto(`${srv.base}/customers`);
  await page.getByTestId('customer-search').fill('周七');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=customer-row-name]')]
    .map((e) => e.textContent.trim()).join('|') === '周七');
});
