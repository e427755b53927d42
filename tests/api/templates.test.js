// Standard replies (标准话术): supervisors keep them per type and category; every staff role
// finds them (the exact shortcut first) and fills one for a ticket, with the emotion blanks
// marked by their offsets in characters of the filled body.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';

let srv, admin, lead, agent, specialist;

const BODY = '{{customer.name}}您好,您提到的{{ticket.subject}}问题我们[[非常理解]],已经帮您[[加急跟进]],'
  + '预计{{eta}}内会有反馈。工单号{{ticket.number}}。';

async function user(username, role) {
  const r = await admin.post('/api/v1/users', { username, name: username === 'wang' ? '王主管' : '李四', role, password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  return new Client(srv.base).login(username, 'password-123');
}

async function ticket(extra = {}) {
  const r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'complaint', category: 'logistics-delay', subject: '家电未按时送货',
    description: '承诺10月1日送达,至今未收到', urgency: 'high',
    customer: { name: '张三', phone: '13812345678' }, ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

// Code points of s between two code-point offsets (what the API's offsets count).
const slice = (s, start, end) => [...s].slice(start, end).join('');

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  lead = await user('wang', 'supervisor');
  agent = await user('li', 'agent');
  specialist = await user('zhao', 'specialist');
});

after(() => srv.finish());

test('a supervisor keeps standard replies; agents and specialists read but may not change them', async () => {
  let r = await lead.post('/api/v1/templates', {
    name: '物流延迟安抚', type: 'complaint', category: 'logistics-delay', shortcut: 'WL', body: BODY,
  });
  assert.equal(r.status, 201, r.text);
  const t = r.body.template;
  assert.equal(t.name, '物流延迟安抚');
  assert.equal(t.type, 'complaint');
  assert.equal(t.category, 'logistics-delay');
  assert.equal(t.shortcut, 'wl');
  assert.equal(t.body, BODY);
  assert.equal(t.updated_by, '王主管');
  assert.match(t.created_at, /\+08:00$/);

  for (const c of [agent, specialist]) {
    r = await c.post('/api/v1/templates', { name: 'x', body: 'y' });
    assert.equal(r.status, 403, r.text);
    r = await c.patch(`/api/v1/templates/${t.id}`, { name: 'x' });
    assert.equal(r.status, 403, r.text);
    r = await c.del(`/api/v1/templates/${t.id}`);
    assert.equal(r.status, 403, r.text);
    r = await c.get(`/api/v1/templates/${t.id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.template.body, BODY);
  }
  r = await new Client(srv.base).get('/api/v1/templates');
  assert.equal(r.status, 401);

  // an admin may too; PATCH changes what it names, null clears
  r = await admin.post('/api/v1/templates', { name: '通用结束语', body: '感谢您的耐心,[[祝您生活愉快]]!' });
  assert.equal(r.status, 201, r.text);
  const generic = r.body.template;
  assert.equal(generic.type, null);
  assert.equal(generic.category, null);
  assert.equal(generic.shortcut, null);
  r = await lead.patch(`/api/v1/templates/${generic.id}`, { shortcut: 'js', category: 'service-attitude' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.template.shortcut, 'js');
  assert.equal(r.body.template.category, 'service-attitude');
  assert.equal(r.body.template.type, 'complaint', 'the category brings its type');
  assert.equal(r.body.template.name, '通用结束语');
  r = await lead.patch(`/api/v1/templates/${generic.id}`, { shortcut: null, category: null, type: null });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.template.shortcut, null);
  assert.equal(r.body.template.type, null);

  r = await lead.del(`/api/v1/templates/${generic.id}`);
  assert.equal(r.status, 204, r.text);
  r = await agent.get(`/api/v1/templates/${generic.id}`);
  assert.equal(r.status, 404, r.text);
  r = await lead.del(`/api/v1/templates/${generic.id}`);
  assert.equal(r.status, 404, r.text);
  r = await lead.patch(`/api/v1/templates/${generic.id}`, { name: 'x' });
  assert.equal(r.status, 404, r.text);
});

test('bad templates are refused naming the field; a shortcut taken is a conflict', async () => {
  const bad = [
    [{ body: 'x' }, 'name'],
    [{ name: '', body: 'x' }, 'name'],
    [{ name: 'x'.repeat(101), body: 'x' }, 'name'],
    [{ name: 'x' }, 'body'],
    [{ name: 'x', body: '   ' }, 'body'],
    [{ name: 'x', body: '话'.repeat(5001) }, 'body'],
    [{ name: 'x', body: 'x', type: 'nonsense' }, 'type'],
    [{ name: 'x', body: 'x', category: 'no-such-category' }, 'category'],
    [{ name: 'x', body: 'x', type: 'inquiry', category: 'logistics-delay' }, 'category'],
    [{ name: 'x', body: 'x', shortcut: 'w l' }, 'shortcut'],
    [{ name: 'x', body: 'x', shortcut: '物流' }, 'shortcut'],
    [{ name: 'x', body: 'x', shortcut: 'a'.repeat(21) }, 'shortcut'],
    [{ name: 'x', body: 'x', shortcut: 7 }, 'shortcut'],
    [{ name: 'x', body: 'x', colour: 'red' }, 'colour'],
  ];
  for (const [body, field] of bad) {
    const r = await lead.post('/api/v1/templates', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  let r = await lead.post('/api/v1/templates', { name: '另一个', body: 'x', shortcut: 'Wl' });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.field, 'shortcut');
  r = await lead.post('/api/v1/templates', { name: '另一个', body: 'x', shortcut: 'wl2' });
  assert.equal(r.status, 201, r.text);
  r = await lead.patch(`/api/v1/templates/${r.body.template.id}`, { shortcut: 'wl' });
  assert.equal(r.status, 409, r.text);
  r = await lead.post('/api/v1/templates', 'not json{');
  assert.equal(r.status, 400, r.text);
  r = await lead.req('POST', '/api/v1/templates', undefined, { raw: '{"name":', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400, r.text);
  r = await agent.get('/api/v1/templates/abc');
  assert.equal(r.status, 404, r.text);
});

test('a search finds the exact shortcut first, then words in the name, shortcut or body', async () => {
  let r = await lead.post('/api/v1/templates', { name: 'WL 物流说明', body: '物流信息请在APP查看', shortcut: 'wlx' });
  assert.equal(r.status, 201, r.text);
  r = await lead.post('/api/v1/templates', { name: '保修政策', type: 'inquiry', category: 'warranty-policy', body: '本产品保修三年' });
  assert.equal(r.status, 201, r.text);

  r = await agent.get('/api/v1/templates?q=wl');
  assert.equal(r.status, 200, r.text);
  // the exact one, then the others that start with it (by name: "WL 物流说明" before "另一个")
  assert.deepEqual(r.body.items.map((t) => t.shortcut), ['wl', 'wlx', 'wl2']);
  assert.equal(r.body.next_cursor, null);
  r = await agent.get('/api/v1/templates?q=' + encodeURIComponent('保修 三年'));
  assert.deepEqual(r.body.items.map((t) => t.name), ['保修政策']);
  r = await agent.get('/api/v1/templates?q=' + encodeURIComponent('加急'));
  assert.deepEqual(r.body.items.map((t) => t.name), ['物流延迟安抚'], 'the body is searched');
  r = await agent.get('/api/v1/templates?type=inquiry');
  assert.deepEqual(r.body.items.map((t) => t.name), ['保修政策']);
  r = await agent.get('/api/v1/templates?category=logistics-delay');
  assert.deepEqual(r.body.items.map((t) => t.name), ['物流延迟安抚']);
  r = await agent.get('/api/v1/templates?q=nothing-matches-this');
  assert.deepEqual(r.body.items, []);

  // pages
  r = await agent.get('/api/v1/templates?limit=2');
  assert.equal(r.body.items.length, 2);
  assert.ok(r.body.next_cursor);
  const rest = await agent.get(`/api/v1/templates?limit=2&cursor=${r.body.next_cursor}`);
  assert.equal(rest.status, 200, rest.text);
  const all = await agent.get('/api/v1/templates');
  assert.deepEqual([...r.body.items, ...rest.body.items].map((t) => t.id).slice(0, all.body.items.length),
    all.body.items.map((t) => t.id).slice(0, r.body.items.length + rest.body.items.length));

  for (const [q, field] of [['type=nonsense', 'type'], ['category=no-such', 'category'],
    ['limit=0', 'limit'], ['limit=201', 'limit'], ['cursor=abc', 'cursor'], ['q=' + 'x'.repeat(201), 'q']]) {
    r = await agent.get('/api/v1/templates?' + q);
    assert.equal(r.status, 422, `${q}: ${r.text}`);
    assert.equal(r.body.error.field, field, q);
  }
});

test('a template is filled for a real ticket: values, blanks at character offsets, unknown placeholders kept', async () => {
  const tk = await ticket({ expected_at: '2023-10-03T10:00:00Z' });
  let r = await agent.get('/api/v1/templates?q=wl');
  const wl = r.body.items[0];
  r = await agent.post(`/api/v1/templates/${wl.id}/render`, { ticket_id: tk.id });
  assert.equal(r.status, 200, r.text);
  const { body, blanks } = r.body;
  assert.equal(body, '张三您好,您提到的家电未按时送货问题我们非常理解,已经帮您加急跟进,'
    + `预计2023-10-03 18:00内会有反馈。工单号${tk.number}。`);
  assert.deepEqual(blanks, [
    { start: 20, end: 24, text: '非常理解', kind: 'emotion' },
    { start: 29, end: 33, text: '加急跟进', kind: 'emotion' },
  ]);
  for (const b of blanks) assert.equal(slice(body, b.start, b.end), b.text);

  // the agent's own name, an unknown placeholder and one without a value stay as written
  r = await lead.post('/api/v1/templates', {
    name: '签名', body: '😀{{agent.name}}为您服务,订单{{order.id}},截止{{due}},预计{{eta}}。[[再次致歉]]',
  });
  assert.equal(r.status, 201, r.text);
  const sig = r.body.template;
  const plain = await ticket({ type: 'inquiry', category: null, urgency: 'low' });
  r = await agent.post(`/api/v1/templates/${sig.id}/render`, { ticket_id: plain.id });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.body.startsWith('😀李四为您服务,订单{{order.id}},截止'), r.body.body);
  assert.ok(r.body.body.includes('预计{{eta}}。再次致歉'), r.body.body);
  const texts = r.body.blanks.map((b) => b.text);
  assert.ok(texts.includes('{{order.id}}') && texts.includes('{{eta}}') && texts.includes('再次致歉'), r.text);
  for (const b of r.body.blanks) assert.equal(slice(r.body.body, b.start, b.end), b.text, 'code points, the emoji is one');
  assert.equal(r.body.blanks[0].start, 10);

  // 404 for the template, 422 for the ticket
  r = await agent.post('/api/v1/templates/99999/render', { ticket_id: tk.id });
  assert.equal(r.status, 404, r.text);
  for (const [b, field] of [[{}, 'ticket_id'], [{ ticket_id: 'x' }, 'ticket_id'], [{ ticket_id: 99999 }, 'ticket_id']]) {
    r = await agent.post(`/api/v1/templates/${wl.id}/render`, b);
    assert.equal(r.status, 422, `${JSON.stringify(b)}: ${r.text}`);
    assert.equal(r.body.error.field, field);
  }
  r = await agent.post(`/api/v1/templates/${wl.id}/render`, 'nope');
  assert.equal(r.status, 400, r.text);
});
