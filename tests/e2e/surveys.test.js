// Satisfaction in the browser: an admin sets the survey up on the settings page; the customer
// answers the survey on a 375-px phone page in Chinese (what they wrote shown as text, never as
// HTML); the ticket page and the pool show the rating; the supervisor's 满意度 page lists the
// surveys with their comments, the unsatisfied first, and the second-handling queue with its
// deadline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, Client, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
const HOSTILE = '<img src=x onerror="window.__xss=1">还是<b>漏水</b>';

let srv, admin, sup, agent, dept, browser, gateway;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  browser = await launch();
  for (const [username, role] of [['s1', 'supervisor'], ['a1', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name: username === 's1' ? '王主管' : '李客服', role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  sup = await new Client(srv.base).login('s1', 'password-123');
  agent = await new Client(srv.base).login('a1', 'password-123');
  const d = await admin.post('/api/v1/departments', { code: 'aftersale', name: '售后部', supervisor_id: sup.user.id });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  gateway = await receiver();
  const w = await admin.post('/api/v1/webhooks', { url: gateway.url, secret: 'e2e-survey-secret-0123', events: ['survey.sent'] });
  assert.equal(w.status, 201, w.text);
});

after(async () => {
  await browser?.close();
  await gateway?.close();
  await srv.finish();
});

// A phone ticket of the agent's, resolved; the token of its survey's link.
async function resolvedTicket(subject) {
  let r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'fault', subject, customer: { name: '陈女士', phone: '13900002222' },
  });
  assert.equal(r.status, 201, r.text);
  const t = r.body;
  r = await admin.patch(`/api/v1/tickets/${t.id}`, { department_id: dept.id, assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  for (const body of [{ status: 'in_progress' }, { status: 'resolved', result: 'fixed' }]) {
    r = await agent.patch(`/api/v1/tickets/${t.id}`, body);
    assert.equal(r.status, 200, r.text);
  }
  const hit = await until('survey.sent', () => gateway.got.find((h) => h.body.detail.number === t.number));
  return { ticket: t, token: hit.body.detail.url.split('/s/')[1] };
}

async function fitsWidth(page) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= inner, `the page is ${scroll}px wide in a ${inner}px window`);
}

test('an admin sets the survey up on the settings page', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('survey-settings').waitFor();
  await page.getByTestId('survey-scale-four_level').click();
  await page.getByTestId('survey-delay').locator('input').fill('0');
  await page.getByTestId('survey-second-hours').locator('input').fill('12');
  await page.getByTestId('survey-save').click();
  await page.locator('.el-message--success').waitFor();
  const s = (await admin.get('/api/v1/settings')).body.survey;
  assert.equal(s.delay_minutes, 0);
  assert.equal(s.second_handling_hours, 12);
  assert.equal(s.scale, 'four_level');
  await page.context().close();
});

test('the customer answers on a 375-px page; the ticket page and the pool show it', async () => {
  const { ticket, token } = await resolvedTicket('热水器不加热');
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(`${srv.base}/s/${token}`);
  await page.getByTestId('survey-ticket').waitFor();
  assert.match(await page.getByTestId('survey-ticket').innerText(), /热水器不加热/);
  assert.match(await page.locator('body').innerText(), /服务满意度评价/);
  await fitsWidth(page);
  // every choice is a large target on the phone
  for (const v of ['very_satisfied', 'satisfied', 'average', 'unsatisfied']) {
    const box = await page.getByTestId('survey-choice-' + v).boundingBox();
    assert.ok(box.height >= 44 && box.x >= 0 && box.x + box.width <= 375, `${v}: ${JSON.stringify(box)}`);
  }
  await page.getByTestId('survey-submit').click();
  await page.getByTestId('survey-error').waitFor(); // nothing picked yet
  await page.getByTestId('survey-choice-unsatisfied').click();
  await page.getByTestId('survey-comment').fill(HOSTILE);
  await page.getByTestId('survey-submit').click();
  await page.getByTestId('survey-thanks').waitFor();
  assert.match(await page.getByTestId('survey-thanks').innerText(), /主管会重新处理/);
  await fitsWidth(page);
  // opened again: answered already
  await page.reload();
  await page.getByTestId('survey-answered').waitFor();
  assert.match(await page.getByTestId('survey-answered').innerText(), /不满意/);
  // a link that is not a survey's
  await page.goto(`${srv.base}/s/${'0'.repeat(64)}`);
  await page.getByTestId('survey-missing').waitFor();
  await context.close();

  const t = (await admin.get(`/api/v1/tickets/${ticket.id}`)).body;
  assert.equal(t.status, 'in_progress');
  assert.equal(t.assignee.id, sup.user.id);
  const staff = await signIn(browser, srv.base, 's1', 'password-123');
  await staff.goto(`${srv.base}/tickets/${ticket.id}`);
  await staff.getByTestId('satisfaction-rating').waitFor();
  assert.match(await staff.getByTestId('satisfaction-rating').innerText(), /不满意/);
  assert.equal(await staff.getByTestId('satisfaction-comment').innerText(), `“${HOSTILE}”`);
  assert.match(await staff.getByTestId('second-handling').innerText(), /二次处理 第 1 轮/);
  assert.equal(await staff.evaluate(() => window.__xss), undefined);
  await staff.goto(`${srv.base}/tickets`);
  const row = staff.locator('[data-testid="pool-table"] tr', { hasText: ticket.number });
  await row.getByTestId('satisfaction-rating').waitFor();
  assert.match(await row.getByTestId('satisfaction-rating').innerText(), /不满意/);
  await staff.context().close();
});

test('the supervisor\'s 满意度 page: all surveys with comments, the unsatisfied first, and the second-handling queue', async () => {
  const happy = await resolvedTicket('洗衣机噪音');
  const r = await fetch(`${srv.base}/api/v1/surveys/${happy.token}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rating: 'very_satisfied', comment: '上门很快' }),
  });
  assert.equal(r.status, 200);
  const page = await signIn(browser, srv.base, 's1', 'password-123');
  await page.getByTestId('nav-satisfaction').click();
  await page.getByTestId('sat-table').waitFor();
  await page.locator('[data-testid="sat-comment"]', { hasText: '上门很快' }).waitFor();
  const comments = await page.getByTestId('sat-comment').allInnerTexts();
  assert.equal(comments.length, 2);
  assert.equal(comments[0], HOSTILE); // unsatisfied first, shown as text
  assert.equal(comments[1], '上门很快');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // newest first when the box is cleared
  await page.getByTestId('sat-unsatisfied-first').click();
  await until('newest first', async () => (await page.getByTestId('sat-comment').allInnerTexts())[0] === '上门很快');
  // the second-handling queue with its deadline
  await page.getByRole('tab', { name: /二次处理/ }).click();
  await page.getByTestId('sh-number').waitFor();
  assert.equal((await page.getByTestId('sh-number').allInnerTexts()).length, 1);
  assert.match(await page.getByTestId('sh-left').innerText(), /剩余/);
  await page.context().close();
  // agents have no such page
  const a = await signIn(browser, srv.base, 'a1', 'password-123');
  assert.equal(await a.getByTestId('nav-satisfaction').count(), 0);
  await a.context().close();
});
