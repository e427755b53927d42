// sla.js: service levels in words: durations ("1 小时", "24 小时", "3 天"), the time left to a
// deadline, the deadlines a ticket still owes, and a clock that ticks for the screens showing them.
import { onMounted, onUnmounted, ref } from 'vue';

// The weekdays as calendars and the shift week name them, Monday first.
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const HOUR = 60;
const DAY = 24 * HOUR;

// A target in minutes as people say it: whole days from two days up ("3 天"), else hours
// ("1 小时", "24 小时") and minutes ("1 小时 30 分钟", "30 分钟"); '—' for none.
export function durationText(t, minutes) {
  if (minutes === null || minutes === undefined || minutes === '') return '—';
  const m = Math.round(Math.abs(minutes));
  if (m >= 2 * DAY && m % DAY === 0) return t('sla.days', { n: m / DAY });
  const h = Math.floor(m / HOUR);
  const rest = m % HOUR;
  if (!h) return t('sla.minutes', { n: rest });
  return rest ? `${t('sla.hours', { n: h })} ${t('sla.minutes', { n: rest })}` : t('sla.hours', { n: h });
}

// How much time is left until at (a server time), seen at now (ms): a coarse text ("剩余 2 小时 5
// 分钟", "已超时 3 天 4 小时") and whether it has passed; null for no time.
export function remaining(t, at, now) {
  const ms = at ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) return null;
  const left = ms - now;
  const mins = Math.floor(Math.abs(left) / 60000);
  let text;
  if (mins >= 2 * DAY) text = `${t('sla.days', { n: Math.floor(mins / DAY) })}` +
    (Math.floor((mins % DAY) / HOUR) ? ` ${t('sla.hours', { n: Math.floor((mins % DAY) / HOUR) })}` : '');
  else text = durationText(t, mins);
  return left < 0 ? { overdue: true, text: t('sla.overdueBy', { d: text }) }
    : { overdue: false, text: t('sla.left', { d: text }) };
}

// A ticket's three clocks: the due time's key, the target's name, and the time node that meets it.
export const CLOCKS = [
  { due: 'accept_by', target: 'accept', met: 'taken_over_at' },
  { due: 'first_response_by', target: 'first_response', met: 'first_response_at' },
  { due: 'resolve_by', target: 'resolve', met: 'resolved_at' },
];

// Whether the ticket's clocks have stopped: resolved and closed tickets owe nothing more.
export const clocksStopped = (ticket) => ['resolved', 'closed'].includes(ticket.status);

// The nearest deadline the ticket still owes (a clock not met yet, not paused), or null.
export function nearestDue(ticket) {
  if (clocksStopped(ticket)) return null;
  const due = ticket.due || {};
  const times = ticket.times || {};
  let best = null;
  for (const c of CLOCKS) {
    if (!due[c.due] || times[c.met]) continue;
    if (!best || Date.parse(due[c.due]) < Date.parse(best.at)) best = { at: due[c.due], target: c.target };
  }
  return best;
}

// The current time in ms, refreshed every intervalMs while the component is mounted.
export function useNow(intervalMs = 30000) {
  const now = ref(Date.now());
  let timer = null;
  onMounted(() => {
    timer = setInterval(() => { now.value = Date.now(); }, intervalMs);
  });
  onUnmounted(() => clearInterval(timer));
  return now;
}
