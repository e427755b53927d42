// Mail becomes tickets: `kefu mail-ingest` (the binary an MTA pipes into) against the data
// directory of a running server, with the committed corpus; and the channels API that connects
// a mailbox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, kefu, ROOT, startWithAdmin } from '../lib/server.js';

const CORPUS = join(ROOT, 'tests/fixtures/mail');
let srv, admin;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { from: '客服中心 <service@kefu.example.com>', poll_seconds: 30 },
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => { await srv.finish(); });

// Pipes a mail (a corpus file's name, or the text of one) into channel MAIL.
function ingest(mail, channel = 'MAIL') {
  const input = mail.endsWith('.eml') ? readFileSync(join(CORPUS, mail)) : Buffer.from(mail);
  return kefu(['mail-ingest', '--channel', channel, '--data-dir', srv.dataDir], { input });
}

async function mailTickets() {
  const r = await admin.get('/api/v1/tickets?channel=MAIL&limit=200');
  assert.equal(r.status, 200);
  return r.body.items;
}

function mail({ id, subject, inReplyTo, from = '王堃 <wang.kun@example.com>', body = '补充说明' }) {
  return [`From: ${from}`, 'To: service@kefu.example.com', `Subject: ${subject}`,
    `Message-ID: <${id}>`, ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`] : []),
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

let first; // the ticket of the GBK Outlook mail

test('a GBK Outlook mail becomes a ticket that reads right, with its attachment', async () => {
  const r = ingest('outlook-gbk.eml');
  assert.equal(r.status, 0, r.stderr);
  const items = await mailTickets();
  assert.equal(items.length, 1);
  first = (await admin.get(`/api/v1/tickets/${items[0].id}?unmask=1`)).body;
  assert.equal(first.channel, 'MAIL');
  assert.equal(first.subject, '空调漏水报修（陶喆）');
  assert.match(first.description, /我家的空调漏水了，型号KFR-35GW/);
  assert.equal(first.customer.name, '王堃');
  assert.equal(first.customer.email, 'wang.kun@example.com');
  assert.equal(first.status, 'new');
  assert.ok(first.due.accept_by, 'the SLA clocks run for a mail ticket');
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].kind, 'customer');
  assert.deepEqual(msgs[0].author, { kind: 'customer', id: first.customer.id, name: '王堃' });
  assert.equal(msgs[0].attachments.length, 1);
  const att = msgs[0].attachments[0];
  assert.equal(att.filename, '漏水照片.jpg');
  const dl = await fetch(`${srv.base}/api/v1/attachments/${att.id}`, { headers: { Cookie: admin.cookie } });
  assert.equal(dl.status, 200);
  assert.match(dl.headers.get('content-disposition'), new RegExp(encodeURIComponent('漏水照片.jpg')));
  const bytes = Buffer.from(await dl.arrayBuffer());
  assert.equal(bytes.length, 1030);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
});

test('the same mail twice is one message', async () => {
  const r = ingest('outlook-gbk.eml');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /duplicate/);
  assert.equal((await mailTickets()).length, 1);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 1);
});

test('a reply naming a received Message-ID joins the ticket, from the same customer', async () => {
  const r = ingest('reply-thread.eml');
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await mailTickets()).length, 1);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 2);
  assert.equal(msgs[1].kind, 'customer');
  assert.match(msgs[1].body, /师傅明天下午两点可以上门吗/);
  assert.equal(msgs[1].author.id, first.customer.id, 'the customer is found by address');
});

test('a subject carrying [#NUMBER] joins that ticket', async () => {
  const r = ingest(mail({ id: 'ref-1@example.net', subject: `补充 [#${first.number}]`, from: 'Wang Kun <WANG.KUN@example.com>', body: '型号是KFR-35GW/A' }));
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await mailTickets()).length, 1);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.at(-1).body.trim(), '型号是KFR-35GW/A');
  assert.equal(msgs.at(-1).author.id, first.customer.id);
});

test('a new mail from a known address makes a new ticket for the same customer', async () => {
  const r = ingest(mail({ id: 'new-2@example.net', subject: '另一台空调也不制冷' }));
  assert.equal(r.status, 0, r.stderr);
  const items = await mailTickets();
  assert.equal(items.length, 2);
  const t = items.find((x) => x.subject === '另一台空调也不制冷');
  assert.equal(t.customer.id, first.customer.id);
  assert.equal(t.customer.name, '王堃');
});

test('auto-replies, bounces and newsletters make no ticket and exit 0', async () => {
  for (const f of ['auto-reply-oof.eml', 'auto-reply-zh.eml', 'dsn-bounce.eml', 'newsletter-html.eml']) {
    const r = ingest(f);
    assert.equal(r.status, 0, f + ': ' + r.stderr);
    assert.match(r.stderr, /ignored/, f);
  }
  assert.equal((await mailTickets()).length, 2);
  const msgs = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  assert.equal(msgs.length, 3, 'the out-of-office reply naming the ticket did not join it');
});

test('broken input exits 65 and is kept under mail-rejected; the channel shows the error', async () => {
  const junk = 'this is not a mail at all\n';
  const r = ingest(junk);
  assert.equal(r.status, 65, r.stderr);
  const dir = join(srv.dataDir, 'mail-rejected');
  assert.ok(existsSync(dir));
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  assert.equal(readFileSync(join(dir, files[0]), 'utf8'), junk);
  assert.equal(ingest(junk).status, 65);
  assert.equal(readdirSync(dir).length, 2, 'each rejected mail is kept under a name of its own');
  const nobody = ingest('From: nobody\r\nSubject: 没有地址\r\nMessage-ID: <nobody-1@example.net>\r\n\r\n你好\r\n');
  assert.equal(nobody.status, 65, 'a mail with no sender address cannot become a ticket');
  assert.match(nobody.stderr, /no sender address/);
  assert.equal(readdirSync(dir).length, 3);
  const s = await admin.get('/api/v1/channels/MAIL/status');
  assert.equal(s.status, 200);
  assert.equal(s.body.ok, false);
  assert.match(s.body.last_error, /no sender address/, 'the last failure is the one shown');
  assert.ok(s.body.last_error_at && s.body.last_success_at);
  assert.equal(s.body.queued_out, 0);
  assert.equal(s.body.failed_out, 0);
  assert.equal((await mailTickets()).length, 2);
});

test('an unknown or non-mail channel is a configuration error (78)', () => {
  assert.equal(ingest('outlook-gbk.eml', 'NOPE').status, 78);
  assert.equal(ingest(mail({ id: 'tel-1@example.net', subject: 'x' }), 'TEL').status, 78);
});

test('a reply to a ticket waiting for the customer moves it back to work, with history', async () => {
  let r = await admin.patch(`/api/v1/tickets/${first.id}`, { status: 'in_progress' });
  assert.equal(r.status, 200, r.text);
  r = await admin.patch(`/api/v1/tickets/${first.id}`, { status: 'waiting_customer' });
  assert.equal(r.status, 200, r.text);
  r = ingest(mail({ id: 'answer-3@example.net', subject: 'Re: 补充', inReplyTo: 'ref-1@example.net', body: '明天下午在家' }));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /reopened/);
  const t = (await admin.get(`/api/v1/tickets/${first.id}`)).body;
  assert.equal(t.status, 'in_progress');
  const h = (await admin.get(`/api/v1/tickets/${first.id}/history`)).body.items;
  assert.ok(h.some((x) => x.action === 'reopened_by_customer'), JSON.stringify(h.map((x) => x.action)));
  const s = await admin.get('/api/v1/channels/MAIL/status');
  assert.equal(s.body.ok, true, 'a success after the error makes the channel healthy again');
});

test('a mail with an inline image keeps it as an attachment', async () => {
  const r = ingest('qqmail-inline.eml');
  assert.equal(r.status, 0, r.stderr);
  const t = (await mailTickets()).find((x) => x.subject === '发票抬头错了');
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.equal(msgs[0].attachments[0].filename, '截图.png');
  assert.equal(msgs[0].attachments[0].content_type, 'image/png');
});

test('an HTML mail can be seen formatted, sanitised; a text mail has no HTML to show', async () => {
  const t = (await mailTickets()).find((x) => x.subject === '发票抬头错了');
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.equal(msgs[0].has_html, true);
  assert.doesNotMatch(msgs[0].body, /<div>|track\(\)/, 'the conversation shows the text');
  const r = await admin.get(`/api/v1/tickets/${t.id}/messages/${msgs[0].id}/html`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.body.html, /发票抬头写错了/);
  assert.match(r.body.html, /<img src="cid:part1\.4F2C8A@qq\.com"/);
  assert.doesNotMatch(r.body.html, /script|track|onerror|alert/i);

  const plain = (await admin.get(`/api/v1/tickets/${first.id}/messages`)).body.items;
  const text = plain.find((m) => m.kind === 'customer' && !m.has_html);
  assert.ok(text, 'a plain-text mail has no HTML body');
  assert.equal((await admin.get(`/api/v1/tickets/${first.id}/messages/${text.id}/html`)).status, 404);
  // a message of another ticket is not found through this one
  assert.equal((await admin.get(`/api/v1/tickets/${first.id}/messages/${msgs[0].id}/html`)).status, 404);
  assert.equal((await admin.get(`/api/v1/tickets/${first.id}/messages/x/html`)).status, 404);
});

test('mail-ingest works while the server writes too', async () => {
  const writes = [];
  for (let i = 0; i < 10; i++) {
    writes.push(admin.post('/api/v1/tickets', { channel: 'TEL', type: 'inquiry', subject: '并发' + i, customer: { name: 'x', phone: '13000000001' } }));
  }
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push(ingest(mail({ id: `busy-${i}@example.net`, subject: '并发邮件' + i, from: `c${i}@example.org` })).status);
  const done = await Promise.all(writes);
  assert.deepEqual(codes, [0, 0, 0, 0, 0]);
  assert.ok(done.every((r) => r.status === 201));
  assert.equal((await mailTickets()).filter((x) => x.subject.startsWith('并发邮件')).length, 5);
});

test('a mail that cannot be stored now (the database locked) exits 75, and is taken later', async () => {
  // another process holds the write lock for longer than the writer waits
  const holder = spawn('sqlite3', [join(srv.dataDir, 'kefu.db')], { stdio: ['pipe', 'ignore', 'inherit'] });
  holder.stdin.write("BEGIN EXCLUSIVE;\nUPDATE settings SET value = value WHERE key = 'ticket_number_format';\n");
  await new Promise((ok) => setTimeout(ok, 300));
  const locked = mail({ id: 'locked-1@example.net', subject: '锁住的时候来的邮件', from: 'lock@example.org' });
  const r = ingest(locked);
  holder.stdin.end('ROLLBACK;\n');
  await new Promise((ok) => holder.once('exit', ok));
  assert.equal(r.status, 75, r.stderr);
  assert.match(r.stderr, /try again later/);
  assert.equal((await mailTickets()).filter((x) => x.subject === '锁住的时候来的邮件').length, 0);
  const again = ingest(locked);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((await mailTickets()).filter((x) => x.subject === '锁住的时候来的邮件').length, 1);
});

// ---- the channels API ----

test('channels: an admin creates a mail channel; secrets are never shown again', async () => {
  let r = await admin.post('/api/v1/channels', {
    code: 'TS', kind: 'mail', name: '投诉邮箱',
    settings: {
      imap_url: 'imaps://imap.example.com:993/INBOX', imap_user: 'ts@example.com', imap_password: 'pw-imap',
      smtp_url: 'smtp://smtp.example.com:587', smtp_user: 'ts@example.com', smtp_password: 'pw-smtp',
      smtp_tls: 'starttls', from: '投诉中心 <ts@example.com>', poll_seconds: 60, acknowledge: true,
    },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'mail');
  assert.equal(r.body.settings.imap_password, 'set');
  assert.equal(r.body.settings.smtp_password, 'set');
  assert.equal(r.body.settings.poll_seconds, 60);
  assert.equal(r.body.settings.acknowledge, true);
  assert.ok(!r.text.includes('pw-imap') && !r.text.includes('pw-smtp'));
  r = await admin.patch('/api/v1/channels/TS', { settings: { poll_seconds: 120 } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.settings.imap_password, 'set', 'a PATCH without the secret keeps it');
  assert.equal(r.body.settings.poll_seconds, 120);
  assert.equal(r.body.settings.imap_url, 'imaps://imap.example.com:993/INBOX');
  r = await admin.get('/api/v1/channels/TS');
  assert.equal(r.status, 200);
  assert.ok(!r.text.includes('pw-imap'));
  const list = (await admin.get('/api/v1/channels')).body.items;
  assert.equal(list.find((c) => c.code === 'TS').kind, 'mail');
  assert.equal(list.find((c) => c.code === 'TEL').kind, 'manual');
  // the new channel takes mail and numbers its tickets by its code
  const m = ingest(mail({ id: 'ts-1@example.net', subject: '投诉送货慢', from: 'z@example.org' }), 'TS');
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stderr, /ticket TS-/);
});

test('channels: bad settings answer 422 naming the field', async () => {
  const bad = [
    [{ imap_url: 'http://imap.example.com' }, 'settings.imap_url'],
    [{ smtp_url: 'ftp://x' }, 'settings.smtp_url'],
    [{ smtp_tls: 'ssl' }, 'settings.smtp_tls'],
    [{ from: 'not an address' }, 'settings.from'],
    [{ from: '客服 <a@b' }, 'settings.from'],
    [{ poll_seconds: 5 }, 'settings.poll_seconds'],
    [{ poll_seconds: 3601 }, 'settings.poll_seconds'],
    [{ poll_seconds: '30' }, 'settings.poll_seconds'],
    [{ acknowledge: 'yes' }, 'settings.acknowledge'],
    [{ color: 'red' }, 'settings.color'],
  ];
  for (const [settings, field] of bad) {
    const r = await admin.post('/api/v1/channels', { code: 'BAD', kind: 'mail', name: 'x', settings });
    assert.equal(r.status, 422, JSON.stringify(settings) + r.text);
    assert.equal(r.body.error.field, field);
  }
  let r = await admin.post('/api/v1/channels', { code: 'BAD', kind: 'fax', name: 'x' });
  assert.equal(r.body.error.field, 'kind');
  r = await admin.post('/api/v1/channels', { code: 'bad code', kind: 'manual', name: 'x' });
  assert.equal(r.body.error.field, 'code');
  r = await admin.patch('/api/v1/channels/TEL', { settings: { imap_url: 'imaps://x' } });
  assert.equal(r.status, 422, 'a manual channel has no mail settings');
  assert.equal(r.body.error.field, 'settings.imap_url');
  assert.equal((await admin.get('/api/v1/channels/BAD')).status, 404, 'nothing was created');
  assert.equal((await admin.patch('/api/v1/channels/NOPE', { name: 'x' })).status, 404);
});

test('channels: a fresh install\'s code answers 409 on POST; PATCH connects it', async () => {
  const r = await admin.post('/api/v1/channels', { code: 'WEB', kind: 'web', name: '网页' });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'conflict');
});

test('channels: only an admin connects or reads a channel\'s settings', async () => {
  const u = await admin.post('/api/v1/users', { username: 'agent1', name: '坐席', role: 'agent', password: 'agent-password-1' });
  assert.equal(u.status, 201, u.text);
  const agent = await new Client(srv.base).login('agent1', 'agent-password-1');
  assert.equal((await agent.post('/api/v1/channels', { code: 'X', kind: 'manual', name: 'x' })).status, 403);
  assert.equal((await agent.patch('/api/v1/channels/MAIL', { name: 'x' })).status, 403);
  assert.equal((await agent.get('/api/v1/channels/MAIL')).status, 403);
  assert.equal((await agent.get('/api/v1/channels/MAIL/status')).status, 403);
  assert.equal((await agent.get('/api/v1/channels')).status, 200);
});
