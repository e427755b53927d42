// Bad input of every kind gets a 4xx JSON error naming the field, and changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, startWithAdmin } from '../lib/server.js';

let srv, admin;
const good = {
  channel: 'TEL', type: 'inquiry', subject: '保修期多久', customer: { name: '赵六', phone: '13700001111' },
};

async function ticketCount() {
  let n = 0;
  let cursor = null;
  do {
    const r = await admin.get('/api/v1/tickets?limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    n += r.body.items.length;
    cursor = r.body.next_cursor;
  } while (cursor);
  return n;
}

before(async () => {
  ({ srv, admin } = await startWithAdmin());
});

after(() => srv.finish());

test('malformed JSON is 400', async () => {
  const before = await ticketCount();
  for (const raw of ['{', '{"subject":}', '[1,2]', '"text"', '', '{"a":1,"a":2}']) {
    const r = await admin.req('POST', '/api/v1/tickets', undefined, { raw, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400, raw);
    assert.equal(r.body.error.code, 'bad_request');
  }
  assert.equal(await ticketCount(), before);
});

test('a body that is not JSON is 415', async () => {
  const r = await admin.req('POST', '/api/v1/tickets', undefined, { raw: 'subject=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415);
});

test('invalid UTF-8 is 400', async () => {
  const raw = Buffer.concat([Buffer.from('{"channel":"TEL","type":"inquiry","subject":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","customer":{"name":"x"}}')]);
  const r = await admin.req('POST', '/api/v1/tickets', undefined, { raw, headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
});

test('wrong types, unknown enum values and missing fields are 422 naming the field', async () => {
  const before = await ticketCount();
  const cases = [
    [{ ...good, subject: 42 }, 'subject'],
    [{ ...good, subject: '' }, 'subject'],
    [{ ...good, subject: undefined }, 'subject'],
    [{ ...good, type: 'praise' }, 'type'],
    [{ ...good, urgency: 'extreme' }, 'urgency'],
    [{ ...good, channel: 'FAX' }, 'channel'],
    [{ ...good, category: 'no-such' }, 'category'],
    [{ ...good, category: 'logistics-delay' }, 'category'], // a complaint category on an inquiry
    [{ ...good, raised_at: 'yesterday' }, 'raised_at'],
    [{ ...good, raised_at: '2999-01-01T00:00:00+08:00' }, 'raised_at'],
    [{ ...good, mood: 'furious' }, 'mood'],
    [{ ...good, customer: undefined }, 'customer'],
    [{ ...good, customer: 'x' }, 'customer'],
    [{ ...good, customer: { name: 'x', phone: 'call me' } }, 'customer.phone'],
    [{ ...good, customer: { name: 'x', email: 'not-an-email' } }, 'customer.email'],
    [{ ...good, customer: { name: 'x', tier: 'gold' } }, 'customer.tier'],
    [{ ...good, customer: undefined, customer_id: 999999 }, 'customer_id'],
    [{ ...good, customer: undefined, customer_id: 'one' }, 'customer_id'],
    [{ ...good, attachments: [999999] }, 'attachments'],
    [{ ...good, attachments: 'x' }, 'attachments'],
    [{ ...good, subject: '长'.repeat(201) }, 'subject'],
  ];
  for (const [body, field] of cases) {
    const r = await admin.post('/api/v1/tickets', body);
    assert.equal(r.status, 422, JSON.stringify(body) + ' → ' + r.text);
    assert.equal(r.body.error.code, 'validation_failed');
    assert.equal(r.body.error.field, field, JSON.stringify(body));
    assert.ok(r.body.error.message.length > 0);
  }
  assert.equal(await ticketCount(), before, 'nothing was created');
});

test('an oversize body is 413', async () => {
  const r = await admin.post('/api/v1/tickets', { ...good, description: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, 'too_large');
  const up = await admin.req('POST', '/api/v1/attachments?filename=big.bin', undefined,
    { raw: Buffer.alloc(11 * 1024 * 1024), headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(up.status, 413);
});

test('unknown ids and routes are 404 with a JSON body', async () => {
  for (const p of ['/api/v1/tickets/999999', '/api/v1/tickets/NOPE-1', '/api/v1/customers/999999', '/api/v1/users/0', '/api/v1/nothing']) {
    const r = await admin.get(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.body.error.code, 'not_found');
  }
  const r = await admin.patch('/api/v1/tickets/999999', { remarks: 'x' });
  assert.equal(r.status, 404);
  assert.equal((await admin.req('PUT', '/api/v1/tickets')).status, 405);
});

test('bad PATCH values are 422 and change nothing', async () => {
  const t = (await admin.post('/api/v1/tickets', good)).body;
  const path = '/api/v1/tickets/' + t.id;
  for (const [body, field] of [[{ status: 'done' }, 'status'], [{ status: null }, 'status'], [{ assignee_id: 99999 }, 'assignee_id'],
    [{ department_id: 99999 }, 'department_id'], [{ result: 'magic' }, 'result'], [{ type: null }, 'type'], [{ assignee_id: 'me' }, 'assignee_id']]) {
    const r = await admin.patch(path, body);
    assert.equal(r.status, 422, JSON.stringify(body) + ' ' + r.text);
    assert.equal(r.body.error.field, field);
  }
  assert.equal((await admin.patch(path, { remarks: 'x' }, { headers: { 'If-Match': 'abc' } })).status, 400);
  const now = await admin.get(path);
  assert.equal(now.body.version, t.version);
});

test('SQL and HTML in text fields are stored as given and come back escaped as JSON text', async () => {
  const evil = `'); DROP TABLE tickets; -- <script>alert("x")</script> & 😀`;
  const r = await admin.post('/api/v1/tickets', { ...good, subject: evil, description: evil });
  assert.equal(r.status, 201, r.text);
  const back = await admin.get('/api/v1/tickets/' + r.body.id);
  assert.equal(back.body.subject, evil);
  assert.ok(!back.text.includes('<script>'), 'angle brackets are escaped in the JSON text');
  assert.ok((await ticketCount()) > 0, 'the tickets table is still there');
  const s = await admin.get('/api/v1/tickets?q=' + encodeURIComponent(`" OR 1=1 --`));
  assert.equal(s.status, 200);
});

test('a bad query value is 422 naming the parameter', async () => {
  for (const [q, field] of [['limit=0', 'limit'], ['limit=500', 'limit'], ['sort=name', 'sort'], ['created_from=today', 'created_from'], ['assignee_id=x', 'assignee_id']]) {
    const r = await admin.get('/api/v1/tickets?' + q);
    assert.equal(r.status, 422, q);
    assert.equal(r.body.error.field, field);
  }
});

test('PATCH /settings refuses what it cannot take with 422 naming the key, and changes nothing', async () => {
  const before = (await admin.get('/api/v1/settings')).body;
  const cases = [
    [{ max_attachment_bytes: -1 }, 'max_attachment_bytes', /kefu\.conf/],
    [{ max_attachment_bytes: before.max_attachment_bytes }, 'max_attachment_bytes', /kefu\.conf/],
    [{ time_zone: 'Mars/Olympus' }, 'time_zone', /kefu\.conf/],
    [{ time_zone: 'Europe/Berlin' }, 'time_zone', /kefu\.conf/],
    [{ no_such_setting: 1 }, 'no_such_setting', /no such setting/],
    [{ 'Ticket_Number_Format': '{YYYYMMDD}{serial:3}' }, 'Ticket_Number_Format', /no such setting/],
    [{ ticket_number_format: 42 }, 'ticket_number_format', /string/],
    [{ ticket_number_format: ['{YYYYMMDD}{serial}'] }, 'ticket_number_format', /string/],
    [{ ticket_number_format: null }, 'ticket_number_format', /null/],
    [{ ticket_number_format: '{channel}' }, 'ticket_number_format', /./],
    // a valid change beside a refused key is not made either
    [{ ticket_number_format: '{YYYYMMDD}{serial:3}', time_zone: 'Mars/Olympus' }, 'time_zone', /kefu\.conf/],
    [{ ticket_number_format: '{YYYYMMDD}{serial:3}', colour: 'blue' }, 'colour', /no such setting/],
  ];
  for (const [body, field, message] of cases) {
    const r = await admin.patch('/api/v1/settings', body);
    assert.equal(r.status, 422, JSON.stringify(body) + ' → ' + r.text);
    assert.equal(r.body.error.code, 'validation_failed', JSON.stringify(body));
    assert.equal(r.body.error.field, field, JSON.stringify(body));
    assert.match(r.body.error.message, message, JSON.stringify(body));
    assert.deepEqual((await admin.get('/api/v1/settings')).body, before, 'unchanged after ' + JSON.stringify(body));
  }
});

test('PATCH /settings still changes ticket_number_format, and an empty one changes nothing', async () => {
  const before = (await admin.get('/api/v1/settings')).body;
  const r = await admin.patch('/api/v1/settings', { ticket_number_format: '{YYYYMMDD}{serial:3}' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { ...before, ticket_number_format: '{YYYYMMDD}{serial:3}' });
  assert.deepEqual((await admin.get('/api/v1/settings')).body, r.body);
  const empty = await admin.patch('/api/v1/settings', {});
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body, r.body);
  const back = await admin.patch('/api/v1/settings', { ticket_number_format: before.ticket_number_format });
  assert.equal(back.status, 200);
  assert.deepEqual(back.body, before);
});
