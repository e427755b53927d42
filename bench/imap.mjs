// imap.mjs: mail intake over IMAP against a real Dovecot on 127.0.0.1 (tests/lib/dovecot.js):
// 1. the server's memory while one mail with a 15 MB attachment is fetched, parsed and stored
//    (VmRSS sampled every 10 ms, and VmHWM), on a fresh server;
// 2. the ingest rate: N mails (default 10,000; a quarter the GBK Outlook mail of the corpus
//    with its attachment, the rest plain UTF-8 mails from 2,000 senders) in the mailbox, a mail
//    channel connected to it, the time until every one is a durable ticket (counted in the
//    database) and until every one is flagged on the server.
// Usage: node bench/imap.mjs [N], from the top of the tree, after `make build`.
// Results on standard output and in bench/out/imap.txt.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, Client, ROOT, Server } from '../tests/lib/server.js';
import { Dovecot } from '../tests/lib/dovecot.js';

const N = Number(process.argv[2] || 10000);
const lines = [];
const say = (s) => { console.log(s); lines.push(s); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function kib(pid, key) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : 0;
}

function count(dataDir, sql) {
  return Number(execFileSync('sqlite3', ['-readonly', join(dataDir, 'kefu.db'), sql], { encoding: 'utf8' }).trim() || 0);
}

async function connect(srv, dove, user) {
  const admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  const r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { imap_url: dove.url(), imap_user: user, imap_password: dove.users[user], poll_seconds: 600 },
  });
  if (r.status !== 200) throw new Error(r.text);
  return performance.now();
}

async function unflagged(dove, user) {
  const s = await dove.session(user);
  await s.cmd('SELECT INBOX');
  const r = await s.cmd('UID SEARCH NOT KEYWORD $KefuTaken');
  await s.close();
  return (r.match(/^\* SEARCH(.*)$/m)?.[1] || '').trim().split(/\s+/).filter(Boolean).length;
}

function bigMail() {
  const payload = Buffer.alloc(15 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
  const b64 = payload.toString('base64').replace(/.{76}/g, '$&\r\n');
  return ['From: 大文件 <big@example.org>', 'To: service@kefu.example.com', 'Subject: 监控录像',
    'Message-ID: <big-1@example.org>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain; charset=utf-8', '', '录像在附件里', '--b',
    'Content-Type: video/mp4; name="record.mp4"', 'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="record.mp4"', '', b64, '--b--', ''].join('\r\n');
}

function mailN(i, outlook) {
  if (i % 4 === 0) {
    return outlook.replace(/^Message-ID: .*$/m, `Message-ID: <bench-${i}@example.org>`)
      .replace(/^From: .*$/m, `From: bench${i % 2000} <bench${i % 2000}@example.org>`);
  }
  const body = `您好,订单 ${100000 + i} 的空调还没有安装,师傅说要等配件。请尽快安排,谢谢。\r\n`.repeat(8);
  return [`From: 客户${i % 2000} <c${i % 2000}@example.org>`, 'To: service@kefu.example.com',
    `Subject: 安装进度查询 ${i}`, `Message-ID: <bench-${i}@example.org>`,
    `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit', '', body].join('\r\n');
}

const dove = await new Dovecot({ big: 'bench-password-1', bulk: 'bench-password-2' }).start();
try {
  // 1. memory while the 15 MB mail goes in
  {
    const srv = await new Server().start();
    await sleep(500);
    const pid = srv.proc.pid;
    const base = kib(pid, 'VmRSS');
    const big = bigMail();
    dove.deliver(big, 'big');
    const t0 = await connect(srv, dove, 'big');
    let peak = base;
    while (count(srv.dataDir, 'SELECT count(*) FROM mail_ids') < 1) {
      peak = Math.max(peak, kib(pid, 'VmRSS'));
      await sleep(10);
    }
    const took = performance.now() - t0;
    await sleep(300);
    const hwm = kib(pid, 'VmHWM');
    say(`15 MB attachment (mail of ${(big.length / 1048576).toFixed(1)} MiB): RSS ${(base / 1024).toFixed(0)} MiB before, ` +
      `peak sampled ${(peak / 1024).toFixed(0)} MiB, VmHWM ${(hwm / 1024).toFixed(0)} MiB ` +
      `(+${((hwm - base) / 1024).toFixed(0)} MiB), stored in ${(took / 1000).toFixed(2)} s`);
    await srv.finish();
  }
  // 2. the ingest rate
  {
    const outlook = readFileSync(join(ROOT, 'tests/fixtures/mail/outlook-gbk.eml'), 'latin1');
    for (let i = 0; i < N; i++) dove.deliver(Buffer.from(mailN(i, outlook), i % 4 === 0 ? 'latin1' : 'utf8'), 'bulk');
    // Dovecot indexes the new maildir on its first SELECT: done here, not counted as Kefu's
    const w0 = performance.now();
    const before = await unflagged(dove, 'bulk');
    say(`${before} mails in the mailbox (Dovecot indexed them in ${((performance.now() - w0) / 1000).toFixed(1)} s)`);
    const srv = await new Server().start();
    const t0 = await connect(srv, dove, 'bulk');
    let n = 0;
    while ((n = count(srv.dataDir, 'SELECT count(*) FROM mail_ids')) < N) {
      if (performance.now() - t0 > 600000) throw new Error(`only ${n} of ${N} after 10 minutes\n${srv.log}`);
      await sleep(50);
    }
    const stored = (performance.now() - t0) / 1000;
    while ((n = await unflagged(dove, 'bulk')) > 0) await sleep(50);
    const flagged = (performance.now() - t0) / 1000;
    const tickets = count(srv.dataDir, "SELECT count(*) FROM tickets WHERE channel = 'MAIL'");
    const hwm = kib(srv.proc.pid, 'VmHWM');
    say(`${N} mails: every one durable after ${stored.toFixed(2)} s (${Math.round(N / stored)} mails/s), ` +
      `every one flagged after ${flagged.toFixed(2)} s (${Math.round(N / flagged)} mails/s); ` +
      `${tickets} tickets; server VmHWM ${(hwm / 1024).toFixed(0)} MiB`);
    await srv.finish();
  }
} finally {
  await dove.stop();
}
mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
writeFileSync(join(ROOT, 'bench/out/imap.txt'), lines.join('\n') + '\n');
