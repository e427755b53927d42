// WeChat official account: the platform's URL verification, followers' messages as tickets
// (the passive reply with the ticket number, one message per MsgId, one conversation per
// follower), and agents' replies through the customer-service API of a local fake platform.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server, startWithAdmin } from '../lib/server.js';
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

test('another follower gets a ticket of their own; after it is closed, a new one', async () => {
  let r = await post(messageXml({ from: 'oFollower_D4', content: '发票怎么开', msgId: '10000000000000010' }));
  assert.equal(r.status, 200);
  const items = await wxTickets();
  assert.equal(items.length, 2);
  const other = items.find((t) => t.id !== ticket.id);
  assert.ok(r.text.includes(other.number));
  assert.notEqual(other.customer.id, ticket.customer.id);

  // once that ticket is closed, the follower's next message opens a new one for the same customer
  for (const status of ['in_progress', 'resolved', 'closed']) {
    const body = status === 'resolved' ? { status, result: 'solution_provided' } : { status };
    const p = await admin.patch(`/api/v1/tickets/${other.id}`, body);
    assert.equal(p.status, 200, p.text);
  }
  r = await post(messageXml({ from: 'oFollower_D4', content: '又有问题了', msgId: '10000000000000011' }));
  assert.equal(r.status, 200);
  const now = await wxTickets();
  assert.equal(now.length, 3);
  const again = now.find((t) => t.id !== ticket.id && t.id !== other.id);
  assert.ok(r.text.includes(again.number), 'the new ticket is answered with its number');
  assert.equal(again.customer.id, other.customer.id, 'the same follower, the same customer');
  assert.equal((await messagesOf(other.id)).length, 1, 'nothing joined the closed ticket');
});

// ---- agents' replies, through the customer-service message API of the fake platform ----

async function reply(body) {
  const r = await admin.post(`/api/v1/tickets/${ticket.id}/messages`, { kind: 'reply', body });
  assert.equal(r.status, 201, r.text);
  return r.body.id ?? r.body.message?.id;
}

async function delivery(messageId) {
  const m = (await messagesOf(ticket.id)).find((x) => x.id === messageId);
  assert.ok(m, `message ${messageId} is on the ticket`);
  return m.delivery;
}

async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('replies reach the follower with one cached token for two of them', async () => {
  const first = await reply('您好,师傅明天上午上门。');
  await until('the first send', () => fake.sends.length === 1);
  assert.deepEqual(fake.sends[0].body,
    { touser: 'oFollower_A1', msgtype: 'text', text: { content: '您好,师傅明天上午上门。' } });
  await until('the delivery shown as sent', async () => (await delivery(first))?.status === 'sent');
  await reply('请保持电话畅通');
  await until('the second send', () => fake.sends.length === 2);
  assert.equal(fake.sends[1].body.text.content, '请保持电话畅通');
  assert.equal(fake.tokenFetches, 1, 'the token was fetched once and cached');
  assert.equal(fake.sends[0].token, fake.sends[1].token);
});

test('a token the platform no longer takes (40001) is fetched again and the message resent', async () => {
  fake.failNext = [40001];
  const id = await reply('第三条回复');
  await until('the resend', () => fake.sends.length === 3);
  assert.equal(fake.sends[2].body.text.content, '第三条回复');
  assert.equal(fake.tokenFetches, 2);
  assert.notEqual(fake.sends[2].token, fake.sends[1].token);
  await until('sent', async () => (await delivery(id))?.status === 'sent');
  assert.equal((await delivery(id)).attempts, 1, 'one try, with the token fetched again inside it');
});

test('while the platform is down the reply waits, and goes out after the back-off', async () => {
  await fake.stop();
  const id = await reply('第四条回复');
  const d = await until('a failed try', async () => {
    const x = await delivery(id);
    return x && x.attempts >= 1 && x;
  });
  assert.equal(d.status, 'queued');
  assert.match(d.last_error, /send|token|connect/i);
  const st = (await admin.get('/api/v1/channels/WX/status')).body;
  assert.equal(st.ok, false);
  assert.ok(st.last_error);
  await fake.start(); // the same port
  const later = new Date(Date.now() + 60 * 60e3).toISOString();
  assert.equal((await admin.post('/api/v1/test/clock', { now: later })).status, 200);
  await until('the retry', () => fake.sends.length === 4);
  assert.equal(fake.sends[3].body.text.content, '第四条回复');
  await until('sent', async () => (await delivery(id))?.status === 'sent');
});

test('a reply past the 48-hour window (45015) fails at once, shown on the message and the channel', async () => {
  fake.failNext = [45015];
  const attempts = fake.attempts;
  const id = await reply('第五条回复');
  const d = await until('the failure', async () => {
    const x = await delivery(id);
    return x?.status === 'failed' && x;
  });
  assert.equal(d.attempts, 1);
  assert.match(d.last_error, /45015/);
  assert.equal(fake.attempts, attempts + 1, 'not tried again');
  const st = (await admin.get('/api/v1/channels/WX/status')).body;
  assert.match(st.last_error || '', /45015/);
});

test('more signed messages than hook_rate_limit a minute on a channel answer 429 with Retry-After', async () => {
  const limited = await new Server({ env: { KEFU_HOOK_RATE_LIMIT: '3' } }).start();
  try {
    const root = await new Client(limited.base).login(ADMIN.username, ADMIN.password);
    assert.equal((await root.patch('/api/v1/channels/WX', { kind: 'wechat', settings: { token: TOKEN } })).status, 200);
    const send = (i) => fetch(`${limited.base}/hooks/wechat/WX?${signedQuery(TOKEN)}`, {
      method: 'POST', body: messageXml({ from: 'oBusy', content: `消息 ${i}`, msgId: String(20000 + i) }),
    });
    for (let i = 0; i < 3; i++) assert.equal((await send(i)).status, 200);
    const r = await send(3);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const t = (await root.get('/api/v1/tickets?channel=WX')).body.items;
    assert.equal(t.length, 1);
    assert.equal((await root.get(`/api/v1/tickets/${t[0].id}/messages`)).body.items.length, 3,
      'the refused message stored nothing');
  } finally {
    await limited.finish();
  }
});

// ---- media: images and voices fetched from the platform after the message is answered ----

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a photo of the washer')]);
const AMR = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(64, 7)]);
let mediaTicket = null;

// Posts follower oMedia's message of type with mediaId; its message on the ticket.
async function sendMedia(type, mediaId, msgId) {
  const started = Date.now();
  const r = await post(messageXml({ from: 'oMedia', type, mediaId, msgId, picUrl: 'http://mmbiz.qpic.cn/x.jpg' }));
  assert.equal(r.status, 200, r.text);
  assert.ok(Date.now() - started < 5000, 'answered within the platform\'s 5 s');
  if (!mediaTicket) mediaTicket = (await wxTickets()).find((t) => t.customer.name.endsWith('oMedia'.slice(-6)));
  const msgs = await messagesOf(mediaTicket.id);
  const m = msgs.find((x) => x.body.includes(mediaId));
  assert.ok(m, 'the message is stored at once');
  return m;
}

async function attachmentsOf(messageId) {
  const m = (await messagesOf(mediaTicket.id)).find((x) => x.id === messageId);
  return m.attachments;
}

async function bytesOf(id) {
  const r = await fetch(`${srv.base}/api/v1/attachments/${id}`, { headers: { Cookie: admin.cookie } });
  assert.equal(r.status, 200);
  return Buffer.from(await r.arrayBuffer());
}

test('an image and a voice are fetched from the platform and kept on their message', async () => {
  fake.media.set('MEDIA-IMG-OK', { type: 'image/jpeg', data: JPEG, filename: 'washer.jpg' });
  fake.media.set('MEDIA-VOICE-OK', { type: 'audio/amr', data: AMR, filename: 'voice.amr' });
  const img = await sendMedia('image', 'MEDIA-IMG-OK', '30000000000000001');
  const voice = await sendMedia('voice', 'MEDIA-VOICE-OK', '30000000000000002');
  const [a] = await until('the image kept', async () => (await attachmentsOf(img.id)).length && attachmentsOf(img.id));
  assert.equal(a.filename, 'washer.jpg');
  assert.equal(a.content_type, 'image/jpeg');
  assert.deepEqual(await bytesOf(a.id), JPEG);
  const [v] = await until('the voice kept', async () => (await attachmentsOf(voice.id)).length && attachmentsOf(voice.id));
  assert.equal(v.content_type, 'audio/amr');
  assert.deepEqual(await bytesOf(v.id), AMR);
  const gets = fake.mediaGets.filter((g) => g.mediaId.endsWith('-OK'));
  assert.equal(gets.length, 2, 'each fetched once');
  assert.ok(gets.every((g) => fake.tokens.has(g.token)), 'with the cached token');
  // the same MsgId again fetches nothing more
  await post(messageXml({ from: 'oMedia', type: 'image', mediaId: 'MEDIA-IMG-OK', msgId: '30000000000000001' }));
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(fake.mediaGets.filter((g) => g.mediaId === 'MEDIA-IMG-OK').length, 1);
});

test('a token expired on a media fetch (42001) is fetched again and the medium fetched at once', async () => {
  fake.media.set('MEDIA-IMG-2', { type: 'image/jpeg', data: JPEG, filename: 'second.jpg' });
  fake.failMedia = [42001];
  const before = fake.tokenFetches;
  const m = await sendMedia('image', 'MEDIA-IMG-2', '30000000000000003');
  await until('kept', async () => (await attachmentsOf(m.id)).length === 1);
  assert.equal(fake.tokenFetches, before + 1);
  const gets = fake.mediaGets.filter((g) => g.mediaId === 'MEDIA-IMG-2');
  assert.equal(gets.length, 2);
  assert.notEqual(gets[0].token, gets[1].token);
});

test('while the platform is down a medium waits, and is fetched after the back-off', async () => {
  fake.media.set('MEDIA-IMG-3', { type: 'image/jpeg', data: JPEG, filename: 'third.jpg' });
  await fake.stop();
  const m = await sendMedia('image', 'MEDIA-IMG-3', '30000000000000004');
  await until('the failed try shown on the channel', async () =>
    /media|token/.test((await admin.get('/api/v1/channels/WX/status')).body.last_error || ''));
  assert.equal((await attachmentsOf(m.id)).length, 0);
  await fake.start();
  const later = new Date(Date.now() + 3 * 60 * 60e3).toISOString();
  assert.equal((await admin.post('/api/v1/test/clock', { now: later })).status, 200);
  const [a] = await until('kept after the back-off', async () => (await attachmentsOf(m.id)).length && attachmentsOf(m.id));
  assert.deepEqual(await bytesOf(a.id), JPEG);
});

test('a media id the platform does not know (40007) fails for good; the message stays', async () => {
  const m = await sendMedia('image', 'MEDIA-GONE', '30000000000000005');
  await until('tried', () => fake.mediaGets.some((g) => g.mediaId === 'MEDIA-GONE'));
  await until('shown on the channel', async () =>
    /40007/.test((await admin.get('/api/v1/channels/WX/status')).body.last_error || ''));
  const later = new Date(Date.now() + 6 * 60 * 60e3).toISOString();
  assert.equal((await admin.post('/api/v1/test/clock', { now: later })).status, 200);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(fake.mediaGets.filter((g) => g.mediaId === 'MEDIA-GONE').length, 1, 'not tried again');
  assert.equal((await attachmentsOf(m.id)).length, 0);
  assert.match(m.body, /MEDIA-GONE/);
});
