// A call rings for agent 李四: the console pops up the caller (masked) with their tickets of the
// last 3 months; the pop-up's button opens the registration form with that customer picked,
// and the ticket registered there is the one the ended call is recorded on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

const SECRET = 'tel-secret-0123456789';
let srv, browser, api;

async function event(body) {
  const raw = JSON.stringify(body);
  const sig = 'sha256=' + createHmac('sha256', SECRET).update(raw).digest('hex');
  const r = await fetch(`${srv.base}/hooks/TEL`, { method: 'POST', body: raw, headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': sig } });
  const text = await r.text();
  assert.equal(r.status, 202, text);
  return JSON.parse(text);
}

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  let r = await api.post('/api/v1/users', { username: 'li', name: '李四', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  r = await api.patch('/api/v1/channels/TEL', { kind: 'phone', settings: { secret: SECRET } });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('a ringing call pops up with the caller\'s history and the pre-filled form registers the call\'s ticket', async () => {
  const earlier = await api.post('/api/v1/tickets', {
    channel: 'WEB', type: 'fault', subject: '洗衣机不排水', customer: { name: '赵六', phone: '13611112222' },
  });
  assert.equal(earlier.status, 201, earlier.text);
  const page = await signIn(browser, srv.base, 'li', 'password-123');
  await page.waitForTimeout(500); // the live stream is open
  await event({ event: 'ringing', call_id: 'e2e-1', caller: '13611112222', agent: 'li' });
  await page.getByTestId('call-caller').waitFor();
  assert.equal((await page.getByTestId('call-caller').innerText()).trim(), '136****2222');
  assert.match(await page.getByTestId('call-customer').innerText(), /赵六/);
  assert.match(await page.getByTestId('call-ticket').first().innerText(), new RegExp(earlier.body.number));
  await event({ event: 'answered', call_id: 'e2e-1', caller: '13611112222', agent: 'li' });

  await Promise.all([page.waitForURL('**/tickets/new**'), page.getByTestId('call-register').click()]);
  await page.getByTestId('customer-picked').waitFor();
  assert.match(await page.getByTestId('customer-picked').innerText(), /赵六/);
  await page.getByTestId('ticket-subject').fill('洗衣机又不排水');
  await page.getByTestId('ticket-description').fill('来电反映:排水泵异响');
  await page.getByTestId('ticket-submit').click();
  await page.getByTestId('created-number').waitFor();
  const number = (await page.getByTestId('created-number').innerText()).trim();
  assert.match(number, /^TEL-/);

  const ended = await event({ event: 'ended', call_id: 'e2e-1', caller: '13611112222', agent: 'li' });
  const t = (await api.get(`/api/v1/tickets/${number}`)).body;
  assert.equal(ended.ticket_id, t.id);
  assert.equal(t.customer.id, earlier.body.customer.id);
  const calls = (await api.get(`/api/v1/calls?ticket_id=${t.id}`)).body.items;
  assert.equal(calls.length, 1);
  assert.equal(calls[0].agent, 'li');
});
