// A request whose body could be framed in more than one way (RFC 9112 §6.3) is refused with 400
// and its connection closed, so that nothing behind a proxy can be smuggled in after it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startWithAdmin } from '../lib/server.js';

let srv, admin;

before(async () => {
  ({ srv, admin } = await startWithAdmin());
});

after(() => srv.finish());

// The HTTP/1.1 responses in buf, each {status, headers (lower-case names), body}.
function parseResponses(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = buf.subarray(at, end).toString('latin1').split('\r\n');
    const headers = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    at = end + 4 + len;
  }
  return out;
}

// Sends bytes on a new connection and reads until the server closes it or `ms` pass: the
// responses, and whether the server closed the connection (an answer, not a hang).
function exchange(bytes, ms = 5000) {
  return new Promise((resolve) => {
    const chunks = [];
    const sock = connect(srv.port, '127.0.0.1');
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ closed, responses: parseResponses(Buffer.concat(chunks)) });
    };
    const timer = setTimeout(() => finish(false), ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish(true));
    sock.on('error', () => finish(true)); // a reset after the answer is a close too
    sock.write(bytes);
  });
}

// The head of a request that the admin's session may send, without the framing headers.
function head(method, path, extra = '') {
  return `${method} ${path} HTTP/1.1\r\nHost: kefu.test\r\nCookie: ${admin.cookie}\r\n` +
    `X-CSRF-Token: ${admin.csrf}\r\nContent-Type: application/json\r\n${extra}`;
}

const dept = (code) => JSON.stringify({ code, name: '部门 ' + code });
const chunked = (body) => `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;

async function deptCodes() {
  const r = await admin.get('/api/v1/departments');
  assert.equal(r.status, 200);
  return r.body.items.map((d) => d.code);
}

// One 400 bad_request in Kefu's error shape, "Connection: close", and the connection closed.
function assertRefused(r, what) {
  assert.equal(r.closed, true, what + ': the server closes the connection');
  assert.equal(r.responses.length, 1, what + ': one answer, no second request');
  const [res] = r.responses;
  assert.equal(res.status, 400, what);
  assert.equal(res.headers.connection, 'close', what);
  const body = JSON.parse(res.body);
  assert.equal(body.error.code, 'bad_request', what);
  assert.ok(body.error.message.length > 0, what);
  assert.ok(body.error.field === undefined || body.error.field === null, what);
}

test('two different Content-Length headers are refused and nothing is smuggled in', async () => {
  const outer = dept('outer-1');
  const smuggled = head('POST', '/api/v1/departments', `Content-Length: ${Buffer.byteLength(dept('smuggled-1'))}\r\n\r\n`) +
    dept('smuggled-1');
  const total = Buffer.byteLength(outer) + Buffer.byteLength(smuggled);
  // the short length first: a server taking it would run the rest as a second request
  const r = await exchange(head('POST', '/api/v1/departments',
    `Content-Length: ${Buffer.byteLength(outer)}\r\nContent-Length: ${total}\r\n\r\n`) + outer + smuggled);
  assertRefused(r, 'short length first');
  // and the long one first: a proxy taking the short one would have forwarded two requests
  const r2 = await exchange(head('POST', '/api/v1/departments',
    `Content-Length: ${total}\r\nContent-Length: ${Buffer.byteLength(outer)}\r\n\r\n`) + outer + smuggled);
  assertRefused(r2, 'long length first');
  const codes = await deptCodes();
  assert.ok(!codes.includes('outer-1'), 'the outer request did not run');
  assert.ok(!codes.includes('smuggled-1'), 'the smuggled request did not run');
});

test('several equal Content-Length headers are refused too', async () => {
  const body = dept('equal-1');
  const n = Buffer.byteLength(body);
  const r = await exchange(head('POST', '/api/v1/departments',
    `Content-Length: ${n}\r\nContent-Length: ${n}\r\n\r\n`) + body);
  assertRefused(r, 'equal duplicates');
  assert.ok(!(await deptCodes()).includes('equal-1'));
});

test('Transfer-Encoding together with Content-Length is refused and the connection closed', async () => {
  const body = dept('te-cl-1');
  for (const order of ['te first', 'cl first']) {
    const te = 'Transfer-Encoding: chunked\r\n', cl = 'Content-Length: 3\r\n';
    const r = await exchange(head('POST', '/api/v1/departments',
      (order === 'te first' ? te + cl : cl + te) + '\r\n') + chunked(body) +
      'GET /healthz HTTP/1.1\r\nHost: kefu.test\r\n\r\n');
    assertRefused(r, order);
  }
  assert.ok(!(await deptCodes()).includes('te-cl-1'));
});

test('a transfer coding other than a single chunked gets an answer: 400, connection closed', async () => {
  const cases = [
    ['gzip, chunked', chunked(dept('te-1'))],
    ['foo', dept('te-2')],
    ['chunked, chunked', chunked(chunked(dept('te-3')))],
    ['identity', dept('te-4')],
  ];
  for (const [coding, body] of cases) {
    const r = await exchange(head('POST', '/api/v1/departments', `Transfer-Encoding: ${coding}\r\n\r\n`) + body);
    assertRefused(r, coding);
  }
  // two headers are one list: "chunked, chunked"
  const r = await exchange(head('POST', '/api/v1/departments',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n') + chunked(dept('te-5')));
  assertRefused(r, 'two Transfer-Encoding headers');
  const codes = await deptCodes();
  for (const c of ['te-1', 'te-2', 'te-3', 'te-4', 'te-5']) assert.ok(!codes.includes(c), c);
});

test('Transfer-Encoding in an HTTP/1.0 request is refused', async () => {
  const r = await exchange(head('POST', '/api/v1/departments', 'Transfer-Encoding: chunked\r\n\r\n')
    .replace('HTTP/1.1', 'HTTP/1.0') + chunked(dept('http10-1')));
  assertRefused(r, 'HTTP/1.0');
  assert.ok(!(await deptCodes()).includes('http10-1'));
});

test('a Content-Length that is not a plain decimal number is refused and the connection closed', async () => {
  const body = dept('cl-1');
  const n = Buffer.byteLength(body);
  // a second one that is no number is our own refusal, in Kefu's error shape
  const r = await exchange(head('POST', '/api/v1/departments', `Content-Length: ${n}\r\nContent-Length: abc\r\n\r\n`) + body);
  assertRefused(r, 'a second Content-Length that is no number');
  // a lone one libmicrohttpd refuses before the request reaches Kefu: its own 400, not JSON
  for (const v of [`+${n}`, `0x${n.toString(16)}`, `${n}, ${n}`, `-${n}`, '']) {
    const res = await exchange(head('POST', '/api/v1/departments', `Content-Length: ${v}\r\n\r\n`) + body);
    assert.equal(res.closed, true, JSON.stringify(v));
    assert.equal(res.responses[0]?.status, 400, JSON.stringify(v));
  }
  assert.ok(!(await deptCodes()).includes('cl-1'));
});

test('a chunked request still works, and its connection stays open for the next one', async () => {
  const r = await exchange(head('POST', '/api/v1/departments', 'Transfer-Encoding: chunked\r\n\r\n') +
    chunked(dept('chunked-1')) + 'GET /healthz HTTP/1.1\r\nHost: kefu.test\r\nConnection: close\r\n\r\n');
  assert.equal(r.responses.length, 2, JSON.stringify(r.responses));
  assert.equal(r.responses[0].status, 201, r.responses[0].body);
  assert.equal(JSON.parse(r.responses[0].body).code, 'chunked-1');
  assert.equal(r.responses[1].status, 200);
  assert.ok((await deptCodes()).includes('chunked-1'));
});

test('a request with one Content-Length keeps its connection open', async () => {
  const body = dept('plain-1');
  const r = await exchange(head('POST', '/api/v1/departments', `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`) +
    body + 'GET /healthz HTTP/1.1\r\nHost: kefu.test\r\nConnection: close\r\n\r\n');
  assert.deepEqual(r.responses.map((x) => x.status), [201, 200]);
  assert.equal(r.closed, true);
});
