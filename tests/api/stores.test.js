// Stores (门店): admins keep the list; a walk-in registration (channel STORE) names the store the
// customer came to, which the ticket shows and the pool filters by; other channels cannot name
// one, and a closed store takes no new tickets but its old tickets keep it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';

let srv, admin, li;

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const r = await admin.post('/api/v1/users', { username: 'li', name: '李四', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  li = await new Client(srv.base).login('li', 'password-123');
});
after(() => srv.finish());

const walkIn = (store_id, extra = {}) => li.post('/api/v1/tickets', {
  channel: 'STORE', type: 'complaint', subject: '门店退货被拒', store_id,
  customer: { name: '赵六', phone: '13900001111' }, ...extra,
});

test('admins keep the list of stores; agents read it; a code is unique', async () => {
  let r = await admin.post('/api/v1/stores', { code: 'SH-XJH', name: '上海徐家汇店' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.name, '上海徐家汇店');
  assert.equal(r.body.active, true);
  const id = r.body.id;
  r = await admin.post('/api/v1/stores', { code: 'SH-XJH', name: '又一个' });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.field, 'code');
  r = await li.post('/api/v1/stores', { code: 'BJ-1', name: '北京店' });
  assert.equal(r.status, 403, r.text);
  r = await admin.post('/api/v1/stores', { code: 'bad code', name: 'x' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'code');
  r = await admin.post('/api/v1/stores', { code: 'BJ-1' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'name');
  r = await admin.post('/api/v1/stores', { code: 'BJ-1', name: '北京王府井店', active: 'yes' });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'active');
  r = await li.get('/api/v1/stores');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((s) => s.code), ['SH-XJH']);
  r = await admin.patch(`/api/v1/stores/${id}`, { name: '上海徐家汇旗舰店' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.name, '上海徐家汇旗舰店');
  r = await li.get(`/api/v1/stores/${id}`);
  assert.equal(r.body.name, '上海徐家汇旗舰店');
  assert.equal((await li.get('/api/v1/stores/99999')).status, 404);
  assert.equal((await admin.patch('/api/v1/stores/99999', { name: 'x' })).status, 404);
});

test('a walk-in names its store: the ticket shows it and the pool filters by it', async () => {
  const a = (await admin.post('/api/v1/stores', { code: 'GZ-TH', name: '广州天河店' })).body;
  const b = (await admin.post('/api/v1/stores', { code: 'SZ-NS', name: '深圳南山店' })).body;
  let r = await walkIn(a.id);
  assert.equal(r.status, 201, r.text);
  assert.match(r.body.number, /^STORE-/);
  assert.deepEqual(r.body.store, { id: a.id, code: 'GZ-TH', name: '广州天河店' });
  const first = r.body;
  r = await walkIn(b.id, { subject: '店员态度' });
  assert.equal(r.status, 201, r.text);
  r = await li.get(`/api/v1/tickets/${first.id}`);
  assert.equal(r.body.store.name, '广州天河店');
  r = await li.get(`/api/v1/tickets?store_id=${a.id}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((t) => t.id), [first.id]);
  r = await li.get('/api/v1/tickets?store_id=abc');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'store_id');
  // moved to the other store, then to none: each change in the history
  r = await li.patch(`/api/v1/tickets/${first.id}`, { store_id: b.id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.store.id, b.id);
  r = await li.patch(`/api/v1/tickets/${first.id}`, { store_id: null });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.store, null);
  r = await li.get(`/api/v1/tickets/${first.id}/history`);
  const changes = r.body.items.filter((h) => h.action === 'updated' && h.detail.changes.store_id);
  assert.deepEqual(changes.map((h) => h.detail.changes.store_id), [{ from: a.id, to: b.id }, { from: b.id, to: null }]);
});

test('only a walk-in names a store, an existing and open one', async () => {
  const s = (await admin.post('/api/v1/stores', { code: 'CD-1', name: '成都春熙路店' })).body;
  let r = await li.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '电话咨询', store_id: s.id, customer: { name: '钱七', phone: '13900002222' },
  });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.field, 'store_id');
  r = await walkIn(424242);
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'store_id');
  r = await walkIn('1');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'store_id');
  const kept = (await walkIn(s.id)).body;
  const tel = (await li.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '电话咨询', customer: { name: '钱七', phone: '13900002222' },
  })).body;
  r = await li.patch(`/api/v1/tickets/${tel.id}`, { store_id: s.id });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'store_id');
  // closed: no new tickets, the old one keeps it, and the form's list leaves it out
  r = await admin.patch(`/api/v1/stores/${s.id}`, { active: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.active, false);
  r = await walkIn(s.id);
  assert.equal(r.status, 422);
  assert.match(r.body.error.message, /closed/);
  r = await li.get(`/api/v1/tickets/${kept.id}`);
  assert.equal(r.body.store.name, '成都春熙路店');
  r = await li.get('/api/v1/stores?active=1');
  assert.ok(!r.body.items.some((x) => x.id === s.id));
  r = await li.get('/api/v1/stores');
  assert.ok(r.body.items.some((x) => x.id === s.id && !x.active));
});
