/* Kefu live chat widget: <script src="https://KEFU-HOST/widget.js" data-channel="CHAT" async>.
 * A chat bubble in its own shadow DOM (the host page's CSS cannot reach it). It calls the chat
 * API on the origin it was loaded from (CORS), keeps the visitor's token in localStorage so that a
 * returning visitor continues their open chat, and shows everything with textContent only. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__kefuChat) return;
  window.__kefuChat = true;
  var API = new URL(script.src).origin + '/api/v1/chat/sessions';
  var CHANNEL = script.getAttribute('data-channel') || 'CHAT';
  var KEY = 'kefu-chat:' + new URL(script.src).host + ':' + CHANNEL;
  var T = {
    title: '在线客服', open: '咨询客服', close: '关闭', name: '您的称呼(可选)',
    first: '请描述您的问题', start: '开始咨询', send: '发送', placeholder: '输入消息…',
    waiting: '正在为您接通客服,请稍候…', accepted: '客服 {name} 为您服务',
    offline: '现在没有客服在线。您的留言已登记为工单 {number},我们上班后会尽快回复您。',
    closed: '本次会话已结束,感谢您的咨询。', failed: '发送失败,请稍后再试', again: '重新咨询',
    me: '我', agent: '客服', image: '图片', tooBig: '图片不能超过 5 MB', notImage: '只能发送 PNG、JPEG、GIF 或 WebP 图片',
  };
  var IMAGE_MAX = 5 * 1024 * 1024, IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/;
  function t(k, v) {
    return T[k].replace(/\{(\w+)\}/g, function (_, x) { return v && v[x] != null ? String(v[x]) : ''; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  var host = el('div');
  host.setAttribute('data-kefu-chat', '');
  var root = host.attachShadow({ mode: 'open' });
  var style = el('style');
  style.textContent = [
    ':host{all:initial}','[hidden]{display:none!important}',
    '*{box-sizing:border-box;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;font-size:14px}',
    '.bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;',
    'padding:12px 18px;background:#1677ff;color:#fff;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.2)}',
    '.panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:360px;height:520px;',
    'max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;color:#222;',
    'border-radius:10px;box-shadow:0 8px 28px rgba(0,0,0,.25);overflow:hidden}',
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100vh;max-height:none;border-radius:0}}',
    '.head{display:flex;justify-content:space-between;align-items:center;padding:12px 14px;background:#1677ff;color:#fff}',
    '.head button{background:none;border:0;color:#fff;cursor:pointer}',
    '.log{flex:1;overflow-y:auto;padding:12px;background:#f5f6f8}',
    '.msg{max-width:80%;margin:6px 0;padding:8px 10px;border-radius:8px;white-space:pre-wrap;word-break:break-word}',
    '.customer{margin-left:auto;background:#1677ff;color:#fff}',
    '.reply{margin-right:auto;background:#fff;border:1px solid #e5e6eb}',
    '.who{display:block;font-size:12px;opacity:.7;margin-bottom:2px}',
    '.note{text-align:center;color:#666;font-size:12px;margin:8px 0}',
    'form{display:flex;gap:6px;padding:10px;border-top:1px solid #eee;background:#fff}',
    'form.start{flex-direction:column}',
    'input,textarea{flex:1;border:1px solid #d9d9d9;border-radius:6px;padding:8px;resize:none}',
    'form button{border:0;border-radius:6px;padding:8px 14px;background:#1677ff;color:#fff;cursor:pointer}',
    'form button.pick{background:#fff;color:#1677ff;border:1px solid #1677ff;padding:8px}',
    '.img{display:block;max-width:100%;max-height:200px;margin-top:4px;border-radius:4px;cursor:pointer}',
    '.file{display:block;margin-top:4px;text-decoration:underline;cursor:pointer}',
  ].join('');
  root.appendChild(style);

  var bubble = el('button', 'bubble', T.open);
  bubble.type = 'button';
  var panel = el('div', 'panel');
  panel.hidden = true;
  var head = el('div', 'head');
  head.appendChild(el('span', null, T.title));
  var closeBtn = el('button', null, T.close);
  closeBtn.type = 'button';
  head.appendChild(closeBtn);
  var log = el('div', 'log');
  panel.appendChild(head);
  panel.appendChild(log);
  root.appendChild(bubble);
  root.appendChild(panel);

  var chat = null; // {id, token}
  var seen = {}; // message ids shown
  var source = null;
  var footer = null;

  function save() {
    try {
      if (chat) localStorage.setItem(KEY, JSON.stringify(chat)); else localStorage.removeItem(KEY);
    } catch (e) { /* storage refused: the chat lasts this page */ }
  }
  function note(text) {
    log.appendChild(el('div', 'note', text));
    log.scrollTop = log.scrollHeight;
  }
  function show(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var mine = m.kind === 'customer';
    var b = el('div', 'msg ' + (mine ? 'customer' : 'reply'));
    var who = typeof m.author === 'string' ? m.author : m.author && m.author.name;
    b.appendChild(el('span', 'who', mine ? T.me : who || T.agent));
    var files = m.attachments || [];
    if (!(files.length && m.body === '[图片]')) b.appendChild(document.createTextNode(m.body));
    files.forEach(function (a) { b.appendChild(file(a)); });
    log.appendChild(b);
    log.scrollTop = log.scrollHeight;
  }
  // A file of the chat, fetched with the chat's token (never a token in a URL): an image is
  // shown, anything else is a name that downloads it; both open the file when clicked.
  function file(a) {
    var image = IMAGE_TYPES.test(a.content_type || '');
    var e = el(image ? 'img' : 'span', image ? 'img' : 'file', image ? null : a.filename);
    if (image) e.alt = a.filename;
    var url = null, c = chat;
    function load() {
      return url ? Promise.resolve(url) : fetch(API + '/' + c.id + '/attachments/' + a.id, {
        headers: { Authorization: 'Visitor ' + c.token },
      }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.blob();
      }).then(function (b) { url = URL.createObjectURL(b); return url; });
    }
    if (image) load().then(function (u) { e.src = u; }, function () { e.alt = a.filename + ' ×'; });
    e.addEventListener('click', function () {
      load().then(function (u) {
        var link = el('a');
        link.href = u;
        link.download = a.filename;
        link.target = '_blank';
        link.rel = 'noopener';
        link.click();
      }, function () { note(T.failed); });
    });
    return e;
  }
  function api(method, path, body) {
    var h = { 'Content-Type': 'application/json' };
    if (chat) h.Authorization = 'Visitor ' + chat.token;
    return fetch(API + path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.text().then(function (x) {
          var j = null;
          try { j = x ? JSON.parse(x) : null; } catch (e) { /* not JSON */ }
          return { status: r.status, body: j };
        });
      });
  }
  function setFooter(f) {
    if (footer) panel.removeChild(footer);
    footer = f;
    if (f) panel.appendChild(f);
  }
  function startForm() {
    var f = el('form', 'start');
    var name = el('input');
    name.placeholder = T.name;
    name.maxLength = 100;
    var body = el('textarea');
    body.placeholder = T.first;
    body.rows = 3;
    var go = el('button', null, T.start);
    go.type = 'submit';
    f.appendChild(name);
    f.appendChild(body);
    f.appendChild(go);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var text = body.value.trim();
      if (!text) return;
      go.disabled = true;
      api('POST', '', { channel: CHANNEL, name: name.value.trim() || null, body: text }).then(function (r) {
        go.disabled = false;
        if (r.status !== 201) { note((r.body && r.body.error && r.body.error.message) || T.failed); return; }
        chat = { id: r.body.id, token: r.body.visitor_token };
        save();
        resume();
      }, function () { go.disabled = false; note(T.failed); });
    });
    setFooter(f);
  }
  function sendForm() {
    var f = el('form');
    var input = el('textarea');
    input.rows = 1;
    input.placeholder = T.placeholder;
    var go = el('button', null, T.send);
    go.type = 'submit';
    var pick = el('button', 'pick', T.image);
    pick.type = 'button';
    var chooser = el('input');
    chooser.type = 'file';
    chooser.accept = 'image/png,image/jpeg,image/gif,image/webp';
    chooser.hidden = true;
    f.appendChild(pick);
    f.appendChild(chooser);
    f.appendChild(input);
    f.appendChild(go);
    function said(r) {
      if (r.status === 201) show(r.body);
      else note((r.body && r.body.error && r.body.error.message) || T.failed);
    }
    function send() {
      var text = input.value.trim();
      if (!text || !chat) return;
      input.value = '';
      api('POST', '/' + chat.id + '/messages', { body: text }).then(said, function () { note(T.failed); });
    }
    pick.addEventListener('click', function () { chooser.click(); });
    chooser.addEventListener('change', function () {
      var img = chooser.files[0];
      chooser.value = '';
      if (!img || !chat) return;
      if (!IMAGE_TYPES.test(img.type)) { note(T.notImage); return; }
      if (img.size > IMAGE_MAX) { note(T.tooBig); return; }
      fetch(API + '/' + chat.id + '/attachments?filename=' + encodeURIComponent(img.name), {
        method: 'POST', headers: { Authorization: 'Visitor ' + chat.token, 'Content-Type': img.type }, body: img,
      }).then(function (r) {
        if (r.status !== 201) throw { said: r.status === 413 ? T.tooBig : r.status === 415 ? T.notImage : T.failed };
        return r.json();
      }).then(function (a) {
        return api('POST', '/' + chat.id + '/messages', { attachments: [a.id] }).then(said);
      }).catch(function (e) { note((e && e.said) || T.failed); });
    });
    f.addEventListener('submit', function (ev) { ev.preventDefault(); send(); });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
    });
    setFooter(f);
    input.focus();
  }
  function ended() {
    if (source) { source.close(); source = null; }
    note(T.closed);
    chat = null;
    save();
    var f = el('form');
    var again = el('button', null, T.again);
    again.type = 'submit';
    f.appendChild(again);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      while (log.firstChild) log.removeChild(log.firstChild);
      seen = {};
      startForm();
    });
    setFooter(f);
  }
  function listen() {
    if (source) source.close();
    source = new EventSource(API + '/' + chat.id + '/stream?visitor_token=' + encodeURIComponent(chat.token));
    source.addEventListener('message', function (ev) {
      var d = JSON.parse(ev.data);
      if (d.message) show(d.message);
    });
    source.addEventListener('accepted', function (ev) {
      var d = JSON.parse(ev.data);
      note(t('accepted', { name: d.agent ? d.agent.name : '' }));
    });
    source.addEventListener('closed', ended);
  }
  // the open chat (the transcript, then the stream), or the start form when there is none
  function resume() {
    api('GET', '/' + chat.id).then(function (r) {
      if (r.status !== 200 || r.body.state === 'closed') { chat = null; save(); startForm(); return; }
      (r.body.messages || []).forEach(show);
      if (r.body.state === 'offline') note(t('offline', { number: r.body.ticket.number }));
      else if (r.body.state === 'waiting') note(T.waiting);
      else if (r.body.agent) note(t('accepted', { name: r.body.agent.name }));
      sendForm();
      listen();
    }, function () { note(T.failed); });
  }

  var started = false;
  bubble.addEventListener('click', function () {
    bubble.hidden = true;
    panel.hidden = false;
    if (started) return;
    started = true;
    try { chat = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) { chat = null; }
    if (chat && chat.id && chat.token) resume(); else { chat = null; startForm(); }
  });
  closeBtn.addEventListener('click', function () {
    panel.hidden = true;
    bubble.hidden = false;
  });
  (document.body || document.documentElement).appendChild(host);
})();
