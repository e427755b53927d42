// A reply on a mail ticket shows how its mail fares: 发送中 while the SMTP server (a real
// aiosmtpd on 127.0.0.1) is down, with the server's error on hover, then 已发送 as soon as it
// is sent, without a reload; a note shows nothing of the kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../lib/receiver.js';
import { ADMIN, kefu, startWithAdmin } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, sink;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  sink = smtpSink();
  sink.port = null;
  await sink.start(); // for a free port of its own, then down until the test wants it
  await sink.stop();
  const r = await api.patch('/api/v1/channels/MAIL', {
    kind: 'mail',
    settings: { from: '客服中心 <service@kefu.example.com>', smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none' },
  });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await sink?.stop();
  sink?.cleanup();
  await srv.finish();
});

test('a reply shows 发送中 with the error on hover, then 已发送 once the mail is sent', async () => {
  const mail = ['From: 王堃 <wang.kun@example.com>', 'To: service@kefu.example.com', 'Subject: 空调漏水',
    'Message-ID: <e2e-1@example.com>', 'Content-Type: text/plain; charset=utf-8', '', '空调漏水了', ''].join('\r\n');
  assert.equal(kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input: mail }).status, 0);
  const [t] = (await api.get('/api/v1/tickets?channel=MAIL')).body.items;

  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.goto(srv.base + '/tickets/' + t.id);
  await page.getByTestId('ticket-number').waitFor();
  await page.getByTestId('composer-body').fill('师傅明天上门。');
  await page.getByTestId('composer-send').click();
  const msg = page.getByTestId('message').filter({ hasText: '师傅明天上门' });
  const tag = msg.getByTestId('message-delivery');
  await tag.waitFor();
  assert.equal((await tag.innerText()).trim(), '发送中');

  // the first try fails: reload to see its error (the tooltip is the server's answer)
  await until('a failed try', async () => {
    const m = (await api.get(`/api/v1/tickets/${t.id}/messages`)).body.items.find((x) => x.kind === 'reply');
    return m.delivery.attempts >= 1;
  });
  await page.reload();
  await tag.waitFor();
  await tag.hover();
  const tip = page.locator('.el-popper:visible', { hasText: /connect|refused/i });
  await tip.waitFor();

  // the note beside it is never mailed
  await page.getByTestId('composer-note').click();
  await page.getByTestId('composer-body').fill('内部:师傅姓刘');
  await page.getByTestId('composer-send').click();
  const note = page.getByTestId('message').filter({ hasText: '师傅姓刘' });
  await note.waitFor();
  assert.equal(await note.getByTestId('message-delivery').count(), 0);

  // the server comes back; the next try (the clock moved past the back-off) is sent and the
  // page shows it by itself
  await sink.start();
  const r = await api.post('/api/v1/test/clock', { now: new Date(Date.now() + 31000).toISOString() });
  assert.equal(r.status, 200, r.text);
  await msg.getByTestId('message-delivery').filter({ hasText: '已发送' }).waitFor({ timeout: 15000 });
  assert.equal(await msg.getByTestId('message-delivery').getAttribute('data-status'), 'sent');
  assert.ok(sink.mails().some((m) => m.text.includes('师傅明天上门')));
});
