// docs/openapi.yaml describes every route the server has, and only those, in the shapes it sends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startWithAdmin } from '../lib/server.js';

const spec = readFileSync(join(ROOT, 'docs/openapi.yaml'), 'utf8');

// The routes of src/http/routes.def: ROUTE("METHOD", "/pattern", ...), some over two lines.
function routes() {
  const text = readFileSync(join(ROOT, 'src/http/routes.def'), 'utf8').replace(/\s+/g, ' ');
  return [...text.matchAll(/ROUTE\("([A-Z]+)", "([^"]+)"/g)]
    .map(([, method, path]) => `${method} ${path.replace(/:([a-z_]+)/g, '{$1}')}`);
}

// The operations of the spec: "  /path:" lines, then "    method:" lines under them.
function documented() {
  const ops = [];
  let path = null;
  for (const line of spec.split('\n')) {
    let m = /^ {2}(\/\S*):\s*$/.exec(line);
    if (m) { path = m[1]; continue; }
    if (/^\S/.test(line)) path = null;
    m = /^ {4}(get|post|patch|put|delete):\s*$/.exec(line);
    if (m && path) ops.push(`${m[1].toUpperCase()} ${path}`);
  }
  return ops;
}

// The `required` list of a schema under components.schemas.
function required(schema) {
  const schemas = spec.indexOf('\n  schemas:\n');
  const start = spec.indexOf(`\n    ${schema}:\n`, schemas);
  assert.ok(start > 0, `schema ${schema} is in the spec`);
  const rest = spec.slice(start + schema.length + 7);
  const m = /^ {6}required: \[([^\]]*)\]/m.exec(rest.slice(0, rest.search(/\n {4}\S/)));
  return m[1].split(',').map((s) => s.trim()).filter(Boolean);
}

test('every route of the server is documented', () => {
  const docs = new Set(documented());
  const missing = routes().filter((r) => !docs.has(r));
  assert.deepEqual(missing, []);
});

test('every documented operation is a route of the server', () => {
  const real = new Set(routes());
  const invented = documented().filter((r) => !real.has(r));
  assert.deepEqual(invented, []);
  assert.ok(documented().length >= 39);
});

let srv, admin;
before(async () => {
  ({ srv, admin } = await startWithAdmin());
});
after(() => srv.finish());

test('the server answers every documented GET without path parameters', async () => {
  for (const op of documented()) {
    const [method, path] = op.split(' ');
    if (method !== 'GET' || path.includes('{')) continue;
    const r = await admin.get(path);
    assert.equal(r.status, 200, `${op} → ${r.status} ${r.text.slice(0, 200)}`);
  }
});

test('answers carry every property the spec requires', async () => {
  const t = await admin.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', subject: '规格', customer: { name: '规格', phone: '13000001111' },
  });
  assert.equal(t.status, 201);
  const check = (schema, obj) => {
    for (const k of required(schema)) assert.ok(k in obj, `${schema}.${k} is in the answer`);
  };
  check('Ticket', t.body);
  check('Customer', t.body.customer);
  const m = await admin.post(`/api/v1/tickets/${t.body.id}/messages`, { kind: 'note', body: 'x' });
  check('Message', m.body);
  check('HistoryEntry', (await admin.get(`/api/v1/tickets/${t.body.id}/history`)).body.items[0]);
  check('User', (await admin.get('/api/v1/me')).body.user);
  const d = await admin.post('/api/v1/departments', { code: 'spec', name: '规格部' });
  check('Department', d.body);
  check('Category', (await admin.get('/api/v1/categories')).body.items[0]);
  const tok = await admin.post('/api/v1/tokens', { name: 'spec' });
  check('Token', tok.body);
  const bad = await admin.post('/api/v1/tickets', {});
  check('Error', bad.body);
});
