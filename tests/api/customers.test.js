// One customer across channels: identities (phone, e-mail, WeChat openid, an app's user id,
// member id) linked to a customer by hand, refused when they are another customer's, and two
// customers merged into one: tickets, identities, contacts and portal sign-ins move, every moved
// ticket's history says so, the merged customer stays as a tombstone and later intakes find the
// survivor. Only staff may do it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { until } from '../lib/receiver.js';
import { ADMIN, Client, Server } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';

let srv, admin, agent, sup, sink, seq = 0;

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const [username, role] of [['a1', 'agent'], ['s1', 'supervisor']]) {
    const r = await admin.post('/api/v1/users', { username, name: username.toUpperCase(), role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  agent = await new Client(srv.base).login('a1', 'password-123');
  sup = await new Client(srv.base).login('s1', 'password-123');
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

// A phone number nobody else in this suite has.
const phone = () => `1381234${String(1000 + ++seq).padStart(4, '0')}`;

async function customer(fields) {
  const r = await agent.post('/api/v1/customers', fields);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function ticket(c, extra = {}) {
  const r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '咨询订单进度', description: '订单何时发货', urgency: 'medium', ...c, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const link = (who, id, body) => who.post(`/api/v1/customers/${id}/identities`, body);
const identities = async (who, id, query = '') => {
  const r = await who.get(`/api/v1/customers/${id}/identities${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
};
const ticketsOf = async (id) => (await admin.get(`/api/v1/tickets?customer_id=${id}&limit=100`)).body.items;

// The audit rows of customer id, read from the database file itself.
function audit(id) {
  const r = spawnSync('sqlite3', ['-json', join(srv.dataDir, 'kefu.db'),
    `SELECT a.action, u.username, a.before, a.after FROM audit a LEFT JOIN users u ON u.id = a.actor_id
     WHERE a.entity = 'customer' AND a.entity_id = ${Number(id)} ORDER BY a.id`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

test('an agent links identities of every kind; contacts among them are masked unless a lead unmasks', async () => {
  const p = phone();
  const c = await customer({ name: '张三', phone: p });
  let r = await link(agent, c.id, { kind: 'wechat_openid', value: 'oZhang_3-x' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'wechat_openid');
  assert.equal(r.body.value, 'oZhang_3-x');
  assert.equal(r.body.channel, null);
  r = await link(agent, c.id, { kind: 'phone', value: '139-0000-2222' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.value, '139****2222', 'the number normalized, shown masked');
  r = await link(agent, c.id, { kind: 'email', value: 'Zhang.San@Example.com' });
  assert.equal(r.status, 201, r.text);
  r = await link(agent, c.id, { kind: 'external_id', channel: 'APP', value: 'u-4242' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.kind, r.body.channel, r.body.value], ['external_id', 'APP', 'u-4242']);
  r = await link(agent, c.id, { kind: 'member_id', value: 'VIP-0086' });
  assert.equal(r.status, 201, r.text);

  const masked = await identities(agent, c.id);
  assert.deepEqual(masked.map((i) => i.kind), ['wechat_openid', 'phone', 'email', 'external_id', 'member_id']);
  assert.equal(masked[1].value, '139****2222');
  assert.notEqual(masked[2].value, 'zhang.san@example.com');
  assert.notEqual(masked[4].value, 'VIP-0086');
  assert.equal(masked[3].value, 'u-4242', 'an app user id is no contact');
  for (const i of masked) assert.match(i.created_at, /^\d{4}-\d\d-\d\dT/);

  r = await agent.get(`/api/v1/customers/${c.id}/identities?unmask=1`);
  assert.equal(r.status, 403);
  assert.equal(r.body.error.field, 'unmask');
  const full = await identities(sup, c.id, '?unmask=1');
  assert.deepEqual(full.map((i) => i.value), ['oZhang_3-x', '13900002222', 'zhang.san@example.com', 'u-4242', 'VIP-0086']);
  assert.ok(audit(c.id).some((a) => a.action === 'customer.contact_viewed' && a.username === 's1'));
  assert.deepEqual(audit(c.id).filter((a) => a.action === 'customer.identity_added').map((a) => a.username),
    ['a1', 'a1', 'a1', 'a1', 'a1']);

  // a ticket registered with the linked phone, e-mail or member id finds this customer
  for (const contact of [{ phone: '13900002222' }, { email: 'ZHANG.SAN@example.com' }, { member_id: 'VIP-0086' }]) {
    const t = await ticket({ customer: { name: '别的名字', ...contact } });
    assert.equal(t.customer.id, c.id, JSON.stringify(contact));
  }
});

test("another customer's identity or contact is 409 naming that customer, so the agent can merge instead", async () => {
  const a = await customer({ name: '甲', phone: phone() });
  const bPhone = phone();
  const b = await customer({ name: '乙', phone: bPhone });
  assert.equal((await link(agent, a.id, { kind: 'wechat_openid', value: 'oJia' })).status, 201);

  let r = await link(agent, b.id, { kind: 'wechat_openid', value: 'oJia' });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.field, 'value');
  assert.match(r.body.error.message, new RegExp(`customer ${a.id}\\b`));
  r = await link(agent, a.id, { kind: 'phone', value: bPhone });
  assert.equal(r.status, 409, 'b has this phone as its contact');
  assert.match(r.body.error.message, new RegExp(`customer ${b.id}\\b`));
  r = await link(agent, a.id, { kind: 'wechat_openid', value: 'oJia' });
  assert.equal(r.status, 409, 'twice on the same customer');
  assert.doesNotMatch(r.body.error.message, /merge/);
  assert.equal((await identities(agent, b.id)).length, 0, 'nothing was linked to b');
});

test('bad identities are 4xx naming the field; an identity is removed with 204', async () => {
  const c = await customer({ name: '丙', phone: phone() });
  const bad = [
    [{ kind: 'fax', value: '123456' }, 'kind'],
    [{ value: '123456' }, 'kind'],
    [{ kind: 'phone', value: 'call me' }, 'value'],
    [{ kind: 'phone', value: '12' }, 'value'],
    [{ kind: 'email', value: 'not-an-address' }, 'value'],
    [{ kind: 'member_id', value: 'a b' }, 'value'],
    [{ kind: 'wechat_openid', value: 'o id with spaces' }, 'value'],
    [{ kind: 'wechat_openid', value: 'x'.repeat(129) }, 'value'],
    [{ kind: 'external_id', value: 'u-1' }, 'channel'],
    [{ kind: 'external_id', channel: 'NOPE', value: 'u-1' }, 'channel'],
    [{ kind: 'external_id', channel: 'APP', value: 'a\u0001b' }, 'value'],
    [{ kind: 'external_id', channel: 'APP', value: 'é'.repeat(101) }, 'value'],
    [{ kind: 'wechat_openid', channel: 'WX', value: 'oBing' }, 'channel'],
    [{ kind: 'email', value: 'a'.repeat(190) + '@example.com' }, 'value'],
    [{ kind: 'email' }, 'value'],
    [{ kind: 'email', value: '' }, 'value'],
    [{ kind: 'email', value: 7 }, 'value'],
    [{ kind: ['phone'], value: '13800000000' }, 'kind'],
  ];
  for (const [body, field] of bad) {
    const r = await link(agent, c.id, body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  let r = await agent.post(`/api/v1/customers/${c.id}/identities`, undefined, { raw: '{"kind":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await link(agent, 999999, { kind: 'wechat_openid', value: 'oNobody' });
  assert.equal(r.status, 404);
  assert.equal((await agent.get('/api/v1/customers/999999/identities')).status, 404);
  assert.equal((await identities(agent, c.id)).length, 0);

  const other = await customer({ name: '丁', phone: phone() });
  r = await link(agent, c.id, { kind: 'wechat_openid', value: 'oBing' });
  assert.equal(r.status, 201, r.text);
  const id = r.body.id;
  assert.equal((await agent.del(`/api/v1/customers/${other.id}/identities/${id}`)).status, 404, "not other's");
  assert.equal((await agent.del(`/api/v1/customers/${c.id}/identities/${id}`)).status, 204);
  assert.equal((await identities(agent, c.id)).length, 0);
  assert.equal((await agent.del(`/api/v1/customers/${c.id}/identities/${id}`)).status, 404);
  assert.equal((await agent.del(`/api/v1/customers/${c.id}/identities/x`)).status, 404);
  assert.deepEqual(audit(c.id).filter((a) => a.action === 'customer.identity_removed').map((a) => a.username), ['a1']);
  // free again: another customer may have it now
  assert.equal((await link(agent, other.id, { kind: 'wechat_openid', value: 'oBing' })).status, 201);
});

test('a merge moves tickets, identities and contacts to the survivor; the other stays as a tombstone', async () => {
  const wxPhone = phone();
  const into = await customer({ name: '王五', email: 'wang5@example.com', member_id: 'M-5', tier: 'normal' });
  const from = await customer({ name: '王五(微信)', phone: wxPhone, email: 'wang5.wx@example.com', tier: 'vip' });
  assert.equal((await link(agent, from.id, { kind: 'wechat_openid', value: 'oWang5' })).status, 201);
  const own = await ticket({ customer_id: into.id });
  const moved = [await ticket({ customer_id: from.id, subject: '微信里问的' }), await ticket({ customer_id: from.id, subject: '又问了一次' })];
  let r = await agent.get(`/api/v1/customers/${from.id}`);
  assert.equal(r.body.ticket_count, 2, 'what the merge dialog shows before merging');

  r = await agent.post(`/api/v1/customers/${into.id}/merge`, { from: from.id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.id, into.id);
  assert.equal(r.body.name, '王五', 'the survivor keeps its name');
  assert.equal(r.body.phone, wxPhone.slice(0, 3) + '****' + wxPhone.slice(7), 'the phone it lacked, masked');
  assert.equal(r.body.tier, 'vip', 'the higher tier');
  assert.equal(r.body.ticket_count, 3);
  assert.equal(r.body.merged_into, undefined);

  assert.deepEqual((await ticketsOf(into.id)).map((t) => t.id).sort(), [own.id, ...moved.map((t) => t.id)].sort());
  assert.deepEqual(await ticketsOf(from.id), []);
  for (const t of moved) {
    const h = (await agent.get(`/api/v1/tickets/${t.id}/history`)).body.items;
    const e = h.find((x) => x.action === 'customer_merged');
    assert.ok(e, JSON.stringify(h));
    assert.equal(e.actor.name, 'A1');
    assert.deepEqual([e.detail.from_customer_id, e.detail.customer_id], [from.id, into.id]);
    assert.equal((await agent.get(`/api/v1/tickets/${t.id}`)).body.customer.id, into.id);
  }
  assert.ok(!(await agent.get(`/api/v1/tickets/${own.id}/history`)).body.items.some((x) => x.action === 'customer_merged'));

  // the openid came along; the e-mail the survivor had already became one of its identities
  const ids = await identities(sup, into.id, '?unmask=1');
  assert.deepEqual(ids.map((i) => [i.kind, i.value]).sort(), [['email', 'wang5.wx@example.com'], ['wechat_openid', 'oWang5']]);
  r = await sup.get(`/api/v1/customers/${into.id}?unmask=1`);
  assert.deepEqual([r.body.phone, r.body.email, r.body.member_id], [wxPhone, 'wang5@example.com', 'M-5']);

  // the tombstone
  r = await agent.get(`/api/v1/customers/${from.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.merged_into, into.id);
  assert.equal(r.body.phone, null, 'its contacts went to the survivor');
  assert.equal(r.body.ticket_count, 0);
  const names = (await agent.get(`/api/v1/customers?q=${encodeURIComponent('王五')}`)).body.items.map((c) => c.id);
  assert.ok(names.includes(into.id) && !names.includes(from.id), JSON.stringify(names));
  assert.ok(!(await agent.get('/api/v1/customers?limit=200')).body.items.some((c) => c.id === from.id));
  assert.deepEqual((await agent.get(`/api/v1/customers?q=${wxPhone}`)).body.items.map((c) => c.id), [into.id]);
  r = await agent.patch(`/api/v1/customers/${from.id}`, { name: '改名' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'id');
  assert.match(r.body.error.message, new RegExp(`customer ${into.id}\\b`));
  assert.equal((await link(agent, from.id, { kind: 'wechat_openid', value: 'oLate' })).status, 422);

  // later intakes that would have found the merged customer find the survivor
  for (const c of [{ customer_id: from.id }, { customer: { name: '某人', phone: wxPhone } },
    { customer: { name: '某人', email: 'wang5.wx@example.com' } }]) {
    const t = await ticket(c);
    assert.equal(t.customer.id, into.id, JSON.stringify(c));
  }

  // both customers' audit names the actor
  const a = audit(into.id).find((x) => x.action === 'customer.merged');
  assert.equal(a.username, 'a1');
  assert.equal(JSON.parse(a.after).from_customer_id, from.id);
  assert.equal(JSON.parse(a.after).tickets_moved, 2);
  const t = audit(from.id).find((x) => x.action === 'customer.merged_away');
  assert.equal(t.username, 'a1');
  assert.equal(JSON.parse(t.before).phone, wxPhone, 'what the merged customer was is kept');
  assert.equal(JSON.parse(t.after).merged_into, into.id);
});

test('a customer merged into one that is merged later names the last survivor', async () => {
  const a = await customer({ name: '链一', phone: phone() });
  const b = await customer({ name: '链二', phone: phone() });
  const c = await customer({ name: '链三', phone: phone() });
  assert.equal((await agent.post(`/api/v1/customers/${b.id}/merge`, { from: a.id })).status, 200);
  assert.equal((await sup.post(`/api/v1/customers/${c.id}/merge`, { from: b.id })).status, 200);
  assert.equal((await agent.get(`/api/v1/customers/${a.id}`)).body.merged_into, c.id);
  assert.equal((await ticket({ customer_id: a.id })).customer.id, c.id);
});

test('merging into itself, into or from a merged customer, or a missing one is refused and changes nothing', async () => {
  const a = await customer({ name: '戊', phone: phone() });
  const b = await customer({ name: '己', phone: phone() });
  const gone = await customer({ name: '庚', phone: phone() });
  await ticket({ customer_id: b.id });
  assert.equal((await agent.post(`/api/v1/customers/${a.id}/merge`, { from: gone.id })).status, 200);
  const cases = [
    [a.id, { from: a.id }, 422, 'from'],
    [a.id, { from: gone.id }, 422, 'from'],
    [gone.id, { from: b.id }, 422, 'id'],
    [a.id, { from: 999999 }, 404, 'from'],
    [999999, { from: b.id }, 404, 'id'],
    [a.id, {}, 422, 'from'],
    [a.id, { from: null }, 422, 'from'],
    [a.id, { from: String(b.id) }, 422, 'from'],
    [a.id, { from: -1 }, 422, 'from'],
  ];
  for (const [id, body, status, field] of cases) {
    const r = await agent.post(`/api/v1/customers/${id}/merge`, body);
    assert.equal(r.status, status, `${id} ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.field, field, `${id} ${JSON.stringify(body)}`);
  }
  let r = await agent.post(`/api/v1/customers/${a.id}/merge`, undefined, { raw: 'from=3', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal((await agent.post('/api/v1/customers/x/merge', { from: b.id })).status, 404);
  assert.equal((await ticketsOf(b.id)).length, 1, 'b keeps its ticket');
  r = await agent.get(`/api/v1/customers/${b.id}`);
  assert.equal(r.body.merged_into, undefined);
});

test('a portal customer or a chat visitor can neither link nor merge; a merged customer signs in to the survivor', async () => {
  const email = 'portal.merge@example.com';
  const a = await customer({ name: '门户客户', email });
  const b = await customer({ name: '同一人', phone: phone(), email: 'other.box@example.com' });
  await ticket({ customer_id: a.id, subject: '门户里的单' });
  await ticket({ customer_id: b.id, subject: '电话里的单' });

  // a signed-in portal customer
  const login = await fetch(srv.base + '/api/v1/portal/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
  assert.equal(login.status, 202);
  const mail = await until('the code mail', () => sink.mails().find((m) => m.rcpt_tos.includes(email)));
  const code = /\b(\d{6})\b/.exec(mail.text)[1];
  const v = await fetch(srv.base + '/api/v1/portal/verify', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, code }) });
  assert.equal(v.status, 200, await v.text());
  const cookie = v.headers.get('set-cookie').split(';')[0];
  const asCustomer = (method, path, body) => fetch(srv.base + path, {
    method, headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const portalSubjects = async () => (await (await asCustomer('GET', '/api/v1/portal/tickets')).json()).items.map((t) => t.subject).sort();
  assert.deepEqual(await portalSubjects(), ['门户里的单']);

  // a chat visitor
  const chat = await fetch(srv.base + '/api/v1/chat/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ channel: 'CHAT', body: '你好', name: '访客' }) });
  assert.equal(chat.status, 201);
  const token = (await chat.json()).visitor_token;
  const asVisitor = (method, path, body) => fetch(srv.base + path, {
    method, headers: { Authorization: 'Visitor ' + token, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  });

  for (const call of [asCustomer, asVisitor]) {
    for (const [method, path, body] of [
      ['POST', `/api/v1/customers/${b.id}/merge`, { from: a.id }],
      ['POST', `/api/v1/customers/${a.id}/identities`, { kind: 'wechat_openid', value: 'oSneaky' }],
      ['GET', `/api/v1/customers/${a.id}/identities`],
      ['DELETE', `/api/v1/customers/${a.id}/identities/1`],
    ]) {
      const r = await call(method, path, body);
      assert.ok(r.status === 401 || r.status === 403, `${method} ${path}: ${r.status}`);
    }
  }
  assert.equal((await ticketsOf(a.id)).length, 1, 'nothing moved');

  // staff merge: the portal session follows, and the old address signs in to the survivor
  assert.equal((await agent.post(`/api/v1/customers/${b.id}/merge`, { from: a.id })).status, 200);
  assert.deepEqual(await portalSubjects(), ['电话里的单', '门户里的单']);
  const again = await fetch(srv.base + '/api/v1/portal/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
  assert.equal(again.status, 202);
  await until('a second code mail', () => sink.mails().filter((m) => m.rcpt_tos.includes(email)).length === 2);
});
