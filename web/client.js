// client.js: what the person is chatting in, as data. One Buffer per tab (the server's,
// each channel, each direct conversation) holding its messages in time order, members,
// topic and unread counts. IRC messages from the Connection change it; the view is told
// through `ui` hooks and draws it. No DOM here.

import { fold, isChannel, action, stripFormatting } from './irc.js';

const PAGE = 50; // messages asked for per CHATHISTORY request (the server allows 100)
const SAVED = 'confab.tabs'; // localStorage: the channels and DMs to reopen after a reload

export class Buffer {
  constructor(name, kind) {
    this.name = name;
    this.kind = kind; // 'server' | 'channel' | 'dm'
    this.messages = [];
    this.ids = new Set(); // msgids held, so history that overlaps what was seen is skipped
    this.members = new Map(); // fold(nick) -> {nick, prefix, away}
    this.topic = '';
    this.unread = 0;
    this.mentions = 0;
    this.joined = false;
    this.loading = false; // a BEFORE request is out
    this.complete = false; // no older history left
  }

  newestId() {
    for (let i = this.messages.length - 1; i >= 0; i -= 1) if (this.messages[i].id) return this.messages[i].id;
    return null;
  }

  oldestId() {
    return this.messages.find((m) => m.id)?.id ?? null;
  }
}

// Characters a nick may hold: a mention is the nick as a whole word between others.
const NOT_NICK = /[^A-Za-z0-9_\-[\]\\^{}|`]+/;

export class Chat {
  constructor(ui) {
    this.ui = ui; // {added(buffer, msg, index, live), changed(buffer), tabs(), rooms(list), notify(buffer, msg)}
    this.server = new Buffer('confab', 'server');
    this.buffers = new Map([[fold(this.server.name), this.server]]);
    this.active = this.server;
    this.me = '';
    this.pendingNames = new Map();
    this.pendingHistory = new Map(); // fold(target) -> [mode, ...] in request order
    this.roomList = [];
    this.wanted = new Set(); // fold(channel) the person asked to join: opened when joined
    // Where the lines of a BEFORE page go: above the oldest shown, in their order, even
    // when a burst shares its millisecond with the lines below (times would tie).
    this.cursor = null;
  }

  attach(connection) {
    this.conn = connection;
  }

  buffer(name, kind) {
    const key = fold(name);
    let buffer = this.buffers.get(key);
    if (!buffer && kind) {
      buffer = new Buffer(name, kind);
      this.buffers.set(key, buffer);
      this.save();
      this.ui.tabs();
    }
    return buffer;
  }

  close(buffer) {
    if (buffer === this.server) return;
    this.buffers.delete(fold(buffer.name));
    if (this.active === buffer) this.active = this.server;
    this.save();
    this.ui.tabs();
  }

  // The tabs to reopen after a reload, in the order they were opened.
  save() {
    const tabs = [...this.buffers.values()].filter((b) => b.kind !== 'server').map((b) => b.name);
    localStorage.setItem(SAVED, JSON.stringify(tabs));
  }

  saved() {
    try {
      return JSON.parse(localStorage.getItem(SAVED)) || [];
    } catch {
      return [];
    }
  }

  mentions(text) {
    return text.split(NOT_NICK).some((word) => word && fold(word) === fold(this.me));
  }

  // Puts `msg` in time order (history may arrive after newer live lines), once.
  add(buffer, msg, live) {
    if (msg.id && buffer.ids.has(msg.id)) return;
    if (msg.id) buffer.ids.add(msg.id);
    const list = buffer.messages;
    let index = list.length;
    if (this.cursor !== null) index = this.cursor++;
    else while (index > 0 && list[index - 1].time > msg.time) index -= 1;
    list.splice(index, 0, msg);
    const chat = msg.kind === 'privmsg' || msg.kind === 'action' || msg.kind === 'notice';
    if (live && chat && !msg.self) this.count(buffer, msg);
    this.ui.added(buffer, msg, index, live);
  }

  count(buffer, msg) {
    const important = msg.mention || buffer.kind === 'dm';
    if (buffer !== this.active) {
      buffer.unread += 1;
      if (important) buffer.mentions += 1;
      this.ui.tabs();
    }
    if (important) this.ui.notify(buffer, msg);
  }

  // A line of the page's own (joins, errors, server notices) in `buffer`.
  note(buffer, text, kind = 'info', tags = {}) {
    this.add(buffer, { time: stamp(tags), nick: '', text, kind, self: false, mention: false }, true);
  }

  // After (re)registration: rejoin the channels, and for every tab ask what was missed.
  registered(nick) {
    this.me = nick;
    const names = this.buffers.size > 1 ? [...this.buffers.values()].map((b) => b.name) : this.saved();
    const channels = names.filter(isChannel);
    for (const name of names.filter((n) => !isChannel(n))) this.catchUp(this.buffer(name, 'dm'));
    if (channels.length) this.conn.send('JOIN', channels.join(','));
    this.ui.tabs();
  }

  // CHATHISTORY AFTER the last msgid seen fills a gap; LATEST fills an empty tab.
  catchUp(buffer) {
    if (!this.conn.history) return;
    const last = buffer.newestId();
    if (last) this.requestHistory(buffer, 'AFTER', `msgid=${last}`, 100);
    else this.requestHistory(buffer, 'LATEST', '*', PAGE);
  }

  older(buffer) {
    const first = buffer.oldestId();
    if (!this.conn.history || buffer.loading || buffer.complete || !first) return false;
    buffer.loading = true;
    this.requestHistory(buffer, 'BEFORE', `msgid=${first}`, PAGE);
    return true;
  }

  requestHistory(buffer, mode, ref, limit) {
    const key = fold(buffer.name);
    this.pendingHistory.set(key, [...(this.pendingHistory.get(key) || []), { mode, limit }]);
    this.conn.send('CHATHISTORY', mode, buffer.name, ref, String(limit));
  }

  // A CHATHISTORY batch: its lines go in like live ones but count as read.
  history(type, params, messages) {
    if (type !== 'chathistory') return;
    const key = fold(params[0]);
    const queue = this.pendingHistory.get(key) || [];
    const request = queue.shift() || { mode: 'LATEST', limit: PAGE };
    const buffer = this.buffers.get(key);
    if (!buffer) return;
    if (request.mode === 'BEFORE') this.cursor = 0;
    for (const msg of messages) this.message(msg, false);
    this.cursor = null;
    if (request.mode !== 'AFTER' && messages.length < request.limit) buffer.complete = true;
    if (request.mode === 'BEFORE') buffer.loading = false;
    // A long absence may need more than one page.
    if (request.mode === 'AFTER' && messages.length >= request.limit) this.catchUp(buffer);
    this.ui.changed(buffer);
  }

  // PRIVMSG and NOTICE, live (`live`) or from history.
  message(msg, live = true) {
    const [target, raw = ''] = msg.params;
    const fromServer = !msg.source.includes('!');
    const mine = fold(msg.nick) === fold(this.me);
    let buffer;
    if (isChannel(target)) buffer = this.buffer(target, 'channel');
    else if (msg.command === 'NOTICE' && (fromServer || !this.buffer(msg.nick))) buffer = this.server;
    else buffer = this.buffer(mine ? target : msg.nick, 'dm');
    const act = action(raw);
    const text = stripFormatting(act ?? raw);
    const kind = act !== null ? 'action' : msg.command === 'NOTICE' ? 'notice' : 'privmsg';
    const mention = !mine && !fromServer && this.mentions(text);
    this.add(buffer, { id: msg.tags.msgid, time: stamp(msg.tags), nick: msg.nick, text, kind, self: mine, mention }, live);
  }
}

// A message's time: the server's (server-time) when it says, else now.
export function stamp(tags) {
  const time = tags.time ? new Date(tags.time) : new Date();
  return Number.isNaN(time.getTime()) ? new Date() : time;
}
