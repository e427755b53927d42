// Satisfaction surveys and second handling: the team's scale and delay; a resolved ticket's
// customer asked through their channel (a mail, a webhook channel's callback, the notification
// webhook's survey.sent for a phone ticket) with a link that opens only that ticket's survey;
// answers on the page or as a bare rating; satisfied or expired closes the ticket, unsatisfied
// brings second handling with its own warned and breached deadline, and resolving it asks again.
// Every clock is driven with the test clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { receiver, until } from '../lib/receiver.js';
import { ADMIN, Client, kefu, Server } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';
import { FakeWechat, messageXml, signedQuery } from '../lib/fake_wechat.js';

const SECRET = 'app-secret-0123456789';
const HOOK_SECRET = 'webhook-secret-0123456789';
let srv, admin, sup, agent, dept, sink, app, gateway, wx, offset = 0;

async function advance(minutes) {
  offset += minutes * 60000;
  const r = await admin.post('/api/v1/test/clock', { now: new Date(Date.now() + offset).toISOString() });
  assert.equal(r.status, 200, r.text);
}

const history = async (id) => (await admin.get(`/api/v1/tickets/${id}/history`)).body.items;
const ticket = async (id) => (await admin.get(`/api/v1/tickets/${id}`)).body;
const tokenOf = (text) => (text.match(/\/s\/([0-9a-f]{64})/) || [])[1];
const publicGet = (token) => fetch(`${srv.base}/api/v1/surveys/${token}`).then(async (r) => ({ status: r.status, body: await r.json() }));
async function publicPost(token, body) {
  const r = await fetch(`${srv.base}/api/v1/surveys/${token}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function resolve(id, as = admin) {
  const cur = await ticket(id);
  if (cur.status === 'new') {
    const w = await as.patch(`/api/v1/tickets/${id}`, { status: 'in_progress' });
    assert.equal(w.status, 200, w.text);
  }
  const r = await as.patch(`/api/v1/tickets/${id}`, { status: 'resolved', result: 'fixed' });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function settings(survey) {
  const r = await admin.patch('/api/v1/settings', { survey });
  assert.equal(r.status, 200, r.text);
  return r.body.survey;
}

async function hookPost(body) {
  const text = JSON.stringify(body);
  const r = await fetch(`${srv.base}/hooks/APP`, {
    method: 'POST', body: text,
    headers: { 'Content-Type': 'application/json', 'X-Kefu-Signature': 'sha256=' + createHmac('sha256', SECRET).update(text).digest('hex') },
  });
  assert.equal(r.status, 202, await r.text());
  return r;
}

async function phoneTicket(subject, as = agent) {
  const r = await as.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', subject, urgency: 'medium',
    customer: { name: '李四', phone: '13900001111' },
  });
  assert.equal(r.status, 201, r.text);
  const p = await admin.patch(`/api/v1/tickets/${r.body.id}`, { department_id: dept.id, assignee_id: agent.user.id });
  assert.equal(p.status, 200, p.text);
  return p.body;
}

// the survey.sent event the notification webhook delivered for ticket number
const sentEvent = (number) => until(`survey.sent for ${number}`, () => gateway.got.find(
  (h) => h.body.event === 'survey.sent' && h.body.detail.number === number));

// a client with an API token that outlives the sessions of the days the clock jumps over
async function tokenClient(username, password) {
  const s = await new Client(srv.base).login(username, password);
  const t = await s.post('/api/v1/tokens', { name: 'surveys test', expires_at: null });
  assert.equal(t.status, 201, t.text);
  const c = new Client(srv.base);
  c.token = t.body.token;
  c.user = s.user;
  return c;
}

before(async () => {
  srv = await new Server().start();
  admin = await tokenClient(ADMIN.username, ADMIN.password);
  for (const [username, role] of [['s1', 'supervisor'], ['a1', 'agent'], ['a2', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name: username, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  sup = await tokenClient('s1', 'password-123');
  agent = await tokenClient('a1', 'password-123');
  const d = await admin.post('/api/v1/departments', { code: 'aftersale', name: '售后部', supervisor_id: sup.user.id });
  assert.equal(d.status, 201, d.text);
  dept = d.body;
  sink = await smtpSink().start();
  let r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { from: '客服中心 <service@kefu.example.com>', smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none' },
  });
  assert.equal(r.status, 200, r.text);
  app = await receiver();
  r = await admin.patch('/api/v1/channels/APP', { kind: 'webhook', settings: { secret: SECRET, reply_url: app.url } });
  assert.equal(r.status, 200, r.text);
  wx = await new FakeWechat().start();
  r = await admin.patch('/api/v1/channels/WX', {
    kind: 'wechat', settings: { token: 'wx-survey-token', app_id: wx.appId, app_secret: wx.secret, api_base: wx.base },
  });
  assert.equal(r.status, 200, r.text);
  gateway = await receiver();
  r = await admin.post('/api/v1/webhooks', { url: gateway.url, secret: HOOK_SECRET, events: ['survey.sent', 'ticket.second_handling'] });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await app?.close();
  await gateway?.close();
  await wx?.stop();
  if (sink) { await sink.stop(); sink.cleanup(); }
  await srv?.finish();
});

test('survey settings: the seeds\' defaults, changed by an admin, bad values refused naming the field', async () => {
  let r = await agent.get('/api/v1/settings');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.survey, { scale: 'four_level', delay_minutes: 5, expire_hours: 72, second_handling_hours: 24 });
  for (const [survey, field] of [[{ delay_minutes: 31 }, 'survey.delay_minutes'], [{ delay_minutes: -1 }, 'survey.delay_minutes'],
    [{ scale: 'ten_point' }, 'survey.scale'], [{ expire_hours: 0 }, 'survey.expire_hours'],
    [{ second_handling_hours: '24' }, 'survey.second_handling_hours'], [{ colour: 'red' }, 'survey.colour']]) {
    r = await admin.patch('/api/v1/settings', { survey });
    assert.equal(r.status, 422, `${JSON.stringify(survey)}: ${r.text}`);
    assert.equal(r.body.error.field, field);
  }
  r = await admin.patch('/api/v1/settings', { survey: 'four_level' });
  assert.equal(r.status, 422);
  // nothing of a refused change stays, not even its valid part
  r = await admin.patch('/api/v1/settings', { ticket_number_format: '{channel}{serial}', survey: { delay_minutes: 99 } });
  assert.equal(r.status, 422);
  assert.notEqual((await admin.get('/api/v1/settings')).body.ticket_number_format, '{channel}{serial}');
  r = await agent.patch('/api/v1/settings', { survey: { delay_minutes: 1 } });
  assert.equal(r.status, 403);
  assert.deepEqual(await settings({ delay_minutes: 10, expire_hours: 48 }),
    { scale: 'four_level', delay_minutes: 10, expire_hours: 48, second_handling_hours: 24 });
});

test('a mail ticket: the survey is mailed after the delay; a satisfied answer on the page closes it; a second answer is 409', async () => {
  const raw = ['From: 王堃 <wang.kun@example.com>', 'To: service@kefu.example.com', 'Subject: 空调漏水',
    'Message-ID: <leak-1@example.com>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', '空调漏水了', ''].join('\r\n');
  const ing = kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input: Buffer.from(raw) });
  assert.equal(ing.status, 0, ing.stderr);
  const t = (await admin.get('/api/v1/tickets?channel=MAIL')).body.items.find((x) => x.subject === '空调漏水');
  assert.equal(t.satisfaction, null);
  const resolved = await resolve(t.id);
  assert.equal(resolved.status, 'resolved');
  await advance(5); // not yet: the delay is 10 minutes
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(sink.mails().filter((m) => m.rcpt_tos.includes('wang.kun@example.com')).length, 0);
  await advance(6);
  const mail = await until('the survey mail', () => sink.mails().find((m) => m.rcpt_tos.includes('wang.kun@example.com') && tokenOf(m.text)));
  assert.match(mail.text, /非常满意/);
  assert.match(mail.text, new RegExp(t.number));
  const token = tokenOf(mail.text);
  let r = await publicGet(token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.ticket, { number: t.number, subject: '空调漏水' });
  assert.equal(r.body.scale, 'four_level');
  assert.equal(r.body.state, 'open');
  assert.deepEqual(r.body.choices.map((c) => c.value), ['very_satisfied', 'satisfied', 'average', 'unsatisfied']);
  assert.equal(JSON.stringify(r.body).includes('wang.kun'), false); // the page shows nothing of the customer
  r = await publicPost(token, { rating: 'excellent' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'rating');
  r = await publicPost(token, { rating: 'very_satisfied', comment: '师傅很专业' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, 'answered');
  r = await publicPost(token, { rating: 'unsatisfied' });
  assert.equal(r.status, 409);
  const after = await ticket(t.id);
  assert.equal(after.status, 'closed');
  assert.ok(after.times.closed_at);
  assert.equal(after.satisfaction.rating, 'very_satisfied');
  assert.equal(after.satisfaction.score, 5);
  assert.equal(after.satisfaction.comment, '师傅很专业');
  assert.ok(after.satisfaction.answered_at);
  const h = await history(t.id);
  assert.equal(h.filter((e) => e.action === 'closed_by_survey').length, 1);
  assert.equal(h.filter((e) => e.action === 'survey_sent').length, 1);
  // the pool shows it too
  const inPool = (await admin.get('/api/v1/tickets?channel=MAIL&status=closed')).body.items.find((x) => x.id === t.id);
  assert.equal(inPool.satisfaction.score, 5);
});

test('a mail reply that is only a rating, above the quoted survey, answers it', async () => {
  const mail = (id, subject, body, inReplyTo) => ['From: 赵敏 <zhao.min@example.com>', 'To: service@kefu.example.com',
    `Subject: ${subject}`, `Message-ID: <${id}>`, ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`] : []),
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
  const ingest = (text) => {
    const r = kefu(['mail-ingest', '--channel', 'MAIL', '--data-dir', srv.dataDir], { input: Buffer.from(text) });
    assert.equal(r.status, 0, r.stderr);
  };
  ingest(mail('fridge-1@example.com', '冰箱不制冷', '冰箱不制冷了'));
  const t = (await admin.get('/api/v1/tickets?channel=MAIL')).body.items.find((x) => x.subject === '冰箱不制冷');
  await resolve(t.id);
  await advance(11);
  const survey = await until('the survey mail', () => sink.mails().find((m) => m.rcpt_tos.includes('zhao.min@example.com') && tokenOf(m.text)));
  const id = survey.headers['message-id'][0].replace(/[<>]/g, '');
  ingest(mail('fridge-2@example.com', 'Re: 冰箱不制冷', `3\r\n\r\n在 2023年10月2日，客服中心 写道：\r\n> ${survey.text.split('\n')[0]}`, id));
  const after = await until('answered', async () => { const x = await ticket(t.id); return x.satisfaction ? x : null; });
  assert.deepEqual([after.satisfaction.rating, after.satisfaction.score, after.status], ['average', 3, 'closed']);
  const msgs = (await admin.get(`/api/v1/tickets/${t.id}/messages`)).body.items;
  assert.equal(msgs.filter((m) => m.kind === 'customer').length, 2); // the answer stays in the conversation
});

test('a phone ticket: survey.sent for the SMS gateway; no answer by the expiry closes it; the link is then 410', async () => {
  await settings({ delay_minutes: 0, expire_hours: 48 });
  const t = await phoneTicket('送货晚了三天');
  await resolve(t.id, agent);
  const hit = await sentEvent(t.number);
  assert.equal(hit.body.detail.phone, '13900001111');
  assert.equal(hit.body.detail.scale, 'four_level');
  const token = tokenOf(hit.body.detail.url);
  assert.ok(token, hit.body.detail.url);
  assert.match(hit.body.detail.text, /1 非常满意/);
  assert.equal((await publicGet(token)).body.state, 'open');
  await advance(47 * 60);
  assert.equal((await ticket(t.id)).status, 'resolved');
  await advance(61);
  await until('closed by expiry', async () => (await ticket(t.id)).status === 'closed');
  const closed = (await history(t.id)).filter((e) => e.action === 'closed_by_survey');
  assert.equal(closed.length, 1);
  assert.equal(closed[0].detail.reason, 'expired');
  assert.equal((await publicGet(token)).body.state, 'expired');
  const r = await publicPost(token, { rating: 'satisfied' });
  assert.equal(r.status, 410);
  assert.equal((await ticket(t.id)).satisfaction, null);
});

test('a link reaches only its own ticket\'s survey; unknown tokens are 404', async () => {
  const a = await phoneTicket('甲的工单');
  const b = await phoneTicket('乙的工单');
  await resolve(a.id, agent);
  await resolve(b.id, agent);
  const ta = tokenOf((await sentEvent(a.number)).body.detail.url);
  const tb = tokenOf((await sentEvent(b.number)).body.detail.url);
  assert.notEqual(ta, tb);
  assert.equal((await publicGet(ta)).body.ticket.number, a.number);
  assert.equal((await publicGet(tb)).body.ticket.number, b.number);
  let r = await publicPost(ta, { rating: 'satisfied' });
  assert.equal(r.status, 200);
  assert.equal((await ticket(a.id)).status, 'closed');
  assert.equal((await ticket(b.id)).status, 'resolved'); // the other ticket is untouched
  assert.equal((await ticket(b.id)).satisfaction, null);
  for (const bad of ['0'.repeat(64), ta.slice(0, 63), ta + '0', 'x']) {
    r = await publicGet(bad);
    assert.equal(r.status, 404, bad);
  }
  r = await publicPost('f'.repeat(64), { rating: 'satisfied' });
  assert.equal(r.status, 404);
  r = await fetch(`${srv.base}/api/v1/surveys/${tb}`, { method: 'POST', body: '{bad', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal((await publicPost(tb, {})).status, 422);
  assert.equal((await publicPost(tb, { rating: 4 })).status, 422); // a number is not a level
});

test('a webhook ticket: the survey is a callback; a bare "4" (不满意) starts second handling that warns, breaches, and asks again when resolved', async () => {
  await settings({ delay_minutes: 0, scale: 'four_level', second_handling_hours: 24 });
  await hookPost({ message_id: 'sv-1', thread_id: 'th-9', customer: { external_id: 'u-9', name: '小赵', phone: '13700002222' }, body: '耳机没声音' });
  const t = (await admin.get('/api/v1/tickets?channel=APP')).body.items.find((x) => x.subject.includes('耳机'));
  let r = await admin.patch(`/api/v1/tickets/${t.id}`, { department_id: dept.id, assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  await resolve(t.id, agent);
  const survey = await until('the survey callback', () => app.got.find((h) => h.body.ticket.number === t.number && tokenOf(h.body.message.body)));
  assert.match(survey.body.message.body, /4 不满意/);
  // the customer answers with a bare rating on the same thread
  await hookPost({ message_id: 'sv-2', thread_id: 'th-9', customer: { external_id: 'u-9' }, body: ' 4 ' });
  const back = await until('second handling', async () => { const x = await ticket(t.id); return x.second_handling ? x : null; });
  assert.equal(back.status, 'in_progress');
  assert.equal(back.assignee.id, sup.user.id);
  assert.equal(back.second_handling.round, 1);
  assert.equal(back.satisfaction.rating, 'unsatisfied');
  assert.equal(back.satisfaction.score, 1);
  const due = Date.parse(back.second_handling.due_at) - Date.parse(back.second_handling.started_at);
  assert.equal(due, 24 * 3600 * 1000);
  const notes = (await sup.get('/api/v1/notifications')).body.items.filter((n) => n.kind === 'second_handling' && n.ticket_id === t.id);
  assert.equal(notes.length, 1);
  await until('the customer told', () => app.got.find((h) => h.body.ticket.number === t.number && h.body.message.body.includes('重新处理')));
  // the supervisor's queue shows it with its deadline
  r = await sup.get('/api/v1/second-handling');
  assert.equal(r.status, 200, r.text);
  const row = r.body.items.find((x) => x.ticket.id === t.id);
  assert.equal(row.due_at, back.second_handling.due_at);
  assert.equal((await agent.get('/api/v1/second-handling')).status, 403);
  // the staff list: supervisors see all, unsatisfied first; the agent sees the tickets assigned to them
  r = await sup.get('/api/v1/surveys?sort=unsatisfied_first');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.items[0].rating, 'unsatisfied');
  assert.equal(r.body.items[0].ticket_id, t.id);
  assert.ok(r.body.items.some((x) => x.rating === 'very_satisfied'));
  r = await sup.get(`/api/v1/surveys?ticket_id=${t.id}`);
  assert.deepEqual(r.body.items.map((x) => [x.channel, x.scale, x.rating, x.score, x.state]), [['APP', 'four_level', 'unsatisfied', 1, 'answered']]);
  r = await sup.get('/api/v1/surveys?rating=very_satisfied');
  assert.ok(r.body.items.length >= 1 && r.body.items.every((x) => x.rating === 'very_satisfied'));
  assert.equal((await sup.get('/api/v1/surveys?rating=great')).status, 422);
  assert.equal((await sup.get('/api/v1/surveys?from=yesterday')).status, 422);
  const mine = (await agent.get('/api/v1/surveys')).body.items;
  assert.ok(mine.every((x) => x.ticket_id !== t.id)); // now the supervisor's ticket
  const a2 = await tokenClient('a2', 'password-123');
  assert.deepEqual((await a2.get('/api/v1/surveys')).body.items, []);
  // the deadline warns at 80 % and breaches at 24 hours, each once
  await advance(20 * 60);
  await until('warned', async () => (await history(t.id)).some((e) => e.action === 'sla_warning' && e.detail.target === 'second_handling'));
  await advance(5 * 60);
  await until('breached', async () => (await history(t.id)).some((e) => e.action === 'breached' && e.detail.target === 'second_handling'));
  await advance(60);
  const h = await history(t.id);
  assert.equal(h.filter((e) => e.action === 'breached' && e.detail.target === 'second_handling').length, 1);
  assert.ok((await ticket(t.id)).sla.breached.includes('second_handling'));
  // resolving it asks again: round 2, answered satisfied on the page, closes it
  await resolve(t.id, sup);
  const again = await until('the second survey', () => app.got.filter((h2) => h2.body.ticket.number === t.number && tokenOf(h2.body.message.body))[1]);
  const token2 = tokenOf(again.body.message.body);
  assert.equal((await publicGet(token2)).body.round, 2);
  assert.equal((await sup.get('/api/v1/second-handling')).body.items.some((x) => x.ticket.id === t.id), false);
  r = await publicPost(token2, { rating: 'satisfied', comment: '这次解决了' });
  assert.equal(r.status, 200);
  const done = await ticket(t.id);
  assert.equal(done.status, 'closed');
  assert.equal(done.satisfaction.rating, 'satisfied');
  assert.equal(done.satisfaction.score, 4);
  assert.ok(done.second_handling.ended_at);
});

test('three levels and five points: bare ratings by word and digit, scored 5/3/1 and as given', async () => {
  await settings({ delay_minutes: 0, scale: 'three_level' });
  await hookPost({ message_id: 'sv-10', thread_id: 'th-10', customer: { external_id: 'u-10', name: '小钱' }, body: '充电器坏了' });
  let t = (await admin.get('/api/v1/tickets?channel=APP')).body.items.find((x) => x.subject.includes('充电器'));
  await resolve(t.id);
  await until('three-level survey', () => app.got.find((h) => h.body.ticket.number === t.number && tokenOf(h.body.message.body)));
  await hookPost({ message_id: 'sv-11', thread_id: 'th-10', customer: { external_id: 'u-10' }, body: '基本满意！' });
  t = await until('answered', async () => { const x = await ticket(t.id); return x.satisfaction ? x : null; });
  assert.deepEqual([t.satisfaction.rating, t.satisfaction.score, t.status], ['basically_satisfied', 3, 'closed']);

  await settings({ scale: 'five_point' });
  await hookPost({ message_id: 'sv-20', thread_id: 'th-20', customer: { external_id: 'u-20', name: '小孙' }, body: '屏幕闪烁' });
  t = (await admin.get('/api/v1/tickets?channel=APP')).body.items.find((x) => x.subject.includes('屏幕'));
  await resolve(t.id);
  const s = await until('five-point survey', () => app.got.find((h) => h.body.ticket.number === t.number && tokenOf(h.body.message.body)));
  const token = tokenOf(s.body.message.body);
  assert.deepEqual((await publicGet(token)).body.choices.map((c) => c.score), [5, 4, 3, 2, 1]);
  // more than a rating is a message, not an answer: the ticket goes back to work as before
  await hookPost({ message_id: 'sv-21', thread_id: 'th-20', customer: { external_id: 'u-20' }, body: '2 还是闪' });
  t = await until('reopened', async () => { const x = await ticket(t.id); return x.status === 'in_progress' ? x : null; });
  assert.equal(t.satisfaction, null);
  assert.equal((await publicGet(token)).body.state, 'open');
  const r = await publicPost(token, { rating: 2 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  t = await ticket(t.id);
  assert.deepEqual([t.satisfaction.rating, t.satisfaction.score], ['2', 2]);
  assert.equal(t.second_handling, null); // already back at work: the answer is kept, nothing more
});

test('a live chat ticket: the survey reaches the visitor\'s chat; a bare 满意 there answers it', async () => {
  await settings({ delay_minutes: 0, scale: 'four_level' });
  let r = await fetch(`${srv.base}/api/v1/chat/sessions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'CHAT', body: '蓝牙连不上', name: '小周', phone: '13600003333' }),
  });
  const chat = await r.json();
  assert.equal(r.status, 201, JSON.stringify(chat));
  const visitor = { Authorization: 'Visitor ' + chat.visitor_token, 'Content-Type': 'application/json' };
  const t = await ticket(chat.ticket.number);
  await resolve(t.id);
  const msg = await until('the survey in the chat', async () => {
    const c = await (await fetch(`${srv.base}/api/v1/chat/sessions/${chat.id}`, { headers: visitor })).json();
    return (c.messages || []).find((m) => tokenOf(m.body));
  });
  assert.match(msg.body, /1 非常满意/);
  assert.equal(gateway.got.some((h) => h.body.event === 'survey.sent' && h.body.detail.number === t.number), false);
  r = await fetch(`${srv.base}/api/v1/chat/sessions/${chat.id}/messages`, { method: 'POST', headers: visitor, body: JSON.stringify({ body: '满意' }) });
  assert.ok(r.status === 201 || r.status === 200, await r.text());
  const after = await ticket(t.id);
  assert.deepEqual([after.satisfaction.rating, after.status], ['satisfied', 'closed']);
});

test('a WeChat ticket: the survey is a customer-service message; a full-width １ in reply answers it', async () => {
  await settings({ delay_minutes: 0, scale: 'four_level' });
  const follow = async (content, msgId) => {
    const r = await fetch(`${srv.base}/hooks/wechat/WX?${signedQuery('wx-survey-token')}`, {
      method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: messageXml({ from: 'oSurveyFan', content, msgId }),
    });
    assert.equal(r.status, 200, await r.text());
  };
  await follow('扫地机器人不回充', '880001');
  const t = (await admin.get('/api/v1/tickets?channel=WX')).body.items.find((x) => x.subject.includes('扫地机器人'));
  await resolve(t.id);
  const sent = await until('the survey on WeChat', () => wx.sends.find((x) => x.body.touser === 'oSurveyFan' && tokenOf(x.body.text.content)));
  assert.match(sent.body.text.content, new RegExp(t.number));
  await follow('１', '880002');
  const after = await until('answered', async () => { const x = await ticket(t.id); return x.satisfaction ? x : null; });
  assert.deepEqual([after.satisfaction.rating, after.satisfaction.score, after.status], ['very_satisfied', 5, 'closed']);
});

test('a survey due before a restart is sent once after it', async () => {
  await settings({ delay_minutes: 3, scale: 'four_level' });
  const t = await phoneTicket('重启前的工单');
  await resolve(t.id, agent);
  await srv.stop();
  await srv.start();
  admin.base = srv.base;
  agent.base = srv.base;
  await advance(4);
  await sentEvent(t.number);
  await advance(1);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(gateway.got.filter((h) => h.body.event === 'survey.sent' && h.body.detail.number === t.number).length, 1);
  assert.equal((await history(t.id)).filter((e) => e.action === 'survey_sent').length, 1);
});

test('a client that tries many unknown links is held off (429), the survey itself untouched', async () => {
  let last;
  for (let i = 0; i < 61; i++) last = await publicGet(i.toString(16).padStart(64, 'a'));
  assert.equal(last.status, 429);
  assert.equal(last.body.error.code, 'too_many_requests');
  assert.equal((await publicPost('b'.repeat(64), { rating: 'satisfied' })).status, 429);
});
