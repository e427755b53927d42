// dovecot.js: a real Dovecot IMAP server for tests, on 127.0.0.1 on a free port, with its own
// configuration, passwd-file users and maildirs in a temporary directory; mail is delivered by
// writing files into a maildir's new/ folder, flags are read and changed over IMAP. Stopped by
// its PID. (A failed login makes Dovecot hold the next login from the address ~4 s: tests
// should log in wrongly only where that is the point.)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.js';

let seq = 0;

export class Dovecot {
  // users: {name: password}; idle: false takes IDLE out of the capabilities announced; tls: a
  // self-signed certificate for 127.0.0.1 (this.caFile), STARTTLS on the plain port and IMAPS
  // on this.tlsPort
  constructor(users = { kefu: 'imap-password-1' }, { idle = true, tls = false } = {}) {
    this.users = users;
    this.idle = idle;
    this.tls = tls;
    this.dir = mkdtempSync(join(tmpdir(), 'kefu-dovecot-'));
    // the mail belongs to nobody when the tests run as root (Dovecot will not serve root's)
    const root = process.getuid() === 0;
    this.uid = root ? 65534 : process.getuid();
    this.gid = root ? 65534 : process.getgid();
  }

  async start() {
    this.port = await freePort();
    this.tlsPort = this.tls ? await freePort() : 0;
    const d = this.dir;
    chmodSync(d, 0o755); // Dovecot's auth process (another user) reads the passwd file
    for (const sub of ['run', 'mail']) mkdirSync(join(d, sub));
    chownSync(join(d, 'mail'), this.uid, this.gid);
    const lines = [];
    for (const [name, pw] of Object.entries(this.users)) {
      const hash = execFileSync('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-p', pw], { encoding: 'utf8' }).trim();
      lines.push(`${name}:${hash}:${this.uid}:${this.gid}::${join(d, 'mail', name)}::`);
      for (const f of ['', '/new', '/cur', '/tmp']) {
        const p = join(d, 'mail', name) + (f ? '/Maildir' + f : '');
        mkdirSync(p, { recursive: true });
        chownSync(p, this.uid, this.gid);
      }
      chownSync(join(d, 'mail', name, 'Maildir'), this.uid, this.gid);
    }
    writeFileSync(join(d, 'passwd'), lines.join('\n') + '\n');
    if (this.tls) {
      this.caFile = join(d, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(d, 'key.pem'), '-out', this.caFile], { stdio: 'ignore' });
    }
    const ssl = this.tls ? `ssl = yes\nssl_cert = <${d}/cert.pem\nssl_key = <${d}/key.pem` : 'ssl = no';
    const user = process.getuid() === 0 ? 'nobody' : execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    const group = process.getuid() === 0 ? 'nogroup' : execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    writeFileSync(join(d, 'dovecot.conf'), `
protocols = imap
listen = 127.0.0.1
base_dir = ${d}/run
state_dir = ${d}/run
instance_name = kefu-test-${process.pid}-${this.port}
log_path = ${d}/dovecot.log
${ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
${this.idle ? '' : 'imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE'}
default_login_user = ${user}
default_internal_user = ${user}
default_internal_group = ${group}
first_valid_uid = ${this.uid}
last_valid_uid = ${this.uid}
first_valid_gid = ${this.gid}
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT ${d}/passwd
}
userdb {
  driver = passwd-file
  args = ${d}/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${this.tlsPort}
  }
  chroot =
}
service anvil {
  chroot =
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
`);
    this.proc = spawn('dovecot', ['-F', '-c', join(d, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.log = '';
    this.proc.stdout.on('data', (x) => { this.log += x; });
    this.proc.stderr.on('data', (x) => { this.log += x; });
    this.exited = new Promise((ok) => this.proc.once('exit', ok));
    const end = Date.now() + 10000;
    for (;;) {
      try {
        const s = await this.session(Object.keys(this.users)[0]);
        await s.close();
        break;
      } catch (e) {
        if (Date.now() > end) throw new Error('dovecot did not start: ' + e.message + '\n' + this.log + this.fileLog());
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return this;
  }

  fileLog() {
    try { return readFileSync(join(this.dir, 'dovecot.log'), 'utf8'); } catch { return ''; }
  }

  url(mailbox = 'INBOX') {
    return `imap://127.0.0.1:${this.port}/${mailbox}`;
  }

  tlsUrl(mailbox = 'INBOX') {
    return `imaps://127.0.0.1:${this.tlsPort}/${mailbox}`;
  }

  // Puts a mail (a Buffer or string) into user's INBOX as Dovecot's own delivery would.
  deliver(mail, user = Object.keys(this.users)[0]) {
    const name = `${Date.now()}.M${++seq}P${process.pid}.kefu-test`;
    const box = join(this.dir, 'mail', user, 'Maildir');
    writeFileSync(join(box, 'tmp', name), mail);
    chownSync(join(box, 'tmp', name), this.uid, this.gid);
    renameSync(join(box, 'tmp', name), join(box, 'new', name));
    return name;
  }

  // An IMAP session as user (a small client for checking flags).
  session(user = Object.keys(this.users)[0], password = this.users[user]) {
    return ImapSession.open(this.port, user, password);
  }

  // {uid: [flags]} of user's INBOX.
  async flags(user) {
    const s = await this.session(user);
    try {
      await s.cmd('SELECT INBOX');
      const r = await s.cmd('UID FETCH 1:* (FLAGS)');
      const out = {};
      for (const m of r.matchAll(/UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)/g)) {
        const uid = m[1] || m[4];
        out[uid] = (m[2] ?? m[3]).split(' ').filter(Boolean);
      }
      return out;
    } finally {
      await s.close();
    }
  }

  async stop() {
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    await this.exited;
    this.proc = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A line-oriented IMAP client: enough to log in and run commands without literals.
export class ImapSession {
  static open(port, user, password) {
    return new Promise((ok, fail) => {
      const s = new ImapSession();
      s.sock = connect(port, '127.0.0.1');
      s.buf = '';
      s.waiters = [];
      s.sock.setEncoding('latin1');
      s.sock.on('data', (d) => { s.buf += d; s.pump(); });
      s.sock.once('error', fail);
      s.tag = 0;
      s.waiters.push({ tag: null, resolve: async () => {
        try {
          await s.cmd(`LOGIN ${user} "${password}"`);
          ok(s);
        } catch (e) { fail(e); }
      }, reject: fail });
    });
  }

  pump() {
    while (this.waiters.length) {
      const w = this.waiters[0];
      const re = w.tag ? new RegExp(`^${w.tag} (OK|NO|BAD)(.*)$`, 'm') : /^\* OK.*$/m;
      const m = this.buf.match(re);
      if (!m) return;
      const upto = m.index + m[0].length;
      const text = this.buf.slice(0, upto);
      this.buf = this.buf.slice(upto).replace(/^\r?\n/, '');
      this.waiters.shift();
      if (!w.tag || m[1] === 'OK') w.resolve(text);
      else w.reject(new Error(`${w.tag} ${m[1]}${m[2]}`));
    }
  }

  cmd(line) {
    const tag = 'T' + ++this.tag;
    return new Promise((resolve, reject) => {
      this.waiters.push({ tag, resolve, reject });
      this.sock.write(`${tag} ${line}\r\n`);
    });
  }

  async close() {
    try { await this.cmd('LOGOUT'); } catch { /* closed */ }
    this.sock.destroy();
  }
}
