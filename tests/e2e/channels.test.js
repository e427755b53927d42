// 管理 → 渠道: an admin connects the MAIL channel as a mailbox; a bad setting is shown at its
// field, a stored password shows as 已设置 and survives a change, and the channel's health
// shows what mail-ingest recorded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, kefu, ROOT, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, browser, api;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const r = await api.post('/api/v1/users', { username: 'xiaoli', name: '小李', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('an admin connects a mailbox; secrets show as 已设置 and the health shows the last error', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-channels').click();
  await page.getByTestId('channels-table').waitFor();
  assert.equal((await page.getByTestId('channel-kind-MAIL').innerText()).trim(), '人工登记');
  await page.getByTestId('channel-edit-MAIL').click();
  await page.getByTestId('channel-dialog').waitFor();
  await choose(page, 'channel-kind', '邮件');
  await page.getByTestId('channel-imap_url').fill('http://imap.example.com');
  await page.getByTestId('channel-imap_password').fill('imap-secret-1');
  await page.getByTestId('channel-from').fill('客服中心 <support@example.com>');
  await page.getByTestId('channel-save').click();
  await page.getByTestId('channel-dialog').getByText('imaps://').first().waitFor(); // the field's error
  assert.equal((await api.get('/api/v1/channels/MAIL')).body.kind, 'manual', 'nothing was saved');
  await page.getByTestId('channel-imap_url').fill('imaps://imap.example.com:993/INBOX');
  await page.getByTestId('channel-save').click();
  await page.getByTestId('channel-dialog').waitFor({ state: 'hidden' });
  await page.getByTestId('channel-kind-MAIL').getByText('邮件').waitFor();

  let c = (await api.get('/api/v1/channels/MAIL')).body;
  assert.equal(c.kind, 'mail');
  assert.equal(c.settings.imap_url, 'imaps://imap.example.com:993/INBOX');
  assert.equal(c.settings.imap_password, 'set');
  assert.equal(c.settings.from, '客服中心 <support@example.com>');

  // the poller tries the (unreachable) mailbox at once and records why it failed; then it waits
  // 30 s (poll_seconds), so the unreadable mail below is the channel's latest error
  for (let i = 0; ; i++) {
    const st = (await api.get('/api/v1/channels/MAIL/status')).body;
    if (st.last_error) break;
    assert.ok(i < 100, 'the poller records its first try within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  // an unreadable mail is recorded on the channel
  assert.equal(kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input: 'not a mail\n' }).status, 65);
  await page.getByTestId('channel-edit-MAIL').click();
  await page.getByTestId('channel-status').getByText('有错误').waitFor();
  assert.match(await page.getByTestId('channel-last-error').innerText(), /could not be read/);
  const pw = page.getByTestId('channel-imap_password');
  assert.equal(await pw.inputValue(), '', 'the secret itself never comes back');
  assert.match(await pw.getAttribute('placeholder'), /已设置/);
  await page.getByTestId('channel-imap_user').fill('support@example.com');
  await page.getByTestId('channel-save').click();
  await page.getByTestId('channel-dialog').waitFor({ state: 'hidden' });
  c = (await api.get('/api/v1/channels/MAIL')).body;
  assert.equal(c.settings.imap_user, 'support@example.com');
  assert.equal(c.settings.imap_password, 'set', 'saving without typing the password keeps it');
  await page.context().close();
});

test('an admin connects a WeChat official account: the server address to enter, token, AppID and secret', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-channels').click();
  assert.equal((await page.getByTestId('channel-kind-WX').innerText()).trim(), '微信');
  await page.getByTestId('channel-edit-WX').click();
  await page.getByTestId('channel-dialog').waitFor();
  assert.equal(await page.getByTestId('channel-wechat-url').inputValue(), `${srv.base}/hooks/wechat/WX`);
  await page.getByTestId('channel-token').fill('wx-token-e2e');
  await page.getByTestId('channel-app_id').fill('wx1234567890abcdef');
  await page.getByTestId('channel-app_secret').fill('wx-secret-e2e');
  await page.getByTestId('channel-api_base').fill('ftp://api.example.com');
  await page.getByTestId('channel-save').click();
  await page.getByTestId('channel-dialog').getByText('http://').first().waitFor(); // the field's error
  await page.getByTestId('channel-api_base').fill('');
  await page.getByTestId('channel-save').click();
  await page.getByTestId('channel-dialog').waitFor({ state: 'hidden' });
  const c = (await api.get('/api/v1/channels/WX')).body;
  assert.equal(c.kind, 'wechat');
  assert.deepEqual(c.settings, { token: 'set', app_id: 'wx1234567890abcdef', app_secret: 'set' });
  await page.getByTestId('channel-edit-WX').click();
  assert.match(await page.getByTestId('channel-token').getAttribute('placeholder'), /已设置/);
  assert.equal(await page.getByTestId('channel-token').inputValue(), '');
  await page.context().close();
});

test('a mail ticket shows the customer\'s message, escaped, with its attachment', async () => {
  const input = readFileSync(join(ROOT, 'tests/fixtures/mail/outlook-gbk.eml'));
  const r = kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input });
  assert.equal(r.status, 0, r.stderr);
  const hostile = ['From: x@example.org', 'Subject: <img src=x onerror=alert(1)>', 'Message-ID: <h-1@example.org>',
    'Content-Type: text/plain; charset=utf-8', '', '<script>window.pwned=1</script>你好', ''].join('\r\n');
  assert.equal(kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input: hostile }).status, 0);
  const items = (await api.get('/api/v1/tickets?channel=MAIL')).body.items;
  const gbk = items.find((t) => t.subject === '空调漏水报修（陶喆）');
  const bad = items.find((t) => t.subject.startsWith('<img'));
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.goto(`${srv.base}/tickets/${gbk.id}`);
  const msg = page.getByTestId('message').first();
  await msg.getByText('客户来信').waitFor();
  assert.match(await msg.getByTestId('message-body').innerText(), /我家的空调漏水了/);
  assert.equal((await msg.getByTestId('message-attachment').innerText()).trim(), '漏水照片.jpg');
  await page.goto(`${srv.base}/tickets/${bad.id}`);
  await page.getByTestId('message-body').first().waitFor();
  assert.match(await page.getByTestId('message-body').first().innerText(), /<script>window.pwned=1<\/script>你好/);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('img[src=x]').count(), 0);
  await page.context().close();
});

test('an HTML mail can be shown formatted, in a sandboxed frame without its script', async () => {
  const input = readFileSync(join(ROOT, 'tests/fixtures/mail/qqmail-inline.eml'));
  assert.equal(kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input }).status, 0);
  const t = (await api.get('/api/v1/tickets?channel=MAIL')).body.items.find((x) => x.subject === '发票抬头错了');
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.goto(`${srv.base}/tickets/${t.id}`);
  const msg = page.getByTestId('message').first();
  assert.match(await msg.getByTestId('message-body').innerText(), /发票抬头写错了/);
  assert.equal(await msg.getByTestId('message-html').count(), 0, 'text first; formatting on request');
  await msg.getByTestId('message-html-toggle').click();
  const frame = msg.getByTestId('message-html');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('sandbox'), '', 'no scripts, no same-origin');
  const inner = page.frameLocator('[data-testid=message-html]');
  await inner.getByText('发票抬头写错了').waitFor();
  assert.equal(await inner.locator('script').count(), 0);
  assert.equal(await inner.locator('[onerror]').count(), 0);
  await msg.getByTestId('message-html-toggle').click();
  await frame.waitFor({ state: 'detached' });
  await page.context().close();
});

test('an agent has no 渠道 screen', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  assert.equal(await page.getByTestId('nav-channels').count(), 0);
  await page.goto(srv.base + '/admin/channels');
  await page.waitForURL('**/tickets');
  await page.context().close();
});
