// streams.mjs: holds N live streams (GET /api/v1/stream) open for bench/streams.sh, round robin
// over the API tokens in TOKENS (one a line), and counts what arrives. It prints "open N" once
// every stream answered, then "events E bytes B" on SIGTERM.
//   node bench/streams.mjs PORT TOKENS N
import { request } from 'node:http';
import { readFileSync } from 'node:fs';

const [port, file, n] = process.argv.slice(2);
const tokens = readFileSync(file, 'utf8').split('\n').filter(Boolean);
let open = 0, events = 0, bytes = 0, failed = 0;
const reqs = [];
for (let i = 0; i < Number(n); i++) {
  const req = request({ host: '127.0.0.1', port, path: '/api/v1/stream', headers: { Authorization: 'Bearer ' + tokens[i % tokens.length] } }, (res) => {
    if (res.statusCode !== 200) failed++;
    else open++;
    res.setEncoding('utf8');
    res.on('data', (c) => { bytes += c.length; events += c.split('\nid: ').length - 1; });
    if (open + failed === Number(n)) console.log(`open ${open} failed ${failed}`);
  });
  req.on('error', () => { failed++; });
  req.end();
  reqs.push(req);
}
process.on('SIGTERM', () => {
  console.log(`events ${events} bytes ${bytes}`);
  for (const r of reqs) r.destroy();
  process.exit(0);
});
