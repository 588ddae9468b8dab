'use strict';
// What tim-js-sdk 2.x needs in Node to send files (images, files, videos), without touching the
// SDK or its upload plugin:
//   - requests to object-storage buckets (https://<bucket>-<appid>.cos.<region>.myqcloud.com/<key>)
//     go to the fake's COS endpoint, <server>/cos/<bucket host>/<key> (cosURL);
//   - xhr2 cannot send a Blob/File, which the plugin PUTs: bodies are read into a Buffer first;
//   - the SDK's validators name HTMLInputElement (a stub class: payloads are Files);
//   - the SDK measures an image with `new Image()`: a minimal Image reads PNG dimensions from
//     the picture (other formats: onerror, which the SDK answers with 0×0);
//   - cos-js-sdk-v5 parses COS's XML answers (multipart uploads: upload ids, part lists, errors)
//     with the browser's DOMParser: Node gets the xmldom parser the plugin itself depends on;
//   - command arguments can name a file ({"$file": {name, type, base64, duration?}}: a Node File)
//     and a plugin ({"$plugin": "cos-js-sdk-v5"}: the npm package's export) for registerPlugin.
const { resolveObjectURL } = require('buffer');

const BUCKET_HOST = /^https?:\/\/([a-z0-9-]+-[0-9]+\.cos\.[a-z0-9-]+\.myqcloud\.com)(?=\/|$)/i;

function cosURL(url, server) {
  return String(url).replace(BUCKET_HOST, (_, host) => `${server}/cos/${host.toLowerCase()}`);
}

// send(body) for xhr2: Blob bodies become a Buffer (asynchronously: Blob is read by promise).
function sendBody(body, send) {
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    body.arrayBuffer().then((ab) => send(Buffer.from(ab)));
    return;
  }
  send(body);
}

// pngSize reads width and height from a PNG's IHDR chunk.
function pngSize(b) {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 24 || !sig.every((x, i) => b[i] === x) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// imageClass is a minimal browser Image: setting src loads the picture (a blob: URL of a File, or
// an http(s) URL, bucket hosts routed to the fake) and fires onload with its PNG dimensions, or
// onerror. 2.4.x–2.7.x measure the local blob, 2.10.x the uploaded object.
function imageClass(server) {
  const load = (src) => {
    if (src.startsWith('blob:')) {
      const blob = resolveObjectURL(src);
      return blob ? blob.arrayBuffer().then((ab) => Buffer.from(ab)) : Promise.reject(new Error('no such blob'));
    }
    const url = cosURL(src, server);
    return new Promise((ok, fail) => {
      require(url.startsWith('https:') ? 'https' : 'http').get(url, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? ok(Buffer.concat(chunks)) : fail(new Error(`GET ${url}: ${res.statusCode}`))));
      }).on('error', fail);
    });
  };
  return class Image {
    constructor() { this.width = 0; this.height = 0; this.onload = null; this.onerror = null; this._src = ''; }
    get src() { return this._src; }
    set src(v) {
      this._src = String(v);
      load(this._src).then(pngSize, () => null).then((size) => {
        if (size) { Object.assign(this, size); if (this.onload) this.onload(); } else if (this.onerror) this.onerror(new Error('not a PNG'));
      });
    }
  };
}

// The SDK's payload validators test `file instanceof HTMLInputElement` before looking for a File.
class HTMLInputElement { constructor() { this.files = []; } }

const PLUGINS = { 'cos-js-sdk-v5': () => require('cos-js-sdk-v5'), 'tim-upload-plugin': () => require('tim-upload-plugin') };

// resolvePlaceholder turns {"$file": …} and {"$plugin": …} into the objects they name; it
// returns undefined for anything else.
function resolvePlaceholder(v) {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  if (keys[0] === '$plugin') {
    const load = PLUGINS[v.$plugin];
    if (!load) throw Object.assign(new Error(`unknown plugin ${v.$plugin}; known: ${Object.keys(PLUGINS).join(', ')}`), { code: null });
    return load();
  }
  if (keys[0] === '$file') {
    const f = v.$file || {};
    const file = new File([Buffer.from(f.base64 || '', 'base64')], f.name || 'file', { type: f.type || '' });
    if (f.duration !== undefined) Object.defineProperty(file, 'duration', { value: f.duration, enumerable: true });
    return file;
  }
  return undefined;
}

// bucketsOnly makes an XMLHttpRequest class (XHR, which already routes bucket hosts to the fake)
// whose requests to anything but a bucket fail at once as a browser's do offline. The WebSocket
// generation makes no other HTTP request worth answering (a speed probe, telemetry while
// disconnected), but its upload plugins PUT files to the bucket.
function bucketsOnly(XHR) {
  return class extends XHR {
    open(method, url, ...rest) {
      this._offline = !BUCKET_HOST.test(String(url));
      if (!this._offline) return super.open(method, url, ...rest);
    }
    setRequestHeader(...a) { if (!this._offline) return super.setRequestHeader(...a); }
    abort() { if (!this._offline) return super.abort(); }
    send(body) {
      if (!this._offline) return super.send(body);
      this.readyState = 4; this.status = 0;
      setImmediate(() => { if (this.onerror) this.onerror(new Error('no network')); });
    }
  };
}

// DOMParser is the browser's XML parser as cos-js-sdk-v5's own dependency xmldom provides it.
function domParser() {
  const from = require('path').dirname(require.resolve('cos-js-sdk-v5'));
  return require(require.resolve('xmldom', { paths: [from] })).DOMParser;
}

module.exports = { bucketsOnly, domParser, cosURL, sendBody, imageClass, HTMLInputElement, resolvePlaceholder };
