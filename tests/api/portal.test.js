// The customer portal: the public request form and uploads, sign-in with a one-time code mailed
// to the customer, and a customer's own tickets: the public conversation, replies and confirming
// the result. The sign-in code is read from the SMTP sink the test starts (tests/lib/smtp_sink.js).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../lib/receiver.js';
import { ADMIN, Client, Server } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';

let srv, admin, sink;
before(async () => {
  // a client address limit above what this suite sends from 127.0.0.1 (one test has its own)
  srv = await new Server({ env: { KEFU_PORTAL_IP_LIMIT: '1000' } }).start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  sink = await smtpSink().start();
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail',
    settings: { smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none', from: '客服中心 <service@kefu.example.com>' },
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await srv.finish();
  await sink.stop();
  sink.cleanup();
});

// The sign-in mails the sink has taken for address, oldest first.
const codeMails = (address) => sink.mails()
  .filter((m) => m.rcpt_tos.includes(address) && /验证码/.test(m.headers.subject?.[0] || ''));

// A visitor of the portal: no staff account, the portal's cookie once signed in.
class Visitor {
  constructor(base) {
    this.base = base;
    this.cookie = null;
  }

  async req(method, path, body, { headers = {}, raw } = {}) {
    const h = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    let payload = raw;
    if (raw === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      h['Content-Type'] ??= 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, body: json, text, headers: r.headers };
  }

  get(p) { return this.req('GET', p); }
  post(p, b, o) { return this.req('POST', p, b, o); }
}

const visitor = () => new Visitor(srv.base);
let seq = 0;
const unique = (name) => `${name}.${process.pid}.${++seq}@example.com`;

async function submit(v, fields) {
  return v.post('/api/v1/portal/tickets', {
    type: 'fault', subject: '洗衣机不转', description: '开机没有反应,显示E3', name: '王五', ...fields,
  });
}

async function upload(v, name, data = 'a photo of the fault') {
  return v.req('POST', `/api/v1/portal/attachments?filename=${encodeURIComponent(name)}`, undefined,
    { raw: Buffer.from(data), headers: { 'Content-Type': 'image/jpeg' } });
}

const staffTicket = async (number) => (await admin.get(`/api/v1/tickets/${number}?unmask=1`)).body;
const history = async (number) => (await admin.get(`/api/v1/tickets/${number}/history`)).body.items;

// ---- the public form ----

test('the form makes a WEB ticket at once, with its number, triaged and clocked like any', async () => {
  const rule = await admin.post('/api/v1/priority-rules', {
    name: '漏水加急', position: 1, enabled: true, stop: true,
    conditions: { keywords: ['漏水'] }, actions: { priority: 'urgent' },
  });
  assert.equal(rule.status, 201, rule.text);
  const email = unique('wang');
  const r = await submit(visitor(), { subject: '热水器漏水', email: email.toUpperCase() });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(Object.keys(r.body).sort(), ['number', 'status']);
  assert.match(r.body.number, /^WEB-\d{8}-\d{3}$/);
  assert.equal(r.body.status, 'new');

  const t = await staffTicket(r.body.number);
  assert.equal(t.channel, 'WEB');
  assert.equal(t.type, 'fault');
  assert.equal(t.subject, '热水器漏水');
  assert.equal(t.customer.email, email, 'the address is stored lower-cased');
  assert.equal(t.customer.name, '王五');
  assert.equal(t.priority, 'urgent', 'the priority rules ran');
  assert.ok(t.due.accept_by && t.due.resolve_by, 'the SLA clocks run');
  assert.ok((await history(t.number)).some((h) => h.action === 'rule_applied'));
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].kind, 'customer');
  assert.equal(msgs[0].body, '开机没有反应,显示E3');
  assert.deepEqual(msgs[0].author, { kind: 'customer', id: t.customer.id, name: '王五' });

  // the same address again is the same customer; a phone works as well as an address
  const again = await submit(visitor(), { email });
  assert.equal(again.status, 201, again.text);
  assert.equal((await staffTicket(again.body.number)).customer.id, t.customer.id);
  const byPhone = await submit(visitor(), { phone: '139 0000 1234' });
  assert.equal(byPhone.status, 201, byPhone.text);
  assert.equal((await staffTicket(byPhone.body.number)).customer.phone, '13900001234');
});

test('the form names what is wrong: no contact, an unknown type, no description', async () => {
  const v = visitor();
  const cases = [
    [{ email: undefined }, 'email'],
    [{ email: 'not-an-address' }, 'email'],
    [{ email: unique('x'), type: 'praise' }, 'type'],
    [{ email: unique('x'), description: '' }, 'description'],
    [{ email: unique('x'), subject: null }, 'subject'],
    [{ email: unique('x'), name: '' }, 'name'],
    [{ email: unique('x'), attachments: ['no-such-token'] }, 'attachments'],
  ];
  for (const [fields, field] of cases) {
    const r = await submit(v, fields);
    assert.equal(r.status, 422, `${JSON.stringify(fields)} → ${r.status} ${r.text}`);
    assert.equal(r.body.error.field, field);
  }
  const types = await v.get('/api/v1/portal/types');
  assert.equal(types.status, 200);
  assert.deepEqual(types.body.items.map((x) => x.code),
    ['inquiry', 'problem', 'fault', 'complaint', 'suggestion', 'special']);
});

test('files sent with the form reach the ticket; a token claims its file once', async () => {
  const v = visitor();
  const up = await upload(v, '故障照片.jpg');
  assert.equal(up.status, 201, up.text);
  assert.match(up.body.token, /^[0-9a-f]{64}$/);
  assert.equal(up.body.filename, '故障照片.jpg');
  const r = await submit(v, { email: unique('files'), attachments: [up.body.token] });
  assert.equal(r.status, 201, r.text);
  const t = await staffTicket(r.body.number);
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.deepEqual(msgs[0].attachments.map((a) => a.filename), ['故障照片.jpg']);
  const file = await admin.get(`/api/v1/attachments/${msgs[0].attachments[0].id}`);
  assert.equal(file.text, 'a photo of the fault');
  assert.match(file.headers.get('content-disposition'), /^attachment;/);
  // used once: the same token again, or an empty file, is refused
  const twice = await submit(v, { email: unique('files'), attachments: [up.body.token] });
  assert.equal(twice.status, 422);
  assert.equal(twice.body.error.field, 'attachments');
  assert.equal((await upload(v, 'empty.jpg', '')).status, 422);
  // a staff member cannot claim a portal upload as their own
  const other = await upload(v, 'x.jpg');
  const staff = await admin.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '借用', customer: { name: '赵', phone: '13700001111' },
    attachments: [other.body.id],
  });
  assert.equal(staff.status, 422);
});

test('an upload over the size limit is refused with 413', async (t) => {
  const small = await new Server({ env: { KEFU_MAX_ATTACHMENT_MB: '1' } }).start();
  t.after(() => small.finish());
  const v = new Visitor(small.base);
  const r = await upload(v, 'big.jpg', 'x'.repeat(1024 * 1024 + 1));
  assert.equal(r.status, 413);
});

test('the form is limited per address: the sixth request within 15 minutes is 429', async () => {
  const email = unique('flood');
  for (let i = 0; i < 5; i++) assert.equal((await submit(visitor(), { email })).status, 201);
  const r = await submit(visitor(), { email });
  assert.equal(r.status, 429);
  assert.equal(r.body.error.code, 'too_many_requests');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  // another address is not held up
  assert.equal((await submit(visitor(), { email: unique('calm') })).status, 201);
});

test('the form, code requests and sign-ins are limited per client address', async (t) => {
  const tight = await new Server({ env: { KEFU_PORTAL_IP_LIMIT: '3' } }).start();
  t.after(() => tight.finish());
  const v = new Visitor(tight.base);
  const form = (email) => v.post('/api/v1/portal/tickets', {
    type: 'inquiry', subject: '问一下', description: '保修多久', name: '客人', email,
  });
  for (let i = 0; i < 3; i++) assert.equal((await form(unique('ip'))).status, 201);
  const r = await form(unique('ip'));
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  for (let i = 0; i < 3; i++) assert.equal((await v.post('/api/v1/portal/login', { email: unique('ip') })).status, 202);
  assert.equal((await v.post('/api/v1/portal/login', { email: unique('ip') })).status, 429);
  for (let i = 0; i < 3; i++) {
    assert.equal((await v.post('/api/v1/portal/verify', { email: unique('ip'), code: '000000' })).status, 401);
  }
  assert.equal((await v.post('/api/v1/portal/verify', { email: unique('ip'), code: '000000' })).status, 429);
});

// ---- asking for a code ----

test('asking for a code answers 202 whether or not the address is known', async () => {
  const known = unique('known');
  assert.equal((await submit(visitor(), { email: known })).status, 201);
  const before = srv.log.length;
  const a = await visitor().post('/api/v1/portal/login', { email: known });
  const b = await visitor().post('/api/v1/portal/login', { email: unique('stranger') });
  assert.equal(a.status, 202);
  assert.equal(b.status, 202);
  assert.deepEqual(a.body, b.body, 'the same answer either way');
  assert.equal(a.body.expires_in, 600);
  const [mail] = await until('the code mail', () => codeMails(known).length && codeMails(known));
  assert.match(mail.text, /\b\d{6}\b/);
  assert.match(mail.headers.subject[0], /验证码/);
  assert.ok(!sink.mails().some((m) => m.rcpt_tos.some((x) => x.includes('stranger'))),
    'nothing is mailed to an unknown address');
  assert.doesNotMatch(srv.log.slice(before), /no mail channel can send/);
  const bad = await visitor().post('/api/v1/portal/login', { email: 'nobody' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'email');
});

test('without a mail channel that can send, a code request still answers 202 and the server says so', async (t) => {
  const bare = await new Server().start();
  t.after(() => bare.finish());
  const v = new Visitor(bare.base);
  const form = await v.post('/api/v1/portal/tickets', {
    type: 'inquiry', subject: '问一下', description: '保修多久', name: '客人', email: 'bare@example.com',
  });
  assert.equal(form.status, 201, form.text);
  const r = await v.post('/api/v1/portal/login', { email: 'bare@example.com' });
  assert.equal(r.status, 202);
  assert.deepEqual(r.body, { expires_in: 600 });
  await until('the log line', () => /no mail channel can send the sign-in code/.test(bare.log));
});

test('code requests are limited per address', async () => {
  const email = unique('asker');
  for (let i = 0; i < 5; i++) assert.equal((await visitor().post('/api/v1/portal/login', { email })).status, 202);
  const r = await visitor().post('/api/v1/portal/login', { email });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

test('wrong codes are refused and, past ten for an address, limited', async () => {
  const email = unique('guesser');
  assert.equal((await submit(visitor(), { email })).status, 201);
  assert.equal((await visitor().post('/api/v1/portal/login', { email })).status, 202);
  for (let i = 0; i < 10; i++) {
    const r = await visitor().post('/api/v1/portal/verify', { email, code: String(100000 + i) });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.error.code, 'invalid_code');
    assert.equal(r.headers.get('set-cookie'), null);
  }
  const r = await visitor().post('/api/v1/portal/verify', { email, code: '123456' });
  assert.equal(r.status, 429);
  const malformed = await visitor().post('/api/v1/portal/verify', { email: unique('m'), code: '12ab56' });
  assert.equal(malformed.status, 422);
  assert.equal(malformed.body.error.field, 'code');
});

// ---- the portal's cookie and the staff's credentials never cross ----

test('a staff session or token opens no portal route, and a made-up portal cookie neither', async () => {
  const tok = (await admin.post('/api/v1/tokens', { name: 'portal-probe' })).body.token;
  const bearer = new Client(srv.base);
  bearer.token = tok;
  for (const c of [admin, bearer]) {
    for (const path of ['/api/v1/portal/tickets', '/api/v1/portal/me']) {
      const r = await c.get(path);
      assert.equal(r.status, 401, `${path} → ${r.status}`);
    }
    assert.equal((await c.post('/api/v1/portal/logout', {})).status, 401);
  }
  const forged = visitor();
  forged.cookie = 'kefu_portal=' + 'a'.repeat(64);
  assert.equal((await forged.get('/api/v1/portal/tickets')).status, 401);
});

// ---- signed in (the code from the mail) ----

// The code of the newest sign-in mail to email that no test has used yet.
const usedMails = new Set();
async function mailedCode(email) {
  const mail = await until(`a code mailed to ${email}`,
    () => codeMails(email).filter((m) => !usedMails.has(m.file)).at(-1));
  usedMails.add(mail.file);
  return /\b(\d{6})\b/.exec(mail.text)[1];
}

async function signIn(email) {
  const v = visitor();
  assert.equal((await v.post('/api/v1/portal/login', { email })).status, 202);
  const code = await mailedCode(email);
  const r = await v.post('/api/v1/portal/verify', { email, code });
  assert.equal(r.status, 200, r.text);
  v.cookie = r.headers.get('set-cookie').split(';')[0];
  v.setCookie = r.headers.get('set-cookie');
  v.code = code;
  return v;
}

// A ticket of email's customer that staff have answered and put to wait for the customer; a note
// and a reply on it.
async function answered(email) {
  const r = await submit(visitor(), { email, subject: '冰箱不制冷' });
  assert.equal(r.status, 201, r.text);
  const t = await staffTicket(r.body.number);
  const note = await admin.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: '内部:客户可能是职业索赔' });
  assert.equal(note.status, 201, note.text);
  const reply = await admin.post(`/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '您好,请问冰箱型号是?' });
  assert.equal(reply.status, 201, reply.text);
  for (const change of [
    { status: 'accepted', assignee_id: admin.user.id, remarks: '内部备注:优先安抚' },
    { status: 'waiting_customer' },
  ]) {
    const p = await admin.patch(`/api/v1/tickets/${t.id}`, change);
    assert.equal(p.status, 200, p.text);
  }
  return r.body.number;
}

test('the code signs in once, with an HttpOnly SameSite portal cookie', async () => {
  const email = unique('signin');
  assert.equal((await submit(visitor(), { email })).status, 201);
  const v = await signIn(email);
  assert.match(v.setCookie, /^kefu_portal=[0-9a-f]{64}; /);
  assert.match(v.setCookie, /; HttpOnly/);
  assert.match(v.setCookie, /; SameSite=Strict/);
  assert.match(v.setCookie, /; Path=\/api\/v1\/portal(;|$)/);
  assert.match(v.setCookie, /; Max-Age=604800/);
  assert.equal((await v.get('/api/v1/portal/me')).body.customer.email, email);
  // the same code again does not sign in
  const again = await visitor().post('/api/v1/portal/verify', { email, code: v.code });
  assert.equal(again.status, 401);
  // the portal cookie is no staff credential
  for (const path of ['/api/v1/me', '/api/v1/tickets']) assert.equal((await v.get(path)).status, 401);
  // signing out ends the session
  assert.equal((await v.post('/api/v1/portal/logout', {})).status, 204);
  assert.equal((await v.get('/api/v1/portal/me')).status, 401);
});

test('a code expires after 10 minutes', async () => {
  const email = unique('late');
  assert.equal((await submit(visitor(), { email })).status, 201);
  assert.equal((await visitor().post('/api/v1/portal/login', { email })).status, 202);
  const code = await mailedCode(email);
  const clock = await admin.post('/api/v1/test/clock', { now: new Date(Date.now() + 10 * 60e3 + 5e3).toISOString() });
  assert.equal(clock.status, 200, clock.text);
  try {
    assert.equal((await visitor().post('/api/v1/portal/verify', { email, code })).status, 401);
  } finally {
    await admin.post('/api/v1/test/clock', { now: new Date().toISOString() });
  }
});

test('five wrong codes end the code: the right one then fails', async () => {
  const email = unique('five');
  assert.equal((await submit(visitor(), { email })).status, 201);
  assert.equal((await visitor().post('/api/v1/portal/login', { email })).status, 202);
  const code = await mailedCode(email);
  const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
  for (let i = 0; i < 5; i++) assert.equal((await visitor().post('/api/v1/portal/verify', { email, code: wrong })).status, 401);
  assert.equal((await visitor().post('/api/v1/portal/verify', { email, code })).status, 401);
  // four wrong ones leave a code alive (another address: this one has used most of its tries)
  const other = unique('four');
  assert.equal((await submit(visitor(), { email: other })).status, 201);
  assert.equal((await visitor().post('/api/v1/portal/login', { email: other })).status, 202);
  const fresh = await mailedCode(other);
  const off = String((Number(fresh) + 1) % 1000000).padStart(6, '0');
  for (let i = 0; i < 4; i++) await visitor().post('/api/v1/portal/verify', { email: other, code: off });
  assert.equal((await visitor().post('/api/v1/portal/verify', { email: other, code: fresh })).status, 200);
});

test('a customer sees their tickets with the public conversation only', async () => {
  const email = unique('reader');
  const number = await answered(email);
  const v = await signIn(email);
  const list = await v.get('/api/v1/portal/tickets');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((x) => x.number), [number]);
  const t = await v.get(`/api/v1/portal/tickets/${number}`);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.status, 'waiting_customer');
  assert.equal(t.body.can_confirm, true);
  assert.deepEqual(t.body.messages.map((m) => m.kind), ['customer', 'reply']);
  assert.deepEqual(t.body.messages[1].author, { kind: 'user', name: '管理员' });
  assert.deepEqual(t.body.assignee, { name: '管理员' });
  assert.equal(t.body.customer.email, email, 'their own contact, unmasked');
  assert.doesNotMatch(t.text, /职业索赔|内部备注/, 'no note, no remarks');
  for (const key of ['remarks', 'priority', 'labels', 'id', 'due', 'sla', 'mood']) assert.ok(!(key in t.body), key);
  for (const key of ['delivery', 'has_html']) assert.ok(!(key in t.body.messages[1]), key);
});

test("another customer's ticket answers 404", async () => {
  const mine = await answered(unique('owner'));
  const email = unique('nosy');
  assert.equal((await submit(visitor(), { email })).status, 201);
  const v = await signIn(email);
  assert.equal((await v.get(`/api/v1/portal/tickets/${mine}`)).status, 404);
  assert.equal((await v.post(`/api/v1/portal/tickets/${mine}/messages`, { body: 'hi' })).status, 404);
  assert.equal((await v.post(`/api/v1/portal/tickets/${mine}/confirm`, { accepted: true })).status, 404);
  const id = (await staffTicket(mine)).id;
  assert.equal((await v.get(`/api/v1/portal/tickets/${id}`)).status, 404);
  assert.ok(!(await v.get('/api/v1/portal/tickets')).body.items.some((x) => x.number === mine));
});

test('a reply with a file moves a waiting ticket back to work', async () => {
  const email = unique('replier');
  const number = await answered(email);
  const v = await signIn(email);
  const up = await upload(v, '铭牌.jpg');
  const r = await v.post(`/api/v1/portal/tickets/${number}/messages`, { body: '型号BCD-520', attachments: [up.body.token] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status, 'in_progress');
  const last = r.body.messages.at(-1);
  assert.equal(last.body, '型号BCD-520');
  assert.deepEqual(last.author, { kind: 'customer', name: '王五' });
  assert.deepEqual(last.attachments.map((a) => a.filename), ['铭牌.jpg']);
  const file = await v.get(`/api/v1/portal/attachments/${last.attachments[0].id}`);
  assert.equal(file.status, 200);
  assert.equal(file.text, 'a photo of the fault');
  assert.equal((await staffTicket(number)).status, 'in_progress');
  assert.ok((await history(number)).some((h) => h.action === 'reopened_by_customer'));
  assert.equal((await v.post(`/api/v1/portal/tickets/${number}/messages`, { body: '' })).status, 422);
});

test('confirming resolves; disputing sends the ticket back to work with history', async () => {
  const email = unique('judge');
  const number = await answered(email);
  const v = await signIn(email);
  const ok = await v.post(`/api/v1/portal/tickets/${number}/confirm`, { accepted: true, comment: '谢谢' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status, 'resolved');
  const confirmed = (await history(number)).find((h) => h.action === 'confirmed');
  assert.deepEqual(confirmed.detail, { from: 'waiting_customer', comment: '谢谢' });

  const no = await v.post(`/api/v1/portal/tickets/${number}/confirm`, { accepted: false, comment: '还是不制冷' });
  assert.equal(no.status, 200, no.text);
  assert.equal(no.body.status, 'in_progress');
  assert.equal(no.body.messages.at(-1).body, '还是不制冷');
  const disputed = (await history(number)).find((h) => h.action === 'disputed');
  assert.deepEqual(disputed.detail, { from: 'resolved', comment: '还是不制冷' });
  assert.equal((await staffTicket(number)).status, 'in_progress');

  // in progress there is nothing to confirm
  const early = await v.post(`/api/v1/portal/tickets/${number}/confirm`, { accepted: true });
  assert.equal(early.status, 409);
  assert.equal((await v.post(`/api/v1/portal/tickets/${number}/confirm`, {})).status, 422);
});

test('with ticket numbers of digits only, a customer still reads and answers their ticket', async () => {
  const format = (await admin.get('/api/v1/settings')).body.ticket_number_format;
  assert.equal((await admin.patch('/api/v1/settings', { ticket_number_format: '{YYYYMMDD}{serial:3}' })).status, 200);
  try {
    const email = unique('digits');
    const r = await submit(visitor(), { email });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.number, /^\d{11}$/);
    const t = (await admin.get('/api/v1/tickets?channel=WEB&sort=-created&limit=1')).body.items[0];
    assert.equal(t.number, r.body.number);
    for (const status of ['accepted', 'waiting_customer']) {
      assert.equal((await admin.patch(`/api/v1/tickets/${t.id}`, { status })).status, 200);
    }
    const v = await signIn(email);
    const mine = await v.get(`/api/v1/portal/tickets/${r.body.number}`);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.number, r.body.number);
    const reply = await v.post(`/api/v1/portal/tickets/${r.body.number}/messages`, { body: '补充一句' });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.status, 'in_progress');
    // the ticket's id is no number of theirs
    assert.equal((await v.get(`/api/v1/portal/tickets/${t.id}`)).status, 404);
  } finally {
    await admin.patch('/api/v1/settings', { ticket_number_format: format });
  }
});
