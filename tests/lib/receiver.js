// receiver.js: a webhook receiver on 127.0.0.1 for tests (a gateway as Kefu sees it), and a
// wait for what it should get.
import { createServer } from 'node:http';

// Listens on port (0: any free one); records every request as {method, url, headers, raw, body};
// answer(hit, n) gives the status of the n-th (1-based).
export async function receiver({ port = 0, answer = () => 200 } = {}) {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const hit = { method: req.method, url: req.url, headers: req.headers, raw, body: JSON.parse(raw) };
      got.push(hit);
      res.writeHead(answer(hit, got.length)).end('ok');
    });
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    got,
    port: server.address().port,
    url: `http://127.0.0.1:${server.address().port}/hook`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

// Calls fn every 100 ms until it answers something true, and returns that; fails after ms.
export async function until(what, fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
