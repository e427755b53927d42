// Standard replies (标准话术) in the console: a supervisor keeps one with its preview; an agent
// types "/wl" in the reply box, picks it, gets it filled for the ticket with the first blank
// selected, moves through the blanks with Tab and Shift+Tab, is asked "按原样发送？" once before
// a reply whose blanks are all untouched, and sends an adapted one without being asked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, browser, api, agentApi, ticket;

const BODY = '😀{{customer.name}}您好,您提到的{{ticket.subject}}问题我们[[非常理解]],已经帮您[[加急跟进]],'
  + '工单号{{ticket.number}}。[[祝您生活愉快]]';

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  for (const [username, name, role] of [['wang', '王主管', 'supervisor'], ['xiaoli', '小李', 'agent']]) {
    const r = await api.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  agentApi = await new Client(srv.base).login('xiaoli', 'password-123');
  const r = await agentApi.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay', subject: '家电未按时送货',
    description: '承诺10月1日送达,至今未收到', urgency: 'high', customer: { name: '张三', phone: '13812345678' },
  });
  assert.equal(r.status, 201, r.text);
  ticket = r.body;
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

// The reply box's text and its selection.
const box = (page) => page.getByTestId('composer-body').evaluate((ta) => ({
  value: ta.value, selected: ta.value.slice(ta.selectionStart, ta.selectionEnd), focused: document.activeElement === ta,
}));

test('a supervisor keeps a standard reply and sees its blanks in the preview', async () => {
  const page = await signIn(browser, srv.base, 'wang', 'password-123');
  await page.getByTestId('nav-templates').click();
  await page.getByText('{{…}} 为占位符', { exact: false }).waitFor();
  await page.getByTestId('template-new').click();
  await page.getByTestId('template-form-name').fill('物流延迟安抚');
  await choose(page, 'template-form-category', '物流延迟');
  await page.getByTestId('template-form-shortcut').fill('wl');
  await page.getByTestId('template-form-body').fill(BODY);
  const preview = page.getByTestId('template-preview');
  assert.deepEqual(await preview.locator('.emotion').allInnerTexts(), ['非常理解', '加急跟进', '祝您生活愉快']);
  assert.deepEqual(await preview.locator('.ph').allInnerTexts(), ['客户姓名', '工单主题', '工单编号']);
  await page.getByTestId('template-save').click();
  await page.getByTestId('templates-table').getByText('物流延迟安抚').waitFor();
  const [saved] = (await api.get('/api/v1/templates?q=wl')).body.items;
  assert.equal(saved.type, 'complaint', 'the category brought its type');
  assert.equal(saved.body, BODY);

  // filled for a real ticket, as the server fills it
  await page.getByTestId(`template-edit-${saved.id}`).click();
  await page.getByTestId('template-try-ticket').fill(ticket.number);
  await page.getByTestId('template-try').click();
  const tried = page.getByTestId('template-try-result');
  await tried.waitFor();
  assert.match(await tried.innerText(), new RegExp(`张三您好.*家电未按时送货.*${ticket.number}`));
  await page.context().close();
});

test('an agent types /wl, picks the reply, moves through its blanks, and is asked once before sending it untouched', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.goto(`${srv.base}/tickets/${ticket.id}`);
  const input = page.getByTestId('composer-body');
  await input.click();
  await page.keyboard.type('/wl');
  const option = page.getByTestId('template-option').first();
  await option.waitFor();
  assert.match(await option.innerText(), /物流延迟安抚/);
  await page.keyboard.press('Enter');
  await page.getByTestId('template-blanks').waitFor();
  const filled = `😀张三您好,您提到的家电未按时送货问题我们非常理解,已经帮您加急跟进,工单号${ticket.number}。祝您生活愉快`;
  let b = await box(page);
  assert.equal(b.value, filled, 'the "/wl" is replaced by the filled reply');
  assert.equal(b.selected, '非常理解', 'the first blank is selected (offsets converted past the emoji)');
  assert.equal(await page.getByTestId('template-popup').count(), 0);

  await page.keyboard.press('Tab');
  assert.equal((await box(page)).selected, '加急跟进');
  await page.keyboard.press('Tab');
  assert.equal((await box(page)).selected, '祝您生活愉快');
  await page.keyboard.press('Shift+Tab');
  assert.equal((await box(page)).selected, '加急跟进');
  await page.keyboard.press('Shift+Tab');
  b = await box(page);
  assert.equal(b.selected, '非常理解');
  assert.ok(b.focused, 'Tab stays in the reply box while there are blanks');
  assert.deepEqual(await page.getByTestId('template-blank').evaluateAll((els) => els.map((e) => e.dataset.touched)),
    ['false', 'false', 'false']);

  // sending it untouched asks; "adapt first" sends nothing and selects the first blank
  await page.getByTestId('composer-send').click();
  const ask = page.locator('.el-message-box');
  await ask.waitFor();
  assert.match(await ask.innerText(), /按原样发送？/);
  await ask.getByRole('button', { name: '先调整' }).click();
  await ask.waitFor({ state: 'hidden' });
  assert.equal((await box(page)).selected, '非常理解');
  assert.equal((await agentApi.get(`/api/v1/tickets/${ticket.id}/messages`)).body.items.filter((m) => m.kind === 'reply').length, 0);

  // asked again, "send as is" sends it as it stands, once
  await page.getByTestId('composer-send').click();
  await ask.waitFor();
  await ask.getByRole('button', { name: '按原样发送', exact: true }).click();
  await page.getByTestId('message-body').filter({ hasText: '祝您生活愉快' }).waitFor();
  let replies = (await agentApi.get(`/api/v1/tickets/${ticket.id}/messages`)).body.items.filter((m) => m.kind === 'reply');
  assert.deepEqual(replies.map((m) => m.body), [filled]);
  assert.equal((await box(page)).value, '');
  assert.equal(await page.getByTestId('template-blanks').count(), 0);

  // an adapted reply goes without a question
  await input.click();
  await page.keyboard.type('/物流');
  await page.getByTestId('template-option').first().waitFor();
  await page.keyboard.press('Enter');
  await page.getByTestId('template-blanks').waitFor();
  assert.equal((await box(page)).selected, '非常理解');
  await page.keyboard.type('完全理解您的心情');
  assert.deepEqual(await page.getByTestId('template-blank').evaluateAll((els) => els.map((e) => e.dataset.touched)),
    ['true', 'false', 'false']);
  await page.keyboard.press('Tab');
  assert.equal((await box(page)).selected, '加急跟进', 'the blanks after the edit moved with it');
  await page.getByTestId('composer-send').click();
  await page.getByTestId('message-body').filter({ hasText: '完全理解您的心情' }).waitFor();
  assert.equal(await ask.isVisible(), false);
  replies = (await agentApi.get(`/api/v1/tickets/${ticket.id}/messages`)).body.items.filter((m) => m.kind === 'reply');
  assert.equal(replies.length, 2);
  assert.equal(replies[1].body, filled.replace('非常理解', '完全理解您的心情'));
  await page.context().close();
});

test('Esc closes the list, and a "/" inside a word opens none', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.goto(`${srv.base}/tickets/${ticket.id}`);
  await page.getByTestId('composer-body').click();
  await page.keyboard.type('请访问 http://example.com/wl');
  await page.waitForTimeout(300);
  assert.equal(await page.getByTestId('template-popup').count(), 0);
  await page.keyboard.type(' /wl');
  await page.getByTestId('template-option').first().waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.getByTestId('template-popup').count(), 0);
  assert.equal((await box(page)).value, '请访问 http://example.com/wl /wl');
  await page.context().close();
});
