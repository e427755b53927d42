// The knowledge base: agents write drafts, supervisors publish them (telling everyone at once)
// and retire outdated ones; published articles are found in Chinese and English, ranked, with
// escaped snippets; a resolved ticket is archived with the customer named by number only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, Client, Server } from '../lib/server.js';
import { openStream } from '../lib/sse.js';

let srv, admin, agent, sup, other;

async function user(username, name, role) {
  const r = await admin.post('/api/v1/users', { username, name, role, password: 'password-123' });
  assert.equal(r.status, 201, r.text);
  return new Client(srv.base).login(username, 'password-123');
}

before(async () => {
  srv = await new Server().start();
  admin = await new Client(srv.base).login(ADMIN.username, ADMIN.password);
  agent = await user('li', '李四', 'agent');
  other = await user('zhao', '赵六', 'agent');
  sup = await user('wang', '王主管', 'supervisor');
});

after(() => srv.finish());

async function draft(body, who = agent) {
  const r = await who.post('/api/v1/kb/articles', body);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function published(body) {
  const a = await draft(body);
  const r = await sup.post(`/api/v1/kb/articles/${a.id}/publish`, {});
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const search = async (q, extra = '') => {
  const r = await agent.get(`/api/v1/kb/search?q=${encodeURIComponent(q)}${extra}`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
};

test('an article goes from draft through review to published; roles are checked', async () => {
  const a = await draft({
    title: '空调保修政策', body: '# 保修\n\n整机保修 **1 年**。', need_type: 'inquiry',
    category: 'warranty-policy', tags: ['保修', '空调'], effective_from: '2023-01-01T00:00:00+08:00',
  });
  assert.equal(a.state, 'draft');
  assert.equal(a.version, 1);
  assert.equal(a.category, 'warranty-policy');
  assert.deepEqual(a.tags, ['保修', '空调']);
  assert.equal(Date.parse(a.effective_from), Date.parse('2023-01-01T00:00:00+08:00'));
  assert.equal(a.replaced_by, null);
  assert.equal(a.source_ticket, null);
  assert.equal(a.updated_by.name, '李四');
  assert.match(a.body_html, /<h1>保修<\/h1>/);
  assert.match(a.body_html, /<strong>1 年<\/strong>/);

  // a draft is not found, and agents do not publish
  assert.equal((await search('保修')).length, 0);
  let r = await agent.post(`/api/v1/kb/articles/${a.id}/publish`, {});
  assert.equal(r.status, 403);
  r = await agent.post(`/api/v1/kb/articles/${a.id}/obsolete`, {});
  assert.equal(r.status, 403);

  // the author changes the draft in place; then submits it
  r = await agent.patch(`/api/v1/kb/articles/${a.id}`, { body: '整机保修 1 年,压缩机 3 年。' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.version, 1);
  r = await agent.post(`/api/v1/kb/articles/${a.id}/submit`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'in_review');
  r = await agent.post(`/api/v1/kb/articles/${a.id}/submit`);
  assert.equal(r.status, 409, 'only a draft is submitted');
  r = await agent.patch(`/api/v1/kb/articles/${a.id}`, { title: '改' });
  assert.equal(r.status, 403, 'an article in review is changed by a supervisor only');

  r = await sup.post(`/api/v1/kb/articles/${a.id}/publish`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'published');
  assert.equal(r.body.updated_by.name, '王主管');
  r = await sup.post(`/api/v1/kb/articles/${a.id}/publish`, {});
  assert.equal(r.status, 409);

  const found = await search('保修');
  assert.deepEqual(found.map((x) => x.id), [a.id]);

  r = await agent.get(`/api/v1/kb/articles?state=published&category=warranty-policy&tag=${encodeURIComponent('空调')}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.items.map((x) => x.id), [a.id]);
  r = await agent.get('/api/v1/kb/articles?state=draft');
  assert.ok(!r.body.items.some((x) => x.id === a.id));
  r = await agent.get('/api/v1/kb/articles?state=gone');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'state');
});

test('the editor\'s preview renders Markdown as an article would be, sanitised', async () => {
  const r = await agent.post('/api/v1/kb/preview', { body: '**保修** <script>alert(1)</script> [x](javascript:alert(1))' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.body.body_html, /<strong>保修<\/strong>/);
  assert.ok(!r.body.body_html.includes('<script'), r.body.body_html);
  assert.ok(!/href="javascript/i.test(r.body.body_html), r.body.body_html);
  assert.match(r.body.body_html, /&lt;script&gt;/);
});

test('bad input names the field', async () => {
  const cases = [
    [{ body: 'x', need_type: 'inquiry' }, 'title'],
    [{ title: 't', need_type: 'inquiry' }, 'body'],
    [{ title: 't', body: 'x' }, 'need_type'],
    [{ title: 't', body: 'x', need_type: 'weather' }, 'need_type'],
    [{ title: 't', body: 'x', need_type: 'inquiry', category: 'app-login' }, 'category'],
    [{ title: 't', body: 'x', need_type: 'inquiry', tags: 'a' }, 'tags'],
    [{ title: 't', body: 'x', need_type: 'inquiry', tags: [''] }, 'tags'],
    [{ title: 't', body: 'x', need_type: 'inquiry', effective_from: 'soon' }, 'effective_from'],
    [{ title: 't', body: 'x', need_type: 'inquiry', colour: 'red' }, 'colour'],
  ];
  for (const [body, field] of cases) {
    const r = await agent.post('/api/v1/kb/articles', body);
    assert.equal(r.status, 422, JSON.stringify(body) + ' ' + r.text);
    assert.equal(r.body.error.field, field, JSON.stringify(body));
  }
  let r = await agent.req('POST', '/api/v1/kb/articles', undefined, { raw: '{', headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  r = await agent.get('/api/v1/kb/articles/999999');
  assert.equal(r.status, 404);
  r = await agent.get('/api/v1/kb/search?q=');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items, [], 'nothing asked, nothing found');
  r = await agent.get('/api/v1/kb/search?q=' + 'x'.repeat(300));
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'q');
  r = await agent.get('/api/v1/kb/search?q=x&need_type=weather');
  assert.equal(r.status, 422);
  assert.equal(r.body.error.field, 'need_type');
  r = await new Client(srv.base).get('/api/v1/kb/search?q=a');
  assert.equal(r.status, 401);
});

test('editing a published article makes a new version; the old one stays readable', async () => {
  const a = await published({ title: '退货政策', body: '七天无理由退货', need_type: 'inquiry' });
  let r = await agent.patch(`/api/v1/kb/articles/${a.id}`, { body: '十五天无理由退货' });
  assert.equal(r.status, 403, 'agents do not change what is published');
  r = await sup.patch(`/api/v1/kb/articles/${a.id}`, { body: '十五天无理由退货' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.version, 2);
  assert.equal(r.body.state, 'published');
  r = await agent.get(`/api/v1/kb/articles/${a.id}/versions`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((v) => [v.version, v.body]),
    [[2, '十五天无理由退货'], [1, '七天无理由退货']]);
  r = await agent.get(`/api/v1/kb/articles/${a.id}/versions/1`);
  assert.equal(r.status, 200);
  assert.equal(r.body.body, '七天无理由退货');
  assert.ok(r.body.body_html.includes('七天无理由退货'));
  r = await agent.get(`/api/v1/kb/articles/${a.id}/versions/3`);
  assert.equal(r.status, 404);
  // the search finds the new text, not the old
  assert.deepEqual((await search('十五')).map((x) => x.id), [a.id]);
  assert.equal((await search('七天')).length, 0);
});

test('search: two-character Chinese words, English words and phrases, BM25, filters, escaped snippets', async () => {
  const strong = await published({
    title: '家电延保服务', body: '延保服务:购买延保后家电延保三年,延保卡在订单页领取。', need_type: 'inquiry',
    category: 'warranty-policy',
  });
  const weak = await published({
    title: '配送说明', body: '大件家电配送需预约,可选延保。', need_type: 'problem',
  });
  const en = await published({
    title: 'Refund policy', body: 'Refunds reach the original payment method within 7 days. <script>alert(1)</script> & more',
    need_type: 'inquiry',
  });
  let r = await search('延保');
  assert.deepEqual(r.map((x) => x.id), [strong.id, weak.id], 'the article about it comes first');
  assert.match(r[0].snippet, /<mark>延保<\/mark>/);
  r = await search('延保', '&need_type=problem');
  assert.deepEqual(r.map((x) => x.id), [weak.id]);
  r = await search('延保', '&category=warranty-policy');
  assert.deepEqual(r.map((x) => x.id), [strong.id]);
  r = await search('家电 配送');
  assert.deepEqual(r.map((x) => x.id), [weak.id], 'every term must occur');

  r = await search('refunds');
  assert.deepEqual(r.map((x) => x.id), [en.id]);
  r = await search('PAYMENT method');
  assert.deepEqual(r.map((x) => x.id), [en.id]);
  r = await search('"payment method"');
  assert.deepEqual(r.map((x) => x.id), [en.id]);
  r = await search('"method payment"');
  assert.equal(r.length, 0, 'a quoted phrase keeps its order');
  r = await search('script');
  assert.equal(r.length, 1);
  assert.ok(!r[0].snippet.includes('<script>'), r[0].snippet);
  assert.match(r[0].snippet, /&lt;<mark>script<\/mark>&gt;alert\(1\)&lt;\/<mark>script<\/mark>&gt; &amp; more/);
  r = await search('!!!');
  assert.equal(r.length, 0);
});

test('an article in force later is not found until then', async () => {
  const a = await published({
    title: '新会员积分规则', body: '积分翻倍活动', need_type: 'inquiry', effective_from: '2099-01-01T00:00:00Z',
  });
  assert.equal((await search('积分')).length, 0);
  const r = await sup.patch(`/api/v1/kb/articles/${a.id}`, { effective_from: null });
  assert.equal(r.status, 200, r.text);
  assert.equal((await search('积分')).map((x) => x.id)[0], a.id);
});

test('publishing with notify tells every agent at once; retiring hides an article and points to its replacement', async () => {
  const old = await published({ title: '整机保修一年', body: '本店电视整机保修1年。', need_type: 'inquiry' });
  const stream = await openStream(other);
  try {
    const fresh = await draft({ title: '整机保修三年', body: '自10月1日起电视整机保修3年。', need_type: 'inquiry' });
    let r = await sup.post(`/api/v1/kb/articles/${fresh.id}/publish`, { notify: true });
    assert.equal(r.status, 200, r.text);
    const ev = await stream.waitFor((evs) => evs.find((e) => e.event === 'kb.published' && e.data.entity_id === fresh.id));
    assert.ok(ev, 'the agent\'s stream gets kb.published');
    assert.equal(ev.data.payload.notify, true);
    assert.equal(ev.data.payload.title, '整机保修三年');
    for (const who of [agent, other, admin]) {
      r = await who.get('/api/v1/notifications');
      assert.equal(r.status, 200);
      const n = r.body.items.find((x) => x.kind === 'kb_updated' && x.detail?.article_id === fresh.id);
      assert.ok(n, 'a kb_updated notification for ' + who.user.username + ': ' + r.text);
    }

    r = await sup.post(`/api/v1/kb/articles/${old.id}/obsolete`, { replaced_by: old.id });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.field, 'replaced_by');
    r = await sup.post(`/api/v1/kb/articles/${old.id}/obsolete`, { replaced_by: 999999 });
    assert.equal(r.status, 422);
    r = await sup.post(`/api/v1/kb/articles/${old.id}/obsolete`, { replaced_by: fresh.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'obsolete');
    assert.equal(r.body.replaced_by, fresh.id);
    assert.equal(r.body.replaced_by_title, '整机保修三年');
    const found = await search('保修');
    assert.ok(found.some((x) => x.id === fresh.id));
    assert.ok(!found.some((x) => x.id === old.id), 'an obsolete article is not found');
    r = await sup.patch(`/api/v1/kb/articles/${old.id}`, { title: 'x' });
    assert.equal(r.status, 409);
    r = await sup.post(`/api/v1/kb/articles/${old.id}/obsolete`, {});
    assert.equal(r.status, 409);
  } finally {
    stream.close();
  }
});

async function resolvedTicket(extra = {}) {
  let r = await agent.post('/api/v1/tickets', {
    channel: 'TEL', type: 'inquiry', category: 'warranty-policy', subject: '张三询问电视保修期',
    description: '客户张三(电话 138-1234-5678,邮箱 Zhang.San@Example.com)询问电视保修几年。',
    urgency: 'low', customer: { name: '张三', phone: '13812345678', email: 'zhang.san@example.com', member_id: '86' },
    ...extra,
  });
  assert.equal(r.status, 201, r.text);
  const t = r.body;
  const path = `/api/v1/tickets/${t.id}`;
  r = await agent.patch(path, { assignee_id: agent.user.id });
  assert.equal(r.status, 200, r.text);
  r = await agent.patch(path, { status: 'in_progress' });
  assert.equal(r.status, 200, r.text);
  r = await agent.post(path + '/messages', { kind: 'reply', body: '张三您好,电视整机保修3年,可拨打13812345678查询。' });
  assert.equal(r.status, 201, r.text);
  r = await agent.post(path + '/messages', { kind: 'note', body: '内部备注:不进知识库' });
  assert.equal(r.status, 201, r.text);
  return t;
}

test('a resolved ticket is archived as a draft with the customer named by number only', async () => {
  const t = await resolvedTicket();
  let r = await agent.post(`/api/v1/tickets/${t.id}/archive`);
  assert.equal(r.status, 409, 'not resolved yet');
  r = await agent.patch(`/api/v1/tickets/${t.id}`, { status: 'resolved', result: 'solution_provided', measures: '告知张三新保修政策' });
  assert.equal(r.status, 200, r.text);
  r = await agent.post(`/api/v1/tickets/${t.number}/archive`);
  assert.equal(r.status, 201, r.text);
  const a = r.body;
  assert.equal(a.state, 'draft');
  assert.equal(a.need_type, 'inquiry');
  assert.equal(a.category, 'warranty-policy');
  assert.equal(a.source_ticket, t.id);
  assert.equal(a.source_ticket_number, t.number);
  const text = a.title + '\n' + a.body;
  for (const secret of ['张三', '13812345678', '138-1234-5678', 'zhang.san@example.com', 'Zhang.San@Example.com']) {
    assert.ok(!text.includes(secret), `"${secret}" left in:\n${text}`);
  }
  assert.match(a.body, /ID-86/);
  assert.match(a.body, /电视保修几年/, 'the problem');
  assert.match(a.body, /已提供解决方案/, 'the result');
  assert.match(a.body, /告知.*新保修政策/, 'the measures');
  assert.match(a.body, /整机保修3年/, 'the reply');
  assert.ok(!a.body.includes('内部备注'), 'notes are not archived');
  r = await agent.post('/api/v1/tickets/999999/archive');
  assert.equal(r.status, 404);
});

test('suggestions rank published articles and standard replies for the ticket', async () => {
  for (const body of [
    { name: '保修期答复', type: 'inquiry', category: 'warranty-policy', shortcut: 'bx', body: '{{customer.name}}您好,[[感谢您的耐心]],电视整机保修3年。' },
    { name: '物流延迟安抚', type: 'complaint', shortcut: 'wlys', body: '您好,物流[[非常理解]]。' },
  ]) {
    const c = await sup.post('/api/v1/templates', body);
    assert.equal(c.status, 201, c.text);
  }
  const t = await resolvedTicket({ subject: '电视保修期多久', description: '想问电视的保修期' });
  const r = await agent.get(`/api/v1/tickets/${t.id}/suggestions`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.articles.length >= 1 && r.body.articles.length <= 5);
  assert.equal(r.body.articles[0].title, '整机保修三年', JSON.stringify(r.body.articles.map((x) => x.title)));
  assert.ok(!r.body.articles.some((x) => x.state !== 'published'));
  // the reply of the ticket's own category first; one of another type shares no word with it
  assert.equal(r.body.templates[0].name, '保修期答复', JSON.stringify(r.body.templates));
  assert.equal(r.body.templates[0].shortcut, 'bx');
  assert.ok(!r.body.templates.some((x) => x.name === '物流延迟安抚'));
  const none = await agent.get('/api/v1/tickets/999999/suggestions');
  assert.equal(none.status, 404);
});
