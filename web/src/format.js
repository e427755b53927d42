// format.js: sizes, and the tag colours of priorities and statuses (times are in time.js).

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
