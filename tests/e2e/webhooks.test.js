// The notification webhook screen: an admin points it at a gateway (a real receiver on
// 127.0.0.1), sees a refused secret at its field, watches a delivery fail and sends it again,
// with every try listed, and switches the webhook off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, agent, rx;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  const r = await api.post('/api/v1/users', { username: 'xiaoli', name: '小李', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  agent = r.body;
  rx = await receiver({ answer: (hit, n) => (n === 1 ? 500 : 200) });
});

after(async () => {
  await browser?.close();
  await rx?.close();
  await srv.finish();
});

test('an admin sets up the webhook, sees a failed try, sends it again and switches it off', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-webhooks').click();
  await page.getByTestId('webhook-new').click();
  const { url, got } = rx;
  await page.getByTestId('webhook-url').fill(url);
  await page.getByTestId('webhook-secret').fill('short');
  await page.getByTestId('webhook-save').click();
  const secretError = page.locator('.el-form-item', { has: page.getByTestId('webhook-secret') }).locator('.el-form-item__error');
  await secretError.waitFor();
  assert.match(await secretError.innerText(), /16/);
  assert.equal((await api.get('/api/v1/webhooks')).body.items.length, 0, 'nothing refused was stored');
  await page.getByTestId('webhook-secret').fill('gateway-secret-0123456789');
  await page.getByTestId('webhook-save').click();
  const row = page.getByTestId('webhooks-table').locator('tr', { hasText: url });
  await row.waitFor();
  assert.match(await row.innerText(), /notification\.created/);
  const [hook] = (await api.get('/api/v1/webhooks')).body.items;
  assert.deepEqual(hook.events, ['notification.created']);

  // an assignment: the assignee's notice goes out, the gateway answers 500 the first time
  let r = await api.post('/api/v1/tickets', { channel: 'TEL', type: 'fault', subject: '冰箱不制冷', customer: { name: '赵六', phone: '13600001111' } });
  assert.equal(r.status, 201, r.text);
  r = await api.patch(`/api/v1/tickets/${r.body.id}`, { assignee_id: agent.id });
  assert.equal(r.status, 200, r.text);
  await until('the first try', async () => (await api.get(`/api/v1/webhooks/${hook.id}/deliveries`)).body.items[0]?.attempts === 1);
  assert.equal(got[0].body.notification.user.name, '小李');

  await page.getByTestId(`webhook-deliveries-${hook.id}`).click();
  const [d] = (await api.get(`/api/v1/webhooks/${hook.id}/deliveries`)).body.items;
  const status = page.getByTestId(`delivery-status-${d.id}`);
  assert.equal((await status.innerText()).trim(), '等待中');
  const table = page.getByTestId('deliveries-table');
  assert.match(await table.innerText(), /500/);
  await page.getByTestId(`delivery-retry-${d.id}`).click();
  await until('the second try', () => got.length === 2);
  assert.equal(got[1].headers['x-kefu-delivery'], String(d.id));
  // the list shows the outcome when it is opened again, each try beneath its delivery
  await until('delivered on the screen', async () => {
    await page.getByTestId('deliveries-refresh').click();
    return (await status.innerText().catch(() => '')).trim() === '已送达';
  });
  await table.locator('.el-table__expand-icon').first().click();
  const tries = page.getByTestId(`tries-${d.id}`);
  await tries.waitFor();
  const text = await tries.innerText();
  assert.match(text, /500/);
  assert.match(text, /200/);
  await page.keyboard.press('Escape');

  await page.getByTestId(`webhook-enabled-${hook.id}`).click();
  await until('switched off', async () => (await api.get(`/api/v1/webhooks/${hook.id}`)).body.webhook.enabled === false);
  await page.context().close();
});
