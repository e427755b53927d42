// Sign-in, sessions with CSRF, API tokens and roles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv;
let admin;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
  for (const [username, role] of [['agent1', 'agent'], ['super1', 'supervisor'], ['throttled', 'agent']]) {
    const r = await admin.post('/api/v1/users', { username, name: username, role, password: 'password-123' });
    assert.equal(r.status, 201, r.text);
  }
});

after(() => srv.finish());

test('a good sign-in returns the user, a CSRF token and an HttpOnly cookie', async () => {
  const c = new Client(srv.base);
  const r = await c.post('/api/v1/auth/login', { username: 'agent1', password: 'password-123' });
  assert.equal(r.status, 200);
  assert.equal(r.body.user.username, 'agent1');
  assert.equal(r.body.user.role, 'agent');
  assert.match(r.body.csrf_token, /^[0-9a-f]{64}$/);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /kefu_session=[0-9a-f]{64}/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
});

test('wrong password and unknown user both answer 401 with the same message', async () => {
  const c = new Client(srv.base);
  const a = await c.post('/api/v1/auth/login', { username: 'agent1', password: 'nope-nope' });
  const b = await c.post('/api/v1/auth/login', { username: 'ghost', password: 'nope-nope' });
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  assert.equal(a.body.error.message, b.body.error.message);
});

test('repeated failures are refused with 429 and Retry-After, even with the right password', async () => {
  const c = new Client(srv.base);
  const statuses = [];
  for (let i = 0; i < 6; i++) {
    const r = await c.post('/api/v1/auth/login', { username: 'throttled', password: 'wrong-' + i });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.equal(statuses[5], 429);
  const r = await c.post('/api/v1/auth/login', { username: 'throttled', password: 'password-123' });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

// The slot a username had in the old throttle: FNV-1a of "u:" and the name, modulo 1024.
function oldThrottleSlot(username) {
  let h = 2166136261;
  for (const b of Buffer.from('u:' + username)) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h % 1024;
}

// A name that shared the target's slot in the old throttle.
function collidingName(target) {
  for (let i = 0; ; i++) {
    const name = 'other' + i;
    if (oldThrottleSlot(name) === oldThrottleSlot(target)) return name;
  }
}

// A server of its own, so that the failures of other tests from this address do not count.
async function withOwnServer(fn) {
  const own = await startWithAdmin();
  try {
    await fn(own);
  } finally {
    await own.srv.finish();
  }
}

test('a username is throttled after 5 failures even when failures of a name in the same slot come between', async () => {
  await withOwnServer(async ({ srv: s, admin: a }) => {
    const made = await a.post('/api/v1/users', { username: 'victim', role: 'agent', password: 'password-123' });
    assert.equal(made.status, 201, made.text);
    const other = collidingName('victim');
    assert.notEqual(other, 'victim');
    const c = new Client(s.base);
    const login = (username, password) => c.post('/api/v1/auth/login', { username, password });

    assert.equal((await login(other, 'wrong-first')).status, 401); // the other name comes first
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await login('victim', 'wrong-' + i)).status);
      if (i < 3) assert.equal((await login(other, 'wrong-' + i)).status, 401);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    assert.equal((await login('victim', 'wrong-5')).status, 429);
    const right = await login('victim', 'password-123');
    assert.equal(right.status, 429);
    assert.equal(right.body.error.code, 'too_many_requests');
    assert.ok(Number(right.headers.get('retry-after')) > 0);

    // the other name's own failures are counted as they are: 4 so far, one more is allowed
    assert.equal((await login(other, 'wrong-4')).status, 401);
    assert.equal((await login(other, 'wrong-5')).status, 429);
  });
});

test('20 failures from one address within the window refuse every username with 429', async () => {
  await withOwnServer(async ({ srv: s, admin: a }) => {
    const made = await a.post('/api/v1/users', { username: 'bystander', role: 'agent', password: 'password-123' });
    assert.equal(made.status, 201, made.text);
    const c = new Client(s.base);
    for (let i = 0; i < 20; i++) {
      const r = await c.post('/api/v1/auth/login', { username: 'guess' + i, password: 'wrong' });
      assert.equal(r.status, 401, 'failure ' + (i + 1));
    }
    const r = await c.post('/api/v1/auth/login', { username: 'bystander', password: 'password-123' });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  });
});

test('a good sign-in forgets the username\'s failures', async () => {
  await withOwnServer(async ({ srv: s, admin: a }) => {
    const made = await a.post('/api/v1/users', { username: 'forgetful', role: 'agent', password: 'password-123' });
    assert.equal(made.status, 201, made.text);
    const c = new Client(s.base);
    const login = (password) => c.post('/api/v1/auth/login', { username: 'forgetful', password });
    for (let i = 0; i < 4; i++) assert.equal((await login('wrong-' + i)).status, 401);
    assert.equal((await login('password-123')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await login('wrong-again-' + i)).status, 401);
    assert.equal((await login('password-123')).status, 429);
  });
});

test('without a session every API call is 401', async () => {
  const c = new Client(srv.base);
  for (const p of ['/api/v1/me', '/api/v1/tickets', '/api/v1/users', '/api/v1/customers']) {
    const r = await c.get(p);
    assert.equal(r.status, 401, p);
    assert.equal(r.body.error.code, 'unauthorized');
  }
});

test('a cookie write without the CSRF header is refused and changes nothing', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  const before = (await c.get('/api/v1/customers?q=13500000000')).body.items.length;
  const r = await c.post('/api/v1/customers', { name: '无令牌', phone: '13500000000' },
    { headers: { 'X-CSRF-Token': 'forged' } });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'csrf_failed');
  const afterCount = (await c.get('/api/v1/customers?q=13500000000')).body.items.length;
  assert.equal(afterCount, before);
});

test('GET /me returns the user and the session CSRF token', async () => {
  const c = await new Client(srv.base).login('super1', 'password-123');
  const r = await c.get('/api/v1/me');
  assert.equal(r.status, 200);
  assert.equal(r.body.user.role, 'supervisor');
  assert.equal(r.body.csrf_token, c.csrf);
});

test('logout ends the session', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  assert.equal((await c.post('/api/v1/auth/logout')).status, 204);
  assert.equal((await c.get('/api/v1/me')).status, 401);
});

test('roles are checked: an agent may not manage users or settings', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  const r = await c.post('/api/v1/users', { username: 'x1', role: 'admin', password: 'password-123' });
  assert.equal(r.status, 403);
  assert.equal((await c.patch('/api/v1/settings', { ticket_number_format: '{YYYYMMDD}{serial:3}' })).status, 403);
  assert.equal((await c.post('/api/v1/departments', { code: 'x', name: 'x' })).status, 403);
  assert.equal((await c.get('/api/v1/users')).status, 200); // names for assignment
});

test('an API token works as Bearer without CSRF, is shown once, and stops working when revoked', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  const made = await c.post('/api/v1/tokens', { name: '呼叫中心集成' });
  assert.equal(made.status, 201);
  assert.match(made.body.token, /^kefu_[0-9a-f]{64}$/);
  const list = await c.get('/api/v1/tokens');
  assert.equal(list.body.items.length, 1);
  assert.equal(list.body.items[0].token, undefined);

  const bot = new Client(srv.base);
  bot.token = made.body.token;
  const t = await bot.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '集成创建', customer: { name: '李四', phone: '13600000001' },
  });
  assert.equal(t.status, 201, t.text);
  assert.equal(t.body.created_by.name, 'agent1');
  const read = await bot.get('/api/v1/tickets/' + t.body.number);
  assert.equal(read.status, 200);
  assert.equal(read.body.id, t.body.id);

  assert.equal((await c.del('/api/v1/tokens/' + made.body.id)).status, 204);
  assert.equal((await bot.get('/api/v1/tickets')).status, 401);
  bot.token = 'kefu_' + '0'.repeat(64);
  assert.equal((await bot.get('/api/v1/tickets')).status, 401);
});

test('a deactivated user is signed out at once, API tokens too', async () => {
  const r = await admin.post('/api/v1/users', { username: 'leaver', role: 'agent', password: 'password-123' });
  const c = await new Client(srv.base).login('leaver', 'password-123');
  const bot = new Client(srv.base);
  bot.token = (await c.post('/api/v1/tokens', { name: 'leaver-bot' })).body.token;
  const t = await bot.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '离职交接', customer: { name: '周七', phone: '13600000077' },
  });
  assert.equal(t.status, 201, t.text);
  const unmask = '/api/v1/tickets/' + t.body.number + '?unmask=1';
  assert.equal((await bot.get(unmask)).status, 403); // an agent's token
  assert.equal((await admin.patch('/api/v1/users/' + r.body.id, { role: 'supervisor' })).status, 200);
  assert.equal((await bot.get(unmask)).status, 200); // the new role counts at once
  assert.equal((await admin.patch('/api/v1/users/' + r.body.id, { active: false })).status, 200);
  assert.equal((await c.get('/api/v1/me')).status, 401);
  assert.equal((await bot.get('/api/v1/me')).status, 401);
  const again = await new Client(srv.base).post('/api/v1/auth/login', { username: 'leaver', password: 'password-123' });
  assert.equal(again.status, 401);
});

test('a token cannot be made to expire in the past or at a time that is not RFC 3339', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  for (const expires_at of [new Date(Date.now() - 60000).toISOString(), 'tomorrow', 12345]) {
    const r = await c.post('/api/v1/tokens', { name: 'bad-expiry', expires_at });
    assert.equal(r.status, 422, JSON.stringify(expires_at));
    assert.equal(r.body.error.code, 'validation_failed');
    assert.equal(r.body.error.field, 'expires_at');
  }
  const names = (await c.get('/api/v1/tokens')).body.items.map((t) => t.name);
  assert.ok(!names.includes('bad-expiry'));
});

test('tokens show when they expire, null for none', async () => {
  const c = await new Client(srv.base).login('super1', 'password-123');
  const when = '2099-01-02T03:04:05+08:00';
  const dated = await c.post('/api/v1/tokens', { name: 'dated', expires_at: when });
  assert.equal(dated.status, 201, dated.text);
  assert.equal(Date.parse(dated.body.expires_at), Date.parse(when));
  const open = await c.post('/api/v1/tokens', { name: 'open', expires_at: null });
  assert.equal(open.status, 201, open.text);
  assert.equal(open.body.expires_at, null);
  const list = (await c.get('/api/v1/tokens')).body.items;
  const byName = Object.fromEntries(list.map((t) => [t.name, t]));
  assert.equal(Date.parse(byName.dated.expires_at), Date.parse(when));
  assert.equal(byName.open.expires_at, null);
  assert.ok('expires_at' in byName.open);
});

const sleepUntil = (ms) => new Promise((ok) => setTimeout(ok, Math.max(0, ms - Date.now())));

test('a token that expires works until then and is refused with 401 right after', async () => {
  const c = await new Client(srv.base).login('agent1', 'password-123');
  const expires = Date.now() + 2500;
  const made = await c.post('/api/v1/tokens', { name: 'short-lived', expires_at: new Date(expires).toISOString() });
  assert.equal(made.status, 201, made.text);
  const bot = new Client(srv.base);
  bot.token = made.body.token;
  assert.equal((await bot.get('/api/v1/me')).status, 200);
  // used shortly before it expires, so that the server still remembers it just after
  await sleepUntil(expires - 600);
  assert.equal((await bot.get('/api/v1/me')).status, 200);
  await sleepUntil(expires + 150);
  const late = await bot.get('/api/v1/me');
  assert.equal(late.status, 401);
  assert.equal(late.body.error.code, 'unauthorized');
  assert.equal((await bot.get('/api/v1/tickets')).status, 401);
  // still listed, so its owner sees that it has expired
  const listed = (await c.get('/api/v1/tokens')).body.items.find((t) => t.id === made.body.id);
  assert.equal(Date.parse(listed.expires_at), Date.parse(new Date(expires).toISOString()));
});

test('an admin resetting a password ends the user\'s sessions and revokes their tokens at once', async () => {
  const r = await admin.post('/api/v1/users', { username: 'reset-me', role: 'agent', password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  const c = await new Client(srv.base).login('reset-me', 'password-123');
  const bot = new Client(srv.base);
  bot.token = (await c.post('/api/v1/tokens', { name: 'reset-bot' })).body.token;
  const other = new Client(srv.base); // a second token, never used before the reset
  other.token = (await c.post('/api/v1/tokens', { name: 'reset-bot-2' })).body.token;
  assert.equal((await bot.get('/api/v1/me')).status, 200); // remembered by the server
  assert.equal((await c.get('/api/v1/me')).status, 200);

  // a change without a password ends nothing
  const renamed = await admin.patch('/api/v1/users/' + r.body.id, { name: '重置' });
  assert.equal(renamed.status, 200, renamed.text);
  assert.deepEqual(renamed.body.revoked, { sessions: 0, tokens: 0 });
  assert.equal((await bot.get('/api/v1/me')).status, 200);

  const reset = await admin.patch('/api/v1/users/' + r.body.id, { password: 'new-password-456' });
  assert.equal(reset.status, 200, reset.text);
  assert.equal(reset.body.username, 'reset-me');
  assert.deepEqual(reset.body.revoked, { sessions: 1, tokens: 2 });
  assert.equal((await bot.get('/api/v1/me')).status, 401);
  assert.equal((await other.get('/api/v1/tickets')).status, 401);
  assert.equal((await c.get('/api/v1/me')).status, 401);

  const again = await new Client(srv.base).login('reset-me', 'new-password-456');
  assert.deepEqual((await again.get('/api/v1/tokens')).body.items, []);
  const fresh = new Client(srv.base);
  fresh.token = (await again.post('/api/v1/tokens', { name: 'after-reset' })).body.token;
  assert.equal((await fresh.get('/api/v1/me')).status, 200);
});
