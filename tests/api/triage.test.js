// Triage: the category tree routes to departments, priority rules set priority, department
// and labels on creation and on re-classification, a dry run shows it without storing anything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv, admin, agent, sup, warehouse, product, tech;

const base = {
  channel: 'TEL', type: 'inquiry', subject: '保修期多久', description: '想了解保修政策',
  urgency: 'medium', customer: { name: '李四', phone: '13900001111', tier: 'normal' },
};

async function create(c, extra = {}) {
  const r = await c.post('/api/v1/tickets', { ...base, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function rule(body) {
  const r = await admin.post('/api/v1/priority-rules', body);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  const dep = async (code, name) => {
    const r = await admin.post('/api/v1/departments', { code, name });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  warehouse = await dep('warehouse', '仓储部');
  product = await dep('product', '产品部');
  tech = await dep('tech', '技术支持');
  for (const [username, role] of [['a1', 'agent'], ['s1', 'supervisor']]) {
    const r = await admin.post('/api/v1/users', { username, name: username, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
  agent = await new Client(srv.base).login('a1', 'password-123');
  sup = await new Client(srv.base).login('s1', 'password-123');
});

after(() => srv.finish());

test('an admin builds the category tree and a category routes its tickets to its department', async () => {
  let r = await admin.post('/api/v1/categories', {
    code: 'delivery-late', name: '配送超时', type: 'complaint', parent_code: 'logistics-delay',
    department_id: warehouse.id,
  });
  assert.equal(r.status, 201, r.text);
  r = await admin.patch('/api/v1/categories/product-usage', { name: '产品功能使用', department_id: product.id });
  assert.equal(r.status, 200, r.text);
  r = await admin.get('/api/v1/categories');
  const sub = r.body.items.find((c) => c.code === 'delivery-late');
  assert.equal(sub.parent_code, 'logistics-delay');
  assert.equal(sub.department_id, warehouse.id);

  const t = await create(agent, { type: 'complaint', category: 'delivery-late', subject: '快递三天没动' });
  assert.equal(t.department.code, 'warehouse');
  assert.equal(t.priority, 'medium'); // no rule: the urgency
  const q = await create(agent, { category: 'product-usage', subject: '怎么设置定时' });
  assert.equal(q.department.code, 'product');
});

test('rules are refused with the field at fault', async () => {
  const cases = [
    [{ name: 'x', conditions: { keywords: [] }, actions: { priority: 'high' } }, 'conditions.keywords'],
    [{ name: 'x', conditions: { keywords: ['  '] }, actions: { priority: 'high' } }, 'conditions.keywords'],
    [{ name: 'x', conditions: { type: ['question'] }, actions: { priority: 'high' } }, 'conditions.type'],
    [{ name: 'x', conditions: { channel: ['FAX'] }, actions: { priority: 'high' } }, 'conditions.channel'],
    [{ name: 'x', conditions: { colour: ['red'] }, actions: { priority: 'high' } }, 'conditions.colour'],
    [{ name: 'x', actions: { priority: 'highest' } }, 'actions.priority'],
    [{ name: 'x', actions: { department_id: 999 } }, 'actions.department_id'],
    [{ name: 'x', actions: {} }, 'actions'],
    [{ name: 'x' }, 'actions'],
    [{ name: ' ', actions: { priority: 'low' } }, 'name'],
    [{ name: 'x', position: 0, actions: { priority: 'low' } }, 'position'],
  ];
  for (const [body, field] of cases) {
    const r = await admin.post('/api/v1/priority-rules', body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  let r = await sup.post('/api/v1/priority-rules', { name: 'x', actions: { priority: 'low' } });
  assert.equal(r.status, 403);
  r = await agent.get('/api/v1/priority-rules');
  assert.equal(r.status, 403);
  r = await admin.get('/api/v1/priority-rules');
  assert.equal(r.body.items.length, 0, 'nothing refused was stored');
});

test('rules run in order on creation: keywords, VIP complaints, suggestions; each in the history', async () => {
  const funds = await rule({
    name: '资金安全', position: 1, stop: true,
    conditions: { keywords: ['资金', '资金安全', 'Refund'] },
    actions: { priority: 'urgent', department_id: tech.id, labels: ['资金'] },
  });
  const vip = await rule({
    name: 'VIP投诉', position: 2,
    conditions: { tier: ['vip'], type: ['complaint'], urgency: ['high'] },
    actions: { priority: 'urgent', labels: ['VIP'] },
  });
  const low = await rule({ name: '建议降级', position: 3, conditions: { type: ['suggestion'] }, actions: { priority: 'low' } });
  assert.deepEqual(funds.conditions.keywords, ['Refund', '资金', '资金安全'].sort());
  assert.equal(funds.actions.department_id, tech.id);

  // a keyword in the description, in another case; stop keeps the later rules out
  let t = await create(agent, { type: 'suggestion', subject: '建议', description: 'please REFUND quickly' });
  assert.equal(t.priority, 'urgent');
  assert.equal(t.department.code, 'tech');
  assert.deepEqual(t.labels, ['资金']);
  let h = (await agent.get(`/api/v1/tickets/${t.id}/history`)).body.items;
  let applied = h.filter((e) => e.action === 'rule_applied');
  assert.equal(applied.length, 1);
  assert.equal(applied[0].detail.rule_id, funds.id);
  assert.equal(applied[0].detail.name, '资金安全');
  assert.equal(applied[0].actor, null);

  // every condition must hold: a normal customer's high complaint stays high
  t = await create(agent, { type: 'complaint', category: 'service-attitude', urgency: 'high', subject: '态度差' });
  assert.equal(t.priority, 'high');
  assert.deepEqual(t.labels, []);
  t = await create(agent, {
    type: 'complaint', category: 'service-attitude', urgency: 'high', subject: '态度差',
    customer: { name: '王五', phone: '13700002222', tier: 'vip' },
  });
  assert.equal(t.priority, 'urgent');
  assert.deepEqual(t.labels, ['VIP']);

  t = await create(agent, { type: 'suggestion', urgency: 'high', subject: '界面建议' });
  assert.equal(t.priority, 'low');
  h = (await agent.get(`/api/v1/tickets/${t.id}/history`)).body.items;
  assert.deepEqual(h.filter((e) => e.action === 'rule_applied').map((e) => e.detail.rule_id), [low.id]);

  // a disabled rule does not run
  let r = await admin.patch(`/api/v1/priority-rules/${vip.id}`, { enabled: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.enabled, false);
  assert.deepEqual(r.body.conditions.tier, ['vip'], 'a patch keeps what it does not name');
  t = await create(agent, {
    type: 'complaint', urgency: 'high', subject: '态度差',
    customer: { name: '王五', phone: '13700002222' },
  });
  assert.equal(t.priority, 'high');
  await admin.patch(`/api/v1/priority-rules/${vip.id}`, { enabled: true });
});

test('re-classification runs the rules again and is in the history', async () => {
  const t = await create(agent, { type: 'inquiry', urgency: 'low', subject: '咨询' });
  assert.equal(t.priority, 'low');
  const r = await agent.patch(`/api/v1/tickets/${t.id}`, { type: 'complaint', category: 'service-attitude', urgency: 'high' },
    { headers: { 'If-Match': String(t.version) } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.priority, 'high'); // a normal customer: the VIP rule does not hold
  const r2 = await agent.patch(`/api/v1/tickets/${t.id}`, { subject: '资金被扣但订单失败', type: 'problem', category: 'payment' });
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.body.priority, 'urgent');
  assert.equal(r2.body.department.code, 'tech');
  assert.deepEqual(r2.body.labels, ['资金']);
  const h = (await agent.get(`/api/v1/tickets/${t.id}/history`)).body.items;
  assert.ok(h.some((e) => e.action === 'reclassified' && e.detail.changes.priority?.to === 'urgent'), JSON.stringify(h));
  assert.ok(h.some((e) => e.action === 'rule_applied' && e.detail.name === '资金安全'));
});

test('a dry run shows which rules fire and stores nothing', async () => {
  const before = (await admin.get('/api/v1/tickets?limit=200')).body.items.length;
  let r = await sup.post('/api/v1/priority-rules/dry-run', {
    ...base, type: 'complaint', urgency: 'high', subject: '资金安全问题',
    customer: { name: '赵六', tier: 'vip' },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.matched.map((m) => m.name), ['资金安全']); // it stops the run
  assert.equal(r.body.priority, 'urgent');
  assert.equal(r.body.department_id, tech.id);
  assert.deepEqual(r.body.labels, ['资金']);
  r = await sup.post('/api/v1/priority-rules/dry-run', { ...base, type: 'suggestion', subject: '加个夜间模式' });
  assert.deepEqual(r.body.matched.map((m) => m.name), ['建议降级']);
  assert.equal(r.body.priority, 'low');
  assert.equal(r.body.department_id, null);
  const after = (await admin.get('/api/v1/tickets?limit=200')).body.items.length;
  assert.equal(after, before);
  const c = await admin.get('/api/v1/customers?q=赵六');
  assert.equal(c.body.items.length, 0, 'no customer was made');
});

test('deleting a rule stops it at once', async () => {
  const rules = (await admin.get('/api/v1/priority-rules')).body.items;
  assert.deepEqual(rules.map((x) => x.position), [1, 2, 3]);
  const funds = rules.find((x) => x.name === '资金安全');
  let r = await admin.del(`/api/v1/priority-rules/${funds.id}`);
  assert.equal(r.status, 204);
  r = await admin.get(`/api/v1/priority-rules/${funds.id}`);
  assert.equal(r.status, 404);
  const t = await create(agent, { subject: '资金问题' });
  assert.equal(t.priority, 'medium');
});

test('moving a rule is one change; the others make room and the positions stay 1..n', async () => {
  const names = async () => (await admin.get('/api/v1/priority-rules')).body.items.map((x) => [x.name, x.position]);
  assert.deepEqual(await names(), [['VIP投诉', 1], ['建议降级', 2]], 'the deletion closed the gap');
  const first = await rule({ name: '最先', position: 1, conditions: { channel: ['TEL'] }, actions: { labels: ['电话'] } });
  assert.equal(first.position, 1);
  assert.deepEqual(await names(), [['最先', 1], ['VIP投诉', 2], ['建议降级', 3]]);
  const low = (await admin.get('/api/v1/priority-rules')).body.items.find((x) => x.name === '建议降级');
  let r = await admin.patch(`/api/v1/priority-rules/${low.id}`, { position: 1 });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await names(), [['建议降级', 1], ['最先', 2], ['VIP投诉', 3]]);
  r = await admin.patch(`/api/v1/priority-rules/${low.id}`, { position: 99 });
  assert.equal(r.body.position, 3, 'past the end is last');
  assert.deepEqual(await names(), [['最先', 1], ['VIP投诉', 2], ['建议降级', 3]]);
  r = await admin.del(`/api/v1/priority-rules/${first.id}`);
  assert.equal(r.status, 204);
  assert.deepEqual(await names(), [['VIP投诉', 1], ['建议降级', 2]]);
});
