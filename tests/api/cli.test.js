// The command line: migrate, user add, backup, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, kefu, Server } from '../lib/server.js';

test('migrate creates the database and is idempotent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-cli-'));
  let r = kefu(['migrate', '--data-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  const m = r.stderr.match(/schema version (\d+) \((\d+) migrations? applied\)/);
  assert.ok(m, r.stderr);
  assert.ok(Number(m[1]) >= 2);
  assert.equal(m[1], m[2]); /* a new file gets every migration */
  r = kefu(['migrate', '--data-dir', dir]);
  assert.match(r.stderr, /0 migrations applied/);
  rmSync(dir, { recursive: true });
});

test('user add checks its input and reports clearly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-cli-'));
  const add = (args, pw = 'password-123\n') => kefu(['user', 'add', '--data-dir', dir, '--password-stdin', ...args], { input: pw });
  assert.equal(add(['--username', 'wang', '--role', 'supervisor']).status, 0);
  let r = add(['--username', 'wang', '--role', 'agent']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /username: this username is taken/);
  r = add(['--username', 'li', '--role', 'boss']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /role/);
  r = add(['--username', 'li', '--role', 'agent'], 'short\n');
  assert.match(r.stderr, /password/);
  r = add(['--username', 'li', '--role', 'agent', '--department', 'nowhere']);
  assert.match(r.stderr, /department/);
  r = kefu(['user', 'add', '--username', 'x']);
  assert.equal(r.status, 1);
  r = kefu(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command/);
  rmSync(dir, { recursive: true });
});

test('a fresh serve creates the demo admin and prints its password once', async () => {
  const srv = new Server();
  await srv.start({ admin: false });
  const m = srv.log.match(/username admin, password (\S+)/);
  assert.ok(m, srv.log);
  const c = await new Client(srv.base).login('admin', m[1]);
  assert.equal(c.user.role, 'admin');
  await srv.stop();
  await srv.start({ admin: false });
  assert.equal(srv.log.match(/password (\S+)/g).length, 1, 'printed only the first time');
  await srv.stop();
  srv.cleanup();
});

test('backup copies a live database into a file that opens with every ticket', async () => {
  const srv = await new Server().start();
  const c = await new Client(srv.base).login('root', 'root-password-1');
  for (let i = 0; i < 5; i++) {
    await c.post('/api/v1/tickets', { channel: 'TEL', type: 'inquiry', subject: '备份' + i, customer: { name: 'x', phone: '13000000000' } });
  }
  const file = join(srv.dataDir, 'backup.db');
  let r = kefu(['backup', file, '--data-dir', srv.dataDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(file));
  r = kefu(['backup', file, '--data-dir', srv.dataDir]);
  assert.notEqual(r.status, 0, 'an existing file is not overwritten');
  assert.match(r.stderr, /exists/);
  await srv.stop();
  const restored = new Server({ dataDir: mkdtempSync(join(tmpdir(), 'kefu-restore-')) });
  const { copyFileSync } = await import('node:fs');
  copyFileSync(file, join(restored.dataDir, 'kefu.db'));
  restored.ownDir = true;
  restored.adminMade = true;
  await restored.start();
  const c2 = await new Client(restored.base).login('root', 'root-password-1');
  const list = await c2.get('/api/v1/tickets?q=' + encodeURIComponent('备份'));
  assert.equal(list.body.items.length, 5);
  await restored.stop();
  restored.cleanup();
  srv.cleanup();
});

test('kefu.conf settings apply, the environment beats the file, and flags beat both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-conf-'));
  const conf = join(dir, 'kefu.conf');
  writeFileSync(conf, `; test\n[server]\ndata_dir = ${join(dir, 'from-file')}\n[tickets]\ntime_zone = UTC\n`);
  let r = kefu(['migrate', '--config', conf]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'from-file', 'kefu.db')));
  r = kefu(['migrate', '--config', conf], { env: { KEFU_DATA_DIR: join(dir, 'from-env') } });
  assert.ok(existsSync(join(dir, 'from-env', 'kefu.db')));
  r = kefu(['migrate', '--config', conf, '--data-dir', join(dir, 'from-flag')], { env: { KEFU_DATA_DIR: join(dir, 'from-env') } });
  assert.ok(existsSync(join(dir, 'from-flag', 'kefu.db')));
  writeFileSync(conf, 'no_such_setting = 1\n');
  r = kefu(['migrate', '--config', conf]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no_such_setting: unknown setting/);
  rmSync(dir, { recursive: true });
});

test('bad configuration is a clear error, not a crash', () => {
  let r = kefu(['serve', '--listen', 'nowhere']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /listen/);
  r = kefu(['migrate', '--data-dir', '/tmp/x'], { env: { KEFU_TIME_ZONE: 'Mars/Olympus' } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /time zone/);
});
