#!/usr/bin/env node
// imharness driver: runs ONE real, unmodified tim-js-sdk instance (one simulated
// user) and exposes it over a JSON-lines protocol.
//
//   stdin : {"id":N,"cmd":"login|logout|call|send|exit","args":{...}}
//   stdout: {"id":N,"ok":true,"result":...} | {"id":N,"ok":false,"error":{code,message,data}}
//           {"event":"<TIM.EVENT key>","data":...,"t":<ms since start>}
//   stderr: SDK and driver logs (stdout is reserved for the protocol).
//
// Usage: node driver.js --sdk tim-js-sdk --server http://127.0.0.1:PORT --sdkappid N [--log-level 0-4] [--dev-mode 1]
// Every flag may also come from the environment: IMH_SDK, IMH_SERVER, IMH_SDKAPPID, IMH_LOG_LEVEL, IMH_DEV_MODE.
'use strict';

const { claimStdout, flag, emitter, serve, exit } = require('./adapters/common');

claimStdout(); // before any SDK logs
const cfg = {
  sdk: flag('sdk', 'IMH_SDK', 'tim-js-sdk'),
  server: flag('server', 'IMH_SERVER', ''),
  sdkAppID: Number(flag('sdkappid', 'IMH_SDKAPPID', '0')),
  // TIM log levels: 0 all, 1 release, 2 warn, 3 error, 4 none.
  logLevel: Number(flag('log-level', 'IMH_LOG_LEVEL', '2')),
  // WebSocket generation only: create({devMode: true}) makes the SDK use /info and text frames.
  devMode: flag('dev-mode', 'IMH_DEV_MODE', '0') === '1',
};
if (!/^https?:\/\/[^/]+$/.test(cfg.server) || !(cfg.sdkAppID > 0)) {
  process.stderr.write('driver.js: need --server http://host:port (no path) and --sdkappid N\n');
  process.exit(2);
}

// webim.js 1.x is a user-given file with its own API: its adapter serves the same protocol.
if (cfg.sdk.startsWith('webim.js@file:')) {
  require('./adapters/legacy-webim.js')(cfg);
  return;
}

// --- browser shims: the SDK bundle expects a browser; all must exist before require(sdk). ---
const XHR2 = require('xhr2');
const upload = require('./adapters/upload'); // file messages: bucket hosts, Blob bodies, Image, $file/$plugin
const TIM_HOST = /^https?:\/\/[a-z0-9.-]*\.tim\.qq\.com/i;
class RewritingXHR extends XHR2 {
  open(method, url, ...rest) {
    return super.open(method, upload.cosURL(String(url).replace(TIM_HOST, cfg.server), cfg.server), ...rest);
  }
  send(body) { upload.sendBody(body, (b) => super.send(b)); }
}
global.XMLHttpRequest = RewritingXHR; // the bundled axios uses its XHR adapter even in Node
global.Image = upload.imageClass(cfg.server); // the SDK measures images it uploads
global.HTMLInputElement = upload.HTMLInputElement;
global.DOMParser = upload.domParser(); // cos-js-sdk-v5 reads COS's XML answers with it
global.window = global;               // Storage reads window.localStorage; TIM.create throws without window
global.location = new URL('http://localhost/'); // NetMonitor.probe() reads location.protocol on failures
// 2.10.x reads document.charset unguarded in sendMessage ("document is not defined"
// otherwise). Once document exists, the bundled axios takes its browser path, which
// reads navigator.userAgent and parses URLs with <a href>, so those are stubbed too.
const element = () => ({
  style: {},
  setAttribute(k, v) {
    this[k] = v;
    if (k === 'href') {
      const u = new URL(v, global.location.href);
      Object.assign(this, { href: u.href, protocol: u.protocol, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash });
    }
  },
});
global.document = {
  charset: 'UTF-8', characterSet: 'UTF-8', cookie: '', domain: 'localhost',
  createElement: element,
  getElementsByTagName: () => [], // the MTA telemetry injection then fails inside its own try/catch
};
Object.defineProperty(global, 'navigator', { value: { userAgent: '', product: '' }, configurable: true, writable: true });
global.fetch = async () => ({ ok: true, status: 200, text: async () => '', json: async () => ({}) }); // NetMonitor probe stays offline
global.localStorage = (() => {
  const m = new Map();
  return {
    getItem: (k) => (m.has(String(k)) ? m.get(String(k)) : null),
    setItem: (k, v) => { m.set(String(k), String(v)); },
    removeItem: (k) => { m.delete(String(k)); },
    clear: () => m.clear(),
    key: (i) => Array.from(m.keys())[i] ?? null,
    get length() { return m.size; },
  };
})();

const emit = emitter(plain);

// The WebSocket generation (adapters/timws.js) brings its own transport and globals.
const timws = require('./adapters/timws');
const { TIM, tim } = timws.isWebSocketGeneration(require(cfg.sdk + '/package.json'))
  ? timws.create(cfg.sdk, cfg.sdkAppID, cfg.server, { devMode: cfg.devMode, XHR: upload.bucketsOnly(RewritingXHR) })
  : (() => { const T = require(cfg.sdk); return { TIM: T, tim: T.create({ SDKAppID: cfg.sdkAppID }) }; })();
tim.setLogLevel(cfg.logLevel);

// --- safe serialisation ---
// SDK objects may hold cycles, functions and references back into SDK internals.
// Messages get a whitelist of plain data fields; everything else is walked generically
// (own enumerable keys, no functions, cycles cut).
const MESSAGE_FIELDS = [
  'ID', 'type', 'payload', 'conversationID', 'conversationType', 'to', 'from', 'flow', 'time',
  'status', 'isRevoked', 'sequence', 'clientSequence', 'random', 'nick', 'avatar', 'nameCard',
  'isPeerRead', 'isRead', 'isResend', 'isSystemMessage', 'protocol', 'priority', 'elements',
  'atUserList', 'cloudCustomData',
];
// Message#elements is a getter that logs a deprecation warning; read what it returns directly.
const messageField = (m, k) => (k === 'elements' ? m._elements : m[k]);
const messages = new Map(); // ID -> live SDK Message, so commands can refer to it as {"$message": ID}

function isMessage(v) {
  return v && typeof v === 'object' && typeof v.ID === 'string' && 'conversationID' in v &&
    'flow' in v && 'payload' in v;
}

function plain(v, seen = new Set(), depth = 0) {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number': return Number.isFinite(v) ? v : null;
    case 'string': case 'boolean': return v;
    case 'bigint': return v.toString();
    case 'function': case 'symbol': return undefined;
  }
  if (seen.has(v)) return '[Circular]';
  // Shared siblings are walked again (below), so a densely linked graph could explode: cap the work.
  if (seen.budget === undefined) seen.budget = 50000;
  if (--seen.budget < 0) return '[Truncated]';
  if (depth > 20) return '[MaxDepth]';
  seen.add(v);
  try {
    if (v instanceof Error) return errorObject(v, seen, depth);
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v) || v instanceof Set) {
      return Array.from(v, (x) => { const p = plain(x, seen, depth + 1); return p === undefined ? null : p; });
    }
    let entries;
    if (v instanceof Map) entries = Array.from(v.entries(), ([k, x]) => [String(k), x]);
    else if (isMessage(v)) {
      if (v.ID) messages.set(v.ID, v);
      entries = MESSAGE_FIELDS.map((k) => [k, messageField(v, k)]).filter(([, x]) => x !== undefined);
    } else entries = Object.entries(v).filter(([k]) => !k.startsWith('_')); // '_x': SDK internals, often back-references into the whole SDK
    const o = {};
    for (const [k, x] of entries) {
      const p = plain(x, seen, depth + 1);
      if (p !== undefined) o[k] = p;
    }
    return o;
  } finally {
    seen.delete(v); // only ancestors count as cycles; shared siblings are serialised twice
  }
}

// TIM rejections look like {code, message, data?}; data.message is the failed Message.
function errorObject(e, seen = new Set(), depth = 0) {
  if (e === null || typeof e !== 'object') return { code: null, message: String(e), data: null };
  const code = e.code === undefined || e.code === null || e.code === '' ? NaN : Number(e.code);
  const data = plain(e.data, seen, depth + 1);
  return {
    code: Number.isFinite(code) ? code : null,
    message: String(e.message ?? ''),
    data: data === undefined ? null : data,
    ...(e instanceof Error && !('code' in e) ? { stack: String(e.stack || '') } : {}),
  };
}

// Resolve placeholders in command arguments:
//   "$TYPES.CONV_C2C"  -> TIM.TYPES.CONV_C2C
//   {"$message": "<ID>"} -> the live SDK Message with that ID (seen in a result or event)
//   {"$file": {...}}, {"$plugin": "..."} -> a File, an upload plugin (adapters/upload.js)
function resolve(v) {
  if (typeof v === 'string' && v.startsWith('$TYPES.')) {
    const k = v.slice('$TYPES.'.length);
    if (!(k in TIM.TYPES)) throw Object.assign(new Error(`unknown TIM.TYPES key ${k}`), { code: null });
    return TIM.TYPES[k];
  }
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === 'object') {
    const named = upload.resolvePlaceholder(v); // {"$file": …}, {"$plugin": …}
    if (named !== undefined) return named;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$message') {
      const m = messages.get(v.$message);
      if (!m) throw Object.assign(new Error(`no message with ID ${v.$message} seen by this driver`), { code: null });
      return m;
    }
    const o = {};
    for (const k of keys) o[k] = resolve(v[k]);
    return o;
  }
  return v;
}

function method(name) {
  if (typeof name !== 'string' || typeof tim[name] !== 'function') {
    throw Object.assign(new Error(`tim.${name} is not a function in ${cfg.sdk} ${TIM.VERSION}`), { code: null });
  }
  return tim[name].bind(tim);
}

// --- subscribe to every event the SDK declares ---
// (Named handlers: the SDK logs a warning for every anonymous one.)
for (const key of Object.keys(TIM.EVENT)) {
  const handler = { [key](ev) { emit(key, ev && ev.data !== undefined ? ev.data : null); } }[key];
  tim.on(TIM.EVENT[key], handler);
}

// --- commands ---
const commands = {
  login: (a) => tim.login({ userID: a.userID, userSig: a.userSig }),
  logout: () => tim.logout(),
  call: (a) => method(a.method)(...resolve(a.args || [])),
  // Build the message with the SDK's own factory, then send it.
  send: (a) => {
    const msg = method(a.create)(resolve(a.options || {}));
    return a.sendOptions ? tim.sendMessage(msg, resolve(a.sendOptions)) : tim.sendMessage(msg);
  },
  exit,
};

// From here on, failures are the SDK's: the SDK leaves some promises unhandled
// (createGroup's automatic message, the net probe), so serve reports them as events instead
// of letting Node die. (Before this point a failure should kill the process with its
// stack on stderr, which Start reports.)
serve({
  commands, emit, errorObject, toPlain: plain,
  ready: { sdk: cfg.sdk, version: TIM.VERSION, events: Object.keys(TIM.EVENT), types: plain(TIM.TYPES) },
});
