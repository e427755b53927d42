// api.js: every call the web app makes to the Kefu server.
let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function call(method, path, body, { headers = {}, raw } = {}) {
  const h = { ...headers };
  if (method !== 'GET' && csrf) h['X-CSRF-Token'] = csrf;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const r = await fetch('/api/v1' + path, { method, headers: h, body: payload, credentials: 'same-origin' });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (r.status === 401 && path !== '/auth/login') onUnauthorized();
    throw err;
  }
  return data;
}

const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : v);
  }
  const s = p.toString();
  return s ? '?' + s : '';
};

export async function login(username, password) {
  const r = await call('POST', '/auth/login', { username, password });
  csrf = r.csrf_token;
  return r.user;
}
export async function logout() {
  try { await call('POST', '/auth/logout'); } finally { csrf = null; }
}
export async function me() {
  const r = await call('GET', '/me');
  csrf = r.csrf_token;
  return r.user;
}

export const tickets = {
  list: (params) => call('GET', '/tickets' + qs(params)),
  get: (id, unmask) => call('GET', `/tickets/${encodeURIComponent(id)}` + (unmask ? '?unmask=1' : '')),
  create: (body) => call('POST', '/tickets', body),
  patch: (id, body, version) => call('PATCH', `/tickets/${id}`, body, { headers: { 'If-Match': String(version) } }),
  history: (id) => call('GET', `/tickets/${id}/history`),
  messages: (id) => call('GET', `/tickets/${id}/messages`),
  messageHtml: (id, messageId) => call('GET', `/tickets/${id}/messages/${messageId}/html`),
  post: (id, body) => call('POST', `/tickets/${id}/messages`, body),
  review: (id, version) => call('POST', `/tickets/${id}/review`, undefined, { headers: { 'If-Match': String(version) } }),
};

export function uploadAttachment(file) {
  return call('POST', '/attachments?filename=' + encodeURIComponent(file.name), undefined, {
    raw: file, headers: { 'Content-Type': file.type || 'application/octet-stream' },
  });
}

export const customers = {
  search: (q, limit = 10) => call('GET', '/customers' + qs({ q, limit })),
  history: (id, months = 3) => call('GET', `/customers/${id}/history?months=${months}`),
  // one customer across channels: its identities, and merging another customer into it
  get: (id, unmask) => call('GET', `/customers/${id}` + (unmask ? '?unmask=1' : '')),
  identities: (id, unmask) => call('GET', `/customers/${id}/identities` + (unmask ? '?unmask=1' : '')),
  link: (id, body) => call('POST', `/customers/${id}/identities`, body),
  unlink: (id, identityId) => call('DELETE', `/customers/${id}/identities/${identityId}`),
  merge: (id, from) => call('POST', `/customers/${id}/merge`, { from }),
};

export const users = {
  list: (params) => call('GET', '/users' + qs(params)),
  create: (body) => call('POST', '/users', body),
  patch: (id, body) => call('PATCH', `/users/${id}`, body),
};

export const departments = {
  list: () => call('GET', '/departments'),
  create: (body) => call('POST', '/departments', body),
  patch: (id, body) => call('PATCH', `/departments/${id}`, body),
  addMember: (id, userId) => call('POST', `/departments/${id}/members`, { user_id: userId }),
  removeMember: (id, userId) => call('DELETE', `/departments/${id}/members/${userId}`),
};

export const reference = {
  channels: () => call('GET', '/channels'),
  categories: () => call('GET', '/categories'),
};

export const categories = {
  list: () => call('GET', '/categories'),
  create: (body) => call('POST', '/categories', body),
  patch: (code, body) => call('PATCH', `/categories/${encodeURIComponent(code)}`, body),
};

export const rules = {
  list: () => call('GET', '/priority-rules'),
  create: (body) => call('POST', '/priority-rules', body),
  patch: (id, body) => call('PATCH', `/priority-rules/${id}`, body),
  remove: (id) => call('DELETE', `/priority-rules/${id}`),
  dryRun: (ticket) => call('POST', '/priority-rules/dry-run', ticket),
};

export const settings = {
  get: () => call('GET', '/settings'),
  patch: (body) => call('PATCH', '/settings', body),
};

export const tokens = {
  list: () => call('GET', '/tokens'),
  create: (name, expiresAt) => call('POST', '/tokens', expiresAt ? { name, expires_at: expiresAt } : { name }),
  revoke: (id) => call('DELETE', `/tokens/${id}`),
};

// Service levels and routing to people: SLA policies, business calendars, shifts, transfers, nudges.
export const slaPolicies = {
  list: () => call('GET', '/sla-policies'),
  create: (body) => call('POST', '/sla-policies', body),
  patch: (id, body) => call('PATCH', `/sla-policies/${id}`, body),
  remove: (id) => call('DELETE', `/sla-policies/${id}`),
};

export const calendars = {
  list: () => call('GET', '/calendars'),
  create: (body) => call('POST', '/calendars', body),
  patch: (id, body) => call('PATCH', `/calendars/${id}`, body),
  remove: (id) => call('DELETE', `/calendars/${id}`),
};

export const shifts = {
  list: (params) => call('GET', '/shifts' + qs(params)),
  create: (body) => call('POST', '/shifts', body),
  remove: (id) => call('DELETE', `/shifts/${id}`),
};

export const routing = {
  transfers: (ticketId) => call('GET', `/tickets/${ticketId}/transfers`),
  transfer: (ticketId, body) => call('POST', `/tickets/${ticketId}/transfers`, body),
  nudge: (ticketId, message) => call('POST', `/tickets/${ticketId}/nudges`, message ? { message } : {}),
};

// reports: the summary and the comparison of a period (GET /reports/...)
export const reports = {
  summary: (params) => call('GET', '/reports/summary' + qs(params)),
  compare: (params) => call('GET', '/reports/compare' + qs(params)),
};

// the supervisor's board and the caller's notifications
export const board = {
  get: () => call('GET', '/board'),
};

// live chat: the waiting and active chats, taking one (409: another agent was first), ending it
// the volume forecast and the staffing it calls for
export const forecast = {
  get: (params) => call('GET', '/reports/forecast' + qs(params)),
};

export const chats = {
  list: (state) => call('GET', '/chats' + qs({ state })),
  accept: (id) => call('POST', `/chats/${id}/accept`),
  close: (id) => call('POST', `/chats/${id}/close`),
};

export const notifications = {
  list: (params) => call('GET', '/notifications' + qs(params)),
  read: (id) => call('POST', `/notifications/${id}/read`),
};

// channels: connecting a mailbox; settings come back with secrets as "set"
export const channels = {
  list: () => call('GET', '/channels'),
  get: (code) => call('GET', `/channels/${encodeURIComponent(code)}`),
  create: (body) => call('POST', '/channels', body),
  patch: (code, body) => call('PATCH', `/channels/${encodeURIComponent(code)}`, body),
  status: (code) => call('GET', `/channels/${encodeURIComponent(code)}/status`),
  test: (code) => call('POST', `/channels/${encodeURIComponent(code)}/test`),
};

// the notification webhook (admin)
// stores (门店) named on walk-in tickets: everyone reads, admins keep the list
export const stores = {
  list: (params) => call('GET', '/stores' + qs(params)),
  create: (body) => call('POST', '/stores', body),
  patch: (id, body) => call('PATCH', `/stores/${id}`, body),
};

export const webhooks = {
  list: () => call('GET', '/webhooks'),
  create: (body) => call('POST', '/webhooks', body),
  patch: (id, body) => call('PATCH', `/webhooks/${id}`, body),
  remove: (id) => call('DELETE', `/webhooks/${id}`),
  deliveries: (id, params) => call('GET', `/webhooks/${id}/deliveries` + qs(params)),
  retry: (id, delivery) => call('POST', `/webhooks/${id}/deliveries/${delivery}/retry`),
};

// standard replies (标准话术): supervisors keep them, every staff role finds and fills them
export const templates = {
  list: (params) => call('GET', '/templates' + qs(params)),
  create: (body) => call('POST', '/templates', body),
  patch: (id, body) => call('PATCH', `/templates/${id}`, body),
  remove: (id) => call('DELETE', `/templates/${id}`),
  render: (id, ticketId) => call('POST', `/templates/${id}/render`, { ticket_id: ticketId }),
};

// satisfaction surveys: the customer's page by its link's token (public), the staff's list of
// answers and the second-handling queue
export const surveys = {
  list: (params) => call('GET', '/surveys' + qs(params)),
  get: (token) => call('GET', `/surveys/${encodeURIComponent(token)}`),
  answer: (token, body) => call('POST', `/surveys/${encodeURIComponent(token)}`, body),
  secondHandling: () => call('GET', '/second-handling'),
};

// the knowledge base: articles, their review, search; archiving a ticket and its suggestions
export const kb = {
  list: (params) => call('GET', '/kb/articles' + qs(params)),
  get: (id) => call('GET', `/kb/articles/${id}`),
  create: (body) => call('POST', '/kb/articles', body),
  patch: (id, body) => call('PATCH', `/kb/articles/${id}`, body),
  versions: (id) => call('GET', `/kb/articles/${id}/versions`),
  version: (id, n) => call('GET', `/kb/articles/${id}/versions/${n}`),
  submit: (id) => call('POST', `/kb/articles/${id}/submit`),
  publish: (id, notify) => call('POST', `/kb/articles/${id}/publish`, { notify: !!notify }),
  obsolete: (id, replacedBy) => call('POST', `/kb/articles/${id}/obsolete`, replacedBy ? { replaced_by: replacedBy } : {}),
  search: (params) => call('GET', '/kb/search' + qs(params)),
  preview: (body) => call('POST', '/kb/preview', { body }),
  archive: (ticketId) => call('POST', `/tickets/${encodeURIComponent(ticketId)}/archive`),
  suggestions: (ticketId) => call('GET', `/tickets/${encodeURIComponent(ticketId)}/suggestions`),
};

// the record export (a download) and the scheduled reports (supervisors, admins)
export async function exportRecords(params, locale) {
  const r = await fetch('/api/v1/reports/export' + qs(params), {
    credentials: 'same-origin', headers: { 'Accept-Language': locale === 'en' ? 'en' : 'zh-CN' },
  });
  if (!r.ok) {
    let body = null;
    try { body = await r.json(); } catch { body = null; }
    if (r.status === 401) onUnauthorized();
    throw new ApiError(r.status, body);
  }
  const m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
  return { blob: await r.blob(), filename: m ? m[1] : 'kefu-records.' + (params.format || 'csv') };
}
export const reportSchedules = {
  list: () => call('GET', '/report-schedules'),
  get: (id) => call('GET', `/report-schedules/${id}`),
  create: (body) => call('POST', '/report-schedules', body),
  patch: (id, body) => call('PATCH', `/report-schedules/${id}`, body),
  remove: (id) => call('DELETE', `/report-schedules/${id}`),
};
