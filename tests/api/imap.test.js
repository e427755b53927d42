// Mailboxes polled over IMAP: a real Dovecot on 127.0.0.1 holds the mail, `kefu serve` takes
// it in (IDLE brings new mail within seconds), marks it taken only once it is stored, and shows
// each mailbox's health.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, ADMIN, ROOT, Server, freePort } from '../lib/server.js';
import { Dovecot } from '../lib/dovecot.js';
import { startSmtpLogin } from '../lib/smtp_login.js';

const CORPUS = join(ROOT, 'tests/fixtures/mail');
const USERS = { kefu: 'imap-password-1', ts: 'imap-password-2', late: 'imap-password-3' };
let dove, smtp, srv, admin;

before(async () => {
  dove = await new Dovecot(USERS).start();
  smtp = await startSmtpLogin('sender@kefu.example.com', 'smtp-password-1');
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  // poll_seconds is long: what comes within seconds comes by IDLE
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail',
    settings: { imap_url: dove.url(), imap_user: 'kefu', imap_password: USERS.kefu, poll_seconds: 600 },
  });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await srv?.finish();
  await dove?.stop();
  await smtp?.stop();
});

async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what + '\n' + srv.log);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tickets(channel = 'MAIL') {
  const r = await admin.get(`/api/v1/tickets?channel=${channel}&limit=200`);
  assert.equal(r.status, 200);
  return r.body.items;
}

const fixture = (f) => readFileSync(join(CORPUS, f));
const taken = (flags) => flags.includes('$KefuTaken') && flags.includes('\\Seen');

function mail({ id, subject, from = 'li.lei@example.org', body = '你好' }) {
  return [`From: ${from}`, 'To: service@kefu.example.com', `Subject: ${subject}`, `Message-ID: <${id}>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

let first;

test('a mail in the mailbox becomes a ticket within seconds (IDLE) and is marked taken', async () => {
  // the session is open and idling before the mail arrives
  await until('the first round', async () => (await admin.get('/api/v1/channels/MAIL/status')).body.last_success_at);
  const t0 = Date.now();
  dove.deliver(fixture('outlook-gbk.eml'));
  const [t] = await until('the ticket', async () => { const x = await tickets(); return x.length ? x : null; });
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  first = (await admin.get(`/api/v1/tickets/${t.id}?unmask=1`)).body;
  assert.equal(first.subject, '空调漏水报修（陶喆）');
  assert.match(first.description, /我家的空调漏水了，型号KFR-35GW/);
  assert.equal(first.customer.email, 'wang.kun@example.com');
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs[0].attachments[0].filename, '漏水照片.jpg');
  const flags = await until('the flag', async () => { const f = await dove.flags('kefu'); return taken(f[1] || []) && f; });
  assert.deepEqual(Object.keys(flags), ['1']);
  const s = (await admin.get('/api/v1/channels/MAIL/status')).body;
  assert.equal(s.ok, true);
  assert.equal(s.last_error, null);
});

test('the next round takes only what is new: a reply joins the ticket, no second ticket', async () => {
  dove.deliver(fixture('reply-thread.eml'));
  await until('the reply', async () => (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items.length === 2);
  dove.deliver(mail({ id: 'nudge-1@example.org', subject: '另一个问题' }));
  await until('the third mail', async () => (await tickets()).length === 2);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 2, 'the first mail was not taken twice');
  assert.match(msgs[1].body, /师傅明天下午两点可以上门吗/);
  const flags = await dove.flags('kefu');
  assert.ok(Object.values(flags).every(taken), JSON.stringify(flags));
});

test('the corpus read through IMAP reads right; auto-replies and bounces make no ticket', async () => {
  const before = (await tickets()).length;
  const files = ['foxmail-gb18030.eml', 'big5.eml', 'qqmail-inline.eml', 'iphone-flowed.eml',
    'raw-8bit-header.eml', 'auto-reply-oof.eml', 'auto-reply-zh.eml', 'dsn-bounce.eml', 'newsletter-html.eml'];
  for (const f of files) dove.deliver(fixture(f));
  const want = ['冰箱还没送到', '冷氣漏水', '发票抬头错了', '吸尘器开不了机', '退货申请'];
  const items = await until('the corpus', async () => {
    const x = await tickets();
    return want.every((s) => x.some((t) => t.subject === s)) && x;
  });
  const flags = await until('every mail marked', async () => {
    const f = await dove.flags('kefu');
    return Object.keys(f).length === 3 + files.length && Object.values(f).every(taken) && f;
  });
  assert.ok(flags);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await tickets()).length, before + want.length, 'the ignored mails made no ticket');
  const qq = items.find((t) => t.subject === '发票抬头错了');
  const msgs = (await admin.get(`/api/v1/tickets/${qq.id}/messages`)).body.items;
  assert.equal(msgs[0].attachments[0].filename, '截图.png');
});

test('an unreadable mail is kept under mail-rejected, marked taken, and shown on the channel', async () => {
  dove.deliver('this is not a mail at all\n');
  const dir = join(srv.dataDir, 'mail-rejected');
  await until('the rejected file', async () => { try { return readdirSync(dir).length === 1; } catch { return false; } });
  // as the server handed it over (Dovecot stores lines with CRLF)
  assert.equal(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'), 'this is not a mail at all\r\n');
  const s = await until('the error', async () => { const x = (await admin.get('/api/v1/channels/MAIL/status')).body; return x.last_error && x; });
  assert.match(s.last_error, /could not be read/);
  const flags = await until('the flag', async () => Object.values(await dove.flags('kefu')).every(taken));
  assert.ok(flags, 'it is not fetched again and again');
});

test('a restart with mail stored but not yet marked makes no duplicate, and marks it', async () => {
  const count = (await tickets()).length;
  const stopped = await srv.stop();
  assert.equal(stopped.code, 0, 'the poller stops with the server: ' + srv.log);
  // as if the server had died between the commit and the STORE
  const s = await dove.session('kefu');
  await s.cmd('SELECT INBOX');
  await s.cmd('UID STORE 1:* -FLAGS.SILENT ($KefuTaken \\Seen)');
  await s.close();
  assert.ok(Object.values(await dove.flags('kefu')).every((f) => !taken(f)));
  await srv.start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  await until('every mail marked again', async () => Object.values(await dove.flags('kefu')).every(taken));
  assert.equal((await tickets()).length, count);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 2);
  assert.equal(readdirSync(join(srv.dataDir, 'mail-rejected')).length, 2,
    'the unreadable mail is kept again (it is not in the database to be recognised)');
});

test('a channel added through the API while the server runs is polled', async () => {
  const r = await admin.post('/api/v1/channels', {
    code: 'TS', kind: 'mail', name: '投诉邮箱',
    settings: { imap_url: dove.url(), imap_user: 'ts', imap_password: USERS.ts, poll_seconds: 600 },
  });
  assert.equal(r.status, 201, r.text);
  dove.deliver(mail({ id: 'ts-1@example.org', subject: '送货太慢了', from: 'angry@example.org' }), 'ts');
  const [t] = await until('the TS ticket', async () => { const x = await tickets('TS'); return x.length && x; });
  assert.equal(t.subject, '送货太慢了');
  assert.match(t.number, /^TS-/);
  assert.ok(taken((await dove.flags('ts'))[1]));
});

test('a done folder: the mail is moved there once taken', async () => {
  const s = await dove.session('late');
  await s.cmd('CREATE Kefu');
  await s.close();
  let r = await admin.post('/api/v1/channels', {
    code: 'LATE', kind: 'mail', name: '售后邮箱',
    settings: { imap_url: dove.url(), imap_user: 'late', imap_password: USERS.late, poll_seconds: 600, imap_done_folder: 'Kefu' },
  });
  assert.equal(r.status, 201, r.text);
  dove.deliver(mail({ id: 'late-1@example.org', subject: '退款进度', from: 'refund@example.org' }), 'late');
  await until('the LATE ticket', async () => (await tickets('LATE')).length === 1);
  await until('the move', async () => Object.keys(await dove.flags('late')).length === 0);
  const k = await dove.session('late');
  const st = await k.cmd('STATUS Kefu (MESSAGES)');
  await k.close();
  assert.match(st, /MESSAGES 1/);
});

test('the test endpoint logs in to the mailbox and the SMTP server', async () => {
  let r = await admin.patch('/api/v1/channels/MAIL', {
    settings: { smtp_url: smtp.url, smtp_tls: 'none', smtp_user: 'sender@kefu.example.com', smtp_password: 'smtp-password-1' },
  });
  assert.equal(r.status, 200, r.text);
  r = await admin.post('/api/v1/channels/MAIL/test');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { imap: { ok: true, error: null }, smtp: { ok: true, error: null } });
  // a wrong SMTP password (an SMTP failure, no IMAP one: Dovecot's penalty is for the last test)
  r = await admin.patch('/api/v1/channels/MAIL', { settings: { smtp_password: 'wrong' } });
  assert.equal(r.status, 200, r.text);
  r = await admin.post('/api/v1/channels/MAIL/test');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.imap.ok, true);
  assert.equal(r.body.smtp.ok, false);
  assert.match(r.body.smtp.error, /login failed/);
  const s = (await admin.get('/api/v1/channels/MAIL/status')).body;
  assert.match(s.last_error, /^SMTP: login failed/, 'the test is recorded as the channel\'s health');
  // STARTTLS asked for, and the server has none
  r = await admin.patch('/api/v1/channels/MAIL', { settings: { smtp_tls: 'starttls' } });
  r = await admin.post('/api/v1/channels/MAIL/test');
  assert.match(r.body.smtp.error, /STARTTLS/);
  // nobody listening
  const closed = await freePort();
  r = await admin.patch('/api/v1/channels/MAIL', { settings: { smtp_url: `smtp://127.0.0.1:${closed}` } });
  r = await admin.post('/api/v1/channels/MAIL/test');
  assert.match(r.body.smtp.error, /connection refused/);
  // not a mail channel; not an admin
  r = await admin.post('/api/v1/channels/TEL/test');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'kind');
  assert.equal((await admin.post('/api/v1/channels/NOPE/test')).status, 404);
  const u = await admin.post('/api/v1/users', { username: 'sup1', name: '主管', role: 'supervisor', password: 'super-password-1' });
  assert.equal(u.status, 201, u.text);
  const sup = await new Client(srv.base).login('sup1', 'super-password-1');
  assert.equal((await sup.post('/api/v1/channels/MAIL/test')).status, 403);
  r = await admin.patch('/api/v1/channels/MAIL', { settings: { smtp_url: null, smtp_user: null, smtp_password: null } });
  assert.equal(r.status, 200, r.text);
});

test('the test endpoint with a wrong IMAP password says the login failed', async () => {
  const r = await admin.post('/api/v1/channels', {
    code: 'BADPW', kind: 'mail', name: '错密码',
    settings: { imap_url: dove.url(), imap_user: 'late', imap_password: 'wrong-password', poll_seconds: 600 },
  });
  assert.equal(r.status, 201, r.text);
  // the poller tries it too: both logins fail
  const t = await admin.post('/api/v1/channels/BADPW/test');
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.imap.ok, false);
  assert.match(t.body.imap.error, /login failed/);
  assert.equal(t.body.smtp.ok, false);
  assert.match(t.body.smtp.error, /no SMTP address/);
  const s = (await admin.get('/api/v1/channels/BADPW/status')).body;
  assert.equal(s.ok, false);
  assert.match(s.last_error, /login failed/);
});

test('a server that accepts and never answers holds up neither the other mailboxes nor requests', async () => {
  const silent = createServer(() => {}); // takes the connection, says nothing
  await new Promise((ok) => silent.listen(0, '127.0.0.1', ok));
  const port = silent.address().port;
  try {
    let r = await admin.post('/api/v1/channels', {
      code: 'MUTE', kind: 'mail', name: '无应答',
      settings: { imap_url: `imap://127.0.0.1:${port}/INBOX`, imap_user: 'x', imap_password: 'y', poll_seconds: 600 },
    });
    assert.equal(r.status, 201, r.text);
    const t0 = Date.now();
    const testing = admin.post('/api/v1/channels/MUTE/test');
    // while the test waits for the silent server: requests are answered, and mail comes in
    await new Promise((ok) => setTimeout(ok, 300));
    const h0 = Date.now();
    assert.equal((await admin.get('/api/v1/tickets?limit=1')).status, 200);
    assert.ok(Date.now() - h0 < 1000, 'a request was held up');
    dove.deliver(mail({ id: 'mute-1@example.org', subject: '无应答期间', from: 'q@example.org' }));
    await until('the MAIL ticket', async () => (await tickets()).some((t) => t.subject === '无应答期间'));
    r = await testing;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.imap.ok, false);
    assert.match(r.body.imap.error, /did not answer within 10 s/);
    assert.ok(Date.now() - t0 < 15000);
    r = await admin.patch('/api/v1/channels/MUTE', { settings: { imap_url: null } });
    assert.equal(r.status, 200, r.text);
  } finally {
    silent.close();
  }
});

test('a wrong password shows on the channel\'s status as a failed login', async () => {
  // the only failed login of the suite (Dovecot makes the next login wait)
  const r = await admin.patch('/api/v1/channels/TS', { settings: { imap_password: 'wrong-password' } });
  assert.equal(r.status, 200, r.text);
  const s = await until('the error', async () => {
    const x = (await admin.get('/api/v1/channels/TS/status')).body;
    return x.ok === false && x;
  }, 15000);
  assert.match(s.last_error, /login failed/);
  assert.ok(s.last_error_at);
  // the other mailbox goes on
  dove.deliver(mail({ id: 'after-1@example.org', subject: '登录失败之后', from: 'later@example.org' }));
  await until('the MAIL ticket', async () => (await tickets()).some((t) => t.subject === '登录失败之后'));
  assert.doesNotMatch((await admin.get('/api/v1/channels/MAIL/status')).body.last_error || '', /login/);
});

test('a server without IDLE is polled every poll_seconds', async () => {
  const plain = await new Dovecot({ old: 'imap-password-4' }, { idle: false }).start();
  try {
    const r = await admin.post('/api/v1/channels', {
      code: 'OLD', kind: 'mail', name: '旧服务器',
      settings: { imap_url: plain.url(), imap_user: 'old', imap_password: 'imap-password-4', poll_seconds: 10 },
    });
    assert.equal(r.status, 201, r.text);
    await until('the first round', async () => (await admin.get('/api/v1/channels/OLD/status')).body.last_success_at);
    plain.deliver(mail({ id: 'old-1@example.org', subject: '没有 IDLE 的邮箱', from: 'o@example.org' }));
    const t0 = Date.now();
    await until('the OLD ticket', async () => (await tickets('OLD')).length === 1, 15000);
    assert.ok(Date.now() - t0 > 1000, 'without IDLE the mail waits for the next round');
    assert.ok(taken((await plain.flags('old'))[1]));
  } finally {
    await admin.patch('/api/v1/channels/OLD', { settings: { imap_url: null } });
    await plain.stop();
  }
});
