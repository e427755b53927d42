// WeChat official account: the platform's URL verification, followers' messages as tickets
// (the passive reply with the ticket number, one message per MsgId, one conversation per
// follower), and agents' replies through the customer-service API of a local fake platform.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWithAdmin } from '../lib/server.js';
import { FakeWechat, messageXml, signedQuery } from '../lib/fake_wechat.js';

const TOKEN = 'kefu-wx-token-1';
let srv, admin, fake;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  fake = await new FakeWechat().start();
  const r = await admin.patch('/api/v1/channels/WX', {
    kind: 'wechat',
    settings: { token: TOKEN, app_id: fake.appId, app_secret: fake.secret, api_base: fake.base },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.settings.token, 'set', 'the token is a secret, never shown again');
  assert.equal(r.body.settings.app_secret, 'set');
  assert.equal(r.body.settings.app_id, fake.appId);
});
after(async () => { await fake.stop(); await srv.finish(); });

function hook(method, query, body) {
  return fetch(`${srv.base}/hooks/wechat/WX?${query}`, {
    method, body, headers: body ? { 'Content-Type': 'text/xml' } : {},
  });
}

async function post(xml, { token = TOKEN, openid } = {}) {
  const q = signedQuery(token);
  if (openid) q.set('openid', openid);
  const r = await hook('POST', q, xml);
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') };
}

async function wxTickets() {
  const r = await admin.get('/api/v1/tickets?channel=WX&limit=200');
  assert.equal(r.status, 200);
  return r.body.items;
}

async function messagesOf(id) {
  const r = await admin.get(`/api/v1/tickets/${id}/messages`);
  assert.equal(r.status, 200);
  return r.body.items;
}

test('URL verification: echostr for a good signature, 401 otherwise', async () => {
  const q = signedQuery(TOKEN);
  q.set('echostr', '7425117296186541337');
  let r = await hook('GET', q);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  assert.equal(await r.text(), '7425117296186541337');

  const bad = signedQuery('another-token');
  bad.set('echostr', '7425117296186541337');
  r = await hook('GET', bad);
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error.field, 'signature');
  const stale = new URLSearchParams(q);
  stale.set('nonce', '1'); // the signature no longer covers it
  assert.equal((await hook('GET', stale)).status, 401);
  assert.equal((await fetch(`${srv.base}/hooks/wechat/MAIL?${q}`)).status, 404,
    'a channel of another kind has no WeChat address');
});

let ticket; // the first follower's

test('a text message makes a ticket with the follower as customer, answered with its number', async () => {
  const r = await post(messageXml({ from: 'oFollower_A1', content: '洗衣机漏水,什么时候能上门?',
    msgId: '10000000000000001' }), { openid: 'oFollower_A1' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.type, /xml/);
  const items = await wxTickets();
  assert.equal(items.length, 1);
  ticket = (await admin.get(`/api/v1/tickets/${items[0].id}`)).body;
  assert.equal(ticket.channel, 'WX');
  assert.equal(ticket.subject, '洗衣机漏水,什么时候能上门?');
  assert.match(ticket.customer.name, /^微信用户 /);
  // the passive reply: to the follower, from the account, carrying the number
  assert.match(r.text, /<ToUserName><!\[CDATA\[oFollower_A1\]\]><\/ToUserName>/);
  assert.match(r.text, /<FromUserName><!\[CDATA\[gh_kefu_test\]\]><\/FromUserName>/);
  assert.match(r.text, /<MsgType><!\[CDATA\[text\]\]><\/MsgType>/);
  assert.ok(r.text.includes(ticket.number), `the reply names ${ticket.number}: ${r.text}`);
  const msgs = await messagesOf(ticket.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].kind, 'customer');
  assert.equal(msgs[0].body, '洗衣机漏水,什么时候能上门?');
  assert.equal(msgs[0].author.id, ticket.customer.id);
});

test('the same MsgId twice is one message', async () => {
  const xml = messageXml({ from: 'oFollower_A1', content: '洗衣机漏水,什么时候能上门?',
    msgId: '10000000000000001' });
  const r = await post(xml);
  assert.equal(r.status, 200);
  assert.ok(r.text.includes(ticket.number), 'a retry of the first message gets the same answer');
  assert.equal((await wxTickets()).length, 1);
  assert.equal((await messagesOf(ticket.id)).length, 1);
});

test('a second message joins the ticket; an image and a voice are noted with their media', async () => {
  let r = await post(messageXml({ from: 'oFollower_A1', content: '型号 XQG100', msgId: '10000000000000002' }));
  assert.equal(r.status, 200);
  assert.equal(r.text, 'success');
  r = await post(messageXml({ from: 'oFollower_A1', type: 'image', picUrl: 'http://mmbiz.qpic.cn/a.jpg',
    mediaId: 'media-img-1', msgId: '10000000000000003' }));
  assert.equal(r.text, 'success');
  r = await post(messageXml({ from: 'oFollower_A1', type: 'voice', mediaId: 'media-voice-1',
    recognition: '快点来修', msgId: '10000000000000004' }));
  assert.equal(r.text, 'success');
  assert.equal((await wxTickets()).length, 1);
  const msgs = await messagesOf(ticket.id);
  assert.deepEqual(msgs.map((m) => m.kind), ['customer', 'customer', 'customer', 'customer']);
  assert.equal(msgs[1].body, '型号 XQG100');
  assert.match(msgs[2].body, /^\[图片\] http:\/\/mmbiz\.qpic\.cn\/a\.jpg/);
  assert.match(msgs[2].body, /media-img-1/);
  assert.match(msgs[3].body, /^\[语音\] 快点来修/);
  assert.ok(msgs.every((m) => m.author.id === ticket.customer.id));
});

test('a subscribe event makes no ticket and no customer', async () => {
  const before = (await admin.get('/api/v1/customers?limit=200')).body.items.length;
  const r = await post(messageXml({ from: 'oFollower_B2', type: 'event', event: 'subscribe' }));
  assert.equal(r.status, 200);
  assert.equal(r.text, 'success');
  assert.equal((await wxTickets()).length, 1);
  assert.equal((await admin.get('/api/v1/customers?limit=200')).body.items.length, before);
});

test('a bad signature is 401 and stores nothing; bad XML is refused naming the field', async () => {
  let r = await post(messageXml({ from: 'oFollower_C3', content: '你好', msgId: '10000000000000009' }),
    { token: 'wrong-token' });
  assert.equal(r.status, 401);
  assert.equal(JSON.parse(r.text).error.field, 'signature');
  r = await post('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>');
  assert.equal(r.status, 422);
  assert.equal(JSON.parse(r.text).error.field, 'xml');
  r = await post(messageXml({ from: 'oFollower_C3', content: '你好', msgId: '10000000000000009' }),
    { openid: 'oSomeoneElse' });
  assert.equal(r.status, 422);
  assert.equal(JSON.parse(r.text).error.field, 'openid');
  assert.equal((await wxTickets()).length, 1);
});

test('another follower gets a ticket of their own', async () => {
  let r = await post(messageXml({ from: 'oFollower_D4', content: '发票怎么开', msgId: '10000000000000010' }));
  assert.equal(r.status, 200);
  const items = await wxTickets();
  assert.equal(items.length, 2);
  const other = items.find((t) => t.id !== ticket.id);
  assert.ok(r.text.includes(other.number));
  assert.notEqual(other.customer.id, ticket.customer.id);
});
