// 预测与排班 in the web console: a supervisor opens the page from the menu and sees next week's
// tickets by hour as a chart with its band, each day's total, and the shifts as planned beside
// the agents they need, the short ones in red; agents find no such page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, browser, api, dept, xiaoli;

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
  let r = await api.post('/api/v1/departments', { code: 'tech', name: '技术支持', assignment: 'manual' });
  assert.equal(r.status, 201, r.text);
  dept = r.body;
  for (const [username, name, role] of [['wangjie', '王姐', 'supervisor'], ['xiaoli', '小李', 'agent']]) {
    r = await api.post('/api/v1/users', { username, name, role, password: 'password-123', department_id: dept.id });
    assert.equal(r.status, 201, r.text);
    if (username === 'xiaoli') xiaoli = r.body;
  }
  // today is Monday 16 March 2026; the two Mondays before had 12 tickets each between 10:00 and
  // 11:00, so this Monday expects 12 in that hour: 3 Erlang at 15 minutes each, 4 agents
  r = await api.post('/api/v1/test/clock', { now: '2026-03-16T00:30:00+08:00' });
  assert.equal(r.status, 200, r.text);
  for (const day of ['2026-03-02', '2026-03-09']) {
    for (let i = 0; i < 12; i++) {
      r = await api.post('/api/v1/tickets', {
        channel: 'TEL', type: 'fault', subject: '空调不制冷', urgency: 'low',
        customer: { name: '张三', phone: '13812345678' },
        raised_at: `${day}T10:${String(i * 5).padStart(2, '0')}:00+08:00`,
      });
      assert.equal(r.status, 201, r.text);
    }
  }
  r = await api.post('/api/v1/shifts', {
    user_id: xiaoli.id, department_id: dept.id,
    starts_at: '2026-03-16T09:00:00+08:00', ends_at: '2026-03-16T18:00:00+08:00',
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('the supervisor sees the forecast chart and the shift that is short', async () => {
  const page = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await page.getByTestId('nav-forecast').click();
  await page.waitForURL('**/reports/forecast');
  assert.match(await page.getByTestId('forecast-method').innerText(), /同星期同小时的近 2 周平均/);
  // the chart is drawn (ECharts' canvas)
  await page.getByTestId('forecast-chart').locator('canvas').first().waitFor();
  // the per-day totals: Monday 12, the other days none
  assert.equal((await page.getByTestId('forecast-day-2026-03-16').locator('.num').innerText()).trim(), '12');
  assert.equal((await page.getByTestId('forecast-day-2026-03-17').locator('.num').innerText()).trim(), '0');
  // the Monday shift: 12 expected, 4 needed, 1 planned: short by 3, in red
  const short = page.getByTestId('forecast-short-2026-03-16-09:00-18:00');
  assert.equal((await short.innerText()).trim(), '缺 3 人');
  const row = page.getByTestId('forecast-staffing').locator('tr.short-row');
  assert.equal(await row.count(), 1);
  const cells = (await row.locator('td').allInnerTexts()).map((s) => s.trim());
  assert.deepEqual(cells.slice(1, 5), ['09:00-18:00', '12', '4', '1']);
  assert.equal(await short.evaluate((el) => getComputedStyle(el).color), 'rgb(245, 108, 108)');
  // in English too
  await page.getByTestId('language').click();
  await page.getByTestId('language-en').click();
  await page.getByText('short by 3').waitFor();
});

test('agents have no forecast in their menu and are sent away from it', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  assert.equal(await page.getByTestId('nav-forecast').count(), 0);
  await page.goto(srv.base + '/reports/forecast');
  await page.waitForURL('**/tickets');
});
