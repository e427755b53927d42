// The customer portal (/portal) in the browser, at phone size and on the desktop: the request
// form shows the number at once; signing in with the code mailed (read from an SMTP sink on
// 127.0.0.1 that the test starts); a ticket's public conversation, a reply with a file, and
// confirming or disputing the result. Customer text is shown as text, never as HTML.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../lib/receiver.js';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';
import { choose, launch, signIn } from './browser.js';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };

let srv, admin, browser, sink;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  browser = await launch();
  sink = await smtpSink().start();
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail',
    settings: { smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none', from: '客服中心 <service@kefu.example.com>' },
  });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
  await sink.stop();
  sink.cleanup();
});

async function open(size, path) {
  const context = await browser.newContext({ locale: 'zh-CN', ...size });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(srv.base + path);
  return page;
}

// Nothing is wider than the window (no sideways scrolling on a phone).
async function fitsWidth(page) {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  }));
  assert.ok(scroll <= inner, `the page is ${scroll}px wide in a ${inner}px window`);
}

const HOSTILE = '<img src=x onerror="window.__xss=1">水管<b>爆了</b>';

async function fillForm(page, { email, subject, description = HOSTILE, type }) {
  if (type) await choose(page, 'portal-type', type);
  await page.getByTestId('portal-subject').fill(subject);
  await page.getByTestId('portal-description').fill(description);
  await page.getByTestId('portal-name').fill('陈女士');
  await page.getByTestId('portal-email').fill(email);
}

test('at phone size the form sends a request with a file and shows its number at once', async () => {
  const page = await open(PHONE, '/portal');
  await page.getByTestId('portal-subject').waitFor();
  assert.equal(await page.getByTestId('nav-pool').count(), 0, 'no staff menu');
  assert.match(await page.locator('.portal-title').innerText(), /提交服务诉求/);
  await fitsWidth(page);
  await fillForm(page, { email: 'chen@example.com', subject: '厨房水管漏水', type: '故障报修' });
  await page.getByTestId('portal-files').locator('input[type=file]').setInputFiles({
    name: '漏水照片.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('a jpeg'),
  });
  await page.getByTestId('portal-submit').click();
  const number = (await page.getByTestId('portal-number').innerText()).trim();
  assert.match(number, /^WEB-\d{8}-\d{3}$/);
  await fitsWidth(page);

  const t = (await admin.get(`/api/v1/tickets/${number}?unmask=1`)).body;
  assert.equal(t.channel, 'WEB');
  assert.equal(t.type, 'fault');
  assert.equal(t.customer.email, 'chen@example.com');
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.equal(msgs[0].body, HOSTILE, 'stored as given');
  assert.deepEqual(msgs[0].attachments.map((a) => a.filename), ['漏水照片.jpg']);
  await page.context().close();
});

test('on the desktop the form names the field at fault and sends once it is right', async () => {
  const page = await open(DESKTOP, '/portal');
  await fillForm(page, { email: 'chen@localhost', subject: '咨询保修' }); // the browser takes it, the server does not
  await page.getByTestId('portal-submit').click();
  await page.getByTestId('portal-error').waitFor();
  await page.locator('.el-form-item.is-error').getByText('邮箱').waitFor();
  await page.getByTestId('portal-email').fill('chen@example.com');
  await choose(page, 'portal-type', '咨询');
  await page.getByTestId('portal-submit').click();
  assert.match(await page.getByTestId('portal-number').innerText(), /^WEB-/);
  await page.context().close();
});

test('my tickets ask to sign in first; asking for a code says where it went', async () => {
  const page = await open(PHONE, '/portal/tickets');
  await page.waitForURL('**/portal/login?next=**');
  await page.getByTestId('portal-login-email').fill('someone-unknown@example.com');
  await page.getByTestId('portal-send-code').click();
  assert.match(await page.getByTestId('portal-code-sent').innerText(), /someone-unknown@example.com/);
  await page.getByTestId('portal-code').waitFor();
  await page.getByTestId('portal-code').fill('000000');
  await page.getByTestId('portal-verify').click();
  assert.match(await page.getByTestId('portal-login-error').innerText(), /验证码错误或已失效/);
  await fitsWidth(page);
  await page.context().close();
});

// A ticket of chen@example.com that staff answered and put to wait for the customer.
async function answeredTicket() {
  const r = await admin.get('/api/v1/tickets?channel=WEB&sort=created&limit=1');
  const t = r.body.items[0];
  assert.equal((await admin.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: '内部:安排师傅王' })).status, 201);
  assert.equal((await admin.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '师傅明天上午上门' })).status, 201);
  for (const status of ['accepted', 'waiting_customer']) {
    const p = await admin.patch(`/api/v1/tickets/${t.id}`, { status });
    assert.equal(p.status, 200, p.text);
  }
  return t.number;
}

const used = new Set(); // the code mails signed in with already
async function signInWithCode(page, email) {
  await page.goto(srv.base + '/portal/login');
  await page.getByTestId('portal-login-email').fill(email);
  await page.getByTestId('portal-send-code').click();
  await page.getByTestId('portal-code').waitFor();
  const mail = await until(`a code mailed to ${email}`, () => sink.mails()
    .filter((m) => m.rcpt_tos.includes(email) && /验证码/.test(m.headers.subject?.[0] || '') && !used.has(m.file)).at(-1));
  used.add(mail.file);
  await page.getByTestId('portal-code').fill(/\b(\d{6})\b/.exec(mail.text)[1]);
  await Promise.all([page.waitForURL('**/portal/tickets'), page.getByTestId('portal-verify').click()]);
}

test('signed in with the mailed code, a customer replies and then confirms', async () => {
  const number = await answeredTicket();
  const page = await open(PHONE, '/portal');
  await signInWithCode(page, 'chen@example.com');
  await page.getByTestId('portal-ticket-row').nth(1).waitFor(); // both of theirs
  await page.getByTestId('portal-ticket-row').filter({ hasText: number }).click();
  await page.getByTestId('portal-ticket-number').getByText(number).waitFor();
  assert.equal(await page.getByTestId('portal-ticket-status').innerText(), '待客户确认');
  const bodies = await page.getByTestId('portal-message-body').allInnerTexts();
  assert.deepEqual(bodies, [HOSTILE, '师傅明天上午上门'], 'the public conversation, customer text as text, no note');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('.portal-msg img').count(), 0);
  await fitsWidth(page);

  await page.getByTestId('portal-reply').fill('好的,上午在家');
  await page.getByTestId('portal-reply-files').locator('input[type=file]').setInputFiles({
    name: '门牌.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('door'),
  });
  await page.getByTestId('portal-reply-send').click();
  await page.getByTestId('portal-message-body').getByText('好的,上午在家').waitFor();
  await page.getByTestId('portal-file').getByText('门牌.jpg').waitFor();
  assert.equal(await page.getByTestId('portal-ticket-status').innerText(), '处理中');
  assert.equal((await admin.get(`/api/v1/tickets/${number}`)).body.status, 'in_progress');

  // staff resolve it; the customer disputes, then confirms once it is really fixed
  const id = (await admin.get(`/api/v1/tickets/${number}`)).body.id;
  assert.equal((await admin.patch(`/api/v1/tickets/${id}`, { status: 'resolved', result: 'fixed' })).status, 200);
  await page.reload();
  await page.getByTestId('portal-dispute').click();
  await page.getByTestId('portal-dispute-comment').fill('还在滴水');
  await page.getByTestId('portal-dispute-send').click();
  await page.getByTestId('portal-notice').getByText('已收到').waitFor();
  assert.equal(await page.getByTestId('portal-ticket-status').innerText(), '处理中');
  const h = (await admin.get(`/api/v1/tickets/${id}/history`)).body.items;
  assert.equal(h.find((x) => x.action === 'disputed').detail.comment, '还在滴水');

  assert.equal((await admin.patch(`/api/v1/tickets/${id}`, { status: 'resolved', result: 'fixed' })).status, 200);
  await page.reload();
  await page.getByTestId('portal-accept').click();
  await page.getByTestId('portal-notice').getByText('感谢').waitFor();
  assert.equal(await page.getByTestId('portal-ticket-status').innerText(), '已解决');
  assert.equal(await page.getByTestId('portal-confirm-box').count(), 0);
  assert.ok((await admin.get(`/api/v1/tickets/${id}/history`)).body.items.some((x) => x.action === 'confirmed'));
  await page.context().close();

  // the agent's console names both answers in the ticket's history
  const staff = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await staff.goto(`${srv.base}/tickets/${id}`);
  await staff.getByTestId('history-item').filter({ hasText: '客户认为仍有问题' }).getByText('还在滴水').waitFor();
  await staff.getByTestId('history-item').filter({ hasText: '客户确认解决' }).first().waitFor();
  await staff.context().close();
});

test('on the desktop a signed-in customer sees their tickets and signs out', async () => {
  const page = await open(DESKTOP, '/portal');
  await signInWithCode(page, 'chen@example.com');
  await page.getByTestId('portal-ticket-row').first().waitFor();
  await page.getByTestId('portal-logout').click();
  await page.waitForURL('**/portal/login');
  await page.goto(srv.base + '/portal/tickets');
  await page.waitForURL('**/portal/login?next=**');
  await page.context().close();
});
