// docs/openapi.yaml is a valid OpenAPI 3 document that describes every route the server has, and
// only those, with the bodies its handlers read and the shapes it answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { until } from '../lib/receiver.js';
import { ADMIN, Client, ROOT, freePort, kefu, startWithAdmin } from '../lib/server.js';
import { smtpSink } from '../lib/smtp_sink.js';

const SPEC = join(ROOT, 'docs/openapi.yaml');
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

// The document as written ($refs kept), from the real parser: each test that reads it starts
// with `await useSpec()`, so that a document that does not parse fails those tests (with the
// parser's message) and nothing else.
let spec, parsing;
async function useSpec() {
  parsing ??= SwaggerParser.parse(SPEC);
  spec = await parsing;
}

// ---- the server's side: src/http/routes.def and the handlers in src/http/*.c ----

// The routes of src/http/routes.def: ROUTE("METHOD", "/pattern", handler, ...), some over two
// lines. {op: "METHOD /path/{param}", handler}.
function routes() {
  const text = readFileSync(join(ROOT, 'src/http/routes.def'), 'utf8').replace(/\s+/g, ' ');
  return [...text.matchAll(/ROUTE\("([A-Z]+)", "([^"]+)", (\w+)/g)].map(([, method, path, fn]) => ({
    op: `${method} ${path.replace(/:([a-z_]+)/g, '{$1}')}`,
    handler: fn,
  }));
}

// The functions defined in src/http/*.c (the project's style: "{" and "}" alone on their lines
// open and close a function), each with the functions of src/http it calls.
function cFunctions() {
  const fns = new Map(); // name -> [{file, body}]
  for (const file of readdirSync(join(ROOT, 'src/http')).filter((f) => f.endsWith('.c'))) {
    const lines = readFileSync(join(ROOT, 'src/http', file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== '{') continue;
      let j = i - 1;
      const sig = [];
      while (j >= 0 && lines[j].trim() && !/(;|\}|\*\/)\s*$/.test(lines[j])) sig.unshift(lines[j--]);
      const name = /(\w+)\s*\(/.exec(sig.join(' '))?.[1];
      let k = i + 1;
      while (k < lines.length && lines[k] !== '}') k++;
      if (name) {
        if (!fns.has(name)) fns.set(name, []);
        fns.get(name).push({ file, body: lines.slice(i + 1, k).join('\n') });
      }
      i = k;
    }
  }
  return fns;
}

// The text of a handler and of every function of src/http it calls, directly or not (a static
// helper of the same file first).
function handlerText(fns, handler) {
  const seen = new Set();
  const texts = [];
  const visit = (name, file) => {
    const defs = fns.get(name);
    if (!defs) return;
    const def = defs.find((d) => d.file === file) || defs[0];
    const key = `${def.file}:${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    texts.push(def.body);
    for (const [, callee] of def.body.matchAll(/\b([a-z_][a-z0-9_]*)\s*\(/g)) visit(callee, def.file);
  };
  visit(handler, undefined);
  assert.ok(texts.length, `handler ${handler} is defined in src/http`);
  return texts.join('\n');
}

// What a handler takes: whether it parses a JSON body, reads the raw body, and the keys of the
// JSON body it reads (jstr/jstrs/jint/jbool/jtime/jids and json_object_get calls, {"key", &...} field
// tables).
function handlerInput(fns, handler) {
  const text = handlerText(fns, handler);
  const keys = new Set();
  for (const [, k] of text.matchAll(/\bj(?:strs?|int|bool|time|ids)\s*\([^;]*?"([a-z_]+)"/g)) keys.add(k);
  for (const [, k] of text.matchAll(/\{\s*"([a-z_]+)",\s*(?:&|offsetof)/g)) keys.add(k);
  for (const [, k] of text.matchAll(/\bjson_object_get\s*\(\s*\w+,\s*"([a-z0-9_]+)"/g)) keys.add(k);
  return {
    text,
    json: /\bbody_object_or_reply\s*\(/.test(text),
    raw: /\breq->body\b/.test(text),
    keys,
  };
}

// ---- the spec's side ----

function pointer(ref) {
  assert.ok(ref.startsWith('#/'), `${ref} is a local reference`);
  let v = spec;
  for (const part of ref.slice(2).split('/')) v = v?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  assert.ok(v !== undefined, `${ref} resolves`);
  return v;
}

function deref(obj) {
  while (obj && obj.$ref) obj = pointer(obj.$ref);
  return obj;
}

// A schema with its allOf parts merged into one (properties and required lists added up).
function flat(schema) {
  const s = deref(schema);
  if (!s.allOf) return s;
  const out = { ...s };
  delete out.allOf;
  for (const part of s.allOf) {
    for (const [k, v] of Object.entries(flat(part))) {
      if (k === 'required') out.required = [...(out.required || []), ...v];
      else if (k === 'properties') out.properties = { ...(out.properties || {}), ...v };
      else if (!(k in out)) out[k] = v;
    }
  }
  return out;
}

// Every property name in a schema, its nested objects and array items included.
function propertyNames(schema, names = new Set()) {
  const s = flat(schema);
  for (const [k, v] of Object.entries(s.properties || {})) {
    names.add(k);
    propertyNames(v, names);
  }
  if (s.items) propertyNames(s.items, names);
  return names;
}

// {op: "METHOD /path", method, path, operation}, for every operation of the spec.
function operations() {
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      if (item[method]) ops.push({ op: `${method.toUpperCase()} ${path}`, method, path, operation: item[method] });
    }
  }
  return ops;
}

function operation(op) {
  const found = operations().find((o) => o.op === op);
  assert.ok(found, `${op} is in the spec`);
  return found;
}

// An event stream's answer: its status and type and the text of its first chunk, then closed
// (it never ends by itself).
async function firstChunk(client, path, headers = {}) {
  const h = { ...headers };
  if (client.cookie) h.Cookie = client.cookie;
  if (client.token) h.Authorization = 'Bearer ' + client.token;
  const ac = new AbortController();
  const r = await fetch(client.base + path, { headers: h, signal: ac.signal });
  const type = r.headers.get('content-type') || '';
  let text = '';
  if (type.startsWith('text/event-stream')) {
    const reader = r.body.getReader();
    const { value } = await reader.read();
    text = new TextDecoder().decode(value);
    ac.abort();
  } else {
    text = await r.text();
  }
  return { status: r.status, type, text };
}

const isStream = (o) => Boolean(deref(o.responses['200'])?.content?.['text/event-stream']);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

// The ways value differs from schema (OpenAPI 3.0: nullable, $ref, allOf). A property that the
// schema does not name is a difference too, unless the schema names none (a free-form object).
function differences(schema, value, at = '$', out = []) {
  const s = flat(schema);
  if (value === null) {
    if (!s.nullable) out.push(`${at} is null`);
    return out;
  }
  const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  const want = s.type || (s.properties ? 'object' : undefined);
  if (want && want !== type && !(want === 'number' && type === 'integer')) {
    out.push(`${at} is ${type}, not ${want}`);
    return out;
  }
  if (s.enum && !s.enum.includes(value)) out.push(`${at} ${JSON.stringify(value)} is not one of ${s.enum}`);
  if (type === 'string') {
    if (s.format === 'date-time' && !RFC3339.test(value)) out.push(`${at} "${value}" is not RFC 3339`);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) {
      out.push(`${at} "${value}" does not match ${s.pattern}`);
    }
    const n = [...value].length;
    if (s.maxLength !== undefined && n > s.maxLength) out.push(`${at} is longer than ${s.maxLength}`);
    if (s.minLength !== undefined && n < s.minLength) out.push(`${at} is shorter than ${s.minLength}`);
  }
  if (type === 'integer' || type === 'number') {
    if (s.minimum !== undefined && value < s.minimum) out.push(`${at} is below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) out.push(`${at} is above ${s.maximum}`);
  }
  if (type === 'array') {
    if (s.maxItems !== undefined && value.length > s.maxItems) out.push(`${at} has more than ${s.maxItems} items`);
    if (s.items) value.forEach((v, i) => differences(s.items, v, `${at}[${i}]`, out));
  }
  if (type === 'object' && s.properties) {
    for (const k of s.required || []) if (!(k in value)) out.push(`${at}.${k} is missing`);
    for (const [k, v] of Object.entries(value)) {
      if (!(k in s.properties)) out.push(`${at}.${k} is not in the spec`);
      else differences(s.properties[k], v, `${at}.${k}`, out);
    }
  }
  return out;
}

function isErrorSchema(schema) {
  return schema?.$ref === '#/components/schemas/Error';
}

// ---- the document itself ----

test('docs/openapi.yaml is a valid OpenAPI 3 document (swagger-parser validates it)', async () => {
  // validate() parses the YAML, resolves every $ref and checks the document against the
  // OpenAPI 3.0 schema and its rules (unique operationIds, path parameters declared, ...);
  // it throws on the first problem, with the place and what is wrong.
  const api = await SwaggerParser.validate(SPEC);
  assert.match(api.openapi, /^3\.0\.\d+$/);
  assert.equal(api.info.title, 'Kefu API');
});

test('every route of the server is documented', async () => {
  await useSpec();
  const docs = new Set(operations().map((o) => o.op));
  const missing = routes().map((r) => r.op).filter((r) => !docs.has(r));
  assert.deepEqual(missing, []);
});

test('every documented operation is a route of the server', async () => {
  await useSpec();
  const real = new Set(routes().map((r) => r.op));
  const invented = operations().map((o) => o.op).filter((r) => !real.has(r));
  assert.deepEqual(invented, []);
  assert.ok(operations().length >= 39);
});

test('every operation describes a success answer with a schema', async () => {
  await useSpec();
  const fns = cFunctions();
  const handlers = new Map(routes().map((r) => [r.op, r.handler]));
  const problems = [];
  for (const { op, operation: o } of operations()) {
    const ok = Object.entries(o.responses).filter(([status]) => /^2\d\d$/.test(status));
    if (!ok.length) problems.push(`${op}: no 2xx answer`);
    for (const [status, r] of ok) {
      const resp = deref(r);
      if (status === '204') {
        // No Content: no schema to give; the handler must really answer 204 (without a body)
        if (resp.content) problems.push(`${op}: 204 with content`);
        if (handlers.has(op) && !/\breturn 204;/.test(handlerText(fns, handlers.get(op)))) {
          problems.push(`${op}: its handler does not answer 204`);
        }
        continue;
      }
      const media = Object.entries(resp.content || {});
      if (!media.length) problems.push(`${op}: ${status} has no content`);
      for (const [type, m] of media) if (!m.schema) problems.push(`${op}: ${status} ${type} has no schema`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every operation describes its errors with the shared Error schema', async () => {
  await useSpec();
  const problems = [];
  for (const { op, operation: o } of operations()) {
    const errors = Object.entries(o.responses).filter(([status]) => !/^[23]\d\d$/.test(status));
    if (!o.responses.default) problems.push(`${op}: no default (500, 503) answer`);
    for (const [status, r] of errors) {
      const media = Object.entries(deref(r).content || {});
      if (media.length !== 1 || media[0][0] !== 'application/json' || !isErrorSchema(media[0][1].schema)) {
        problems.push(`${op}: ${status} is not application/json with #/components/schemas/Error`);
      }
    }
  }
  assert.deepEqual(problems, []);
  const error = flat({ $ref: '#/components/schemas/Error' });
  assert.deepEqual(error.required, ['error']);
  assert.deepEqual(Object.keys(flat(error.properties.error).properties), ['code', 'message', 'field']);
});

test('every operation whose handler reads a body documents it with a schema', async () => {
  await useSpec();
  const fns = cFunctions();
  const handlers = new Map(routes().map((r) => [r.op, r.handler]));
  const problems = [];
  let json = 0;
  for (const { op, method, operation: o } of operations()) {
    if (!handlers.has(op)) continue; // an invented operation: the test above names it
    const input = handlerInput(fns, handlers.get(op));
    const body = o.requestBody && deref(o.requestBody);
    const jsonSchema = body?.content?.['application/json']?.schema;
    if (input.json) {
      json++;
      if (!jsonSchema) problems.push(`${op}: its handler reads JSON, the spec has no schema for it`);
      else if (!body.required) problems.push(`${op}: requestBody is not required`);
    } else if (jsonSchema) {
      problems.push(`${op}: the spec has a JSON body its handler does not read`);
    }
    if (input.raw && !input.json && !Object.values(body?.content || {}).some((m) => m.schema)) {
      problems.push(`${op}: its handler reads the body, the spec has no schema for it`);
    }
    if ((method === 'post' || method === 'patch') && !input.json && !input.raw && body) {
      problems.push(`${op}: the spec has a body its handler does not read`);
    }
    if (jsonSchema) {
      // the spec names only fields that the handler reads
      const invented = [...propertyNames(jsonSchema)].filter((k) => !input.keys.has(k));
      if (invented.length) problems.push(`${op}: the handler reads no ${invented.join(', ')}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(json >= 16, `${json} handlers read JSON: the reading of src/http/*.c went wrong`);
});

test('every POST and PATCH that takes JSON has a requestBody schema', async () => {
  await useSpec();
  // the bodiless ones are named here, and the test above checks their handlers read none
  const bodiless = new Set([
    'POST /api/v1/auth/logout', 'POST /api/v1/tickets/{id}/review', 'POST /api/v1/notifications/{id}/read',
    'POST /api/v1/webhooks/{id}/deliveries/{delivery}/retry', 'POST /api/v1/portal/logout',
    'POST /api/v1/channels/{code}/test', 'POST /api/v1/chats/{id}/accept', 'POST /api/v1/chats/{id}/close',
    'POST /api/v1/kb/articles/{id}/submit', 'POST /api/v1/tickets/{id}/archive',
  ]);
  const problems = [];
  for (const { op, method, operation: o } of operations()) {
    if ((method !== 'post' && method !== 'patch') || bodiless.has(op)) continue;
    const content = deref(o.requestBody)?.content || {};
    const schemas = Object.values(content).map((m) => m.schema).filter(Boolean);
    if (!schemas.length) problems.push(`${op}: no requestBody schema`);
  }
  assert.deepEqual(problems, []);
  const fns = cFunctions();
  for (const r of routes().filter((x) => bodiless.has(x.op))) {
    const input = handlerInput(fns, r.handler);
    assert.ok(!input.json && !input.raw, `${r.op} reads a body after all`);
  }
});

test('documented query parameters are read by their handlers', async () => {
  await useSpec();
  const fns = cFunctions();
  const handlers = new Map(routes().map((r) => [r.op, r.handler]));
  const problems = [];
  for (const { op, path, operation: o } of operations()) {
    if (!handlers.has(op)) continue;
    const text = handlerText(fns, handlers.get(op));
    const params = [...(spec.paths[path].parameters || []), ...(o.parameters || [])].map(deref);
    for (const p of params.filter((x) => x.in === 'query')) {
      if (!text.includes(`"${p.name}"`)) problems.push(`${op}: ?${p.name} is not read`);
    }
  }
  assert.deepEqual(problems, []);
});

// ---- the real answers ----

let srv, admin;
before(async () => {
  ({ srv, admin } = await startWithAdmin());
});
after(() => srv.finish());

// Operations a customer signed in to the portal calls (the kefu_portal cookie), not staff.
const forCustomer = (o) => (o.security || []).some((s) => 'portal' in s);

test('the server answers every documented GET without path parameters', async () => {
  await useSpec();
  for (const { op, method, path, operation: o } of operations()) {
    if (method !== 'get' || path.includes('{') || forCustomer(o)) continue;
    const r = isStream(o) ? await firstChunk(admin, path) : await admin.get(path);
    assert.equal(r.status, 200, `${op} → ${r.status} ${r.text.slice(0, 200)}`);
  }
});

test('every operation answers in the shapes the spec describes', async () => {
  await useSpec();
  const covered = new Map(); // op -> statuses seen
  const problems = [];

  // Sends the request of op (params fill the path), checks that a request expected to succeed
  // matches the requestBody schema, that the status is documented, and that the answer matches
  // the schema of that status and media type.
  async function call(client, op, { params = {}, query = '', body, raw, headers } = {}) {
    const { operation: o } = operation(op);
    const [method, template] = op.split(' ');
    const path = template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k]));
    const r = await client.req(method, path + query, body, { raw, headers });
    const status = String(r.status);
    if (!covered.has(op)) covered.set(op, new Set());
    covered.get(op).add(status);
    const where = `${op} → ${status}`;
    if (/^2/.test(status) && body !== undefined && o.requestBody) {
      const schema = deref(o.requestBody).content['application/json']?.schema;
      for (const d of differences(schema, body, 'request')) problems.push(`${where}: ${d}`);
    }
    // a status is documented as itself; only a 5xx may fall to `default`
    const documented = o.responses[status] || (/^5/.test(status) ? o.responses.default : undefined);
    if (!documented) {
      problems.push(`${where}: the status is not documented (${r.text.slice(0, 120)})`);
      return r;
    }
    const resp = deref(documented);
    if (!resp.content) {
      if (r.text) problems.push(`${where}: a body where the spec has none`);
      return r;
    }
    const type = (r.headers.get('content-type') || '').split(';')[0].trim();
    const media = resp.content[type] || resp.content['*/*'];
    if (!media) {
      problems.push(`${where}: ${type} is not among ${Object.keys(resp.content)}`);
    } else if (type === 'application/json') {
      for (const d of differences(media.schema, r.body)) problems.push(`${where}: ${d}`);
    } else if (flat(media.schema).type !== 'string') {
      problems.push(`${where}: ${type} answered where the spec has no string`);
    }
    return r;
  }
  const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const expect = (r, status) => {
    assert.equal(r.status, status, `${r.status} ${r.text.slice(0, 300)}`);
    return r.body;
  };

  const anon = new Client(srv.base);
  expect(await call(anon, 'GET /healthz'), 200);
  expect(await call(anon, 'GET /metrics'), 200);

  // sign-in and the caller
  const other = new Client(srv.base);
  const signIn = await call(other, 'POST /api/v1/auth/login', { body: ADMIN });
  other.csrf = expect(signIn, 200).csrf_token;
  other.cookie = signIn.headers.get('set-cookie').split(';')[0];
  expect(await call(other, 'GET /api/v1/me'), 200);
  expect(await call(other, 'POST /api/v1/auth/logout'), 204);
  expect(await call(other, 'GET /api/v1/me'), 401);
  const wrong = { username: 'root', password: 'wrong-password' };
  expect(await call(anon, 'POST /api/v1/auth/login', { body: wrong }), 401);
  expect(await call(anon, 'POST /api/v1/auth/login', { body: { username: 'root' } }), 422);
  for (let i = 0; i < 5; i++) {
    await call(anon, 'POST /api/v1/auth/login', { body: { username: 'spec-nobody', password: 'wrong-password' } });
  }
  expect(await call(anon, 'POST /api/v1/auth/login', { body: { username: 'spec-nobody', password: 'x' } }), 429);

  // tokens
  const expiresAt = rfc3339(Date.now() + 3600e3);
  const tok = expect(await call(admin, 'POST /api/v1/tokens', { body: { name: 'spec', expires_at: expiresAt } }), 201);
  assert.equal(Date.parse(tok.expires_at), Date.parse(expiresAt));
  expect(await call(admin, 'POST /api/v1/tokens', {
    body: { name: 'spec-past', expires_at: rfc3339(Date.now() - 60e3) },
  }), 422);
  const byToken = new Client(srv.base);
  byToken.token = tok.token;
  const me = expect(await call(byToken, 'GET /api/v1/me'), 200);
  assert.equal(me.csrf_token, null);
  const tokens = expect(await call(admin, 'GET /api/v1/tokens'), 200);
  assert.equal(Date.parse(tokens.items.find((x) => x.id === tok.id).expires_at), Date.parse(expiresAt));
  expect(await call(admin, 'DELETE /api/v1/tokens/{id}', { params: { id: tok.id } }), 204);
  expect(await call(admin, 'DELETE /api/v1/tokens/{id}', { params: { id: tok.id + 1000 } }), 404);

  // departments and users
  const dept = expect(await call(admin, 'POST /api/v1/departments', {
    body: { code: 'spec-dept', name: '规格部', assignment: 'round_robin' },
  }), 201);
  expect(await call(admin, 'POST /api/v1/departments', { body: { code: 'spec-dept', name: '又一个' } }), 409);
  expect(await call(admin, 'GET /api/v1/departments'), 200);
  expect(await call(admin, 'GET /api/v1/departments/{id}', { params: { id: dept.id } }), 200);
  expect(await call(admin, 'PATCH /api/v1/departments/{id}', { params: { id: dept.id }, body: { code: 'x' } }), 422);
  const user = expect(await call(admin, 'POST /api/v1/users', {
    body: {
      username: 'spec-agent', name: '规格', role: 'agent', department_id: dept.id,
      password: 'spec-password-1',
    },
  }), 201);
  expect(await call(admin, 'PATCH /api/v1/departments/{id}', {
    params: { id: dept.id }, body: { name: '规格二部', supervisor_id: user.id, assignment: 'least_loaded' },
  }), 200);
  expect(await call(admin, 'POST /api/v1/users', {
    body: { username: 'spec-agent', role: 'agent', password: 'spec-password-1' },
  }), 409);
  expect(await call(admin, 'GET /api/v1/users', { query: `?role=agent&department_id=${dept.id}&active=1` }), 200);
  expect(await call(admin, 'GET /api/v1/users', { query: '?role=boss' }), 422);
  expect(await call(admin, 'GET /api/v1/users/{id}', { params: { id: user.id } }), 200);
  expect(await call(admin, 'GET /api/v1/users/{id}', { params: { id: 999999 } }), 404);
  const renamed = expect(await call(admin, 'PATCH /api/v1/users/{id}', {
    params: { id: user.id }, body: { name: '规格员', role: 'specialist', department_id: null, active: true },
  }), 200);
  assert.deepEqual(renamed.revoked, { sessions: 0, tokens: 0 });
  expect(await call(admin, 'POST /api/v1/departments/{id}/members', {
    params: { id: dept.id }, body: { user_id: user.id },
  }), 201);
  expect(await call(admin, 'DELETE /api/v1/departments/{id}/members/{user}', {
    params: { id: dept.id, user: user.id },
  }), 204);
  // a new password ends the user's sessions and revokes their tokens, and the answer says so
  const before = await new Client(srv.base).login('spec-agent', 'spec-password-1');
  const agentTok = expect(await call(before, 'POST /api/v1/tokens', {
    body: { name: 'spec-agent', expires_at: null },
  }), 201);
  assert.equal(agentTok.expires_at, null);
  const reset = expect(await call(admin, 'PATCH /api/v1/users/{id}', {
    params: { id: user.id }, body: { password: 'spec-password-2' },
  }), 200);
  assert.deepEqual(reset.revoked, { sessions: 1, tokens: 1 });
  expect(await call(before, 'GET /api/v1/me'), 401);
  const revokedTok = new Client(srv.base);
  revokedTok.token = agentTok.token;
  expect(await call(revokedTok, 'GET /api/v1/me'), 401);
  const agent = await new Client(srv.base).login('spec-agent', 'spec-password-2');
  expect(await call(agent, 'POST /api/v1/departments', { body: { code: 'nope', name: 'nope' } }), 403);

  // stores (门店), and a walk-in ticket naming one
  const store = expect(await call(admin, 'POST /api/v1/stores', { body: { code: 'spec-store', name: '规范店' } }), 201);
  expect(await call(admin, 'POST /api/v1/stores', { body: { code: 'spec-store', name: '又一个' } }), 409);
  expect(await call(admin, 'POST /api/v1/stores', { body: { code: 'bad code', name: 'x' } }), 422);
  expect(await call(agent, 'POST /api/v1/stores', { body: { code: 'nope', name: 'nope' } }), 403);
  expect(await call(agent, 'GET /api/v1/stores', { query: '?active=1' }), 200);
  expect(await call(agent, 'GET /api/v1/stores/{id}', { params: { id: store.id } }), 200);
  expect(await call(agent, 'GET /api/v1/stores/{id}', { params: { id: 999999 } }), 404);
  expect(await call(admin, 'PATCH /api/v1/stores/{id}', { params: { id: store.id }, body: { name: '规范旗舰店' } }), 200);
  const walkIn = expect(await call(agent, 'POST /api/v1/tickets', {
    body: { channel: 'STORE', type: 'inquiry', subject: '到店咨询', store_id: store.id, customer: { name: '到店客', phone: '13900009999' } },
  }), 201);
  assert.equal(walkIn.store.name, '规范旗舰店');
  expect(await call(agent, 'GET /api/v1/tickets', { query: `?store_id=${store.id}` }), 200);

  // reference data and settings
  expect(await call(admin, 'GET /api/v1/channels'), 200);
  // channels: connecting a mailbox
  const ch = expect(await call(admin, 'POST /api/v1/channels', {
    body: { code: 'SPECMAIL', kind: 'mail', name: '规格邮箱', settings: { imap_url: 'imaps://imap.example.com/INBOX', imap_password: 'x', smtp_tls: 'tls', poll_seconds: 30, acknowledge: false } },
  }), 201);
  assert.equal(ch.settings.imap_password, 'set');
  expect(await call(admin, 'PATCH /api/v1/channels/{code}', {
    params: { code: 'SPECMAIL' }, body: { name: '规格邮箱2', settings: { from: '客服 <s@example.com>' } },
  }), 200);
  expect(await call(admin, 'GET /api/v1/channels/{code}', { params: { code: 'SPECMAIL' } }), 200);
  expect(await call(admin, 'GET /api/v1/channels/{code}/status', { params: { code: 'SPECMAIL' } }), 200);
  // the test of a mailbox nobody answers (a closed local port: answered at once)
  const closed = await freePort();
  expect(await call(admin, 'PATCH /api/v1/channels/{code}', {
    params: { code: 'SPECMAIL' }, body: { settings: { imap_url: `imap://127.0.0.1:${closed}/INBOX`, smtp_url: `smtp://127.0.0.1:${closed}` } },
  }), 200);
  const tested = expect(await call(admin, 'POST /api/v1/channels/{code}/test', { params: { code: 'SPECMAIL' } }), 200);
  assert.equal(tested.imap.ok, false);
  // a mail with an HTML body, shown formatted on request
  const piped = kefu(['mail-ingest', '--channel', 'SPECMAIL', '--data-dir', srv.dataDir],
    { input: readFileSync(join(ROOT, 'tests/fixtures/mail/qqmail-inline.eml')) });
  assert.equal(piped.status, 0, piped.stderr);
  const mailed = expect(await call(admin, 'GET /api/v1/tickets', { query: '?channel=SPECMAIL' }), 200).items[0];
  const mailMsg = expect(await call(admin, 'GET /api/v1/tickets/{id}/messages', { params: { id: mailed.id } }), 200).items[0];
  expect(await call(admin, 'GET /api/v1/tickets/{id}/messages/{message}/html', { params: { id: mailed.id, message: mailMsg.id } }), 200);
  expect(await call(admin, 'GET /api/v1/tickets/{id}/messages/{message}/html', { params: { id: mailed.id, message: 999999 } }), 404);
  expect(await call(admin, 'GET /api/v1/categories'), 200);
  expect(await call(admin, 'POST /api/v1/categories', {
    body: { code: 'spec-cat', name: '规格类', type: 'inquiry', parent_code: null, department_id: dept.id },
  }), 201);
  expect(await call(admin, 'PATCH /api/v1/categories/{code}', {
    params: { code: 'spec-cat' }, body: { name: '规格类别', department_id: null },
  }), 200);
  // priority rules
  const rule = expect(await call(admin, 'POST /api/v1/priority-rules', {
    body: {
      name: '规格规则', position: 1, enabled: true, stop: false,
      conditions: { keywords: ['规格'], type: ['inquiry'], category: ['spec-cat'], urgency: ['high'], tier: ['vip'], channel: ['TEL'] },
      actions: { priority: 'urgent', department_id: dept.id, labels: ['规格'] },
    },
  }), 201);
  expect(await call(admin, 'POST /api/v1/priority-rules', { body: { name: 'x', conditions: { keywords: [] }, actions: { priority: 'low' } } }), 422);
  expect(await call(agent, 'POST /api/v1/priority-rules', { body: { name: 'x', actions: { priority: 'low' } } }), 403);
  expect(await call(admin, 'GET /api/v1/priority-rules'), 200);
  expect(await call(admin, 'GET /api/v1/priority-rules/{id}', { params: { id: rule.id } }), 200);
  expect(await call(admin, 'GET /api/v1/priority-rules/{id}', { params: { id: rule.id + 100 } }), 404);
  expect(await call(admin, 'PATCH /api/v1/priority-rules/{id}', {
    params: { id: rule.id }, body: { enabled: false, actions: { priority: null, department_id: null, labels: ['规格'] } },
  }), 200);
  const dry = expect(await call(admin, 'POST /api/v1/priority-rules/dry-run', {
    body: { channel: 'TEL', type: 'inquiry', subject: '规格', urgency: 'high', customer: { name: '试', tier: 'vip' } },
  }), 200);
  assert.deepEqual(dry.matched, []); // disabled
  expect(await call(admin, 'DELETE /api/v1/priority-rules/{id}', { params: { id: rule.id } }), 204);

  // calendars, SLA policies
  const week = [['09:00', '12:00'], ['13:30', '18:00']];
  const cal = expect(await call(admin, 'POST /api/v1/calendars', {
    body: {
      name: '规格日历', time_zone: 'Asia/Shanghai', hours: { mon: week, tue: week, sat: [] },
      holidays: ['2023-10-02'], extra_workdays: ['2023-10-07'],
    },
  }), 201);
  expect(await call(admin, 'POST /api/v1/calendars', { body: { name: '规格日历', time_zone: 'UTC', hours: { mon: week } } }), 409);
  expect(await call(admin, 'POST /api/v1/calendars', { body: { name: 'x', time_zone: 'Nowhere/At_All', hours: { mon: week } } }), 422);
  expect(await call(agent, 'POST /api/v1/calendars', { body: { name: 'x', time_zone: 'UTC', hours: { mon: week } } }), 403);
  expect(await call(admin, 'GET /api/v1/calendars'), 200);
  expect(await call(admin, 'GET /api/v1/calendars/{id}', { params: { id: cal.id } }), 200);
  expect(await call(admin, 'GET /api/v1/calendars/{id}', { params: { id: cal.id + 100 } }), 404);
  expect(await call(admin, 'PATCH /api/v1/calendars/{id}', {
    params: { id: cal.id }, body: { name: '规格日历二', holidays: [], extra_workdays: [] },
  }), 200);
  const pol = expect(await call(admin, 'POST /api/v1/sla-policies', {
    body: {
      name: '规格', priority: 'low', type: 'special', accept_minutes: 60, first_response_minutes: null,
      resolve_minutes: 600, calendar_id: cal.id, warn_percent: 75,
    },
  }), 201);
  expect(await call(admin, 'POST /api/v1/sla-policies', { body: { name: '又一个', priority: 'low', type: 'special', accept_minutes: 5 } }), 409);
  expect(await call(admin, 'GET /api/v1/sla-policies'), 200);
  expect(await call(admin, 'GET /api/v1/sla-policies/{id}', { params: { id: pol.id } }), 200);
  expect(await call(admin, 'PATCH /api/v1/sla-policies/{id}', {
    params: { id: pol.id }, body: { calendar_id: null, warn_percent: 120 },
  }), 422);
  expect(await call(admin, 'PATCH /api/v1/sla-policies/{id}', {
    params: { id: pol.id }, body: { calendar_id: null, first_response_minutes: 30 },
  }), 200);

  // removing: a calendar in use is kept until its policy goes
  expect(await call(admin, 'PATCH /api/v1/sla-policies/{id}', { params: { id: pol.id }, body: { calendar_id: cal.id } }), 200);
  expect(await call(admin, 'DELETE /api/v1/calendars/{id}', { params: { id: cal.id } }), 409);
  expect(await call(agent, 'DELETE /api/v1/sla-policies/{id}', { params: { id: pol.id } }), 403);
  expect(await call(admin, 'DELETE /api/v1/sla-policies/{id}', { params: { id: pol.id } }), 204);
  expect(await call(admin, 'DELETE /api/v1/sla-policies/{id}', { params: { id: pol.id } }), 404);
  expect(await call(admin, 'DELETE /api/v1/calendars/{id}', { params: { id: cal.id } }), 204);
  expect(await call(admin, 'DELETE /api/v1/calendars/{id}', { params: { id: cal.id } }), 404);

  const settings = expect(await call(admin, 'GET /api/v1/settings'), 200);
  expect(await call(admin, 'PATCH /api/v1/settings', {
    body: { ticket_number_format: settings.ticket_number_format },
  }), 200);

  // customers
  const cust = expect(await call(admin, 'POST /api/v1/customers', {
    body: { name: '规格客户', phone: '13000002222', email: 'spec@example.com', member_id: 'S-1', tier: 'vip' },
  }), 201);
  expect(await call(admin, 'POST /api/v1/customers', { body: { name: '另一位', phone: '13000002222' } }), 409);
  expect(await call(admin, 'GET /api/v1/customers', { query: '?q=13000002222&limit=5' }), 200);
  expect(await call(admin, 'GET /api/v1/customers/{id}', { params: { id: cust.id } }), 200);
  const full = expect(await call(admin, 'GET /api/v1/customers/{id}', {
    params: { id: cust.id }, query: '?unmask=1',
  }), 200);
  assert.equal(full.masked, false);
  expect(await call(agent, 'GET /api/v1/customers/{id}', { params: { id: cust.id }, query: '?unmask=1' }), 403);
  expect(await call(admin, 'PATCH /api/v1/customers/{id}', { params: { id: cust.id }, body: { email: null } }), 200);
  expect(await call(admin, 'GET /api/v1/customers/{id}/history', {
    params: { id: cust.id }, query: '?months=24',
  }), 200);
  const ident = expect(await call(admin, 'POST /api/v1/customers/{id}/identities', {
    params: { id: cust.id }, body: { kind: 'external_id', channel: 'APP', value: 'spec-user-1' },
  }), 201);
  expect(await call(admin, 'POST /api/v1/customers/{id}/identities', {
    params: { id: cust.id }, body: { kind: 'phone', value: '13000003333' },
  }), 201);
  expect(await call(admin, 'POST /api/v1/customers/{id}/identities', {
    params: { id: cust.id }, body: { kind: 'fax', value: '1' },
  }), 422);
  expect(await call(admin, 'GET /api/v1/customers/{id}/identities', { params: { id: cust.id } }), 200);
  expect(await call(admin, 'GET /api/v1/customers/{id}/identities', { params: { id: cust.id }, query: '?unmask=1' }), 200);
  expect(await call(admin, 'DELETE /api/v1/customers/{id}/identities/{identity_id}', {
    params: { id: cust.id, identity_id: ident.id },
  }), 204);
  const twin = expect(await call(admin, 'POST /api/v1/customers', { body: { name: '规格客户(微信)', phone: '13000005555' } }), 201);
  expect(await call(admin, 'POST /api/v1/customers/{id}/identities', {
    params: { id: twin.id }, body: { kind: 'phone', value: '13000003333' },
  }), 409);
  expect(await call(admin, 'POST /api/v1/customers/{id}/merge', { params: { id: cust.id }, body: { from: cust.id } }), 422);
  expect(await call(admin, 'POST /api/v1/customers/{id}/merge', { params: { id: cust.id }, body: { from: twin.id } }), 200);
  const tomb = expect(await call(admin, 'GET /api/v1/customers/{id}', { params: { id: twin.id } }), 200);
  assert.equal(tomb.merged_into, cust.id);

  // files, tickets, their conversation and history
  const file = expect(await call(admin, 'POST /api/v1/attachments', {
    query: '?filename=spec.txt', raw: 'a file', headers: { 'Content-Type': 'text/plain' },
  }), 201);
  expect(await call(admin, 'GET /api/v1/attachments/{id}', { params: { id: file.id } }), 200);
  expect(await call(admin, 'POST /api/v1/attachments', { raw: '', headers: { 'Content-Type': 'text/plain' } }), 422);
  const t = expect(await call(admin, 'POST /api/v1/tickets', {
    body: {
      channel: 'TEL', type: 'complaint', subject: '规格', description: null, urgency: 'high',
      raised_at: rfc3339(Date.now() - 60000), expected_at: null, contact_name: '张先生',
      mood: 'anxious', mood_note: '语气急促', attachments: [file.id], customer_id: cust.id,
    },
  }), 201);
  assert.equal(t.description, ''); // a null description is an empty one
  expect(await call(admin, 'POST /api/v1/tickets', {
    body: {
      channel: 'TEL', type: 'inquiry', subject: '规格二', customer: { name: '新客户', phone: '13000003333' },
    },
  }), 201);
  expect(await call(admin, 'POST /api/v1/tickets', { body: {} }), 422);
  const json = { 'Content-Type': 'application/json' };
  expect(await call(admin, 'POST /api/v1/tickets', { raw: '{', headers: json }), 400);
  expect(await call(admin, 'POST /api/v1/tickets', { raw: 'x', headers: { 'Content-Type': 'text/plain' } }), 415);
  expect(await call(admin, 'POST /api/v1/tickets', { body: {}, headers: { 'X-CSRF-Token': 'wrong' } }), 403);
  expect(await call(admin, 'GET /api/v1/tickets', { query: '?status=new,accepted&sort=-created&limit=10' }), 200);
  expect(await call(admin, 'GET /api/v1/tickets', { query: '?sort=sideways' }), 422);
  expect(await call(admin, 'GET /api/v1/tickets/{id}', { params: { id: t.number } }), 200);
  expect(await call(admin, 'GET /api/v1/tickets/{id}', { params: { id: 'NO-SUCH' } }), 404);
  expect(await call(admin, 'PATCH /api/v1/tickets/{id}', {
    params: { id: t.id }, body: { status: 'accepted' }, headers: { 'If-Match': `"${t.version}"` },
  }), 200);
  expect(await call(admin, 'PATCH /api/v1/tickets/{id}', {
    params: { id: t.id }, body: { remarks: 'x' }, headers: { 'If-Match': `"${t.version}"` },
  }), 409);
  const file2 = expect(await call(admin, 'POST /api/v1/attachments', {
    query: '?filename=reply.txt', raw: 'another', headers: { 'Content-Type': 'text/plain' },
  }), 201);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/messages', {
    params: { id: t.id }, body: { kind: 'reply', body: '您好', attachments: [file2.id] },
  }), 201);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/messages', {
    params: { id: t.id }, body: { kind: 'shout', body: 'x' },
  }), 422);
  expect(await call(admin, 'GET /api/v1/tickets/{id}/messages', { params: { id: t.id } }), 200);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/review', { params: { id: t.id } }), 422);
  expect(await call(admin, 'PATCH /api/v1/tickets/{id}', {
    params: { id: t.id },
    body: { status: 'resolved', result: 'fixed', measures: '补发', category: null, assignee_id: admin.user.id },
  }), 200);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/review', { params: { id: t.id } }), 200);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/review', { params: { id: t.id } }), 409);
  expect(await call(admin, 'GET /api/v1/tickets/{id}', { params: { id: t.id }, query: '?unmask=1' }), 200);
  const history = expect(await call(admin, 'GET /api/v1/tickets/{id}/history', { params: { id: t.id } }), 200);
  assert.ok(history.items.length >= 4);

  // shifts, transfers, nudges
  const member = expect(await call(admin, 'POST /api/v1/users', {
    body: { username: 'spec-member', name: '值班员', role: 'specialist', department_id: dept.id, password: 'spec-password-1' },
  }), 201);
  const shiftBody = { user_id: member.id, department_id: dept.id, starts_at: rfc3339(Date.now() - 3600000), ends_at: rfc3339(Date.now() + 3600000) };
  const sh = expect(await call(admin, 'POST /api/v1/shifts', { body: shiftBody }), 201);
  expect(await call(admin, 'POST /api/v1/shifts', { body: shiftBody }), 409);
  expect(await call(admin, 'POST /api/v1/shifts', { body: { ...shiftBody, user_id: agent.user.id } }), 422);
  expect(await call(agent, 'POST /api/v1/shifts', { body: shiftBody }), 403);
  expect(await call(admin, 'GET /api/v1/shifts', { query: `?department_id=${dept.id}&user_id=${member.id}` }), 200);
  expect(await call(admin, 'GET /api/v1/shifts', { query: '?from=yesterday' }), 422);
  const t2 = expect(await call(admin, 'POST /api/v1/tickets', {
    body: { channel: 'TEL', type: 'inquiry', subject: '转接', customer_id: cust.id },
  }), 201);
  const moved = expect(await call(admin, 'POST /api/v1/tickets/{id}/transfers', {
    params: { id: t2.id }, body: { to_department_id: dept.id, reason: '规格转接', due_at: rfc3339(Date.now() + 86400000), cooperate: false },
  }), 201);
  assert.equal(moved.ticket.assignee.id, member.id);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/transfers', {
    params: { id: t2.id }, body: { to_user_id: member.id, reason: '循环' },
  }), 422);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/transfers', {
    params: { id: 'NO-SUCH' }, body: { to_user_id: member.id, reason: 'x' },
  }), 404);
  expect(await call(admin, 'GET /api/v1/tickets/{id}/transfers', { params: { id: t2.number } }), 200);
  expect(await call(admin, 'POST /api/v1/tickets/{id}/nudges', { params: { id: t2.id }, body: { message: '请尽快' } }), 201);
  expect(await call(agent, 'POST /api/v1/tickets/{id}/nudges', { params: { id: t2.id }, body: {} }), 403);
  // live chat (while the member is on shift): a visitor opens one, resumes it, writes and
  // listens with its token; an agent accepts, a second accept is refused; closing ends it
  const chatter = new Client(srv.base);
  const chat = expect(await call(chatter, 'POST /api/v1/chat/sessions', {
    body: { channel: 'CHAT', name: '访客甲', email: 'chat-spec@example.com', phone: '13800009999', body: '在吗?' },
  }), 201);
  assert.equal(chat.state, 'waiting');
  expect(await call(chatter, 'POST /api/v1/chat/sessions', { body: { channel: 'CHAT', body: '' } }), 422);
  const asVisitor = { Authorization: `Visitor ${chat.visitor_token}` };
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}', { params: { id: chat.id }, headers: asVisitor }), 200);
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}', { params: { id: chat.id } }), 401);
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}', { params: { id: chat.id + 1000 }, headers: asVisitor }), 404);
  const chatLive = await firstChunk(chatter, `/api/v1/chat/sessions/${chat.id}/stream?visitor_token=${chat.visitor_token}`);
  assert.equal(chatLive.status, 200);
  assert.match(chatLive.type, /^text\/event-stream/);
  covered.set('GET /api/v1/chat/sessions/{id}/stream', new Set(['200']));
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}/stream', { params: { id: chat.id }, headers: asVisitor, query: '?last_event_id=x' }), 422);
  expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/messages', { params: { id: chat.id }, headers: asVisitor, body: { body: '我想问保修' } }), 201);
  expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/messages', { params: { id: chat.id }, headers: asVisitor, body: { body: '' } }), 422);
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const chatImage = expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/attachments', {
    params: { id: chat.id }, query: '?filename=a.png', raw: png, headers: { ...asVisitor, 'Content-Type': 'image/png' },
  }), 201);
  expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/attachments', {
    params: { id: chat.id }, raw: 'text', headers: { ...asVisitor, 'Content-Type': 'text/plain' },
  }), 415);
  expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/messages', {
    params: { id: chat.id }, headers: asVisitor, body: { attachments: [chatImage.id] },
  }), 201);
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}/attachments/{attachment}', {
    params: { id: chat.id, attachment: chatImage.id }, headers: asVisitor,
  }), 200);
  expect(await call(chatter, 'GET /api/v1/chat/sessions/{id}/attachments/{attachment}', {
    params: { id: chat.id, attachment: 999999 }, headers: asVisitor,
  }), 404);
  expect(await call(agent, 'GET /api/v1/chats', { query: '?state=waiting' }), 200);
  expect(await call(agent, 'GET /api/v1/chats', { query: '?state=x' }), 422);
  expect(await call(agent, 'GET /api/v1/chats', { query: '?state=offline' }), 200);
  expect(await call(agent, 'POST /api/v1/chats/{id}/accept', { params: { id: chat.id } }), 200);
  expect(await call(admin, 'POST /api/v1/chats/{id}/accept', { params: { id: chat.id } }), 409);
  expect(await call(agent, 'POST /api/v1/chats/{id}/accept', { params: { id: chat.id + 1000 } }), 404);
  expect(await call(agent, 'GET /api/v1/chats', { query: '?state=active' }), 200);
  expect(await call(agent, 'POST /api/v1/chats/{id}/close', { params: { id: chat.id } }), 200);
  expect(await call(agent, 'POST /api/v1/chats/{id}/close', { params: { id: chat.id } }), 409);
  expect(await call(chatter, 'POST /api/v1/chat/sessions/{id}/messages', { params: { id: chat.id }, headers: asVisitor, body: { body: '还在吗' } }), 409);
  expect(await call(admin, 'DELETE /api/v1/shifts/{id}', { params: { id: sh.id } }), 204);
  expect(await call(admin, 'DELETE /api/v1/shifts/{id}', { params: { id: sh.id } }), 404);

  // the test clock (the server runs with KEFU_TEST_CLOCK=1): two hours on, a new inquiry's
  // accept and first-response clocks have passed, and their notices reach the supervisors
  expect(await call(admin, 'POST /api/v1/users', {
    body: { username: 'spec-sup', name: '主管', role: 'supervisor', password: 'spec-password-1' },
  }), 201);
  const supervisor = await new Client(srv.base).login('spec-sup', 'spec-password-1');
  expect(await call(admin, 'POST /api/v1/tickets', {
    body: { channel: 'TEL', type: 'inquiry', subject: '规格三', customer: { name: '新客户', phone: '13000003333' } },
  }), 201);
  const swept = expect(await call(admin, 'POST /api/v1/test/clock', { body: { now: rfc3339(Date.now() + 2 * 3600000) } }), 200);
  assert.ok(swept.swept >= 2);
  const notes = expect(await call(supervisor, 'GET /api/v1/notifications', { query: '?unread=1&limit=5' }), 200);
  assert.ok(notes.items.length >= 1);
  expect(await call(supervisor, 'POST /api/v1/notifications/{id}/read', { params: { id: notes.items[0].id } }), 204);
  expect(await call(admin, 'POST /api/v1/notifications/{id}/read', { params: { id: notes.items[0].id } }), 404);
  expect(await call(supervisor, 'GET /api/v1/notifications', { query: '?cursor=x' }), 422);
  expect(await call(admin, 'POST /api/v1/test/clock', { body: {} }), 422);

  // the supervisor's board and the live stream (read up to its first bytes, then closed)
  const board = expect(await call(supervisor, 'GET /api/v1/board'), 200);
  assert.ok(board.totals.open >= 1 && board.overdue.length >= 1, JSON.stringify(board.totals));
  expect(await call(agent, 'GET /api/v1/board'), 403);
  expect(await call(anon, 'GET /api/v1/board'), 401);
  // the forecast, with its staffing (supervisors and admins)
  const fc = expect(await call(supervisor, 'GET /api/v1/reports/forecast', { query: '?days=3' }), 200);
  assert.equal(fc.days.length, 3);
  expect(await call(agent, 'GET /api/v1/reports/forecast'), 403);
  expect(await call(supervisor, 'GET /api/v1/reports/forecast', { query: '?days=0' }), 422);
  const live = await firstChunk(admin, '/api/v1/stream?last_event_id=0');
  assert.equal(live.status, 200);
  assert.match(live.type, /^text\/event-stream/);
  assert.match(live.text, /^retry: \d+\n/);
  assert.equal(flat(deref(operation('GET /api/v1/stream').operation.responses['200']).content['text/event-stream'].schema).type, 'string');
  covered.set('GET /api/v1/stream', new Set(['200']));
  expect(await call(anon, 'GET /api/v1/stream'), 401);
  expect(await call(admin, 'GET /api/v1/stream', { query: '?last_event_id=yesterday' }), 422);
  // the record export (a download) and the scheduled reports
  expect(await call(admin, 'GET /api/v1/reports/export', { query: '?from=2023-10-01&format=xlsx' }), 200);
  expect(await call(admin, 'GET /api/v1/reports/export', { query: '?from=2023-13-01' }), 422);
  expect(await call(agent, 'GET /api/v1/reports/export', { query: `?assignee_id=${admin.user.id}` }), 403);
  const daily = { kind: 'daily_export', to: ['lead@example.com'], at: '18:00', format: 'csv' };
  const rs = expect(await call(admin, 'POST /api/v1/report-schedules', { body: daily }), 201).report_schedule;
  expect(await call(admin, 'POST /api/v1/report-schedules', { body: { ...daily, to: ['x'] } }), 422);
  expect(await call(agent, 'POST /api/v1/report-schedules', { body: daily }), 403);
  expect(await call(admin, 'GET /api/v1/report-schedules'), 200);
  expect(await call(admin, 'GET /api/v1/report-schedules/{id}', { params: { id: rs.id } }), 200);
  expect(await call(admin, 'PATCH /api/v1/report-schedules/{id}', { params: { id: rs.id }, body: { at: '07:30' } }), 200);
  expect(await call(admin, 'DELETE /api/v1/report-schedules/{id}', { params: { id: rs.id } }), 204);
  expect(await call(admin, 'GET /api/v1/report-schedules/{id}', { params: { id: rs.id } }), 404);
  // the notification webhook, pointed at a port where nothing listens: its delivery waits
  const nobody = await freePort();
  const hook = expect(await call(admin, 'POST /api/v1/webhooks', {
    body: { url: `http://127.0.0.1:${nobody}/sms`, secret: 'spec-secret-0123456789', events: ['ticket.created'], enabled: true },
  }), 201).webhook;
  expect(await call(admin, 'POST /api/v1/webhooks', { body: { url: 'mailto:x', secret: 'x', events: [] } }), 422);
  expect(await call(agent, 'POST /api/v1/webhooks', { body: { url: 'http://x.example', secret: 'spec-secret-0123456789', events: ['*'] } }), 403);
  expect(await call(admin, 'GET /api/v1/webhooks'), 200);
  expect(await call(admin, 'GET /api/v1/webhooks/{id}', { params: { id: hook.id } }), 200);
  expect(await call(admin, 'PATCH /api/v1/webhooks/{id}', {
    params: { id: hook.id }, body: { events: ['ticket.created', 'notification.created'] },
  }), 200);
  expect(await call(admin, 'POST /api/v1/tickets', { body: { channel: 'TEL', type: 'inquiry', subject: '通知', customer_id: cust.id } }), 201);
  let sent;
  for (let i = 0; i < 100 && !sent; i++) {
    const page = expect(await call(admin, 'GET /api/v1/webhooks/{id}/deliveries', { params: { id: hook.id }, query: '?limit=10' }), 200);
    sent = page.items.find((d) => d.attempts > 0);
    if (!sent) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(sent, 'a try was made and recorded');
  expect(await call(admin, 'GET /api/v1/webhooks/{id}/deliveries', { params: { id: hook.id }, query: '?cursor=x' }), 422);
  expect(await call(admin, 'POST /api/v1/webhooks/{id}/deliveries/{delivery}/retry', {
    params: { id: hook.id, delivery: sent.id },
  }), 200);
  expect(await call(admin, 'DELETE /api/v1/webhooks/{id}', { params: { id: hook.id } }), 204);
  expect(await call(admin, 'GET /api/v1/webhooks/{id}', { params: { id: hook.id } }), 404);

  // standard replies: kept by a supervisor, found and filled for a ticket by an agent
  const tpl = expect(await call(supervisor, 'POST /api/v1/templates', {
    body: { name: '规格话术', type: 'complaint', category: 'logistics-delay', shortcut: 'spec', body: '{{customer.name}}您好,[[非常理解]]' },
  }), 201).template;
  expect(await call(supervisor, 'POST /api/v1/templates', { body: { name: 'x', body: 'y', shortcut: 'spec' } }), 409);
  expect(await call(supervisor, 'POST /api/v1/templates', { body: { name: '', body: 'y' } }), 422);
  expect(await call(agent, 'POST /api/v1/templates', { body: { name: 'x', body: 'y' } }), 403);
  expect(await call(agent, 'GET /api/v1/templates', { query: '?q=spec&type=complaint' }), 200);
  expect(await call(agent, 'GET /api/v1/templates', { query: '?type=nonsense' }), 422);
  expect(await call(agent, 'GET /api/v1/templates/{id}', { params: { id: tpl.id } }), 200);
  expect(await call(supervisor, 'PATCH /api/v1/templates/{id}', { params: { id: tpl.id }, body: { shortcut: null } }), 200);
  expect(await call(supervisor, 'POST /api/v1/templates/{id}/render', { params: { id: tpl.id }, body: { ticket_id: t.id } }), 200);
  expect(await call(agent, 'POST /api/v1/templates/{id}/render', { params: { id: tpl.id }, body: { ticket_id: 0 } }), 422);
  expect(await call(supervisor, 'DELETE /api/v1/templates/{id}', { params: { id: tpl.id } }), 204);
  expect(await call(agent, 'GET /api/v1/templates/{id}', { params: { id: tpl.id } }), 404);
  expect(await call(agent, 'POST /api/v1/templates/{id}/render', { params: { id: tpl.id }, body: { ticket_id: t.id } }), 404);

  // an app on a webhook channel: a signed message, its duplicate and a bad signature
  const hookSecret = 'spec-hook-secret-0123456789';
  expect(await call(admin, 'PATCH /api/v1/channels/{code}', { params: { code: 'APP' }, body: { kind: 'webhook', settings: { secret: hookSecret } } }), 200);
  const hookBody = JSON.stringify({ message_id: 'spec-1', thread_id: 'spec-t', customer: { external_id: 'spec-u', name: '应用用户' }, body: '应用内留言' });
  const hookSig = 'sha256=' + createHmac('sha256', hookSecret).update(hookBody).digest('hex');
  const hookHeaders = { 'Content-Type': 'application/json', 'X-Kefu-Signature': hookSig };
  const taken = expect(await call(anon, 'POST /hooks/{code}', { params: { code: 'APP' }, raw: hookBody, headers: hookHeaders }), 202);
  assert.equal(expect(await call(anon, 'POST /hooks/{code}', { params: { code: 'APP' }, raw: hookBody, headers: hookHeaders }), 202).ticket.id, taken.ticket.id);
  expect(await call(anon, 'POST /hooks/{code}', { params: { code: 'APP' }, raw: hookBody, headers: { ...hookHeaders, 'X-Kefu-Signature': 'sha256=00' } }), 401);
  expect(await call(admin, 'GET /api/v1/calls', { query: `?ticket_id=${taken.ticket.id}` }), 200);
  expect(await call(admin, 'GET /api/v1/calls'), 200);
  expect(await call(admin, 'GET /api/v1/calls', { query: '?ticket_id=999999' }), 404);

  // the customer portal: the public form, uploads and code sign-in; then, with the code from
  // the mail, a customer's own tickets with the portal's cookie
  const visitor = new Client(srv.base);
  expect(await call(visitor, 'GET /api/v1/portal/types'), 200);
  const photo = expect(await call(visitor, 'POST /api/v1/portal/attachments', {
    query: '?filename=photo.jpg', raw: 'jpeg', headers: { 'Content-Type': 'image/jpeg' },
  }), 201);
  expect(await call(visitor, 'POST /api/v1/portal/attachments', { raw: '', headers: { 'Content-Type': 'image/jpeg' } }), 422);
  const portalEmail = 'portal-spec@example.com';
  const form = {
    type: 'fault', subject: '规格报修', description: '不通电', name: '门户客户', email: portalEmail,
    phone: '13000004444', attachments: [photo.token],
  };
  const submitted = expect(await call(visitor, 'POST /api/v1/portal/tickets', { body: form }), 201);
  expect(await call(visitor, 'POST /api/v1/portal/tickets', { body: { ...form, attachments: [], type: 'x' } }), 422);
  expect(await call(visitor, 'POST /api/v1/portal/login', { body: { email: 'nobody-here@example.com' } }), 202);
  expect(await call(visitor, 'POST /api/v1/portal/login', { body: { email: 'nobody' } }), 422);
  expect(await call(visitor, 'POST /api/v1/portal/verify', { body: { email: portalEmail, code: '000000' } }), 401);
  expect(await call(visitor, 'POST /api/v1/portal/verify', { body: { email: portalEmail, code: 'x' } }), 422);
  expect(await call(visitor, 'GET /api/v1/portal/tickets'), 401);
  expect(await call(admin, 'GET /api/v1/portal/me'), 401); // a staff session is no customer
  {
    // the sign-in code arrives by mail: an SMTP sink on 127.0.0.1 takes it
    const sink = await smtpSink().start();
    try {
      expect(await call(admin, 'PATCH /api/v1/channels/{code}', {
        params: { code: 'MAIL' },
        body: { kind: 'mail', settings: { smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none', from: '客服 <s@kefu.example.com>' } },
      }), 200);
      expect(await call(visitor, 'POST /api/v1/portal/login', { body: { email: portalEmail } }), 202);
      const mail = await until('the code mail', () => sink.mails().find((m) => m.rcpt_tos.includes(portalEmail)));
      const code = /\b(\d{6})\b/.exec(mail.text)[1];
      const signedIn = await call(visitor, 'POST /api/v1/portal/verify', { body: { email: portalEmail, code } });
      expect(signedIn, 200);
      visitor.cookie = signedIn.headers.get('set-cookie').split(';')[0];
    } finally {
      await sink.stop();
      sink.cleanup();
    }
    expect(await call(visitor, 'GET /api/v1/portal/me'), 200);
    expect(await call(visitor, 'GET /api/v1/portal/tickets'), 200);
    const number = submitted.number;
    const mine = expect(await call(visitor, 'GET /api/v1/portal/tickets/{number}', { params: { number } }), 200);
    expect(await call(visitor, 'GET /api/v1/portal/tickets/{number}', { params: { number: 'WEB-NO-SUCH' } }), 404);
    expect(await call(visitor, 'GET /api/v1/portal/attachments/{id}', { params: { id: mine.messages[0].attachments[0].id } }), 200);
    expect(await call(visitor, 'GET /api/v1/portal/attachments/{id}', { params: { id: file.id } }), 404);
    expect(await call(visitor, 'POST /api/v1/portal/tickets/{number}/confirm', { params: { number }, body: { accepted: true } }), 409);
    expect(await call(visitor, 'POST /api/v1/portal/tickets/{number}/messages', { params: { number }, body: { body: '补充', attachments: [] } }), 201);
    expect(await call(visitor, 'POST /api/v1/portal/tickets/{number}/messages', { params: { number }, body: { body: '' } }), 422);
    for (const status of ['accepted', 'waiting_customer']) {
      expect(await call(admin, 'PATCH /api/v1/tickets/{id}', { params: { id: number }, body: { status } }), 200);
    }
    expect(await call(visitor, 'POST /api/v1/portal/tickets/{number}/confirm', {
      params: { number }, body: { accepted: false, comment: '还没好' },
    }), 200);
    expect(await call(visitor, 'POST /api/v1/portal/logout'), 204);
    expect(await call(visitor, 'POST /api/v1/portal/logout'), 401);
  }

  // a WeChat official account's server address, signed as the platform signs
  {
    const { signedQuery, messageXml } = await import('../lib/fake_wechat.js');
    expect(await call(admin, 'PATCH /api/v1/channels/{code}', {
      params: { code: 'WX' }, body: { kind: 'wechat', settings: { token: 'spec-wx-token', app_id: 'wx-spec' } },
    }), 200);
    const q = signedQuery('spec-wx-token');
    expect(await call(anon, 'GET /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${q}&echostr=42` }), 200);
    expect(await call(anon, 'GET /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${signedQuery('x')}&echostr=42` }), 401);
    expect(await call(anon, 'GET /hooks/wechat/{code}', { params: { code: 'MAIL' }, query: `?${q}&echostr=42` }), 404);
    const xml = (msgId, content) => ({
      raw: messageXml({ from: 'oSpecFollower', content, msgId }), headers: { 'Content-Type': 'text/xml' },
    });
    expect(await call(anon, 'POST /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${q}&openid=oSpecFollower`, ...xml('900001', '规格') }), 200);
    expect(await call(anon, 'POST /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${q}`, ...xml('900002', '再问') }), 200);
    expect(await call(anon, 'POST /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${q}`, raw: '<xml/>' }), 422);
    expect(await call(anon, 'POST /hooks/wechat/{code}', { params: { code: 'WX' }, query: `?${signedQuery('x')}`, ...xml('900003', 'x') }), 401);
  }

  // satisfaction surveys: the link's token comes with survey.sent through the notification webhook
  {
    const { receiver } = await import('../lib/receiver.js');
    const gw = await receiver();
    expect(await call(admin, 'POST /api/v1/webhooks', { body: { url: gw.url, secret: 'spec-survey-secret-0123', events: ['survey.sent'] } }), 201);
    expect(await call(admin, 'PATCH /api/v1/settings', {
      body: { survey: { scale: 'three_level', delay_minutes: 0, expire_hours: 72, second_handling_hours: 24 } },
    }), 200);
    expect(await call(admin, 'PATCH /api/v1/settings', { body: { survey: { delay_minutes: 31 } } }), 422);
    const t = expect(await call(admin, 'POST /api/v1/tickets', {
      body: { channel: 'TEL', type: 'inquiry', subject: '规格回访', customer: { name: '规格', phone: '13000003333' } },
    }), 201);
    for (const body of [{ status: 'in_progress' }, { status: 'resolved', result: 'fixed' }]) {
      expect(await call(admin, 'PATCH /api/v1/tickets/{id}', { params: { id: t.id }, body }), 200);
    }
    const hit = await until('survey.sent', () => gw.got.find((h) => h.body.detail?.number === t.number));
    const token = hit.body.detail.url.split('/s/')[1];
    expect(await call(anon, 'GET /api/v1/surveys/{token}', { params: { token } }), 200);
    expect(await call(anon, 'GET /api/v1/surveys/{token}', { params: { token: 'nope' } }), 404);
    expect(await call(anon, 'POST /api/v1/surveys/{token}', { params: { token }, body: { rating: 'excellent' } }), 422);
    expect(await call(anon, 'POST /api/v1/surveys/{token}', { params: { token }, body: { rating: 'unsatisfied', comment: '规格' } }), 200);
    expect(await call(anon, 'POST /api/v1/surveys/{token}', { params: { token }, body: { rating: 'satisfied' } }), 409);
    expect(await call(admin, 'GET /api/v1/tickets/{id}', { params: { id: t.id } }), 200);
    expect(await call(admin, 'GET /api/v1/surveys', {
      query: `?ticket_id=${t.id}&from=2020-01-01&to=2099-12-31&rating=unsatisfied&sort=unsatisfied_first&limit=10`,
    }), 200);
    expect(await call(admin, 'GET /api/v1/surveys', { query: '?rating=great' }), 422);
    expect(await call(admin, 'GET /api/v1/second-handling'), 200);
    await gw.close();
  }
  // the knowledge base
  {
    const art = expect(await call(admin, 'POST /api/v1/kb/articles', {
      body: { title: '保修政策', body: '整机保修 **3 年**', need_type: 'inquiry', category: 'warranty-policy', tags: ['保修'] },
    }), 201);
    expect(await call(admin, 'POST /api/v1/kb/articles', { body: { title: '', body: 'x', need_type: 'inquiry' } }), 422);
    expect(await call(admin, 'GET /api/v1/kb/articles', { query: '?state=draft&need_type=inquiry&category=warranty-policy&tag=保修&limit=5' }), 200);
    expect(await call(admin, 'GET /api/v1/kb/articles', { query: '?state=nope' }), 422);
    expect(await call(admin, 'GET /api/v1/kb/articles/{id}', { params: { id: art.id } }), 200);
    expect(await call(admin, 'GET /api/v1/kb/articles/{id}', { params: { id: 999999 } }), 404);
    expect(await call(admin, 'PATCH /api/v1/kb/articles/{id}', { params: { id: art.id }, body: { effective_from: null } }), 200);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/submit', { params: { id: art.id } }), 200);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/submit', { params: { id: art.id } }), 409);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/publish', { params: { id: art.id }, body: { notify: true } }), 200);
    expect(await call(admin, 'PATCH /api/v1/kb/articles/{id}', { params: { id: art.id }, body: { body: '整机保修 3 年,电池 1 年' } }), 200);
    expect(await call(admin, 'GET /api/v1/kb/articles/{id}/versions', { params: { id: art.id } }), 200);
    expect(await call(admin, 'GET /api/v1/kb/articles/{id}/versions/{n}', { params: { id: art.id, n: 1 } }), 200);
    expect(await call(admin, 'GET /api/v1/kb/articles/{id}/versions/{n}', { params: { id: art.id, n: 9 } }), 404);
    expect(await call(admin, 'GET /api/v1/kb/search', { query: '?q=保修&need_type=inquiry&category=warranty-policy&limit=5' }), 200);
    expect(await call(admin, 'GET /api/v1/kb/search', { query: '?q=' + 'x'.repeat(201) }), 422);
    expect(await call(admin, 'POST /api/v1/kb/preview', { body: { body: '# 标题' } }), 200);
    expect(await call(admin, 'POST /api/v1/kb/preview', { body: { text: 'x' } }), 422);
    const next = expect(await call(admin, 'POST /api/v1/kb/articles', { body: { title: '保修政策(新)', body: '整机保修 5 年', need_type: 'inquiry' } }), 201);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/publish', { params: { id: next.id }, body: {} }), 200);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/obsolete', { params: { id: art.id }, body: { replaced_by: art.id } }), 422);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/obsolete', { params: { id: art.id }, body: { replaced_by: next.id } }), 200);
    expect(await call(admin, 'POST /api/v1/kb/articles/{id}/obsolete', { params: { id: art.id }, body: {} }), 409);
    const t = expect(await call(admin, 'POST /api/v1/tickets', {
      body: { channel: 'TEL', type: 'inquiry', category: 'warranty-policy', subject: '保修几年', urgency: 'low', customer: { name: '钱七', phone: '13900001111' } },
    }), 201);
    expect(await call(admin, 'POST /api/v1/tickets/{id}/archive', { params: { id: t.id } }), 409);
    expect(await call(admin, 'GET /api/v1/tickets/{id}/suggestions', { params: { id: t.id } }), 200);
    expect(await call(admin, 'GET /api/v1/tickets/{id}/suggestions', { params: { id: 'TEL-NO-SUCH' } }), 404);
    for (const body of [{ assignee_id: admin.user.id }, { status: 'in_progress' }, { status: 'resolved', result: 'solution_provided' }]) {
      expect(await call(admin, 'PATCH /api/v1/tickets/{id}', { params: { id: t.id }, body }), 200);
    }
    expect(await call(admin, 'POST /api/v1/tickets/{id}/archive', { params: { id: t.id } }), 201);
  }

  // reports (the figures themselves: tests/api/reports.test.js)
  {
    const s = expect(await call(admin, 'GET /api/v1/reports/summary', { query: '?from=2098-06-01&to=2099-01-01' }), 200);
    assert.equal(s.series.length, 215, 'one period a day');
    expect(await call(admin, 'GET /api/v1/reports/summary', { query: '?granularity=month&channel=TEL&type=inquiry&department_id=1&store_id=1' }), 200);
    expect(await call(agent, 'GET /api/v1/reports/summary', { query: '?assignee_id=me' }), 200);
    expect(await call(admin, 'GET /api/v1/reports/summary', { query: '?granularity=hour' }), 422);
    expect(await call(anon, 'GET /api/v1/reports/summary'), 401);
    for (const by of ['type', 'assignee', 'channel', 'department']) {
      expect(await call(admin, 'GET /api/v1/reports/compare', { query: `?by=${by}` }), 200);
    }
    expect(await call(agent, 'GET /api/v1/reports/compare', { query: '?by=assignee&assignee_id=999999' }), 403);
    expect(await call(admin, 'GET /api/v1/reports/compare', { query: '?by=store' }), 422);
  }

  assert.deepEqual(problems, []);
  const untried = operations().map((o) => o.op)
    .filter((op) => ![...(covered.get(op) || [])].some((s) => /^2/.test(s)));
  assert.deepEqual(untried, [], 'every operation answered with success at least once');
});
