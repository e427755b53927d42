// fake_wechat.js: a local stand-in for the WeChat platform's API (api.weixin.qq.com) on
// 127.0.0.1 and a free port: the access token (GET /cgi-bin/token), customer-service
// messages (POST /cgi-bin/message/custom/send) and followers' media (GET /cgi-bin/media/get). It
// counts token fetches, records sends and media fetches, can answer 40001 (token invalid) once
// or any errcode for the next sends or media fetches, and can be stopped and started again on the
// same port; plus the signing the platform does on its own requests.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

export class FakeWechat {
  constructor({ appId = 'wx-test-app', secret = 'wx-test-secret', expiresIn = 7200 } = {}) {
    this.appId = appId;
    this.secret = secret;
    this.expiresIn = expiresIn;
    this.tokenFetches = 0;
    this.sends = []; // {token, body} of each send accepted
    this.attempts = 0; // every send, accepted or not
    this.failNext = []; // errcodes the next sends answer with, one each
    this.tokens = new Set();
    this.media = new Map(); // media id -> {type, data (Buffer), filename}
    this.mediaGets = []; // {token, mediaId} of each media fetch
    this.failMedia = []; // errcodes the next media fetches answer with, one each
    this.port = 0;
  }

  async start() {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(this.port, '127.0.0.1', ok);
    });
    this.port = this.server.address().port;
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
    this.server = null;
  }

  handle(req, res) {
    const url = new URL(req.url, this.base);
    const answer = (o) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(o));
    };
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      if (url.searchParams.get('grant_type') !== 'client_credential' ||
          url.searchParams.get('appid') !== this.appId ||
          url.searchParams.get('secret') !== this.secret) {
        return answer({ errcode: 40125, errmsg: 'invalid appsecret' });
      }
      this.tokenFetches++;
      const token = `TOKEN-${this.tokenFetches}`;
      this.tokens.add(token);
      return answer({ access_token: token, expires_in: this.expiresIn });
    }
    if (req.method === 'GET' && url.pathname === '/cgi-bin/media/get') {
      const token = url.searchParams.get('access_token'), mediaId = url.searchParams.get('media_id');
      this.mediaGets.push({ token, mediaId });
      if (!this.tokens.has(token)) return answer({ errcode: 40001, errmsg: 'invalid credential' });
      if (this.failMedia.length) {
        const errcode = this.failMedia.shift();
        if (errcode === 40001 || errcode === 42001) this.tokens.delete(token);
        return answer({ errcode, errmsg: `fake error ${errcode}` });
      }
      const m = this.media.get(mediaId);
      if (!m) return answer({ errcode: 40007, errmsg: 'invalid media_id' });
      res.writeHead(200, {
        'Content-Type': m.type, 'Content-Length': m.data.length,
        'Content-disposition': `attachment; filename="${m.filename}"`,
      });
      res.end(m.data);
      return undefined;
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        this.attempts++;
        const token = url.searchParams.get('access_token');
        if (!this.tokens.has(token)) return answer({ errcode: 40001, errmsg: 'invalid credential' });
        if (this.failNext.length) {
          const errcode = this.failNext.shift();
          if (errcode === 40001) this.tokens.delete(token);
          return answer({ errcode, errmsg: `fake error ${errcode}` });
        }
        let json;
        try { json = JSON.parse(body); } catch { return answer({ errcode: 47001, errmsg: 'data format error' }); }
        this.sends.push({ token, body: json });
        return answer({ errcode: 0, errmsg: 'ok' });
      });
      return undefined;
    }
    res.writeHead(404);
    res.end();
    return undefined;
  }
}

// The query string the platform adds to a request to the account's server address.
export function signedQuery(token, { timestamp = String(Math.floor(Date.now() / 1000)),
  nonce = String(Math.floor(Math.random() * 1e9)) } = {}) {
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return new URLSearchParams({ signature, timestamp, nonce });
}

// A follower's message as the platform posts it.
export function messageXml({ to = 'gh_kefu_test', from, type = 'text', content, msgId, event,
  mediaId, picUrl, recognition, time = Math.floor(Date.now() / 1000) }) {
  const cdata = (s) => `<![CDATA[${s}]]>`;
  return ['<xml>', `<ToUserName>${cdata(to)}</ToUserName>`,
    `<FromUserName>${cdata(from)}</FromUserName>`, `<CreateTime>${time}</CreateTime>`,
    `<MsgType>${cdata(type)}</MsgType>`,
    content !== undefined ? `<Content>${cdata(content)}</Content>` : '',
    event ? `<Event>${cdata(event)}</Event>` : '',
    mediaId ? `<MediaId>${cdata(mediaId)}</MediaId>` : '',
    picUrl ? `<PicUrl>${cdata(picUrl)}</PicUrl>` : '',
    recognition ? `<Recognition>${cdata(recognition)}</Recognition>` : '',
    msgId ? `<MsgId>${msgId}</MsgId>` : '', '</xml>'].join('');
}
