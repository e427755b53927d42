// time.js: every time the console shows or takes, in the server's configured zone, never the browser's.
//
// The server answers times as RFC 3339 and reads them with any offset; the zone they are meant
// in is its setting time_zone (GET /settings). Date pickers work on wall-clock strings
// ("YYYY-MM-DD HH:mm:ss", their value-format) that this module reads and writes in that zone,
// so what an agent types is what the customer's clock said, whatever zone the browser is in.
import * as api from './api.js';

const DEFAULT_ZONE = 'Asia/Shanghai'; // the server's own default
export const WALL_FORMAT = 'YYYY-MM-DD HH:mm:ss'; // value-format of every date-time picker
export const DAY_FORMAT = 'YYYY-MM-DD'; // value-format of every date picker
export const SHOWN_FORMAT = 'YYYY-MM-DD HH:mm'; // how a picker shows its time, as formatTime does

let zone = DEFAULT_ZONE;
let fields = formatter(zone);
let loading = null;

function formatter(tz) {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// Uses the zone tz from now on; a zone this browser does not know leaves the current one.
export function setZone(tz) {
  try {
    fields = formatter(tz);
    zone = tz;
  } catch {
    /* unknown to Intl: keep the zone we have */
  }
}

export function timeZone() {
  return zone;
}

// Learns the configured zone from the server, once per page load (needs a signed-in user).
// A failed request leaves the default and is tried again on the next call.
export function loadZone() {
  if (!loading) {
    loading = api.settings.get().then((s) => setZone(s.time_zone), () => {
      loading = null;
    });
  }
  return loading;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// The wall clock in the zone at the instant ms: { y, mo, d, h, mi, s } as numbers.
function wallAt(ms) {
  const p = {};
  for (const { type, value } of fields.formatToParts(new Date(ms))) p[type] = Number(value);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

// The zone's offset from UTC at the instant ms, in milliseconds.
function offsetAt(ms) {
  const w = wallAt(ms);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

const wallText = (w) => `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;

// The instant ms as RFC 3339 with the zone's offset, e.g. 2023-10-02T10:00:00+08:00.
function toRfc3339(ms) {
  const off = Math.round(offsetAt(ms) / 60000);
  const sign = off < 0 ? '-' : '+';
  return wallText(wallAt(ms)).replace(' ', 'T') +
    `${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

// A server time ("2023-10-02T02:05:00Z" or any offset) as "2023-10-02 10:05" in the zone; '—'
// for none; text that is not a time is shown as it is.
export function formatTime(s) {
  if (!s) return '—';
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : wallText(wallAt(ms)).slice(0, 16);
}

// A server time as a picker's value in the zone ("2023-10-02 10:05:00"), or null for none.
export function toWall(s) {
  const ms = s ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? null : wallText(wallAt(ms));
}

// Now as a picker's value in the zone.
export function nowWall() {
  return wallText(wallAt(Date.now()));
}

// A picker's value ("2023-10-02 10:00:00", or a day "2023-10-02" meaning its 00:00), addDays
// days later, read in the zone, as RFC 3339 for the server; null for an empty or malformed
// value. A time the zone skips (a daylight-saving gap) is read with the offset from before the
// gap, as a clock moved forward.
export function fromWall(text, addDays = 0) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text || '');
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  const local = Date.UTC(y, mo - 1, d + addDays, h, mi, s);
  const o1 = offsetAt(local);
  const o2 = offsetAt(local - o1);
  if (o1 === o2) return toRfc3339(local - o1);
  const o3 = offsetAt(local - o2);
  return toRfc3339(o2 === o3 ? local - o2 : local - Math.min(o2, o3));
}

// A Date whose browser-local fields read the zone's wall clock now: for a picker's
// default-value, which Element Plus reads in the browser's zone.
export function pickerNow() {
  const w = wallAt(Date.now());
  return new Date(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
}

// Whether a picker's calendar day (a Date whose browser-local fields are that day, as Element
// Plus hands it to disabled-date) is before today in the zone.
export function beforeToday(date) {
  const day = `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return day < nowWall().slice(0, 10);
}
