#!/usr/bin/env node
// imharness driver for JiGuang JMessage: one simulated web user behind the driver's JSON-lines
// protocol (see driver.js), in one of two forms:
//
//   --sdk socket.io-client-1.4.5 | socket.io-client-1.7.4
//       an SDK-shaped client written here on the npm socket.io-client: it emits the event flow and
//       payloads jmessage-sdk-web sends. 1.4.5 speaks the 1.x generation (the page loads
//       socket.io 1.4.5: rid counter, v1 event names, connects at login); 1.7.4 the 2.x generation
//       (bundled 1.x client: random rid, resend until ack, v2 event names, sync_check).
//   --sdk file:/path/to/jmessage-sdk-web.js
//       the real SDK file the user gave (never shipped with imharness), driven through its own API.
//
// Commands: {"cmd":"call","args":{"method":<API name>,"args":[<one object>]}}; "exit".
// Every API takes one object argument (the same for both forms); a reply whose code is not 0
// rejects with {code, message, data}. Events: MSG_RECEIVE (one per message), EVENT (onEvent),
// SYNC_CONVERSATION, WIRE (every event the server emitted: {event, data}), DISCONNECT.
//
// Flags: --sdk, --server http://host:port, --sdkappid N (unused, the driver passes it),
// --transports websocket|polling|upgrade (polling first, then upgrade to websocket).
'use strict';

const crypto = require('crypto');
const path = require('path');
const { claimStdout, flag, emitter, serve, exit } = require('./common');

claimStdout();
const cfg = {
  sdk: flag('sdk', 'IMH_SDK', 'socket.io-client-1.7.4'),
  server: flag('server', 'IMH_SERVER', ''),
  transports: flag('transports', 'IMH_TRANSPORTS', 'websocket'),
};
if (!/^https?:\/\/[^/]+$/.test(cfg.server)) {
  process.stderr.write('jmessage.js: need --server http://host:port\n');
  process.exit(2);
}
const emit = emitter();
const md5 = (s) => crypto.createHash('md5').update(String(s)).digest('hex');
const fail = (message, code = null, data = null) => Object.assign(new Error(message), { code, data });

function transportOptions() {
  switch (cfg.transports) {
    case 'websocket': return { transports: ['websocket'] };
    case 'polling': return { transports: ['polling'], upgrade: false };
    case 'upgrade': return { transports: ['polling', 'websocket'], upgrade: true };
  }
  throw fail(`unknown --transports ${cfg.transports}`);
}

// --- the SDK-shaped client on npm socket.io-client ------------------------------------------------

class WireClient {
  constructor(ioName) {
    this.io = require(ioName);
    this.version = require(path.join(ioName, 'package.json')).version;
    this.v2 = this.version !== '1.4.5'; // 1.4.5 is what the 1.x guide loads; 2.x bundles a later 1.x
    this.sdkVersion = this.v2 ? '2.6.0' : '1.1.0';
    this.rid = 0;
    this.pending = new Map(); // rid → {event, resolve, reject, timer, tries}
    this.socket = null;
    this.user = '';
    this.appkey = '';
    if (this.v2) this.connect(); // v2 opens its socket when the JMessage object is made
  }

  connect() {
    if (this.socket) this.socket.close();
    const s = this.io(cfg.server, Object.assign({ forceNew: true, reconnection: false, timeout: 30000 }, transportOptions()));
    this.socket = s;
    this.ready = new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', (e) => reject(fail(`connect_error: ${e && e.message}`)));
    });
    this.ready.catch(() => {});
    // Every server event: responses by rid, pushes to their handlers; all reported as WIRE.
    const onevent = s.onevent;
    s.onevent = (packet) => {
      const [ev, data] = packet.data || [];
      emit('WIRE', { event: ev, data });
      this.incoming(ev, data);
      onevent.call(s, packet);
    };
    s.on('disconnect', (reason) => emit('DISCONNECT', { reason }));
    return s;
  }

  nextRid() {
    if (!this.v2) return ++this.rid;
    let r;
    do r = 1 + Math.floor(Math.random() * 2147483646); while (this.pending.has(r));
    return r;
  }

  // request emits one event with a rid and settles with the same-named reply (v2: resend every
  // 5 s until acked, 5 tries in all, as the SDK does).
  request(event, payload) {
    const rid = this.nextRid();
    const body = Object.assign({}, payload, { rid });
    return new Promise((resolve, reject) => {
      const p = { event, resolve, reject, tries: 1, acked: false };
      this.pending.set(rid, p);
      const send = () => this.socket.emit(event, body);
      if (this.v2) {
        const retry = () => {
          p.timer = setTimeout(() => {
            if (p.acked || !this.pending.has(rid)) return;
            if (p.tries >= 5) {
              this.pending.delete(rid);
              reject(fail(`${event}: no ack after ${p.tries} tries`, null, { timeout: true }));
              return;
            }
            p.tries++;
            send();
            retry();
          }, 5000);
        };
        retry();
      }
      send();
    });
  }

  // notify emits a confirmation (v2 puts it through the rid machinery too; v1 sends a plain rid).
  notify(event, payload) {
    const rid = this.nextRid();
    this.socket.emit(event, Object.assign({}, payload, { rid }));
  }

  incoming(ev, data) {
    if (ev === 'ack') {
      const p = data && this.pending.get(data.rid);
      if (p) { p.acked = true; clearTimeout(p.timer); }
      return;
    }
    if (data && data.rid !== undefined && this.pending.has(data.rid)) {
      const p = this.pending.get(data.rid);
      if (!this.v2 && p.event !== ev) return; // v1 listens for its own event names only
      clearTimeout(p.timer);
      this.pending.delete(data.rid);
      const d = Object.assign({}, data);
      if (this.v2) delete d.rid;
      if (d.code !== undefined && d.code !== 0) p.reject(fail(d.message || `code ${d.code}`, d.code, d));
      else p.resolve(d);
      return;
    }
    switch (ev) {
      case 'msg_sync': return this.onMsgSync(data);
      case 'event_notification': return this.onEvent(data);
      case 'sync_conversation':
        emit('SYNC_CONVERSATION', data);
        for (const c of (data && data.messages) || []) for (const m of c.msgs || []) emit('MSG_RECEIVE', this.received(m, data));
        return this.notify('sync_conversation_ack', { sync_key: data.sync_key });
    }
  }

  received(m, raw) {
    const c = m.content || {};
    return {
      msg_id: m.msg_id, msg_type: m.msg_type, from_id: c.from_id, from_appkey: c.from_appkey, target_id: c.target_id,
      target_type: c.target_type, content_type: c.msg_type, msg_body: c.msg_body, msg_level: m.msg_level,
      ctime_ms: m.ctime_ms, raw,
    };
  }

  onMsgSync(data) {
    const msgs = (data && data.messages) || [];
    for (const m of msgs) emit('MSG_RECEIVE', this.received(m, data));
    if (this.v2) {
      for (const m of msgs) this.notify('msg_recv_v2', { msg_id: m.msg_id, msg_type: m.msg_type, from_uid: m.from_uid, from_gid: m.from_gid });
    } else if (msgs.length) {
      this.notify('msg_recv', { messages: msgs.map((m) => ({ msg_id: m.msg_id, msg_type: m.msg_type, from_uid: m.from_uid, from_gid: m.from_gid })) });
    }
  }

  onEvent(data) {
    emit('EVENT', data);
    if (!this.v2 || data.event_type === 1) {
      this.notify('event_notification', { event_id: data.event_id, event_type: data.event_type, from_uid: data.from_uid, gid: data.gid });
    }
    if (this.v2 && (data.event_type === 1 || data.event_type === 2)) this.loginOut();
  }

  // content is the message body the SDK's content builder makes.
  content(kind, target, body, type, o = {}) {
    const c = { version: 1, target_type: kind, from_platform: 'web', target_id: String(target), from_id: this.user, create_time: Date.now(), msg_type: type, msg_body: body };
    if (o.target_name) c.target_name = o.target_name;
    if (o.from_name) c.from_name = o.from_name;
    if (this.v2 || o.appkey) {
      c.target_appkey = kind === 'single' ? (o.appkey || this.appkey) : this.appkey;
      c.from_appkey = this.appkey;
    }
    return c;
  }

  sendSingle(o, type, body) {
    const content = this.content('single', o.target_username, body, type, o);
    if (this.v2) {
      return this.request('s_across_single_text', { target_id: o.target_username, appkey: o.appkey || this.appkey, content, no_offline: false, no_notification: false });
    }
    if (o.appkey && o.appkey !== this.appkey) return this.request('s_across_single_text', { target_name: o.target_username, appkey: o.appkey, content });
    return this.request('s_single_text', { target_name: o.target_username, content });
  }

  sendGroup(o, type, body) {
    const content = this.content('group', o.target_gid, body, type, o);
    if (this.v2) return this.request('send_group_msg', { target_gid: o.target_gid, appkey: this.appkey, content, no_offline: false, no_notification: false });
    return this.request('send_group_msg', { target_gid: String(o.target_gid), content });
  }

  list(l) {
    return (l || []).map((m) => (typeof m === 'string' ? (this.v2 ? { username: m } : m) : m));
  }

  async upload(o) {
    const tok = await this.request('get_upload_token', {});
    const form = new FormData();
    const bytes = Buffer.from(o.file.base64, 'base64');
    form.append('file', new Blob([bytes], { type: o.file.contentType || 'application/octet-stream' }), o.file.name);
    const res = await fetch(`${cfg.server}/resource?type=${o.kind || 'image'}`, {
      method: 'POST', body: form,
      headers: Object.assign({ Authorization: 'Basic ' + Buffer.from(`${this.user}:${tok.uptoken}`).toString('base64'), 'X-App-Key': this.appkey }, this.v2 ? { 'jm-channel': 'w' } : {}),
    });
    const media = await res.json();
    if (!res.ok) throw fail(`upload: HTTP ${res.status}`, media.error && media.error.code === 898061 ? 880210 : null, media);
    return media;
  }

  // api is the SDK's public surface, one object argument each.
  api() {
    return {
      init: async (o) => {
        this.address = o.address;
        if (!this.v2) { this.auth = o.auth_payload; return { code: 0 }; } // v1: init only configures
        await this.ready;
        this.appkey = o.auth_payload.appkey;
        return this.request('c_init', Object.assign({}, o.auth_payload, { flag: o.flag || 0, fromPlatForm: 'j' }));
      },
      register: async (o) => {
        const pass = o.is_md5 ? o.password : md5(o.password);
        if (!this.v2) await this.v1Connect(o.auth_payload || this.auth);
        const extra = {};
        for (const k of ['nickname', 'birthday', 'signature', 'gender', 'region', 'address', 'extras', 'media_id']) if (o[k] !== undefined && this.v2) extra[k] = o[k];
        return this.request('register', Object.assign({ username: o.username, password: pass }, extra));
      },
      login: async (o) => {
        const pass = o.is_md5 ? o.password : md5(o.password);
        if (!this.v2) await this.v1Connect(o.auth_payload || this.auth);
        const r = await this.request('login', this.v2 ? { username: o.username, password: pass, version: this.sdkVersion } : { username: o.username, password: pass });
        if (!this.v2 && !r.username) throw fail('login reply has no username', null, r);
        this.user = o.username;
        if (this.v2) this.request('sync_check', { sync_key: 0, sync_type: 0, sync_event_key: 0, msg_receipt_key: 0 }).then((k) => { this.syncKeys = k; }, () => {});
        return r;
      },
      loginOut: async () => {
        this.user = '';
        if (this.v2) { this.connect(); return { code: 0 }; } // v2 closes and opens a fresh socket
        this.socket.disconnect();
        return { code: 0 };
      },
      getUserInfo: (o) => (this.v2
        ? this.request('get_across_user_info', { username: o.username, appkey: o.appkey || this.appkey })
        : (o.appkey && o.appkey !== this.appkey ? this.request('get_across_user_info', { key: o.username, appkey: o.appkey }) : this.request('get_user_info', { key: o.username }))),
      sendSingleMsg: (o) => this.sendSingle(o, 'text', Object.assign({ text: o.content }, o.extras ? { extras: o.extras } : {})),
      sendSingleCustom: (o) => this.sendSingle(o, 'custom', o.custom),
      sendGroupMsg: (o) => this.sendGroup(o, 'text', Object.assign({ text: o.content }, o.extras ? { extras: o.extras } : {})),
      sendGroupCustom: (o) => this.sendGroup(o, 'custom', o.custom),
      uploadImg: async (o) => {
        const media = await this.upload(o);
        const body = { media_id: media.media_id, media_crc32: media.media_crc32, width: media.width, height: media.height, format: media.format, fsize: media.fsize };
        const sent = o.type === 'group' ? await this.sendGroup(o, 'image', body) : await this.sendSingle(o, 'image', body);
        return Object.assign({ media }, sent);
      },
      // createMsgBuilder().setType().setTarget().setFromName().setText|setCustom|setImage().send()
      createMsgBuilder: (o) => {
        const body = o.text !== undefined ? Object.assign({ text: o.text }, o.extras ? { extras: o.extras } : {}) : (o.custom || o.image);
        const type = o.text !== undefined ? 'text' : (o.custom ? 'custom' : 'image');
        const opts = { target_username: o.target, target_gid: o.target, target_name: o.target_name, from_name: o.from_name, appkey: o.appkey };
        return o.type === 'group' ? this.sendGroup(opts, type, body) : this.sendSingle(opts, type, body);
      },
      msgRetract: (o) => this.request('msg_retract', { msg_id: o.msg_id }),
      getResource: (o) => this.request('get_resource', { media_id: o.media_id }),
      createGroup: (o) => this.request('create_group', { group_name: o.group_name, group_description: o.group_description }),
      getGroupList: () => this.request('get_groups_list', {}),
      getGroupInfo: (o) => this.request('get_group_info', { gid: this.v2 ? o.gid : String(o.gid) }),
      getGroupMembers: (o) => this.request('get_group_members', { gid: this.v2 ? o.gid : String(o.gid) }),
      addGroupMember: (o) => this.request(this.v2 ? 'add_across_group_member' : 'add_group_member', { gid: this.v2 ? o.gid : String(o.gid), member_usernames: this.list(o.member_usernames) }),
      addAcrossGroupMember: (o) => this.request('add_across_group_member', { gid: this.v2 ? o.gid : String(o.gid), member_usernames: o.member_usernames }),
      delGroupMember: (o) => this.request(this.v2 ? 'del_across_group_member' : 'del_group_member', { gid: this.v2 ? o.gid : String(o.gid), member_usernames: this.list(o.member_usernames) }),
      delAcrossGroupMember: (o) => this.request('del_across_group_member', { gid: this.v2 ? o.gid : String(o.gid), member_usernames: o.member_usernames }),
      updateGroupInfo: (o) => this.request('update_group_info', Object.assign({ gid: this.v2 ? o.gid : String(o.gid) },
        o.group_name !== undefined ? { group_name: o.group_name } : {}, o.group_description !== undefined ? { group_description: o.group_description } : {})),
      exitGroup: (o) => this.request('exit_group', { gid: this.v2 ? o.gid : String(o.gid) }),
      getConversations: () => this.request('get_conversations', {}),
      getNoDisturb: () => this.request('no_disturb', { version: 0 }),
      addSingleNoDisturb: (o) => this.request('add_msg_no_disturb_single', Object.assign({ version: 0, target_name: o.target_name }, this.v2 && o.appkey ? { appkey: o.appkey } : {})),
      deleteSingleNoDisturb: (o) => this.request('delete_msg_no_disturb_single', Object.assign({ version: 0, target_name: o.target_name }, this.v2 && o.appkey ? { appkey: o.appkey } : {})),
      addGroupNoDisturb: (o) => this.request('add_msg_no_disturb_group', { version: 0, gid: o.gid }),
      deleteGroupNoDisturb: (o) => this.request('delete_msg_no_disturb_group', { version: 0, gid: o.gid }),
      addGlobalNoDisturb: () => this.request('add_msg_no_disturb_global', this.v2 ? { version: 0 } : { version: 0, none: '' }),
      deleteGlobalNoDisturb: () => this.request('delete_msg_no_disturb_global', this.v2 ? { version: 0 } : { version: 0, none: '' }),
      getBlackList: () => this.request('get_black_list', this.v2 ? { version: 0 } : {}),
      addBlackList: (o) => this.request('add_black_list', { member_usernames: this.v2 ? o.member_list : o.member_list.map((m) => m.username) }),
      delBlackList: (o) => this.request('del_black_list', { member_usernames: this.v2 ? o.member_list : o.member_list.map((m) => m.username) }),
      transport: async () => ({ name: this.socket.io.engine && this.socket.io.engine.transport ? this.socket.io.engine.transport.name : '' }),
      // raw: any event with any payload (a rid is added), for the server's error paths.
      raw: (o) => this.request(o.event, o.payload || {}),
    };
  }

  // v1 connects inside login/register: a new socket, then c_init with the auth payload.
  async v1Connect(auth) {
    this.connect();
    await this.ready;
    this.appkey = auth.appkey;
    return this.request('c_init', auth);
  }
}

// --- the real SDK file ----------------------------------------------------------------------------

function realSDK(file) {
  // Browser shims the 2.x bundle needs in Node.
  global.window = global;
  const store = new Map();
  global.localStorage = {
    getItem: (k) => (store.has(String(k)) ? store.get(String(k)) : null), setItem: (k, v) => { store.set(String(k), String(v)); },
    removeItem: (k) => { store.delete(String(k)); }, clear: () => store.clear(), key: (i) => Array.from(store.keys())[i] ?? null,
    get length() { return store.size; },
  };
  Object.defineProperty(global, 'navigator', { value: { userAgent: 'node' }, configurable: true, writable: true });
  if (!global.WebSocket) global.WebSocket = require('ws');
  global.location = new URL('http://localhost/');
  const mod = require(path.resolve(file));
  const JMessage = (mod && (mod.JMessage || mod.default || mod)) || global.JMessage;
  if (typeof JMessage !== 'function') throw fail(`${file} does not define JMessage (a 2.x build is needed)`);
  const ws = cfg.server.replace(/^http/, 'ws');
  const jim = new JMessage({ debug: true, address: ws, upload_file: `${cfg.server}/resource` });
  const p = (req) => new Promise((resolve, reject) => {
    req.onSuccess((d, msg) => resolve(msg ? Object.assign({}, d, { msg }) : d)).onFail((d) => reject(fail(d && d.message, d && d.code, d)));
    if (req.onTimeout) req.onTimeout((d) => reject(fail('timeout', null, d)));
  });
  const received = (m, raw) => {
    const c = m.content || {};
    emit('MSG_RECEIVE', { msg_id: m.msg_id, msg_type: m.msg_type, from_id: c.from_id, from_appkey: c.from_appkey, target_id: c.target_id, target_type: c.target_type, content_type: c.msg_type, msg_body: c.msg_body, msg_level: m.msg_level, ctime_ms: m.ctime_ms, raw });
  };
  jim.onMsgReceive((d) => { for (const m of d.messages || []) received(m, d); });
  jim.onEventNotification((d) => emit('EVENT', d));
  // Offline messages come as conversations (the SDK hands over the entries); each message is
  // reported as MSG_RECEIVE too, as the wire client does.
  jim.onSyncConversation((d) => {
    emit('SYNC_CONVERSATION', d);
    for (const conv of (Array.isArray(d) ? d : (d && d.messages) || [])) for (const m of conv.msgs || []) received(m, d);
  });
  let appkey = '';
  const api = {
    init: (o) => { appkey = o.auth_payload.appkey; return p(jim.init(Object.assign({}, o.auth_payload, { flag: o.flag || 0 }))); },
    register: (o) => p(jim.register({ username: o.username, password: o.password, is_md5: !!o.is_md5, nickname: o.nickname })),
    login: (o) => p(jim.login({ username: o.username, password: o.password, is_md5: !!o.is_md5 })),
    loginOut: async () => { jim.loginOut(); return { code: 0 }; },
    getUserInfo: (o) => p(jim.getUserInfo({ username: o.username, appkey: o.appkey || appkey })),
    sendSingleMsg: (o) => p(jim.sendSingleMsg({ target_username: o.target_username, appkey: o.appkey, content: o.content, extras: o.extras })),
    sendSingleCustom: (o) => p(jim.sendSingleCustom({ target_username: o.target_username, appkey: o.appkey, custom: o.custom })),
    sendGroupMsg: (o) => p(jim.sendGroupMsg({ target_gid: o.target_gid, content: o.content, extras: o.extras })),
    sendGroupCustom: (o) => p(jim.sendGroupCustom({ target_gid: o.target_gid, custom: o.custom })),
    createGroup: (o) => p(jim.createGroup({ group_name: o.group_name, group_description: o.group_description })),
    getGroupList: () => p(jim.getGroups()),
    getGroupInfo: (o) => p(jim.getGroupInfo({ gid: o.gid })),
    getGroupMembers: (o) => p(jim.getGroupMembers({ gid: o.gid })),
    addGroupMember: (o) => p(jim.addGroupMembers({ gid: o.gid, member_usernames: o.member_usernames.map((m) => (typeof m === 'string' ? { username: m } : m)) })),
    addAcrossGroupMember: (o) => p(jim.addGroupMembers({ gid: o.gid, member_usernames: o.member_usernames })),
    delGroupMember: (o) => p(jim.delGroupMembers({ gid: o.gid, member_usernames: o.member_usernames.map((m) => (typeof m === 'string' ? { username: m } : m)) })),
    delAcrossGroupMember: (o) => p(jim.delGroupMembers({ gid: o.gid, member_usernames: o.member_usernames })),
    updateGroupInfo: (o) => p(jim.updateGroupInfo({ gid: o.gid, group_name: o.group_name, group_description: o.group_description })),
    exitGroup: (o) => p(jim.exitGroup({ gid: o.gid })),
    getConversations: () => p(jim.getConversation()),
    getNoDisturb: () => p(jim.getNoDisturb()),
    addSingleNoDisturb: (o) => p(jim.addSingleNoDisturb({ target_name: o.target_name, appkey: o.appkey })),
    deleteSingleNoDisturb: (o) => p(jim.delSingleNoDisturb({ target_name: o.target_name, appkey: o.appkey })),
    addGroupNoDisturb: (o) => p(jim.addGroupNoDisturb({ gid: o.gid })),
    deleteGroupNoDisturb: (o) => p(jim.delGroupNoDisturb({ gid: o.gid })),
    addGlobalNoDisturb: () => p(jim.addGlobalNoDisturb()),
    deleteGlobalNoDisturb: () => p(jim.delGlobalNoDisturb()),
    getBlackList: () => p(jim.getBlacks()),
    addBlackList: (o) => p(jim.addSingleBlacks({ member_usernames: o.member_list })),
    delBlackList: (o) => p(jim.delSingleBlacks({ member_usernames: o.member_list })),
    msgRetract: (o) => p(jim.msgRetract({ msg_id: o.msg_id })),
  };
  return { api, version: (jim.constructor && jim.constructor.version) || 'file' };
}

// --- protocol -------------------------------------------------------------------------------------

let api;
let version;
if (cfg.sdk.startsWith('file:')) {
  ({ api, version } = realSDK(cfg.sdk.slice('file:'.length)));
} else {
  const c = new WireClient(cfg.sdk);
  api = c.api();
  version = `${c.v2 ? '2.x' : '1.x'} wire on socket.io-client ${c.version}`;
}

function errorObject(e) {
  return { code: e && typeof e.code === 'number' ? e.code : null, message: (e && e.message) || String(e), data: (e && e.data) || null };
}

const commands = {
  call: (a) => {
    const fn = api[a.method];
    if (typeof fn !== 'function') throw fail(`${a.method} is not an API of this driver (${cfg.sdk})`);
    return fn((a.args || [])[0] || {});
  },
  exit,
};

serve({ commands, emit, errorObject, ready: { sdk: cfg.sdk, version, events: ['MSG_RECEIVE', 'EVENT', 'SYNC_CONVERSATION', 'WIRE', 'DISCONNECT'], types: {} } });
