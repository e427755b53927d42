// live.js: the console's one live connection to the server: GET /api/v1/stream, Server-Sent
// Events, shared by every screen. onEvent(kind, fn) calls fn(data, event) for each event of
// that kind ('ticket.*' for every kind starting so, '*' for all) and returns a function that
// unsubscribes. The connection opens while someone is signed in (startLive/stopLive, from the
// app shell); it comes back by itself after a drop and resumes after the last event it had,
// so nothing is missed or given twice. After such a resume the server sends 'ready' again:
// screens that keep counts reload on it.

// the kinds the server sends (EventSource hands named events only to listeners of that name)
const KINDS = [
  'ready', 'ticket.created', 'ticket.assigned', 'ticket.status_changed', 'ticket.updated',
  'ticket.reviewed', 'ticket.sla_warning', 'ticket.escalated', 'ticket.breached',
  'ticket.transferred', 'ticket.nudged', 'ticket.replied', 'ticket.noted', 'ticket.customer_wrote',
  'ticket.delivery_changed', 'notification.created', 'call.ringing', 'chat.waiting',
  'chat.accepted', 'chat.message', 'chat.closed',
];
const RETRY_MAX_MS = 30000;

const subscribers = new Set(); // {pattern, fn}
let source = null;
let lastId = null;
let wanted = false;
let retryMs = 1000;
let retryTimer = null;
const listened = new Set();

function matches(pattern, kind) {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return kind.startsWith(pattern.slice(0, -1));
  return pattern === kind;
}

function dispatch(kind, e) {
  if (e.lastEventId) lastId = e.lastEventId;
  retryMs = 1000;
  let data = null;
  try { data = JSON.parse(e.data); } catch { data = e.data; }
  for (const s of [...subscribers]) {
    if (!matches(s.pattern, kind)) continue;
    try { s.fn(data, e); } catch (err) { console.error(err); } // eslint-disable-line no-console
  }
}

function listen(kind) {
  if (!source || listened.has(kind)) return;
  listened.add(kind);
  source.addEventListener(kind, (e) => dispatch(kind, e));
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (!wanted || source || typeof EventSource === 'undefined') return;
  // a new EventSource sends no Last-Event-ID: the query parameter says where to resume
  const url = '/api/v1/stream' + (lastId !== null ? `?last_event_id=${encodeURIComponent(lastId)}` : '');
  source = new EventSource(url, { withCredentials: true });
  listened.clear();
  for (const k of KINDS) listen(k);
  for (const s of subscribers) if (!s.pattern.includes('*')) listen(s.pattern);
  source.onerror = () => {
    // EventSource retries a dropped stream itself (with Last-Event-ID); a refused one (401,
    // 429, 503) it gives up on: then we try again, less and less often
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      if (wanted) retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  };
}

export function onEvent(kind, fn) {
  const s = { pattern: kind, fn };
  subscribers.add(s);
  if (!kind.includes('*')) listen(kind);
  return () => subscribers.delete(s);
}

// Opens the connection (idempotent): after signing in.
export function startLive() {
  wanted = true;
  connect();
}

// Closes it: on signing out. The next start begins from the events after then.
export function stopLive() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  source = null;
  lastId = null;
}
