// smtp_sink.js: a real SMTP server on 127.0.0.1 for tests (aiosmtpd, Debian's python3), that
// keeps every mail it takes; mails() reads them back parsed.
//   const sink = await smtpSink().start();           // a free port, or start({ port })
//   sink.port; sink.mails() -> [{mail_from, rcpt_tos, raw, headers: {'subject': ['...']},
//                                text, attachments: [{filename, content_type, size, sha256,
//                                base64}]}], oldest first (headers decoded, names lower-case);
//   sink.count() -> how many it holds, without reading them
//   await sink.stop();                                // by PID; the mails stay readable
// reject: a recipient containing it is refused with 550.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from './server.js';

const PYTHON = '/usr/bin/python3';
const LIB = join(ROOT, 'tests/lib');

function answers(port) {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', (d) => { s.destroy(); ok(d.toString().startsWith('220')); });
    s.once('error', () => ok(false));
  });
}

export function smtpSink({ reject = '' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-smtp-'));
  const sink = {
    dir,
    port: null,
    proc: null,
    log: '',
    async start({ port } = {}) {
      sink.port = port || sink.port || await freePort();
      const args = ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${sink.port}`, '-c', 'smtp_sink.Sink', dir];
      if (reject) args.push(reject);
      sink.proc = spawn(PYTHON, args, {
        env: { ...process.env, PYTHONPATH: LIB }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      sink.proc.stdout.on('data', (d) => { sink.log += d; });
      sink.proc.stderr.on('data', (d) => { sink.log += d; });
      const exited = new Promise((ok) => sink.proc.once('exit', ok));
      sink.exited = exited;
      const end = Date.now() + 10000;
      while (!(await answers(sink.port))) {
        if (Date.now() > end || sink.proc.exitCode !== null) throw new Error('the SMTP sink did not start: ' + sink.log);
        await new Promise((r) => setTimeout(r, 50));
      }
      return sink;
    },
    mails() {
      const r = spawnSync(PYTHON, [join(LIB, 'smtp_sink.py'), 'read', dir], { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error('cannot read the sink: ' + r.stderr);
      return JSON.parse(r.stdout);
    },
    count() { return readdirSync(dir).filter((f) => f.endsWith('.eml')).length; },
    async stop() {
      if (!sink.proc) return;
      const p = sink.proc;
      sink.proc = null;
      if (p.exitCode === null) {
        process.kill(p.pid, 'SIGTERM');
        await sink.exited;
      }
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
  return sink;
}
