// The WebSocket generation: tim-js-sdk 2.13 and later, @tencentcloud/chat 3.x. Same tim.* API as
// the long-polling SDKs; only the transport and the browser globals it needs differ.
//
// The SDK is pointed at the fake with its own proxyServer option (ws://host:port): it then opens
// ws://host:port/binfo?… itself, never rotates to the cloud hosts and makes no HTTP request for
// its error dictionary. Node has no browser WebSocket, so the `ws` package stands in for it.
'use strict';

const semver = (v) => String(v).split('.').map((x) => parseInt(x, 10) || 0);
const atLeast = (v, w) => {
  const a = semver(v), b = semver(w);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
};

// isWebSocketGeneration says whether the installed package speaks the WebSocket protocol:
// every @tencentcloud/chat, and tim-js-sdk from 2.13 on (older ones long-poll over HTTP).
function isWebSocketGeneration(pkg) {
  return pkg.name === '@tencentcloud/chat' || (pkg.name === 'tim-js-sdk' && atLeast(pkg.version, '2.13.0'));
}

// install sets the globals the SDK reads before it is required.
function install(serverURL, XHR) {
  // A browser dispatches each message as a task of its own, so the promise work one reply starts
  // (applying the joined-group list, say) runs before the next frame is handled. `ws` by default
  // emits every frame of one TCP read in the same tick; a push right behind a reply would then be
  // handled before the reply's work, which no browser does.
  const WS = require('ws');
  global.WebSocket = class WebSocket extends WS {
    constructor(url, protocols, options) { super(url, protocols, { ...options, allowSynchronousEvents: false }); }
  };
  global.window = global; // without window the SDK finds no platform and never opens a socket
  global.addEventListener = () => {}; // online/offline listeners
  global.removeEventListener = () => {};
  Object.defineProperty(global, 'navigator', { value: { userAgent: '', product: '', cookieEnabled: false, onLine: true }, configurable: true, writable: true });
  global.document = global.document || { charset: 'UTF-8', characterSet: 'UTF-8', cookie: '' }; // sendMessage reads document.charset
  global.location = new URL('http://localhost/'); // 3.x reads location.href at login
  delete global.Worker; // with Worker the SDK would run its socket in a Blob-URL worker
  // The only HTTP these SDKs may still make (a speed probe after failures, telemetry while
  // disconnected) has nowhere to go: answer it at once instead of hanging.
  global.fetch = async () => ({ ok: true, status: 200, text: async () => '', json: async () => ({}) });
  // Uploads (XHR, when given) still reach the buckets.
  global.XMLHttpRequest = XHR || class {
    open() {} setRequestHeader() {} abort() {}
    send() { this.readyState = 4; this.status = 0; setImmediate(() => { if (this.onerror) this.onerror(new Error('no network')); }); }
  };
  return serverURL.replace(/^http/, 'ws');
}

// create loads the SDK and makes the instance. opts.devMode: the SDK's own devMode option, which
// makes it speak text frames on /info instead of binary frames on /binfo; opts.XHR, when given,
// serves the SDK's HTTP requests (uploads to the buckets).
function create(sdk, sdkAppID, serverURL, opts = {}) {
  const proxyServer = install(serverURL, opts.XHR);
  try {
    const TIM = require(sdk);
    const tim = TIM.create({ SDKAppID: sdkAppID, proxyServer, ...(opts.devMode ? { devMode: true } : {}) });
    return { TIM, tim };
  } catch (e) {
    // Node would print the minified source line first (one line of megabytes): say what failed instead.
    console.error('timws: creating the SDK failed: ' + String((e && e.stack) || e).slice(0, 2000));
    process.exit(1);
  }
}

module.exports = { isWebSocketGeneration, create };
