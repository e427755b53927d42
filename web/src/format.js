// format.js: times as the server gives them (its zone), and sizes.

// "2023-10-02T10:05:00+08:00" → "2023-10-02 10:05", keeping the zone the server chose.
export function formatTime(s) {
  if (!s) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s);
  return m ? `${m[1]} ${m[2]}` : s;
}

// A Date as RFC 3339 with the browser's own offset.
export function toRfc3339(d) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const PRIORITY_TAG = { urgent: 'danger', high: 'danger', medium: 'warning', low: 'info' };
export const STATUS_TAG = {
  new: 'danger', accepted: 'warning', in_progress: 'primary', waiting_customer: 'warning',
  resolved: 'success', closed: 'info',
};
