// A reply on an app's ticket (a webhook channel) shows how its callback fares, as a mailed
// reply does: 发送失败 with the receiver's answer when it refuses, 已发送 when it takes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { receiver } from '../lib/receiver.js';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

const SECRET = 'app-secret-0123456789';
let srv, browser, api, rx;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  rx = await receiver({ answer: (hit) => (hit.body.message.body.includes('拒收') ? 410 : 200) });
  const r = await api.patch('/api/v1/channels/APP', { kind: 'webhook', settings: { secret: SECRET, reply_url: rx.url } });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await rx?.close();
  await srv.finish();
});

test('a reply on an app ticket shows 已发送 once the app took it, 发送失败 when it refused', async () => {
  const raw = JSON.stringify({ message_id: 'e2e-m1', customer: { external_id: 'u-7', name: '小李' }, body: '优惠券用不了' });
  const sig = 'sha256=' + createHmac('sha256', SECRET).update(raw).digest('hex');
  const res = await fetch(`${srv.base}/hooks/APP`, { method: 'POST', body: raw, headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': sig } });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  const { ticket } = JSON.parse(text);

  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.goto(srv.base + '/tickets/' + ticket.id);
  await page.getByTestId('ticket-number').waitFor();
  for (const [body, shown] of [['已为您补发优惠券', '已发送'], ['此条拒收', '发送失败']]) {
    await page.getByTestId('composer-body').fill(body);
    await page.getByTestId('composer-send').click();
    const tag = page.getByTestId('message').filter({ hasText: body }).getByTestId('message-delivery');
    await tag.filter({ hasText: shown }).waitFor(); // without a reload: the live stream says so
    assert.equal((await tag.innerText()).trim(), shown);
  }
  assert.equal(rx.got.length, 2);
});
