// What every driver adapter shares: the JSON-lines protocol of driver.js.
//
//   stdin : {"id":N,"cmd":"<command>","args":{...}}
//   stdout: {"id":N,"ok":true,"result":...} | {"id":N,"ok":false,"error":{code,message,data}}
//           {"event":"<name>","data":...,"t":<ms since start>}
//   stderr: SDK and driver logs (stdout is reserved for the protocol).
//
// An adapter takes stdout (claimStdout) before it loads its SDK, reads its flags (flag), emits
// events (emitter) and, once the SDK is up, serves its commands (serve), which ends with the
// "ready" event the Go side waits for.
'use strict';

const util = require('util');
const { performance } = require('perf_hooks');

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// claimStdout sends every console method to stderr: stdout is the protocol channel.
function claimStdout() {
  for (const m of ['log', 'info', 'warn', 'debug', 'error', 'trace']) {
    console[m] = (...a) => process.stderr.write(util.format(...a) + '\n');
  }
}

// flag reads --name VALUE from the command line, else the environment variable env, else def.
function flag(name, env, def) {
  const i = process.argv.indexOf('--' + name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env] !== undefined ? process.env[env] : def;
}

const t0 = performance.now();
const since = () => Math.round((performance.now() - t0) * 1000) / 1000;

// emitter makes emit(name, data): an event line, data passed through toPlain (SDK objects may
// hold cycles and functions) and null when there is none.
function emitter(toPlain = (x) => x) {
  return (name, data) => {
    const d = toPlain(data);
    out({ event: name, data: d === undefined ? null : d, t: since() });
  };
}

// serve answers each request line on stdin with commands[cmd](args), its result passed through
// toPlain and a failure through errorObject; then reports the process's own unhandled failures
// as events (from here on they are the SDK's) and says ready. A line that is not JSON is an event
// DRIVER_PROTOCOL_ERROR; the end of stdin (the Go side went away) ends the process.
function serve({ commands, emit, errorObject, toPlain = (x) => x, ready }) {
  async function handle(line) {
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      emit('DRIVER_PROTOCOL_ERROR', { line, message: e.message });
      return;
    }
    try {
      const fn = commands[req.cmd];
      if (!fn) throw Object.assign(new Error(`unknown command ${req.cmd}`), { code: null });
      const result = toPlain(await fn(req.args || {}));
      out({ id: req.id, ok: true, result: result === undefined ? null : result });
    } catch (e) {
      out({ id: req.id, ok: false, error: errorObject(e) });
    }
  }
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) handle(line);
    }
  });
  process.stdin.on('end', () => process.exit(0));
  process.on('unhandledRejection', (reason) => emit('UNHANDLED_REJECTION', errorObject(reason)));
  process.on('uncaughtException', (err) => emit('UNCAUGHT_EXCEPTION', errorObject(err)));
  out({ event: 'ready', data: Object.assign({}, ready, { pid: process.pid }), t: 0 });
}

// exit is the command every adapter has: leave once the reply is written.
const exit = () => { setImmediate(() => process.exit(0)); return null; };

module.exports = { out, claimStdout, flag, emitter, serve, exit };
