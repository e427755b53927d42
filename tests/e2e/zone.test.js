// Times in the console are the server's configured zone, whatever zone the browser is in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

// The input of the Element Plus date picker for this field (the picker passes name, not data-testid).
const picker = (page, name) => page.locator(`input[name=${name}]`);

// Types a time into a date picker as an agent would, and leaves the field.
async function typeTime(page, name, text) {
  const input = picker(page, name);
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator('h1').click();
}

// Registers a ticket from the form with the raised and promised times typed as given; returns its id.
async function registerAt(page, { subject, phone, raised, expected }) {
  await page.getByTestId('nav-new').click();
  await page.getByTestId('customer-name').fill('孙八');
  await page.getByTestId('customer-phone').fill(phone);
  await page.getByTestId('ticket-subject').fill(subject);
  await typeTime(page, 'raised_at', raised);
  if (expected) await typeTime(page, 'expected_at', expected);
  await page.getByTestId('ticket-submit').click();
  await page.getByTestId('created-open').click();
  await page.getByTestId('ticket-number').waitFor();
  return page.url().split('/').pop();
}

// The wall clock in Shanghai now and a minute ago, as the form shows it.
function shanghaiNow() {
  const at = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  return [at(Date.now()), at(Date.now() - 60e3)];
}

test('in a New York browser the form takes and the console shows Shanghai time', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password, { timezoneId: 'America/New_York' });
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'America/New_York');

  await page.getByTestId('nav-new').click();
  assert.equal(await page.getByTestId('ticket-zone').innerText(), 'Asia/Shanghai');
  const shown = await picker(page, 'raised_at').inputValue();
  assert.ok(shanghaiNow().includes(shown), `the raised time starts as now in Shanghai, not ${shown}`);

  // The server's clock at 10:30 on 2 October in Shanghai, still 1 October in New York.
  assert.equal((await api.post('/api/v1/test/clock', { now: '2023-10-02T10:30:00+08:00' })).status, 200);

  const id = await registerAt(page, {
    subject: '时区登记', phone: '13400001111', raised: '2023-10-02 10:00', expected: '2023-10-03 18:00',
  });
  let t = (await api.get('/api/v1/tickets/' + id)).body;
  assert.equal(t.times.raised_at, '2023-10-02T10:00:00+08:00');
  assert.equal(t.expected_at, '2023-10-03T18:00:00+08:00');
  assert.equal(await page.getByTestId('time-raised_at').innerText(), '2023-10-02 10:00');
  assert.equal(await page.getByTestId('ticket-expected').innerText(), '2023-10-03 18:00');
  assert.equal(await picker(page, 'expected_at').inputValue(), '2023-10-03 18:00');

  // Saving another field leaves the promised time as it was.
  await page.getByTestId('edit-remarks').fill('客户在外地');
  await page.getByTestId('edit-save').click();
  await page.getByText('已保存').first().waitFor();
  t = (await api.get('/api/v1/tickets/' + id)).body;
  assert.equal(t.remarks, '客户在外地');
  assert.equal(t.expected_at, '2023-10-03T18:00:00+08:00');

  // A new promised time is taken in Shanghai time and logged in it.
  await typeTime(page, 'expected_at', '2023-10-04 09:30');
  await page.getByTestId('edit-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=ticket-expected]').textContent === '2023-10-04 09:30');
  t = (await api.get('/api/v1/tickets/' + id)).body;
  assert.equal(t.expected_at, '2023-10-04T09:30:00+08:00');
  // the history is read again after the save: wait for the entry rather than read it at once
  const change = 'expected_at: 2023-10-03 18:00 → 2023-10-04 09:30';
  await page.waitForFunction((text) => [...document.querySelectorAll('[data-testid=history-item]')]
    .some((e) => e.textContent.includes(text)), change);
  const history = await page.getByTestId('history-item').allInnerTexts();
  assert.ok(history.some((h) => h.includes(change)), history.join('\n'));

  // The pool lists it at its Shanghai time, and a day filter means the Shanghai day (it was
  // registered at 10:30 on 2 October there).
  assert.match(t.created_at, /^2023-10-02T10:3\d:.*\+08:00$/);
  await page.getByTestId('nav-pool').click();
  const row = page.locator('tr', { hasText: t.number });
  await row.waitFor();
  assert.match(await row.innerText(), /2023-10-02 10:00/);
  await picker(page, 'created_from').click();
  await picker(page, 'created_from').fill('2023-10-02');
  await picker(page, 'created_to').fill('2023-10-02');
  await picker(page, 'created_to').press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=pool-subject]')].map((e) => e.textContent).join() === '时区登记');
  await page.context().close();
  await api.post('/api/v1/test/clock', { now: new Date().toISOString() });
});

test('the zone is the server\'s setting, not a fixed one: São Paulo server, Tokyo browser', async () => {
  const sp = await new Server({ env: { KEFU_TIME_ZONE: 'America/Sao_Paulo' } }).start();
  try {
    const admin = await new Client(sp.base).login(ADMIN.username, ADMIN.password);
    const page = await signIn(browser, sp.base, ADMIN.username, ADMIN.password, { timezoneId: 'Asia/Tokyo' });
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-zone').getByText('America/Sao_Paulo').waitFor();
    const id = await registerAt(page, { subject: '圣保罗', phone: '13400002222', raised: '2023-10-02 10:00' });
    const t = (await admin.get('/api/v1/tickets/' + id)).body;
    assert.equal(t.times.raised_at, '2023-10-02T10:00:00-03:00');
    assert.equal(await page.getByTestId('time-raised_at').innerText(), '2023-10-02 10:00');
    await page.context().close();
  } finally {
    await sp.finish();
  }
});
