// mail_out.mjs: replies mailed per second to a local SMTP server (tests/lib/smtp_sink.js:
// aiosmtpd on 127.0.0.1, which keeps every mail as a file). A fresh server, one mail ticket per
// 10 replies; it writes all the replies (over 8 connections), then times until the last one is
// sent, and checks that the sink holds every one.
//   node bench/mail_out.mjs [REPLIES]       (make bench-mail-out [BENCH_REPLIES=2000])
import assert from 'node:assert/strict';
import { startWithAdmin } from '../tests/lib/server.js';
import { smtpSink } from '../tests/lib/smtp_sink.js';

const N = Number(process.argv[2] || 2000);
const { srv, admin } = await startWithAdmin();
const sink = await smtpSink().start();
try {
  let r = await admin.patch('/api/v1/channels/MAIL', {
    kind: 'mail', settings: { from: '客服中心 <service@kefu.example.com>', smtp_url: `smtp://127.0.0.1:${sink.port}`, smtp_tls: 'none' },
  });
  assert.equal(r.status, 200, r.text);
  const tickets = [];
  for (let i = 0; i < Math.ceil(N / 10); i++) {
    r = await admin.post('/api/v1/tickets', {
      channel: 'MAIL', type: 'inquiry', subject: `空调漏水报修 ${i}`,
      customer: { name: `客户${i}`, email: `c${i}@example.com` },
    });
    assert.equal(r.status, 201, r.text);
    tickets.push(r.body.id);
  }
  const body = '王先生您好,师傅明天下午两点上门,请您在家等候。如有变化我们会提前联系您。\n'.repeat(5);
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < N) {
      const i = next++;
      const res = await admin.post(`/api/v1/tickets/${tickets[i % tickets.length]}/messages`, { kind: 'reply', body });
      assert.equal(res.status, 201, res.text);
    }
  }));
  const written = performance.now();
  const left = (await admin.get('/api/v1/channels/MAIL/status')).body.queued_out;
  for (;;) {
    const s = (await admin.get('/api/v1/channels/MAIL/status')).body;
    if (s.queued_out === 0) {
      assert.equal(s.failed_out, 0);
      break;
    }
    await new Promise((ok) => setTimeout(ok, 20));
  }
  const sent = performance.now();
  const got = sink.count();
  assert.equal(got, N, 'every reply reached the sink');
  console.log(`replies written: ${N} in ${((written - start) / 1000).toFixed(2)} s (${(N / ((written - start) / 1000)).toFixed(0)}/s)`);
  console.log(`replies sent: ${N} in ${((sent - start) / 1000).toFixed(2)} s from the first write: ${(N / ((sent - start) / 1000)).toFixed(0)} mails/s`);
  console.log(`once the writes were over: ${left} still queued, sent in ${((sent - written) / 1000).toFixed(2)} s: ${(left / ((sent - written) / 1000)).toFixed(0)} mails/s`);
} finally {
  await sink.stop();
  sink.cleanup();
  await srv.finish();
}
