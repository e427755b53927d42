// The report page in the browser: a supervisor opens 报表, sees this month's figures, changes the
// period to a range without tickets and back to today, and clicks the phone channel's slice and
// the top issue's bar through to the pool, which lists exactly those tickets. An agent sees only
// their own comparison row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, xiaoli;
const made = {};

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  for (const [username, name, role] of [['wangjie', '王姐', 'supervisor'], ['xiaoli', '小李', 'agent'], ['xiaozhang', '小张', 'agent']]) {
    const r = await api.post('/api/v1/users', { username, name, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
    if (username === 'xiaoli') xiaoli = r.body;
  }
  const users = (await api.get('/api/v1/users')).body.items;
  const zhang = users.find((u) => u.username === 'xiaozhang');
  for (const [key, channel, type, category, subject, who] of [
    ['a', 'TEL', 'complaint', 'logistics-delay', '物流三天没动', xiaoli],
    ['b', 'TEL', 'complaint', 'logistics-delay', '快递丢件', zhang],
    ['c', 'WEB', 'problem', 'app-login', 'APP登录失败', xiaoli]]) {
    const r = await api.post('/api/v1/tickets', {
      channel, type, category, subject, urgency: 'low', customer: { name: '客户' + key, phone: '1380000000' + key.charCodeAt(0) % 10 },
    });
    assert.equal(r.status, 201, r.text);
    const p = await api.patch(`/api/v1/tickets/${r.body.id}`, { assignee_id: who.id });
    assert.equal(p.status, 200, p.text);
    made[key] = r.body;
  }
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

const text = async (page, testid) => (await page.getByTestId(testid).locator('.num').innerText()).trim();
async function until(page, testid, want, ms = 10000) {
  const end = Date.now() + ms;
  let got;
  while (Date.now() < end) {
    got = await text(page, testid).catch(() => '');
    if (got === want) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(got, want, testid);
}
// clicks the chart's canvas at (dx, dy) pixels from its top left, again while the chart is
// still animating into place, until the page goes to an address that matches url
async function clickChart(page, testid, at, url) {
  const canvas = page.getByTestId(testid).locator('canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const [dx, dy] = at(box);
  for (let i = 0; i < 20 && !url.test(page.url()); i++) {
    await page.mouse.click(box.x + dx, box.y + dy);
    await page.waitForURL(url, { timeout: 500 }).catch(() => {});
  }
  assert.match(page.url(), url);
}
const poolSubjects = async (page) => {
  await page.getByTestId('pool-table').locator('tbody tr').first().waitFor();
  await new Promise((ok) => setTimeout(ok, 300));
  return (await page.getByTestId('pool-table').locator('tbody tr').allInnerTexts()).join('\n');
};

test('a supervisor reads the period, changes it, and clicks through to the tickets', async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await page.getByTestId('nav-reports').click();
  await page.waitForURL('**/reports');
  await until(page, 'card-volume', '3');
  await until(page, 'card-overdue', '0');
  assert.match(await page.getByTestId('chart-channels').innerText(), /渠道占比/);
  // a range long ago: nothing
  await page.getByTestId('period-range').click();
  await page.locator('input[name="from"]').fill('2020-01-01');
  await page.locator('input[name="to"]').fill('2020-01-31');
  await page.locator('input[name="to"]').press('Enter');
  await until(page, 'card-volume', '0');
  assert.match(await page.getByTestId('card-first-response').innerText(), /—/);
  // today: the three tickets again
  await page.getByTestId('period-today').click();
  await until(page, 'card-volume', '3');
  const rows = await page.getByTestId('compare-table').locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, rows.join('|'));
  assert.match(rows.join('|'), /小李\s+2/);
  assert.match(rows.join('|'), /小张\s+1/);
  // the phone slice (two of three: from 12 o'clock clockwise past 3 o'clock) opens those two
  await clickChart(page, 'chart-channels',
    (b) => [b.width / 2 + 0.65 * Math.min(b.width, b.height) / 2 * 0.6, b.height * 0.45], /\/tickets\?.*channel=TEL/);
  let shown = await poolSubjects(page);
  assert.match(shown, /物流三天没动/);
  assert.match(shown, /快递丢件/);
  assert.doesNotMatch(shown, /APP登录失败/);
  assert.equal(await page.getByTestId('pool-table').locator('tbody tr').count(), 2);
  // back, and the top issue's bar (the first of two, full height) opens its two tickets
  await page.goBack();
  await page.waitForURL('**/reports');
  await until(page, 'card-volume', '3');
  // the grid starts 40 px from the left and ends 20 px from the right and 40 px from the bottom
  await clickChart(page, 'chart-issues', (b) => [40 + (b.width - 60) / 4, b.height - 60], /\/tickets\?.*category=logistics-delay/);
  shown = await poolSubjects(page);
  assert.match(shown, /物流三天没动/);
  assert.match(shown, /快递丢件/);
  assert.equal(await page.getByTestId('pool-table').locator('tbody tr').count(), 2);
  await page.context().close();
});

test('an agent sees the figures of their own tickets and their own row only', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.getByTestId('nav-reports').click();
  await page.waitForURL('**/reports');
  await until(page, 'card-volume', '2');
  const rows = await page.getByTestId('compare-table').locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 1, rows.join('|'));
  assert.match(rows[0], /小李\s+2/);
  assert.equal(await page.getByTestId('reports-agent').count(), 0);
  // the bar opens their own ticket of it, not their colleague's
  await clickChart(page, 'chart-issues', (b) => [40 + (b.width - 60) / 4, b.height - 60], /\/tickets\?.*category=/);
  assert.match(page.url(), /assignee_id=me/);
  const shown = await poolSubjects(page);
  assert.equal(await page.getByTestId('pool-table').locator('tbody tr').count(), 1, shown);
  await page.context().close();
});
