// The web console as a service team uses it: sign in, set up, register, work and close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, startWithAdmin } from '../lib/server.js';
import { choose, launch, signIn } from './browser.js';

let srv, browser, api;
const day = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10).replaceAll('-', '');

before(async () => {
  ({ srv, admin: api } = await startWithAdmin());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv.finish();
});

test('sign-in is in Chinese by default; the English switch is remembered', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(srv.base + '/');
  await page.waitForURL('**/login**');
  assert.equal(await page.getByTestId('login-submit').innerText(), '登录');
  await page.getByTestId('login-password').fill('wrong-password');
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  assert.match(await page.getByTestId('login-error').innerText(), /用户名或密码错误/);
  await page.getByTestId('login-lang-en').click();
  assert.equal(await page.getByTestId('login-submit').innerText(), 'Sign in');
  await page.reload();
  assert.equal(await page.getByTestId('login-submit').innerText(), 'Sign in');
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/tickets');
  await page.getByText('Pending pool').first().waitFor();
  await ctx.close();
});

test('an admin creates departments and users with roles', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-departments').click();
  for (const [code, name] of [['tech', '技术支持'], ['warehouse', '仓储部']]) {
    await page.getByTestId('dept-new').click();
    await page.getByTestId('dept-code').fill(code);
    await page.getByTestId('dept-name').fill(name);
    await page.getByTestId('dept-save').click();
    await page.getByTestId('departments-table').getByText(name).waitFor();
  }
  await page.getByTestId('nav-users').click();
  for (const [username, role, label] of [['xiaoli', 'agent', '客服专员'], ['wangjie', 'supervisor', '客服主管']]) {
    await page.getByTestId('user-new').click();
    await page.getByTestId('user-username').fill(username);
    await page.getByTestId('user-name').fill(username === 'xiaoli' ? '小李' : '王姐');
    await choose(page, 'user-role', label);
    await page.getByTestId('user-password').fill('password-123');
    await page.getByTestId('user-save').click();
    await page.getByTestId('users-table').getByText(username).waitFor();
  }
  const users = (await api.get('/api/v1/users')).body.items;
  assert.equal(users.find((u) => u.username === 'xiaoli').role, 'agent');
  assert.equal(users.find((u) => u.username === 'wangjie').role, 'supervisor');
  await page.context().close();
});

async function register(page, { subject, phone, tier = '普通' }) {
  await page.getByTestId('nav-new').click();
  await page.getByTestId('customer-name').fill('张三');
  await page.getByTestId('customer-phone').fill(phone);
  await page.getByTestId(`tier-${{ VIP: 'vip', 普通: 'normal', 新客户: 'new' }[tier]}`).click();
  await page.getByTestId('type-complaint').click();
  await choose(page, 'ticket-category', '物流延迟');
  await page.getByTestId('ticket-subject').fill(subject);
  await page.getByTestId('ticket-description').fill('承诺10月1日送达,至今未收到');
  await page.getByTestId('urgency-high').click();
  await page.getByTestId('ticket-submit').click();
  await page.getByTestId('created-number').waitFor();
  return (await page.getByTestId('created-number').innerText()).trim();
}

test('an agent registers a phone request and reads its number at once; the pool finds it', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  const number = await register(page, { subject: '家电未按时送货', phone: '13812345678', tier: 'VIP' });
  assert.match(number, new RegExp(`^TEL-${day()}-\\d{3}$`));
  await page.getByTestId('created-another').click();
  await register(page, { subject: '申请退款', phone: '13900001111' });
  await page.getByTestId('created-another').click();

  await page.getByTestId('nav-pool').click();
  await page.getByTestId('pool-table').getByText(number).waitFor();
  const row = page.locator('tr', { hasText: number });
  assert.match(await row.innerText(), /138\*\*\*\*5678/);
  assert.ok(!(await page.content()).includes('13812345678'), 'the full phone is never on the page');
  await page.getByTestId('pool-search').fill('家电');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=pool-subject]').length === 1);
  assert.equal(await page.getByTestId('pool-subject').innerText(), '家电未按时送货');
  await page.getByTestId('pool-search').fill('退款');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=pool-subject]')].map((e) => e.textContent).join() === '申请退款');
  await page.context().close();
});

test('an agent works a ticket from acceptance to closing; the time nodes fill themselves', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  const number = await register(page, { subject: 'APP无法登录', phone: '13700002222' });
  await page.getByTestId('created-open').click();
  await page.getByTestId('ticket-number').waitFor();
  assert.equal(await page.getByTestId('ticket-number').innerText(), number);
  assert.equal(await page.getByTestId('move-resolved').count(), 0, 'resolving a new ticket is not offered');
  assert.equal(await page.getByTestId('time-taken_over_at').innerText(), '—');

  await page.getByTestId('move-accepted').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=ticket-status]').textContent.includes('已受理'));
  assert.notEqual(await page.getByTestId('time-taken_over_at').innerText(), '—');
  assert.equal(await page.getByTestId('ticket-assignee').innerText(), '小李');
  await page.getByTestId('move-in_progress').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=ticket-status]').textContent.includes('处理中'));

  await page.getByTestId('composer-note').click();
  await page.getByTestId('composer-body').fill('内部:已联系技术部');
  await page.getByTestId('composer-send').click();
  await page.getByText('内部:已联系技术部').waitFor();
  assert.equal(await page.getByTestId('time-first_response_at').innerText(), '—');
  await page.getByTestId('composer-reply').click();
  await page.getByTestId('composer-body').fill('您好,请清除缓存后重试');
  await page.getByTestId('composer-files').locator('input[type=file]').setInputFiles({
    name: '操作指引.txt', mimeType: 'text/plain', buffer: Buffer.from('1. 清除缓存\n2. 重新登录\n'),
  });
  await page.getByTestId('composer-send').click();
  await page.getByText('您好,请清除缓存后重试').waitFor();
  const link = page.getByTestId('message-attachment');
  assert.equal(await link.innerText(), '操作指引.txt');
  const file = await page.request.get(srv.base + (await link.getAttribute('href')));
  assert.equal(await file.text(), '1. 清除缓存\n2. 重新登录\n');
  await page.waitForFunction(() => document.querySelector('[data-testid=time-first_response_at]').textContent !== '—');

  await page.getByTestId('move-resolved').click();
  await choose(page, 'resolve-result', '已修复');
  await page.getByTestId('resolve-measures').fill('远程指导客户清除缓存后登录正常');
  await page.getByTestId('resolve-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=ticket-status]').textContent.includes('已解决'));
  assert.equal(await page.getByTestId('ticket-result').innerText(), '已修复');
  await page.getByTestId('move-closed').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=ticket-status]').textContent.includes('已关闭'));
  for (const k of ['raised_at', 'taken_over_at', 'first_response_at', 'processing_started_at', 'resolved_at', 'closed_at']) {
    assert.match(await page.getByTestId('time-' + k).innerText(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, k);
  }
  assert.match(await page.getByTestId('duration-total_minutes').innerText(), /\d+ 分钟/);
  // the history is read again after each change: wait for the last one's entry
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=history-item]')]
    .filter((el) => el.textContent.includes('状态变更')).length >= 4);
  const history = await page.getByTestId('history-item').allInnerTexts();
  assert.ok(history.some((h) => h.includes('登记')));
  assert.equal(await page.getByTestId('move-in_progress').count(), 0, 'an agent may not reopen a closed ticket');
  await page.context().close();
});

test('re-classification is saved and logged; a stale page gets a conflict, not an overwrite', async () => {
  const t = (await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '并发编辑', customer: { name: '李四', phone: '13600003333' },
  })).body;
  const a = await signIn(browser, srv.base, 'wangjie', 'password-123');
  const b = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  for (const p of [a, b]) {
    await p.goto(srv.base + '/tickets/' + t.id);
    await p.getByTestId('ticket-number').waitFor();
  }
  await choose(a, 'edit-type', '故障报修');
  await a.getByTestId('edit-urgency-high').click();
  await a.getByTestId('edit-save').click();
  await a.waitForFunction(() => document.querySelector('[data-testid=ticket-type]').textContent.includes('故障报修'));
  await b.getByTestId('edit-remarks').fill('旧页面的修改');
  await b.getByTestId('edit-save').click();
  await b.getByText('其他人已修改此工单,已重新加载').waitFor();
  const now = (await api.get('/api/v1/tickets/' + t.id)).body;
  assert.equal(now.type, 'fault');
  assert.equal(now.remarks, null, 'the stale change was not written');
  const h = await a.getByTestId('history-item').allInnerTexts();
  assert.ok(h.some((x) => x.includes('重新分类')));
  await a.context().close();
  await b.context().close();
});

test('a supervisor sees the full contact only on request, and the view is logged', async () => {
  const t = (await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '查看联系方式', customer: { name: '赵六', phone: '13511112222' },
  })).body;
  const agent = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await agent.goto(srv.base + '/tickets/' + t.id);
  await agent.getByTestId('ticket-number').waitFor();
  assert.equal(await agent.getByTestId('show-contact').count(), 0);
  const sup = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await sup.goto(srv.base + '/tickets/' + t.id);
  assert.equal(await sup.getByTestId('ticket-phone').innerText(), '135****2222');
  await sup.getByTestId('show-contact').click();
  await sup.waitForFunction(() => document.querySelector('[data-testid=ticket-phone]').textContent === '13511112222');
  const h = (await api.get(`/api/v1/tickets/${t.id}/history`)).body.items;
  assert.ok(h.some((e) => e.action === 'contact_viewed' && e.actor.name === '王姐'));
  await agent.context().close();
  await sup.context().close();
});

test('a supervisor signs off a resolved record; the promised time is shown', async () => {
  const t = (await api.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '待审核', expected_at: '2030-10-02T17:00:00+08:00',
    customer: { name: '钱七', phone: '13522223333' },
  })).body;
  await api.patch('/api/v1/tickets/' + t.id, { status: 'in_progress' });
  await api.patch('/api/v1/tickets/' + t.id, { status: 'resolved', result: 'fixed' });
  const sup = await signIn(browser, srv.base, 'wangjie', 'password-123');
  await sup.goto(srv.base + '/tickets/' + t.id);
  assert.equal(await sup.getByTestId('ticket-expected').innerText(), '2030-10-02 17:00');
  assert.equal(await sup.getByTestId('ticket-reviewer').innerText(), '—');
  await sup.getByTestId('review').click();
  await sup.waitForFunction(() => document.querySelector('[data-testid=ticket-reviewer]').textContent === '王姐');
  assert.equal(await sup.getByTestId('review').count(), 0, 'a record is reviewed once');
  const agent = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await agent.goto(srv.base + '/tickets/' + t.id);
  await agent.getByTestId('ticket-number').waitFor();
  assert.equal(await agent.getByTestId('review').count(), 0);
  await sup.context().close();
  await agent.context().close();
});

test('the seed 004 number format chosen in settings numbers the next ticket', async () => {
  const page = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await page.getByTestId('nav-settings').click();
  await choose(page, 'settings-format', '{YYYYMMDD}{serial:3}');
  await page.getByTestId('settings-save').click();
  await page.getByText('已保存').waitFor();
  const number = await register(page, { subject: '新格式', phone: '13312345678' });
  assert.match(number, new RegExp(`^${day()}\\d{3}$`));
  await api.patch('/api/v1/settings', { ticket_number_format: '{channel}-{YYYYMMDD}-{serial}' });
  await page.context().close();
});

test('text from customers is shown as text, never run as HTML', async () => {
  const evil = '<img src=x onerror="window.__owned=1">家电<b>粗体</b>';
  const t = (await api.post('/api/v1/tickets', {
    channel: 'WEB', type: 'inquiry', subject: evil, description: evil, customer: { name: '<i>黑客</i>', phone: '13211112222' },
  })).body;
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.goto(srv.base + '/tickets/' + t.id);
  await page.getByTestId('ticket-description').waitFor();
  assert.equal(await page.getByTestId('ticket-description').innerText(), evil);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  assert.equal(await page.locator('.ticket img[src=x]').count(), 0);
  await page.context().close();
});

test('an unknown address shows a page saying so, with the way back to the pool', async () => {
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123');
  await page.goto(srv.base + '/tickets/xyz/nope');
  await page.getByTestId('not-found').waitFor();
  assert.equal(new URL(page.url()).pathname, '/tickets/xyz/nope', 'the address is kept, not redirected');
  assert.match(await page.getByTestId('not-found').innerText(), /页面不存在/);
  assert.equal(await page.getByTestId('not-found-detail').innerText(), '没有地址为 /tickets/xyz/nope 的页面。');
  assert.equal(await page.getByTestId('pool-table').count(), 0, 'the pool is not shown instead');
  await page.getByTestId('not-found-back').click();
  await page.waitForURL('**/tickets');
  await page.getByTestId('pool-table').waitFor();

  await choose(page, 'language', 'English');
  await page.goto(srv.base + '/no-such-page');
  await page.getByTestId('not-found').waitFor();
  assert.match(await page.getByTestId('not-found').innerText(), /Page not found/);
  assert.equal(await page.getByTestId('not-found-back').innerText(), 'Back to the pending pool');
  await page.context().close();

  // Signed out, the address waits behind the sign-in.
  const ctx = await browser.newContext();
  const anon = await ctx.newPage();
  await anon.goto(srv.base + '/no-such-page');
  await anon.waitForURL('**/login?next=**');
  await anon.getByTestId('login-username').fill('xiaoli');
  await anon.getByTestId('login-password').fill('password-123');
  await anon.getByTestId('login-submit').click();
  await anon.getByTestId('not-found').waitFor();
  assert.equal(new URL(anon.url()).pathname, '/no-such-page');
  await ctx.close();
});

test('an agent makes an API token that expires and sees when; an expired one is marked', async () => {
  // a New York browser: the expiry is typed and shown in the server's zone (Shanghai) all the same
  const page = await signIn(browser, srv.base, 'xiaoli', 'password-123', { timezoneId: 'America/New_York' });
  await page.getByTestId('nav-tokens').click();
  assert.equal(await page.getByTestId('token-zone').innerText(), 'Asia/Shanghai');
  await page.getByTestId('token-name').fill('呼叫中心集成');
  const picker = page.locator('input[name=expires_at]');
  await picker.click();
  await picker.fill('2031-05-06 07:08');
  await picker.press('Enter');
  await page.locator('h1').click();
  await page.getByTestId('token-create').click();
  await page.getByTestId('token-value').waitFor();
  const secret = await page.getByTestId('token-value').innerText();
  assert.match(secret, /^kefu_[0-9a-f]{64}$/);
  const row = page.getByTestId('tokens-table').locator('tr', { hasText: '呼叫中心集成' });
  await row.getByText('2031-05-06 07:08').waitFor();
  const bot = new Client(srv.base);
  bot.token = secret;
  const mine = (await bot.get('/api/v1/tokens')).body.items.find((x) => x.name === '呼叫中心集成');
  assert.equal(mine.expires_at, '2031-05-06T07:08:00+08:00');
  await page.getByTestId('token-name').fill('长期集成');
  await page.getByTestId('token-create').click();
  await page.getByTestId('tokens-table').locator('tr', { hasText: '长期集成' }).getByText('永不过期').waitFor();
  await page.context().close();

  const made = await api.post('/api/v1/tokens', { name: '短期', expires_at: new Date(Date.now() + 1000).toISOString() });
  assert.equal(made.status, 201, made.text);
  await new Promise((ok) => setTimeout(ok, 1200));
  const adminPage = await signIn(browser, srv.base, ADMIN.username, ADMIN.password);
  await adminPage.getByTestId('nav-tokens').click();
  await adminPage.getByTestId('tokens-table').locator('tr', { hasText: '短期' }).getByText('已过期').waitFor();
  await adminPage.context().close();
});
