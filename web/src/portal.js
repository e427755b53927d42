// portal.js: every call the customer portal makes (its own cookie; never the staff's session),
// and the signed-in customer, shared by the portal's screens.
import { reactive } from 'vue';

export class PortalError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
    this.retryAfter = Number(headers.get('retry-after')) || 0;
  }
}

async function call(method, path, body, { headers = {}, raw } = {}) {
  const h = { ...headers };
  let payload = raw;
  if (raw === undefined && body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const r = await fetch('/api/v1/portal' + path, { method, headers: h, body: payload, credentials: 'same-origin' });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) throw new PortalError(r.status, data, r.headers);
  return data;
}

export const portal = {
  types: () => call('GET', '/types'),
  submit: (body) => call('POST', '/tickets', body),
  upload: (file) => call('POST', '/attachments?filename=' + encodeURIComponent(file.name), undefined, {
    raw: file, headers: { 'Content-Type': file.type || 'application/octet-stream' },
  }),
  login: (email) => call('POST', '/login', { email }),
  verify: (email, code) => call('POST', '/verify', { email, code }),
  logout: () => call('POST', '/logout', {}),
  me: () => call('GET', '/me'),
  tickets: () => call('GET', '/tickets'),
  ticket: (number) => call('GET', `/tickets/${encodeURIComponent(number)}`),
  reply: (number, body) => call('POST', `/tickets/${encodeURIComponent(number)}/messages`, body),
  confirm: (number, body) => call('POST', `/tickets/${encodeURIComponent(number)}/confirm`, body),
  fileUrl: (id) => `/api/v1/portal/attachments/${id}`,
};

// Uploads the files of an el-upload list; their tokens, for "attachments".
export async function uploadAll(files) {
  const tokens = [];
  for (const f of files) tokens.push((await portal.upload(f.raw)).token);
  return tokens;
}

// The signed-in customer, or null; checked once per page load.
export const customer = reactive({ me: null, checked: false });

export async function restoreCustomer() {
  if (!customer.checked) {
    try {
      customer.me = (await portal.me()).customer;
    } catch {
      customer.me = null;
    }
    customer.checked = true;
  }
  return customer.me;
}
