// Uploads that never reach a ticket are removed after a day; attached ones stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, startWithAdmin } from '../lib/server.js';

const upload = async (c, name) => {
  const r = await c.req('POST', '/api/v1/attachments?filename=' + encodeURIComponent(name), undefined,
    { raw: Buffer.from('%PDF-1.4 ' + name), headers: { 'Content-Type': 'application/pdf' } });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
};

test('an upload never attached is removed after a day, an attached one stays', async (t) => {
  const { srv, admin } = await startWithAdmin();
  t.after(() => srv.finish());
  const kept = await upload(admin, '发票.pdf');
  const ticket = await admin.post('/api/v1/tickets', {
    channel: 'WEB', type: 'inquiry', subject: '发票抬头', customer: { name: '周八', phone: '13933334444' },
    attachments: [kept],
  });
  assert.equal(ticket.status, 201, ticket.text);
  const abandoned = await upload(admin, '草稿.pdf');

  // an hour later nothing is removed
  const clock = (ms) => admin.post('/api/v1/test/clock', { now: new Date(Date.now() + ms).toISOString() });
  assert.equal((await clock(3600 * 1000)).status, 200);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await admin.get(`/api/v1/attachments/${abandoned}`)).status, 200);

  // a day later the abandoned one is gone; the attached one is there (a new sign-in: the
  // session of a day ago has expired)
  assert.equal((await clock(25 * 3600 * 1000)).status, 200);
  const later = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  let status = 200;
  for (let i = 0; i < 40 && status === 200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    status = (await later.get(`/api/v1/attachments/${abandoned}`)).status;
  }
  assert.equal(status, 404, 'the abandoned upload is removed');
  assert.equal((await later.get(`/api/v1/attachments/${kept}`)).status, 200);
  assert.match(srv.log, /removed 1 uploads never attached/);
});
