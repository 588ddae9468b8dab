// imharness driver adapter for the legacy webim.js 1.x SDK (one simulated user per process).
//
// webim.js is on no package registry: the user gives the file (--sdk webim.js@file:/path/webim.js).
// It is loaded unchanged; this adapter only supplies the few browser globals it touches and sends
// its https://*.tim.qq.com requests to the fake server. It speaks the driver's JSON-lines protocol:
//
//   {"cmd":"login","args":{"userID","userSig","nick"?}}        -> the login cbOk payload
//   {"cmd":"login","args":{"anonymous":true}}                   -> logged in without identity (AVChatRoom viewers)
//   {"cmd":"logout"} / {"cmd":"logoutAll"}                      -> the cbOk payload
//   {"cmd":"call","args":{"method","args":[…]}}                 -> webim[method](...args, cbOk, cbErr)
//   {"cmd":"sync","args":{"method","args":[…]}}                 -> webim[method](...args) (no callbacks)
//   {"cmd":"send","args":{"type":"C2C"|"GROUP","to","elems":[…],"subType"?}} -> {msg, resp}
//   {"cmd":"store"}                                             -> webim.MsgStore as plain data
//   {"cmd":"exit"}
// Arguments may name a session as {"$session":{"type":"C2C"|"GROUP","id"}} (from MsgStore, or new).
// Events are the listener callbacks: onMsgNotify, onConnNotify, onGroupInfoChangeNotify,
// onKickedEventCall, onBigGroupMsgNotify and "<table>.<key>" for the keyed tables
// (onGroupSystemNotifys.1 … .255, onFriendSystemNotifys.N, onProfileSystemNotifys.N, onC2cEventNotifys.N).
'use strict';

const fs = require('fs');
const vm = require('vm');
const { emitter, serve, exit } = require('./common');

module.exports = function run(cfg) {
  const emit = emitter(); // listeners pass their arguments through data() themselves
  const file = cfg.sdk.replace(/^webim\.js@file:/, '');
  const source = fs.readFileSync(file, 'utf8');
  const version = webimVersion(source);

  // --- browser globals (webim.js is plain ES5 that reads window, navigator, document, XHR) ---
  const XHR2 = require('xhr2');
  const TIM_HOST = /^https?:\/\/[a-z0-9.-]*\.tim\.qq\.com/i;
  class RewritingXHR extends XHR2 {
    open(method, url, ...rest) {
      return super.open(method, String(url).replace(TIM_HOST, cfg.server), ...rest);
    }
  }
  global.window = global;
  global.XMLHttpRequest = RewritingXHR;
  global.location = new URL('http://localhost/');
  Object.defineProperty(global, 'navigator', {
    value: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' },
    configurable: true, writable: true,
  });
  // document only serves cookies and IE detection here (no JSONP, no form uploads).
  global.document = {
    cookie: '',
    createElement: () => ({ getElementsByTagName: () => [] }),
    getElementById: () => null,
  };
  vm.runInThisContext(source, { filename: file });
  const webim = global.webim;
  if (!webim || typeof webim.login !== 'function') throw new Error(`${file} does not define webim.login`);

  // --- serialisation of SDK objects ---
  const sessionOut = (s) => s && ({ type: s.type(), id: s.id(), name: s.name(), unread: s.unread(), time: s.time(), curMaxMsgSeq: s.curMaxMsgSeq() });
  const elemOut = (e) => ({ type: e.getType(), content: data(e.getContent()) });
  const msgOut = (m) => ({
    session: { type: m.getSession().type(), id: m.getSession().id(), name: m.getSession().name() },
    subType: m.getSubType(), fromAccount: m.getFromAccount(), fromAccountNick: m.getFromAccountNick(),
    isSend: m.getIsSend(), seq: m.getSeq(), random: m.getRandom(), time: m.getTime(),
    elems: m.getElems().map(elemOut),
  });
  const isMsg = (v) => v instanceof webim.Msg;
  const isSession = (v) => v instanceof webim.Session;
  // data turns anything the SDK hands out into JSON: own fields, no functions, cycles cut.
  function data(v, seen = new Set()) {
    if (v === null || v === undefined) return null;
    if (typeof v === 'function') return undefined;
    if (typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? null : v;
    if (isMsg(v)) return msgOut(v);
    if (isSession(v)) return sessionOut(v);
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => { const d = data(x, seen); return d === undefined ? null : d; });
      const o = {};
      for (const k of Object.keys(v)) {
        const d = data(v[k], seen);
        if (d !== undefined) o[k] = d;
      }
      return o;
    } finally {
      seen.delete(v);
    }
  }

  function storeOut() {
    const sessions = [];
    const map = webim.MsgStore.sessMap();
    for (const k of Object.keys(map)) {
      const s = map[k];
      sessions.push({ ...sessionOut(s), msgs: s.msgs().map(msgOut) });
    }
    return { count: webim.MsgStore.sessCount(), sessions };
  }

  // --- listeners: every callback becomes an event ---
  const tables = {
    onGroupSystemNotifys: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '15', '255'],
    onFriendSystemNotifys: ['1', '2', '3', '4', '5', '6', '7', '8'],
    onProfileSystemNotifys: ['1'],
    onC2cEventNotifys: ['92', '96'],
  };
  const listeners = {};
  for (const name of ['onConnNotify', 'onMsgNotify', 'onGroupInfoChangeNotify', 'onKickedEventCall', 'onBigGroupMsgNotify', 'onAppliedDownloadUrl']) {
    listeners[name] = (...a) => emit(name, data(a.length <= 1 ? a[0] : a));
  }
  for (const [table, keys] of Object.entries(tables)) {
    listeners[table] = {};
    for (const k of keys) listeners[table][k] = (...a) => emit(`${table}.${k}`, data(a.length <= 1 ? a[0] : a));
  }

  // --- commands ---
  const err = (e) => Object.assign(new Error(e && e.ErrorInfo ? String(e.ErrorInfo) : String(e)), {
    code: e && e.ErrorCode !== undefined ? Number(e.ErrorCode) : null, data: e,
  });
  const viaCallbacks = (fn) => new Promise((resolve, reject) => {
    try {
      fn((r) => resolve(r), (e) => reject(err(e)));
    } catch (e) {
      reject(e);
    }
  });
  function resolveArg(v) {
    if (Array.isArray(v)) return v.map(resolveArg);
    if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$session') {
        const { type, id, name } = v.$session;
        return webim.MsgStore.sessByTypeId(type, id) || new webim.Session(type, id, name || id, '', Math.round(Date.now() / 1000));
      }
      const o = {};
      for (const k of keys) o[k] = resolveArg(v[k]);
      return o;
    }
    return v;
  }
  // method finds webim.<name>, dotted names included (MsgStore.sessMap), bound to its object.
  function method(name) {
    let owner = webim;
    let fn;
    if (typeof name === 'string') {
      const parts = name.split('.');
      for (let i = 0; i < parts.length - 1 && owner; i++) owner = owner[parts[i]];
      fn = owner && owner[parts[parts.length - 1]];
    }
    if (typeof fn !== 'function') {
      throw Object.assign(new Error(`webim.${name} is not a function in webim.js ${version}`), { code: null });
    }
    return fn.bind(owner);
  }
  function buildElem(e) {
    const E = webim.Msg.Elem;
    switch (e.type) {
      case 'text': return ['addText', new E.Text(e.text)];
      case 'face': return ['addFace', new E.Face(e.index, e.data)];
      case 'custom': return ['addCustom', new E.Custom(e.data, e.desc, e.ext)];
      case 'image': {
        const img = new E.Images(e.uuid, e.format);
        for (const i of e.infos || []) img.addImage(new E.Images.Image(i.type, i.size, i.width, i.height, i.url));
        return ['addImage', img];
      }
      default: throw Object.assign(new Error(`unknown element type ${e.type}`), { code: null });
    }
  }
  let me = '';
  const commands = {
    // {"anonymous":true}: no identity at all (an AVChatRoom viewer); the SDK makes no request.
    login: (a) => {
      me = a.anonymous ? '' : a.userID;
      const info = a.anonymous ? { sdkAppID: cfg.sdkAppID, accountType: 1 }
        : { sdkAppID: cfg.sdkAppID, identifier: a.userID, identifierNick: a.nick || a.userID, userSig: a.userSig, accountType: 1 };
      return viaCallbacks((ok, no) => webim.login(info, listeners, { isAccessFormalEnv: true, isLogOn: cfg.logLevel <= 1 }, ok, no));
    },
    logout: () => viaCallbacks((ok, no) => webim.logout(ok, no)),
    logoutAll: () => viaCallbacks((ok, no) => webim.logoutAll(ok, no)),
    call: (a) => { const fn = method(a.method); return viaCallbacks((ok, no) => fn(...resolveArg(a.args || []), ok, no)); },
    sync: (a) => method(a.method)(...resolveArg(a.args || [])),
    send: (a) => {
      const type = a.type === 'GROUP' ? webim.SESSION_TYPE.GROUP : webim.SESSION_TYPE.C2C;
      const sess = webim.MsgStore.sessByTypeId(type, a.to) || new webim.Session(type, a.to, a.to, '', Math.round(Date.now() / 1000));
      const subType = a.subType !== undefined ? a.subType : (type === webim.SESSION_TYPE.GROUP ? webim.GROUP_MSG_SUB_TYPE.COMMON : webim.C2C_MSG_SUB_TYPE.COMMON);
      const msg = new webim.Msg(sess, true, -1, -1, -1, me, subType, me);
      for (const e of a.elems || []) {
        const [add, elem] = buildElem(e);
        msg[add](elem);
      }
      return viaCallbacks((ok, no) => webim.sendMsg(msg, ok, no)).then((resp) => ({ msg: msgOut(msg), resp }));
    },
    store: () => storeOut(),
    exit,
  };

  const events = ['onConnNotify', 'onMsgNotify', 'onGroupInfoChangeNotify', 'onKickedEventCall', 'onBigGroupMsgNotify', 'onAppliedDownloadUrl'];
  for (const [table, keys] of Object.entries(tables)) for (const k of keys) events.push(`${table}.${k}`);
  const errorObject = (e) => ({ code: e && Number.isFinite(e.code) ? e.code : null, message: String((e && e.message) || e), data: (e && data(e.data)) ?? null });
  serve({ commands, emit, errorObject, toPlain: data, ready: { sdk: 'webim.js', version, events, types: { SESSION_TYPE: webim.SESSION_TYPE } } });
};

// webimVersion reads the version the file declares about itself: "Version = '1.7.3'",
// "'VERSION': '1.7.2'" or the "VER 1.7.0" header comment.
function webimVersion(src) {
  const m = /\bVersion\s*=\s*['"](\d+\.\d+(?:\.\d+)?)['"]/.exec(src) ||
    /['"]VERSION['"]\s*:\s*['"](\d+\.\d+(?:\.\d+)?)['"]/.exec(src) ||
    /\bVER\s+(\d+\.\d+(?:\.\d+)?)/.exec(src);
  return m ? m[1] : 'unknown';
}
module.exports.webimVersion = webimVersion;
