// Mailboxes over TLS: Dovecot with a self-signed certificate for 127.0.0.1 serves IMAPS and
// STARTTLS. Kefu checks the certificate: refused against the system's CA certificates, taken
// with mail_ca_file naming it; then mail is polled over imaps:// as over imap://.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';
import { Dovecot } from '../lib/dovecot.js';

const PW = 'imap-password-7';
let dove;
const servers = [];

before(async () => {
  dove = await new Dovecot({ tls: PW }, { tls: true }).start();
});

after(async () => {
  for (const s of servers) await s.finish();
  await dove?.stop();
});

async function serve(env = {}) {
  const srv = await new Server({ env }).start();
  servers.push(srv);
  const admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  return { srv, admin };
}

async function connect(admin, url) {
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { imap_url: url, imap_user: 'tls', imap_password: PW, poll_seconds: 600 },
  });
  assert.equal(r.status, 200, r.text);
  const t = await admin.post('/api/v1/channels/MAIL/test');
  assert.equal(t.status, 200, t.text);
  return t.body.imap;
}

test('a certificate no CA vouches for is refused, over IMAPS and over STARTTLS', async () => {
  const { admin } = await serve();
  let imap = await connect(admin, dove.tlsUrl());
  assert.equal(imap.ok, false);
  assert.match(imap.error, /certificate/i);
  // imap:// takes STARTTLS since the server offers it: the same certificate is checked
  imap = await connect(admin, dove.url());
  assert.equal(imap.ok, false);
  assert.match(imap.error, /certificate/i);
  const s = (await admin.get('/api/v1/channels/MAIL/status')).body;
  assert.equal(s.ok, false);
  assert.match(s.last_error, /certificate/i);
});

test('with mail_ca_file naming the CA, IMAPS logs in and mail is polled', async () => {
  const { admin } = await serve({ KEFU_MAIL_CA_FILE: dove.caFile });
  assert.deepEqual(await connect(admin, dove.url()), { ok: true, error: null }, 'STARTTLS');
  assert.deepEqual(await connect(admin, dove.tlsUrl()), { ok: true, error: null }, 'IMAPS');
  dove.deliver(['From: 加密 <tls@example.org>', 'To: support@example.com', 'Subject: 走 TLS 的邮件',
    'Message-ID: <tls-1@example.org>', 'Content-Type: text/plain; charset=utf-8', '', '你好', ''].join('\r\n'), 'tls');
  const end = Date.now() + 10000;
  let items = [];
  while (!items.length && Date.now() < end) {
    items = (await admin.get('/api/v1/tickets?channel=MAIL')).body.items;
    if (!items.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(items[0]?.subject, '走 TLS 的邮件');
});
