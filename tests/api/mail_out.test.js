// Outgoing mail: an agent's public reply reaches the customer's mailbox (a real SMTP server on
// 127.0.0.1, aiosmtpd) threaded so that the customer's answer comes back to the same ticket;
// a new mail is acknowledged; a dead SMTP server loses nothing; refusals and bounces show as
// failed on the message; a note is never mailed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../lib/receiver.js';
import { freePort, kefu, ROOT, startWithAdmin } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';

const FROM = '客服中心 <service@kefu.example.com>';
let srv, admin, sink, offset = 0;

async function advance(s) {
  offset += s * 1000;
  const r = await admin.post('/api/v1/test/clock', { now: new Date(Date.now() + offset).toISOString() });
  assert.equal(r.status, 200, r.text);
}

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  sink = await smtpSink({ reject: 'nobody' }).start();
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail',
    settings: { from: FROM, smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none', acknowledge: true },
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await sink.stop();
  sink.cleanup();
  await srv.finish();
});

function mail({ id, subject, inReplyTo, from = '王堃 <wang.kun@example.com>', body = '空调漏水了' }) {
  return [`From: ${from}`, 'To: service@kefu.example.com', `Subject: ${subject}`,
    `Message-ID: <${id}>`, ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`] : []),
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

function ingest(text, channel = 'MAIL') {
  const r = kefu(['mail-ingest', '--channel', channel, '--data-dir', srv.dataDir], { input: Buffer.from(text) });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

const mailsTo = (addr) => sink.mails().filter((m) => m.rcpt_tos.includes(addr));
const header = (m, name) => (m.headers[name] || [])[0];
const ids = (v) => (v || '').match(/<[^>]+>/g) || [];

async function ticketOf(subject, channel = 'MAIL') {
  const r = await admin.get(`/api/v1/tickets?channel=${channel}&limit=200`);
  return r.body.items.find((t) => t.subject === subject);
}

const messages = async (id) => (await admin.get(`/api/v1/tickets/${id}/messages`)).body.items;

async function reply(ticket, body, attachments = []) {
  const r = await admin.post(`/api/v1/tickets/${ticket.id}/messages`, { kind: 'reply', body, attachments });
  assert.equal(r.status, 201, r.text);
  return r.body.message || r.body;
}

async function delivery(ticket, messageId, want) {
  return until(`delivery ${want}`, async () => {
    const m = (await messages(ticket.id)).find((x) => x.id === messageId);
    return m.delivery && m.delivery.status === want ? m.delivery : null;
  });
}

async function status(channel = 'MAIL') {
  const r = await admin.get(`/api/v1/channels/${channel}/status`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

let ticket, replyMail;

test('a new mail is acknowledged with its number, threaded on the customer\'s mail', async () => {
  ingest(mail({ id: 'leak-1@example.com', subject: '空调漏水报修' }));
  ticket = await ticketOf('空调漏水报修');
  assert.ok(ticket);
  const ack = await until('the acknowledgement', () => mailsTo('wang.kun@example.com')[0]);
  assert.equal(ack.mail_from, 'service@kefu.example.com');
  assert.equal(header(ack, 'subject'), `我们已收到您的来信:空调漏水报修 [#${ticket.number}]`);
  assert.match(ack.text, new RegExp(ticket.number));
  assert.equal(header(ack, 'in-reply-to'), '<leak-1@example.com>');
  assert.equal(header(ack, 'auto-submitted'), 'auto-replied');
  assert.match(ack.raw, /^Subject: =\?utf-8\?/im, 'the subject is RFC 2047 encoded');
});

test('a public reply reaches the customer with From, To, subject, threading and attachments', async () => {
  const pdf = Buffer.from('%PDF-1.4 维修单 ' + 'x'.repeat(3000));
  const up = await admin.req('POST', '/api/v1/attachments?filename=' + encodeURIComponent('维修单.pdf'), undefined,
    { raw: pdf, headers: { 'Content-Type': 'application/pdf' } });
  assert.equal(up.status, 201, up.text);
  const before = mailsTo('wang.kun@example.com').length;
  const m = await reply(ticket, '王先生您好,师傅明天下午两点上门。', [up.body.id]);
  assert.equal(m.delivery.status, 'queued', 'queued in the reply\'s own write');
  replyMail = await until('the reply', () => mailsTo('wang.kun@example.com')[before]);
  assert.equal(header(replyMail, 'from'), FROM);
  assert.equal(header(replyMail, 'to'), 'wang.kun@example.com');
  assert.equal(header(replyMail, 'subject'), `Re: 空调漏水报修 [#${ticket.number}]`);
  assert.equal(header(replyMail, 'in-reply-to'), '<leak-1@example.com>');
  const refs = ids(header(replyMail, 'references'));
  assert.equal(refs[0], '<leak-1@example.com>');
  assert.ok(refs.length >= 2, 'the acknowledgement is in the chain too');
  assert.match(header(replyMail, 'message-id'), /^<kefu\.[0-9a-f]+@kefu\.example\.com>$/);
  assert.equal(header(replyMail, 'auto-submitted'), undefined, 'a person wrote it');
  assert.equal(replyMail.text.trim(), '王先生您好,师傅明天下午两点上门。');
  assert.equal(replyMail.attachments.length, 1);
  assert.equal(replyMail.attachments[0].filename, '维修单.pdf');
  assert.equal(replyMail.attachments[0].content_type, 'application/pdf');
  assert.equal(replyMail.attachments[0].sha256, createHash('sha256').update(pdf).digest('hex'));
  const d = await delivery(ticket, m.id, 'sent');
  assert.equal(d.attempts, 1);
  assert.equal(d.last_error, null);
  assert.ok(Date.parse(d.sent_at) > 0);
});

test('the customer\'s answer to the reply joins the same ticket', async () => {
  const replyId = header(replyMail, 'message-id').slice(1, -1);
  ingest(mail({ id: 'leak-2@example.com', subject: 'Re: 空调漏水报修', inReplyTo: replyId, body: '好的,我在家等。' }));
  const msgs = await messages(ticket.id);
  assert.equal(msgs.at(-1).kind, 'customer');
  assert.match(msgs.at(-1).body, /我在家等/);
  assert.equal((await admin.get('/api/v1/tickets?channel=MAIL&limit=200')).body.items.length, 1);
  const before = mailsTo('wang.kun@example.com').length;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(mailsTo('wang.kun@example.com').length, before, 'an answer is not acknowledged again');
});

test('a note is never mailed', async () => {
  const before = sink.mails().length;
  const r = await admin.post(`/api/v1/tickets/${ticket.id}/messages`, { kind: 'note', body: '内部:师傅姓刘' });
  assert.equal(r.status, 201, r.text);
  await new Promise((ok) => setTimeout(ok, 1500));
  assert.equal(sink.mails().length, before);
  const note = (await messages(ticket.id)).find((x) => x.kind === 'note');
  assert.equal(note.delivery, null);
  assert.ok(!sink.mails().some((m) => m.raw.includes('师傅姓刘')));
  const first = (await messages(ticket.id))[0];
  assert.equal(first.delivery, null, 'the customer\'s own mail has no delivery');
});

test('a recipient the server refuses (5xx) fails at once with the server\'s answer', async () => {
  ingest(mail({ id: 'r-1@example.net', subject: '退货', from: 'nobody@example.net' }));
  const t = await ticketOf('退货');
  const m = await reply(t, '请寄回商品。');
  const d = await delivery(t, m.id, 'failed');
  assert.equal(d.attempts, 1);
  assert.match(d.last_error, /550/);
  const s = await status();
  assert.equal(s.failed_out, 2, 'the acknowledgement and the reply');
  assert.equal(s.queued_out, 0);
  assert.equal(s.ok, true, 'the server itself answered');
});

test('a bounce naming a sent reply marks its delivery failed', async () => {
  ingest(mail({ id: 'b-1@example.org', subject: '发票', from: 'li.na@example.org' }));
  const t = await ticketOf('发票');
  const m = await reply(t, '发票已开具。');
  await delivery(t, m.id, 'sent');
  const sent = await until('the reply', () => mailsTo('li.na@example.org').find((x) => x.text.includes('发票已开具')));
  const id = header(sent, 'message-id').slice(1, -1);
  const dsn = readFileSync(join(ROOT, 'tests/fixtures/mail/dsn-bounce.eml'), 'utf8')
    .replace('reply-42@kefu.example.com', id)
    .replace('20231010030005.3F2A1B0C@mx', '20231010030005.B0@mx');
  const r = ingest(dsn);
  assert.match(r.stderr, /ignored/);
  const d = await delivery(t, m.id, 'failed');
  assert.match(d.last_error, /bounced/);
  assert.ok(d.sent_at, 'it was sent before it bounced');
});

test('while the SMTP server is down a reply waits, is retried with back-off, then sent', async () => {
  ingest(mail({ id: 'd-1@example.com', subject: '门锁坏了', from: 'zhou@example.com' }));
  const t = await ticketOf('门锁坏了');
  await until('the acknowledgement', () => mailsTo('zhou@example.com')[0]);
  await sink.stop();
  const m = await reply(t, '明天换锁。');
  let d = await until('a failed try', async () => {
    const x = (await messages(t.id)).find((y) => y.id === m.id).delivery;
    return x.attempts >= 1 ? x : null;
  });
  assert.equal(d.status, 'queued');
  assert.match(d.last_error, /connect|refused/i);
  let s = await status();
  assert.equal(s.queued_out, 1);
  assert.equal(s.ok, false);
  assert.match(s.last_error, /connect|refused/i);
  await new Promise((r) => setTimeout(r, 1200));
  d = (await messages(t.id)).find((y) => y.id === m.id).delivery;
  assert.equal(d.attempts, 1, 'nothing is tried again before its back-off is over');
  await advance(31);
  await until('a second try', async () => (await messages(t.id)).find((y) => y.id === m.id).delivery.attempts === 2);
  await sink.start();
  await advance(61);
  d = await delivery(t, m.id, 'sent');
  assert.equal(d.attempts, 3);
  assert.ok(mailsTo('zhou@example.com').some((x) => x.text.includes('明天换锁')));
  s = await status();
  assert.equal(s.queued_out, 0);
  assert.equal(s.ok, true);
});

test('a reply on a web ticket of a customer with an e-mail is a notice from the default sender', async () => {
  let r = await admin.post('/api/v1/tickets', {
    channel: 'WEB', type: 'inquiry', subject: '会员积分', customer: { name: '赵六', phone: '13900001111', email: 'zhao@example.com' },
  });
  assert.equal(r.status, 201, r.text);
  const t = r.body;
  const m = await reply(t, '积分已补发。');
  await delivery(t, m.id, 'sent');
  const n = mailsTo('zhao@example.com')[0];
  assert.equal(header(n, 'from'), FROM);
  assert.equal(header(n, 'subject'), `您的工单有新回复:会员积分 [#${t.number}]`);
  assert.match(n.text, /积分已补发/);
  assert.equal(header(n, 'auto-submitted'), 'auto-generated');
  r = await admin.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '无邮箱', customer: { name: '钱七', phone: '13900002222' },
  });
  const m2 = await reply(r.body, '好的。');
  assert.equal(m2.delivery, null, 'no address, no mail');
});

test('a channel whose server is dead waits as one, and the other channels go on', async () => {
  const dead = await freePort();
  let r = await admin.patch('/api/v1/channels/APP', {
    kind: 'mail', settings: { from: 'app@kefu.example.com', smtp_url: `smtp://127.0.0.1:${dead}`, smtp_tls: 'none' },
  });
  assert.equal(r.status, 200, r.text);
  const replies = [];
  for (const n of [1, 2, 3]) {
    ingest(mail({ id: `app-${n}@example.com`, subject: `App 问题 ${n}`, from: `u${n}@example.com` }), 'APP');
    const t = await ticketOf(`App 问题 ${n}`, 'APP');
    replies.push({ t, m: await reply(t, `App 回复 ${n}`) });
  }
  const attempts = async () => Promise.all(replies.map(async ({ t, m }) => (await messages(t.id)).find((x) => x.id === m.id).delivery.attempts));
  const sum = async () => (await attempts()).reduce((x, y) => x + y, 0);
  await until('a first try', async () => (await sum()) >= 1);
  await new Promise((ok) => setTimeout(ok, 1500)); // whatever was due has been tried or put off
  const before = await sum();
  await advance(31); // all three due again
  await until('a try', async () => (await sum()) > before);
  await new Promise((ok) => setTimeout(ok, 1500));
  assert.equal(await sum(), before + 1, 'one try, and the others wait with the channel, untried');
  const s = await status('APP');
  assert.equal(s.queued_out, 3);
  assert.equal(s.ok, false);
  // meanwhile MAIL sends at once
  const m = await reply(ticket, '另一个渠道不受影响。');
  await delivery(ticket, m.id, 'sent');
});
