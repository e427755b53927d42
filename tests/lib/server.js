// server.js: starts a real `kefu serve` on a free port with a fresh database, for tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BIN = resolve(ROOT, process.env.KEFU_BIN || 'build/rel/kefu');
export const ADMIN = { username: 'root', password: 'root-password-1' };

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// Runs a kefu subcommand to completion; returns {status, stdout, stderr}.
export function kefu(args, { input, env } = {}) {
  const r = spawnSync(BIN, args, {
    input, encoding: 'utf8', env: { ...process.env, ...env }, cwd: ROOT,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function waitHealthy(base, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(base + '/healthz');
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('kefu did not become healthy at ' + base);
}

// A running server with its own data directory and an admin account.
export class Server {
  constructor({ env = {}, dataDir } = {}) {
    this.env = env;
    this.dataDir = dataDir || mkdtempSync(join(tmpdir(), 'kefu-test-'));
    this.ownDir = !dataDir;
    this.log = '';
  }

  async start({ admin = true } = {}) {
    if (admin && !this.adminMade) {
      const r = kefu(['user', 'add', '--username', ADMIN.username, '--role', 'admin',
        '--name', '管理员', '--password-stdin', '--data-dir', this.dataDir],
      { input: ADMIN.password + '\n' });
      if (r.status !== 0) throw new Error('user add failed: ' + r.stderr);
      this.adminMade = true;
    }
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${this.port}`,
      '--data-dir', this.dataDir, '--web-dir', join(ROOT, 'web/dist')], {
      cwd: ROOT,
      env: { ...process.env, KEFU_TEST_CLOCK: '1', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((ok) => this.proc.once('exit', (code, signal) => ok({ code, signal })));
    await waitHealthy(this.base);
    return this;
  }

  // SIGTERM, and the exit status; a sanitizer report makes it non-zero.
  async stop() {
    if (!this.proc) return null;
    this.proc.kill('SIGTERM');
    const r = await this.exited;
    this.proc = null;
    return r;
  }

  kill() {
    this.proc.kill('SIGKILL');
    const e = this.exited;
    this.proc = null;
    return e;
  }

  cleanup() {
    if (this.ownDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  // Stops, removes the data and fails unless the server exited cleanly (a sanitizer report
  // or a crash on shutdown makes the status non-zero).
  async finish() {
    const r = await this.stop();
    this.cleanup();
    if (!r || r.code !== 0) throw new Error(`kefu exited with ${JSON.stringify(r)}\n${this.log}`);
  }
}

// A fresh server and the admin's session on it.
export async function startWithAdmin() {
  const srv = await new Server().start();
  const admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  return { srv, admin };
}

// An HTTP client that keeps a session like a browser (cookie + CSRF header) or uses a token.
export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = null;
    this.csrf = null;
    this.token = null;
  }

  async login(username, password) {
    const r = await this.req('POST', '/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    const set = r.headers.get('set-cookie') || '';
    this.cookie = set.split(';')[0];
    this.csrf = r.body.csrf_token;
    this.user = r.body.user;
    return this;
  }

  async req(method, path, body, { headers = {}, raw } = {}) {
    const h = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (this.csrf && method !== 'GET' && !('X-CSRF-Token' in h)) h['X-CSRF-Token'] = this.csrf;
    if (this.token) h.Authorization = 'Bearer ' + this.token;
    let payload;
    if (raw !== undefined) {
      payload = raw;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      if (!('Content-Type' in h)) h['Content-Type'] = 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, body: json, text, headers: r.headers };
  }

  get(p, o) { return this.req('GET', p, undefined, o); }
  post(p, b, o) { return this.req('POST', p, b, o); }
  patch(p, b, o) { return this.req('PATCH', p, b, o); }
  del(p, o) { return this.req('DELETE', p, undefined, o); }
}
