// Live chat in two browsers: a visitor on a shop's page (another origin, served here by a tiny
// HTTP server on a free port) that embeds the widget's script tag, and an agent on shift in the
// console. The agent is offered the chat live and accepts it; they talk both ways; a returning
// visitor continues the chat; the agent ends it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Client, startWithAdmin } from '../lib/server.js';
import { launch, signIn } from './browser.js';

let srv, admin, browser, shop, shopBase;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  browser = await launch();
  // the shop's page: its own CSS would wreck a widget that shared it
  const html = `<!doctype html><meta charset=utf-8><title>小店</title>
<style>* { font-size: 40px !important; color: red !important; } button { display: none !important; }</style>
<h1>欢迎光临</h1>
<script src="${srv.base}/widget.js" data-channel="CHAT" async></script>`;
  shop = createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(html); });
  await new Promise((ok) => shop.listen(0, '127.0.0.1', ok));
  shopBase = `http://127.0.0.1:${shop.address().port}`;
  // li is an agent on shift now
  const li = await admin.post('/api/v1/users', { username: 'li', name: '李客服', role: 'agent', password: 'password-123' });
  assert.equal(li.status, 201, li.text);
  const d = await admin.post('/api/v1/departments', { code: 'chat', name: '在线客服组' });
  assert.equal(d.status, 201, d.text);
  let r = await admin.post(`/api/v1/departments/${d.body.id}/members`, { user_id: li.body.id });
  assert.ok(r.status < 300, r.text);
  r = await admin.post('/api/v1/shifts', {
    user_id: li.body.id, department_id: d.body.id,
    starts_at: new Date(Date.now() - 60000).toISOString(), ends_at: new Date(Date.now() + 8 * 3600000).toISOString(),
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await browser?.close();
  shop?.close();
  await srv.finish();
});

test('widget.js is served as JavaScript, small', async () => {
  const r = await fetch(srv.base + '/widget.js');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  assert.ok((await r.text()).length < 30 * 1024);
});

test('a visitor and an agent chat both ways, live', async () => {
  const agent = await signIn(browser, srv.base, 'li', 'password-123');
  const vctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 740 }, isMobile: true });
  const visitor = await vctx.newPage();
  visitor.setDefaultTimeout(10000);
  await visitor.goto(shopBase + '/');
  const widget = visitor.locator('[data-kefu-chat]');
  // the host page hides every button: the widget's bubble shows all the same (its shadow DOM)
  await widget.getByRole('button', { name: '咨询客服' }).click();
  await widget.getByPlaceholder('您的称呼(可选)').fill('<b>小张</b>');
  await widget.getByPlaceholder('请描述您的问题').fill('耳机左边没声音');
  await widget.getByRole('button', { name: '开始咨询' }).click();
  await widget.getByText('正在为您接通客服,请稍候…').waitFor();

  // the agent is offered it live: the badge, then accepts
  await agent.getByTestId('chat-badge').locator('sup', { hasText: '1' }).waitFor();
  await agent.getByTestId('chat-open').click();
  const offer = agent.getByTestId('chat-waiting');
  await offer.filter({ hasText: '<b>小张</b>' }).waitFor(); // the name as text, never as markup
  await Promise.all([agent.waitForURL(/\/tickets\/\d+$/), offer.getByTestId('chat-accept').click()]);
  await agent.getByTestId('message-body').filter({ hasText: '耳机左边没声音' }).waitFor();
  await widget.getByText('客服 李客服 为您服务').waitFor();

  // agent → visitor
  await agent.getByTestId('composer-body').fill('您好,请问是哪个型号?');
  await agent.getByTestId('composer-send').click();
  await widget.locator('.reply', { hasText: '您好,请问是哪个型号?' }).waitFor();
  // visitor → agent, appearing on the ticket page without a reload
  await widget.getByPlaceholder('输入消息…').fill('K10 <img src=x onerror=alert(1)>');
  await widget.getByRole('button', { name: '发送' }).click();
  await agent.getByTestId('message-body').filter({ hasText: 'K10 <img src=x onerror=alert(1)>' }).waitFor();
  assert.equal(await widget.locator('img').count(), 0, 'visitor text shown as text');

  // the visitor leaves and comes back on the same browser: the chat continues
  await visitor.reload();
  await widget.getByRole('button', { name: '咨询客服' }).click();
  await widget.locator('.reply', { hasText: '您好,请问是哪个型号?' }).waitFor();
  await widget.locator('.customer', { hasText: 'K10' }).waitFor();
  await agent.getByTestId('composer-body').fill('好的,已为您登记换货');
  await agent.getByTestId('composer-send').click();
  await widget.locator('.reply', { hasText: '好的,已为您登记换货' }).waitFor();

  // the agent ends it; the visitor is told
  await agent.getByTestId('chat-open').click();
  await agent.getByTestId('chat-active').getByTestId('chat-close').click();
  await widget.getByText('本次会话已结束,感谢您的咨询。').waitFor();
  await vctx.close();
  await agent.context().close();
});

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
// A visitor on the shop's page who opens a chat with this first message.
async function startChat(text) {
  const vctx = await browser.newContext({ locale: 'zh-CN' });
  const visitor = await vctx.newPage();
  visitor.setDefaultTimeout(10000);
  await visitor.goto(shopBase + '/');
  const widget = visitor.locator('[data-kefu-chat]');
  await widget.getByRole('button', { name: '咨询客服' }).click();
  await widget.getByPlaceholder('请描述您的问题').fill(text);
  await widget.getByRole('button', { name: '开始咨询' }).click();
  return { vctx, visitor, widget };
}
const loaded = (img) => img.evaluate((e) => e.complete && e.naturalWidth > 0);

test('an image sent both ways: the visitor\'s on the ticket page, the agent\'s in the widget', async () => {
  const agent = await signIn(browser, srv.base, 'li', 'password-123');
  const li = await new Client(srv.base).login('li', 'password-123');
  const { vctx, visitor, widget } = await startChat('收到的杯子有裂缝');
  await widget.getByText('正在为您接通客服,请稍候…').waitFor();
  const chat = (await li.get('/api/v1/chats?state=waiting')).body.items.find((c) => c.ticket.subject.includes('杯子'));
  assert.equal((await li.post(`/api/v1/chats/${chat.id}/accept`)).status, 200);
  await agent.goto(`${srv.base}/tickets/${chat.ticket.id}`);
  await agent.getByTestId('message-body').filter({ hasText: '收到的杯子有裂缝' }).waitFor();

  // a text file is refused in the widget, before anything is sent
  await widget.locator('input[type=file]').setInputFiles({ name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
  await widget.getByText('只能发送 PNG、JPEG、GIF 或 WebP 图片').waitFor();
  // visitor → agent: the photo shows in the widget and, live, on the ticket page
  await widget.getByRole('button', { name: '图片' }).click({ trial: true });
  await widget.locator('input[type=file]').setInputFiles({ name: '裂缝.png', mimeType: 'image/png', buffer: PNG });
  const mine = widget.locator('.customer img.img');
  await mine.waitFor();
  await visitor.waitForFunction((h) => {
    const img = h.shadowRoot.querySelector('.customer img.img');
    return img && img.complete && img.naturalWidth > 0;
  }, await widget.elementHandle());
  const seen = agent.getByTestId('message-image');
  await seen.waitFor();
  await agent.waitForFunction(() => [...document.querySelectorAll('[data-testid=message-image]')].some((i) => i.complete && i.naturalWidth > 0));
  assert.equal(await seen.getAttribute('alt'), '裂缝.png');

  // agent → visitor: a reply with an image
  await agent.getByTestId('composer-body').fill('请对照这张图看看是哪一处');
  await agent.getByTestId('composer-files').locator('input[type=file]').setInputFiles({ name: 'guide.png', mimeType: 'image/png', buffer: PNG });
  await agent.getByTestId('composer-send').click();
  const theirs = widget.locator('.reply', { hasText: '请对照这张图看看是哪一处' }).locator('img.img');
  await theirs.waitFor();
  await visitor.waitForFunction((h) => {
    const img = [...h.shadowRoot.querySelectorAll('.reply img.img')].pop();
    return img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');
  }, await widget.elementHandle());
  assert.equal(await theirs.getAttribute('alt'), 'guide.png');
  assert.ok(await loaded(theirs));
  await vctx.close();
  await agent.context().close();
});

test('with nobody on shift the widget says so: the message became a ticket, listed as left offline', async () => {
  const shifts = (await admin.get('/api/v1/shifts')).body.items;
  for (const s of shifts) assert.equal((await admin.del(`/api/v1/shifts/${s.id}`)).status, 204);
  const agent = await signIn(browser, srv.base, 'li', 'password-123');
  const { vctx, widget } = await startChat('半夜留言');
  const note = widget.getByText(/现在没有客服在线。您的留言已登记为工单 /);
  await note.waitFor();
  const number = (await note.textContent()).match(/工单 (\S+?),/)[1];
  const t = await admin.get(`/api/v1/tickets/${number}`);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.channel, 'CHAT');
  // the staff's chat drawer lists it, live, and opens its ticket
  await agent.getByTestId('chat-open').click();
  const left = agent.getByTestId('chat-offline').filter({ hasText: number });
  await left.waitFor();
  await Promise.all([agent.waitForURL(new RegExp(`/tickets/${t.body.id}$`)), left.locator('a').click()]);
  await agent.getByTestId('message-body').filter({ hasText: '半夜留言' }).waitFor();
  await vctx.close();
  await agent.context().close();
});
