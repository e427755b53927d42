// Nothing acknowledged is lost: SIGKILL, or SIGTERM, in the middle of 16-way ticket creation;
// and that load does not keep sign-ins (which write outside the group-commit writer) waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';

/* Creates tickets over 16 connections until `end(acked)` (a function returning a promise) has
 * been called after a while, or with `loaded` until its promise has settled; returns what was
 * acknowledged with a 201 and what `end` returned. */
async function createUntil(srv, end, { loaded = false } = {}) {
  const admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const acked = [];
  let stop = false;
  let failures = 0;
  const worker = async (w) => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await admin.post('/api/v1/tickets', {
          channel: 'APP', type: 'inquiry', subject: `并发 ${w}-${i}`,
          customer: { name: `客户${w}`, phone: `1390000${String(w).padStart(4, '0')}` },
        });
        if (r.status === 201) acked.push(r.body);
      } catch {
        failures++; // the connection died with the server: not acknowledged
        return;
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  const sanitized = !!process.env.KEFU_SANITIZED;
  await new Promise((r) => setTimeout(r, sanitized ? 2500 : 1200));
  const ended = end(acked);
  if (loaded) await ended.catch(() => {});
  stop = true;
  const result = await ended;
  await Promise.all(workers);
  assert.ok(acked.length > 50, `only ${acked.length} tickets were acknowledged before the end`);
  return { acked, failures, result };
}

test('every ticket that got a 201 survives SIGKILL, whole, and none is half-written', async () => {
  const srv = await new Server().start();
  const { acked, failures } = await createUntil(srv, () => srv.kill());
  await srv.start({ admin: false });
  const c = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const all = new Map();
  let cursor = null;
  do {
    const r = await c.get('/api/v1/tickets?sort=created&limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    assert.equal(r.status, 200);
    for (const t of r.body.items) all.set(t.id, t);
    cursor = r.body.next_cursor;
  } while (cursor);
  for (const t of acked) {
    const got = all.get(t.id);
    assert.ok(got, `acknowledged ticket ${t.number} is missing after the crash`);
    assert.equal(got.number, t.number);
    assert.equal(got.subject, t.subject);
  }
  // every stored ticket is whole: its history starts with its creation
  const sample = [...all.values()].slice(-20);
  for (const t of sample) {
    const h = await c.get(`/api/v1/tickets/${t.id}/history`);
    assert.equal(h.body.items[0].action, 'created', t.number);
  }
  const numbers = new Set([...all.values()].map((t) => t.number));
  assert.equal(numbers.size, all.size, 'numbers are unique');
  const r = await srv.stop();
  srv.cleanup();
  assert.equal(r.code, 0, srv.log);
  console.log(`# ${acked.length} acknowledged before SIGKILL, ${all.size} stored, ${failures} connections cut`);
});

test('SIGTERM under load answers what it took in, syncs it and stops cleanly', async () => {
  const srv = await new Server().start();
  const { acked, result } = await createUntil(srv, () => srv.stop());
  assert.equal(result.code, 0, srv.log); // a sanitizer report would make it non-zero
  assert.match(srv.log, /stopped/);
  await srv.start({ admin: false });
  const c = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  for (const t of acked.slice(-32)) {
    const r = await c.get(`/api/v1/tickets/${t.id}`);
    assert.equal(r.status, 200, t.number);
    assert.equal(r.body.subject, t.subject);
  }
  const r = await srv.stop();
  srv.cleanup();
  assert.equal(r.code, 0, srv.log);
});

test('sign-ins go through while 16 clients keep creating tickets, and their sessions work', async () => {
  const srv = await new Server().start();
  const { result } = await createUntil(srv, async (acked) => {
    const out = [];
    for (let i = 0; i < 3; i++) {
      const before = acked.length;
      const c = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
      const r = await c.post('/api/v1/tickets', {
        channel: 'TEL', type: 'inquiry', subject: `登录后受理 ${i}`,
        customer: { name: '登录客户', phone: '13900009999' },
      });
      out.push({ status: r.status, during: acked.length - before });
    }
    return out;
  }, { loaded: true });
  for (const s of result) assert.equal(s.status, 201, 'a ticket created with the new session');
  assert.ok(result.some((s) => s.during > 0), 'tickets were created while signing in');
  const r = await srv.stop();
  srv.cleanup();
  assert.equal(r.code, 0, srv.log);
});
