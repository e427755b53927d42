// 管理 → 渠道, a mailbox against a real Dovecot: the 测试 button saves what was typed, logs in to
// the IMAP server and shows each server's answer and the channel's health; a mail then
// delivered to the mailbox becomes a ticket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { Dovecot } from '../lib/dovecot.js';
import { choose, launch, signIn } from './browser.js';

let srv, api, browser, dove;

before(async () => {
  dove = await new Dovecot({ support: 'imap-password-9' }).start();
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.finish();
  await dove?.stop();
});

test('测试 logs in to the mailbox and shows the result and the health', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-channels').click();
  await page.getByTestId('channel-edit-MAIL').click();
  await page.getByTestId('channel-dialog').waitFor();
  await choose(page, 'channel-kind', '邮件');
  await page.getByTestId('channel-imap_url').fill(dove.url());
  await page.getByTestId('channel-imap_user').fill('support');
  await page.getByTestId('channel-imap_password').fill('imap-password-9');
  await page.getByTestId('channel-test').click();
  const imap = page.getByTestId('channel-test-imap');
  await imap.getByText('登录成功').waitFor({ timeout: 15000 });
  // no SMTP server is set: that half fails, and says why
  assert.match(await page.getByTestId('channel-test-smtp').innerText(), /no SMTP address/);
  await page.getByTestId('channel-status').getByText('有错误').waitFor();
  assert.match(await page.getByTestId('channel-last-error').innerText(), /SMTP: no SMTP address/);
  assert.match(await page.getByTestId('channel-queued-out').innerText(), /待发送: 0/);
  assert.match(await page.getByTestId('channel-imap_password').getAttribute('placeholder'), /已设置/,
    'the password typed was saved before the test');
  const c = (await api.get('/api/v1/channels/MAIL')).body;
  assert.equal(c.settings.imap_url, dove.url());
  assert.equal(c.settings.imap_password, 'set');

  // the mailbox is polled from now on
  dove.deliver(['From: 张三 <zhang@example.org>', 'To: support@example.com', 'Subject: 洗衣机不脱水',
    'Message-ID: <e2e-1@example.org>', 'Content-Type: text/plain; charset=utf-8', '', '洗衣机不脱水了', ''].join('\r\n'));
  const end = Date.now() + 15000;
  let items = [];
  while (Date.now() < end && !items.length) {
    items = (await api.get('/api/v1/tickets?channel=MAIL')).body.items;
    if (!items.length) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(items[0]?.subject, '洗衣机不脱水');

  // a wrong password: the test says the login failed (the only failed login here)
  await page.getByTestId('channel-imap_password').fill('wrong-password');
  await page.getByTestId('channel-test').click();
  await imap.getByText('login failed').waitFor({ timeout: 20000 });
  await page.context().close();
});
