// sse.js: reads GET /api/v1/stream with node's http, as EventSource would, for the API tests.
import { request } from 'node:http';

// Opens the stream for client (its cookie or token); resolves once the answer's head is in, with
// {status, headers, events, text, ended, waitFor(pred), close()}. events are {id, event, data}
// with data parsed as JSON; comments are kept in text only.
// path and headers open another stream (a chat visitor's, with their token).
export function openStream(client, { lastEventId, query = '', path = '/api/v1/stream', headers: extra = {} } = {}) {
  const url = new URL(client.base + path + query);
  const headers = { ...extra };
  if (client.cookie) headers.Cookie = client.cookie;
  if (client.token) headers.Authorization = 'Bearer ' + client.token;
  if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
  return new Promise((ok, fail) => {
    const req = request(url, { headers }, (res) => {
      const s = {
        status: res.statusCode, headers: res.headers, events: [], text: '', ended: false,
        waiters: [],
      };
      let pending = '';
      const check = () => {
        s.waiters = s.waiters.filter((w) => {
          const v = w.pred(s.events);
          if (v || s.ended) { clearTimeout(w.timer); w.done(v); return false; }
          return true;
        });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        s.text += chunk;
        pending += chunk;
        let i;
        while ((i = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, i);
          pending = pending.slice(i + 2);
          const ev = { id: null, event: 'message', data: '' };
          let any = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || !line) continue;
            const [k, ...rest] = line.split(':');
            const v = rest.join(':').replace(/^ /, '');
            if (k === 'id') ev.id = Number(v);
            else if (k === 'event') ev.event = v;
            else if (k === 'data') { ev.data += v; any = true; }
          }
          if (!any) continue;
          try { ev.data = JSON.parse(ev.data); } catch { /* not JSON */ }
          s.events.push(ev);
        }
        check();
      });
      res.on('end', () => { s.ended = true; check(); });
      res.on('error', () => { s.ended = true; check(); });
      // Resolves with the first truthy pred(events), or rejects after ms.
      s.waitFor = (pred, ms = 5000) => new Promise((done, no) => {
        const v = pred(s.events);
        if (v || s.ended) return done(v);
        const w = { pred, done };
        w.timer = setTimeout(() => {
          s.waiters = s.waiters.filter((x) => x !== w);
          no(new Error('timed out waiting on the stream; got ' + JSON.stringify(s.events.map((e) => [e.id, e.event]))));
        }, ms);
        s.waiters.push(w);
        return undefined;
      });
      s.untilEnd = (ms = 5000) => new Promise((done, no) => {
        if (s.ended) return done(true);
        const t = setTimeout(() => no(new Error('the stream did not end')), ms);
        res.once('end', () => { clearTimeout(t); done(true); });
        res.once('close', () => { clearTimeout(t); done(true); });
        return undefined;
      });
      s.close = () => { req.destroy(); };
      if (res.statusCode !== 200) {
        res.on('end', () => { s.body = s.text ? JSON.parse(s.text) : null; ok(s); });
        return;
      }
      ok(s);
    });
    req.on('error', fail);
    req.end();
  });
}

// The events of a kind about an entity.
export const about = (events, kind, id) => events.filter((e) => e.event === kind && e.data.entity_id === id);
