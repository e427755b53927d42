// smtp_login.js: starts tests/lib/smtp_login.py (aiosmtpd asking for a login) on 127.0.0.1 on
// a free port; stopped by its PID.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT } from './server.js';

export async function startSmtpLogin(user, password) {
  const port = await freePort();
  const proc = spawn('/usr/bin/python3', [join(ROOT, 'tests/lib/smtp_login.py'), String(port), user, password],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((ok) => proc.once('exit', ok));
  await new Promise((ok, fail) => {
    proc.stdout.on('data', (d) => { if (String(d).includes('ready')) ok(); });
    proc.once('exit', () => fail(new Error('smtp_login.py exited: ' + log)));
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    async stop() { proc.kill('SIGTERM'); await exited; },
  };
}
