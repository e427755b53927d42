// Live chat: a visitor opens a chat without an account (waiting when someone is on shift,
// offline otherwise: a ticket either way), reaches only their own chat with its token, and talks
// with the agent who accepted it over two event streams: the visitor's and the staff's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';
import { openStream } from '../lib/sse.js';

let srv, admin, sup, li, wang;

// A visitor of a site with the chat widget: no account, the chat's token once opened.
class Visitor {
  constructor(base) { this.base = base; this.token = null; this.id = null; }

  async req(method, path, body, headers = {}) {
    const h = { ...headers };
    if (this.token) h.Authorization = 'Visitor ' + this.token;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const r = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, body: json, text, headers: r.headers };
  }

  async open(body, extra = {}) {
    const r = await this.req('POST', '/api/v1/chat/sessions', { channel: 'CHAT', body, ...extra });
    if (r.status === 201) { this.token = r.body.visitor_token; this.id = r.body.id; }
    return r;
  }

  say(body) { return this.req('POST', `/api/v1/chat/sessions/${this.id}/messages`, { body }); }
  get() { return this.req('GET', `/api/v1/chat/sessions/${this.id}`); }
  stream(opts = {}) {
    return openStream({ base: this.base }, {
      path: `/api/v1/chat/sessions/${this.id}/stream`, headers: { Authorization: 'Visitor ' + this.token }, ...opts,
    });
  }
}

async function user(username, role) {
  const r = await admin.post('/api/v1/users', { username, name: username.toUpperCase(), role, password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  return new Client(srv.base).login(username, 'password-123');
}

before(async () => {
  srv = await new Server({ env: { KEFU_PORTAL_IP_LIMIT: '1000' } }).start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  sup = await user('sup', 'supervisor');
  li = await user('li', 'agent');
  wang = await user('wang', 'agent');
});
after(() => srv.finish());

let onShift = false;
// Puts li on shift from now on in a department of her own.
async function shiftStarts() {
  if (onShift) return;
  const dept = await admin.post('/api/v1/departments', { code: 'chat', name: '在线客服组' });
  assert.equal(dept.status, 201, dept.text);
  let r = await admin.post(`/api/v1/departments/${dept.body.id}/members`, { user_id: li.user.id });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  const from = new Date(Date.now() - 60000).toISOString(), to = new Date(Date.now() + 8 * 3600000).toISOString();
  r = await sup.post('/api/v1/shifts', { user_id: li.user.id, department_id: dept.body.id, starts_at: from, ends_at: to });
  assert.equal(r.status, 201, r.text);
  onShift = true;
}

test('with nobody on shift a chat is offline, and its message a ticket all the same', async () => {
  const v = new Visitor(srv.base);
  const r = await v.open('你好,晚上有人吗?', { name: '小王', phone: '13700001234' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.state, 'offline');
  assert.match(r.body.visitor_token, /^[0-9a-f]{64}$/);
  const t = await admin.get(`/api/v1/tickets/${r.body.ticket.number}`);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.channel, 'CHAT');
  const m = await admin.get(`/api/v1/tickets/${r.body.ticket.number}/messages`);
  assert.deepEqual(m.body.items.map((x) => [x.kind, x.body]), [['customer', '你好,晚上有人吗?']]);
  assert.equal((await li.get('/api/v1/chats?state=waiting')).body.items.length, 0);
  // listed for the staff as a message left offline, to answer on its ticket
  const off = await li.get('/api/v1/chats?state=offline');
  assert.equal(off.status, 200, off.text);
  assert.deepEqual(off.body.items.map((c) => [c.id, c.state, c.ticket.number]), [[r.body.id, 'offline', r.body.ticket.number]]);
});

test('bad input is refused naming the field', async () => {
  const v = new Visitor(srv.base);
  let r = await v.open('');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'body');
  r = await v.req('POST', '/api/v1/chat/sessions', { channel: 'MAIL', body: 'x' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'channel');
  r = await li.get('/api/v1/chats?state=gone');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'state');
});

test('with someone on shift a chat waits, offered live on the staff stream', async () => {
  await shiftStarts();
  const staff = await openStream(li);
  await staff.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  const v = new Visitor(srv.base);
  const r = await v.open('我的订单还没发货');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.state, 'waiting');
  const offer = await staff.waitFor((ev) => ev.find((e) => e.event === 'chat.waiting' && e.data.payload.chat_id === v.id));
  assert.equal(offer.data.payload.message.body, '我的订单还没发货');
  assert.equal(offer.data.payload.visitor, '访客');
  staff.close();
  const list = await li.get('/api/v1/chats?state=waiting');
  assert.ok(list.body.items.some((c) => c.id === v.id && c.ticket.number === r.body.ticket.number));
});

test('a visitor token reaches only its own chat', async () => {
  await shiftStarts();
  const a = new Visitor(srv.base), b = new Visitor(srv.base);
  assert.equal((await a.open('甲的问题')).status, 201);
  assert.equal((await b.open('乙的问题')).status, 201);
  assert.equal((await a.get()).status, 200);
  // a's token on b's chat: nothing there
  const cross = new Visitor(srv.base);
  cross.token = a.token;
  cross.id = b.id;
  assert.equal((await cross.get()).status, 404);
  assert.equal((await cross.say('偷看')).status, 404);
  const s = await cross.stream();
  assert.equal(s.status, 404);
  // no token at all, or a staff session: no visitor
  const none = new Visitor(srv.base);
  none.id = a.id;
  assert.equal((await none.get()).status, 401);
  assert.equal((await li.get(`/api/v1/chat/sessions/${a.id}`)).status, 401);
  // and a visitor token is no staff credential
  const r = await fetch(srv.base + '/api/v1/chats', { headers: { Authorization: 'Visitor ' + a.token } });
  assert.equal(r.status, 401);
});

test('two agents accept at once: one wins, the other gets 409', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base);
  assert.equal((await v.open('抢单测试')).status, 201);
  const [x, y] = await Promise.all([li.post(`/api/v1/chats/${v.id}/accept`), wang.post(`/api/v1/chats/${v.id}/accept`)]);
  assert.deepEqual([x.status, y.status].sort(), [200, 409]);
  const loser = x.status === 409 ? x : y;
  assert.match(loser.body.error.message, /already taken/);
  const winner = x.status === 200 ? li : wang;
  const list = await li.get('/api/v1/chats?state=active');
  const c = list.body.items.find((i) => i.id === v.id);
  assert.equal(c.agent.name, winner.user.name);
  const t = await admin.get(`/api/v1/tickets/${c.ticket.number}`);
  assert.equal(t.body.assignee.id, winner.user.id);
});

test('they talk both ways live; notes never reach the visitor; closing ends it', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base);
  const opened = await v.open('耳机没声音', { name: '张三', email: 'zhang@example.com' });
  const tid = (await admin.get(`/api/v1/tickets/${opened.body.ticket.number}`)).body.id;
  const vs = await v.stream({ query: '' });
  assert.equal(vs.status, 200);
  assert.match(vs.headers['content-type'], /^text\/event-stream/);
  const staff = await openStream(li);
  await staff.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  assert.equal((await li.post(`/api/v1/chats/${v.id}/accept`)).status, 200);
  await vs.waitFor((ev) => ev.find((e) => e.event === 'accepted' && e.data.agent.name === 'LI'));
  let r = await li.post(`/api/v1/tickets/${tid}/messages`, { kind: 'note', body: '内部:疑似批次问题' });
  assert.equal(r.status, 201, r.text);
  r = await li.post(`/api/v1/tickets/${tid}/messages`, { kind: 'reply', body: '您好,请问是哪个型号?' });
  assert.equal(r.status, 201, r.text);
  const got = await vs.waitFor((ev) => ev.find((e) => e.event === 'message' && e.data.message.kind === 'reply'));
  assert.equal(got.data.message.body, '您好,请问是哪个型号?');
  assert.equal(got.data.message.author, 'LI');
  r = await v.say('K10 型号');
  assert.equal(r.status, 201, r.text);
  const heard = await staff.waitFor((ev) => ev.find((e) => e.event === 'chat.message' && e.data.payload.message.body === 'K10 型号'));
  assert.equal(heard.data.entity_id, tid);
  assert.equal(heard.data.payload.message.kind, 'customer');
  // the visitor's stream and transcript hold no note, and no staff event
  assert.ok(!vs.text.includes('内部'), 'a note reached the visitor');
  assert.ok(vs.events.every((e) => ['ready', 'message', 'accepted', 'closed'].includes(e.event)));
  const tr = await v.get();
  assert.deepEqual(tr.body.messages.map((m) => m.body), ['耳机没声音', '您好,请问是哪个型号?', 'K10 型号']);
  assert.equal(tr.body.state, 'active');
  r = await li.post(`/api/v1/chats/${v.id}/close`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'closed');
  await vs.waitFor((ev) => ev.find((e) => e.event === 'closed'));
  await staff.waitFor((ev) => ev.find((e) => e.event === 'chat.closed' && e.data.payload.chat_id === v.id));
  assert.equal((await li.post(`/api/v1/chats/${v.id}/close`)).status, 409);
  assert.equal((await v.say('还在吗')).status, 409);
  vs.close();
  staff.close();
});

test('a returning visitor resumes: the transcript, and the stream from Last-Event-ID', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base);
  await v.open('第一句');
  const first = await v.stream();
  const ready = await first.waitFor((ev) => ev.find((e) => e.event === 'ready'));
  first.close();
  // while away, the agent answers
  assert.equal((await wang.post(`/api/v1/chats/${v.id}/accept`)).status, 200);
  const number = (await v.get()).body.ticket.number;
  const tid = (await admin.get(`/api/v1/tickets/${number}`)).body.id;
  assert.equal((await wang.post(`/api/v1/tickets/${tid}/messages`, { kind: 'reply', body: '在的,请讲' })).status, 201);
  // back on the same browser: the stored token opens the chat and what was missed arrives
  const back = new Visitor(srv.base);
  back.token = v.token;
  back.id = v.id;
  const tr = await back.get();
  assert.equal(tr.status, 200);
  assert.deepEqual(tr.body.messages.map((m) => m.body), ['第一句', '在的,请讲']);
  const again = await openStream({ base: srv.base }, {
    path: `/api/v1/chat/sessions/${v.id}/stream`, query: `?visitor_token=${v.token}`, lastEventId: ready.id,
  });
  assert.equal(again.status, 200);
  const seen = await again.waitFor((ev) => ev.filter((e) => e.event === 'accepted' || e.event === 'message').length >= 2 && ev);
  assert.deepEqual(seen.filter((e) => e.event !== 'ready').map((e) => e.event), ['accepted', 'message']);
  again.close();
});

test('the visitor routes answer other sites (CORS), the staff routes do not', async () => {
  const pre = await fetch(srv.base + '/api/v1/chat/sessions', {
    method: 'OPTIONS', headers: { Origin: 'http://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
  const v = new Visitor(srv.base);
  const r = await v.open('跨域', {});
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const staff = await li.get('/api/v1/chats');
  assert.equal(staff.headers.get('access-control-allow-origin'), null);
});

test('opening chats is limited per client address: 429', async (t) => {
  const tight = await new Server({ env: { KEFU_PORTAL_IP_LIMIT: '3' } }).start();
  t.after(() => tight.finish());
  const v = new Visitor(tight.base);
  for (let i = 0; i < 3; i++) assert.equal((await v.open(`第${i}个`)).status, 201);
  const r = await v.open('第四个');
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

// A 1×1 PNG, and the bytes of other kinds of file.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
async function upload(v, bytes, type, filename = 'photo.png') {
  const r = await fetch(`${v.base}/api/v1/chat/sessions/${v.id}/attachments?filename=${encodeURIComponent(filename)}`, {
    method: 'POST', headers: { Authorization: 'Visitor ' + v.token, 'Content-Type': type }, body: bytes,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
const download = (v, id, token = v.token) => fetch(`${v.base}/api/v1/chat/sessions/${v.id}/attachments/${id}`, {
  headers: { Authorization: 'Visitor ' + token },
});

test('images both ways: the visitor sends one, the agent sees it; the agent sends one, the visitor gets it', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base);
  const opened = await v.open('耳机外壳裂了,我拍了照片');
  const tid = (await admin.get(`/api/v1/tickets/${opened.body.ticket.number}`)).body.id;
  assert.equal((await li.post(`/api/v1/chats/${v.id}/accept`)).status, 200);
  const vs = await v.stream();
  const staff = await openStream(li);
  await staff.waitFor((ev) => ev.find((e) => e.event === 'ready'));

  // visitor → agent: an image alone is a message
  let up = await upload(v, PNG, 'image/png', '裂缝.png');
  assert.equal(up.status, 201, JSON.stringify(up.body));
  assert.equal(up.body.content_type, 'image/png');
  let r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: '', attachments: [up.body.id] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.body, '[图片]');
  assert.deepEqual(r.body.attachments.map((a) => a.filename), ['裂缝.png']);
  const heard = await staff.waitFor((ev) => ev.find((e) => e.event === 'chat.message' && e.data.payload.message.attachments?.length));
  assert.equal(heard.data.payload.message.attachments[0].id, up.body.id);
  const m = await li.get(`/api/v1/tickets/${tid}/messages`);
  const withImage = m.body.items.find((x) => x.attachments.length);
  assert.equal(withImage.kind, 'customer');
  assert.equal(withImage.attachments[0].content_type, 'image/png');
  const staffGet = await li.get(`/api/v1/attachments/${up.body.id}`);
  assert.equal(staffGet.status, 200);
  // the same upload twice: in use already
  r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: '再发一次', attachments: [up.body.id] });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.field, 'attachments');

  // agent → visitor: a reply with an image, on the visitor's stream with its attachments
  const file = await fetch(`${srv.base}/api/v1/attachments?filename=guide.png`, {
    method: 'POST', headers: { Cookie: li.cookie, 'X-CSRF-Token': li.csrf, 'Content-Type': 'image/png' }, body: PNG,
  });
  assert.equal(file.status, 201);
  const staffFile = await file.json();
  r = await li.post(`/api/v1/tickets/${tid}/messages`, { kind: 'reply', body: '请按图示拆开', attachments: [staffFile.id] });
  assert.equal(r.status, 201, r.text);
  const got = await vs.waitFor((ev) => ev.find((e) => e.event === 'message' && e.data.message.kind === 'reply'));
  assert.deepEqual(got.data.message.attachments.map((a) => [a.id, a.filename, a.content_type]), [[staffFile.id, 'guide.png', 'image/png']]);
  const d = await download(v, staffFile.id);
  assert.equal(d.status, 200);
  assert.deepEqual(Buffer.from(await d.arrayBuffer()), PNG);
  assert.equal((await download(v, up.body.id)).status, 200, 'the visitor reads back its own image');
  const tr = await v.get();
  assert.deepEqual(tr.body.messages.map((x) => x.attachments.length), [0, 1, 1]);

  // a note's image never reaches the visitor, nor does another chat's
  const noteFile = await (await fetch(`${srv.base}/api/v1/attachments?filename=internal.png`, {
    method: 'POST', headers: { Cookie: li.cookie, 'X-CSRF-Token': li.csrf, 'Content-Type': 'image/png' }, body: PNG,
  })).json();
  r = await li.post(`/api/v1/tickets/${tid}/messages`, { kind: 'note', body: '内部图', attachments: [noteFile.id] });
  assert.equal(r.status, 201, r.text);
  assert.equal((await download(v, noteFile.id)).status, 404);
  const other = new Visitor(srv.base);
  await other.open('别人的会话');
  const ou = await upload(other, PNG, 'image/png');
  assert.equal(ou.status, 201);
  assert.equal((await download(v, ou.body.id)).status, 404, 'another chat\'s upload');
  r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: '偷用', attachments: [ou.body.id] });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'attachments');
  const cross = { base: v.base, id: v.id };
  assert.equal((await download(cross, staffFile.id, other.token)).status, 404);
  vs.close();
  staff.close();
});

test('a chat takes images only, of limited size, each clearly refused', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base);
  await v.open('图片限制');
  let r = await upload(v, Buffer.from('hello'), 'text/plain', 'a.txt');
  assert.equal(r.status, 415);
  assert.equal(r.body.error.field, 'content_type');
  r = await upload(v, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml', 'x.svg');
  assert.equal(r.status, 415);
  r = await upload(v, Buffer.from('not really a png, just text'), 'image/png', 'fake.png');
  assert.equal(r.status, 415, 'the bytes must be the type they claim');
  r = await upload(v, Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]), 'image/png', 'big.png');
  assert.equal(r.status, 413);
  assert.match(r.body.error.message, /an image may have at most 5120 KiB/);
  r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: 'x', attachments: [1, 2, 3, 4, 5, 6] });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'attachments');
  r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: 'x', attachments: 'no' });
  assert.equal(r.status, 422);
  r = await v.req('POST', `/api/v1/chat/sessions/${v.id}/messages`, { body: '', attachments: [] });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'body');
  const none = { base: v.base, id: v.id, token: 'f'.repeat(64) };
  assert.equal((await upload(none, PNG, 'image/png')).status, 404);
});

test('a chat that sends too fast is told to wait (429), other chats are not', async () => {
  await shiftStarts();
  const v = new Visitor(srv.base), w = new Visitor(srv.base);
  await v.open('刷屏测试');
  await w.open('正常访客');
  let last;
  for (let i = 0; i < 31; i++) last = await v.say(`第 ${i} 条`);
  assert.equal(last.status, 429, last.text);
  assert.ok(Number(last.headers.get('retry-after')) >= 1);
  assert.equal((await upload(v, PNG, 'image/png')).status, 429);
  assert.equal((await w.say('我还能说话')).status, 201);
});
