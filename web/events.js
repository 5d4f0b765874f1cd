// events.js: what each IRC message from the server does to the Chat (client.js). One
// small handler per command in one table; numerics the table does not name are shown
// as text (errors in the tab being looked at, the rest in the server tab).

import { fold, isChannel, stripFormatting } from './irc.js';
import { stamp } from './client.js';

const RANK = { '@': 0, '+': 1 };

function member(nick, prefix = '') {
  return { nick, prefix, away: false };
}

// `@+nick` (multi-prefix) or `nick` -> a member.
function named(entry) {
  const nick = entry.replace(/^[@+]+/, '');
  return member(nick, entry.slice(0, entry.length - nick.length));
}

// Everyone in a channel, operators first, then voiced, then by name.
export function roster(buffer) {
  const rank = (m) => (m.prefix ? RANK[m.prefix[0]] ?? 2 : 2);
  return [...buffer.members.values()].sort((a, b) => rank(a) - rank(b) || fold(a.nick).localeCompare(fold(b.nick)));
}

function join(chat, msg) {
  const buffer = chat.buffer(msg.params[0], 'channel');
  if (fold(msg.nick) === fold(chat.me)) {
    buffer.joined = true;
    buffer.members.clear();
    chat.catchUp(buffer);
    // A room the person asked for opens; rooms rejoined after a drop stay where they are.
    if (chat.wanted.delete(fold(buffer.name)) || chat.active === chat.server) chat.ui.show(buffer);
  } else {
    buffer.members.set(fold(msg.nick), member(msg.nick));
    chat.note(buffer, `${msg.nick} joined`, 'join', msg.tags);
  }
  chat.ui.changed(buffer);
}

function part(chat, msg) {
  const buffer = chat.buffer(msg.params[0]);
  if (!buffer) return;
  if (fold(msg.nick) === fold(chat.me)) return chat.close(buffer);
  buffer.members.delete(fold(msg.nick));
  const reason = msg.params[1] ? ` (${msg.params[1]})` : '';
  chat.note(buffer, `${msg.nick} left${reason}`, 'part', msg.tags);
  chat.ui.changed(buffer);
}

function kick(chat, msg) {
  const [channel, victim, reason = ''] = msg.params;
  const buffer = chat.buffer(channel);
  if (!buffer) return;
  buffer.members.delete(fold(victim));
  chat.note(buffer, `${victim} was kicked by ${msg.nick} (${reason})`, 'part', msg.tags);
  if (fold(victim) === fold(chat.me)) buffer.joined = false;
  chat.ui.changed(buffer);
}

// Someone left the server: one line in every channel they shared with us.
function quit(chat, msg) {
  for (const buffer of chat.buffers.values()) {
    if (!buffer.members.delete(fold(msg.nick))) continue;
    chat.note(buffer, `${msg.nick} quit (${msg.params[0] || ''})`, 'part', msg.tags);
    chat.ui.changed(buffer);
  }
}

function nick(chat, msg) {
  const [renamed] = msg.params;
  if (fold(msg.nick) === fold(chat.me)) {
    chat.me = renamed;
    chat.ui.me(renamed);
    chat.note(chat.active, `You are now known as ${renamed}`, 'info', msg.tags);
  }
  for (const buffer of chat.buffers.values()) {
    const old = buffer.members.get(fold(msg.nick));
    if (!old) continue;
    buffer.members.delete(fold(msg.nick));
    buffer.members.set(fold(renamed), { ...old, nick: renamed });
    chat.note(buffer, `${msg.nick} is now known as ${renamed}`, 'info', msg.tags);
    chat.ui.changed(buffer);
  }
}

function topic(chat, msg) {
  const buffer = chat.buffer(msg.params[0]);
  if (!buffer) return;
  buffer.topic = stripFormatting(msg.params[1] || '');
  const what = buffer.topic ? `set the topic: ${buffer.topic}` : 'cleared the topic';
  chat.note(buffer, `${msg.nick} ${what}`, 'info', msg.tags);
  chat.ui.changed(buffer);
}

// 332: the topic of a channel just joined.
function topicIs(chat, msg) {
  const buffer = chat.buffer(msg.params[1]);
  if (!buffer) return;
  buffer.topic = stripFormatting(msg.params[2] || '');
  chat.ui.changed(buffer);
}

// 353 lines gather until 366 replaces the member list whole.
function names(chat, msg) {
  const key = fold(msg.params[2]);
  const list = chat.pendingNames.get(key) || [];
  for (const entry of (msg.params[3] || '').split(' ')) if (entry) list.push(named(entry));
  chat.pendingNames.set(key, list);
}

function namesEnd(chat, msg) {
  const key = fold(msg.params[1]);
  const buffer = chat.buffers.get(key);
  const list = chat.pendingNames.get(key) || [];
  chat.pendingNames.delete(key);
  if (!buffer) return;
  buffer.members = new Map(list.map((m) => [fold(m.nick), m]));
  chat.ui.changed(buffer);
}

// A mode change may give or take @ or +: the member list is asked for again.
function mode(chat, msg) {
  const [target, ...change] = msg.params;
  if (!isChannel(target)) return;
  const buffer = chat.buffer(target);
  if (!buffer) return;
  chat.note(buffer, `${msg.nick} set mode ${change.join(' ')}`, 'info', msg.tags);
  if (/[ov]/.test(change[0] || '')) chat.conn.send('NAMES', target);
}

function away(chat, msg) {
  for (const buffer of chat.buffers.values()) {
    const who = buffer.members.get(fold(msg.nick));
    if (!who) continue;
    who.away = Boolean(msg.params[0]);
    chat.ui.changed(buffer);
  }
}

// LIST: 322 per channel, 323 at the end.
function listed(chat, msg) {
  const [, name, users, text = ''] = msg.params;
  chat.roomList.push({ name, users: Number(users), topic: stripFormatting(text) });
}

function listEnd(chat) {
  chat.ui.rooms(chat.roomList);
  chat.roomList = [];
}

function awayReply(chat, msg) {
  chat.note(chat.active, msg.params[msg.params.length - 1], 'info', msg.tags);
}

// 301: the person we wrote to is away.
function isAway(chat, msg) {
  const buffer = chat.buffer(msg.params[1]) || chat.active;
  chat.note(buffer, `${msg.params[1]} is away: ${msg.params[2] || ''}`, 'info', msg.tags);
}

const HANDLERS = {
  PRIVMSG: (chat, msg) => chat.message(msg),
  NOTICE: (chat, msg) => chat.message(msg),
  JOIN: join, PART: part, KICK: kick, QUIT: quit, NICK: nick, TOPIC: topic, MODE: mode, AWAY: away,
  332: topicIs, 331: (chat, msg) => topicIs(chat, { ...msg, params: [...msg.params.slice(0, 2), ''] }),
  353: names, 366: namesEnd, 322: listed, 323: listEnd, 305: awayReply, 306: awayReply, 301: isAway,
  // 900 carries nick, mask and account before its sentence: the sentence says it all.
  900: (chat, msg) => chat.note(chat.server, msg.params[msg.params.length - 1], 'info', msg.tags),
  321: () => {}, 333: () => {}, 329: () => {}, 324: () => {},
  ERROR: (chat, msg) => chat.note(chat.server, msg.params[0] || 'closed', 'error', msg.tags),
  FAIL: (chat, msg) => chat.note(chat.active, msg.params.slice(2).join(' '), 'error', msg.tags),
  NOTE: (chat, msg) => chat.note(chat.server, msg.params[0], 'info', msg.tags),
};

export function handle(chat, msg) {
  const handler = HANDLERS[msg.command];
  if (handler) return handler(chat, msg);
  if (!/^\d{3}$/.test(msg.command)) return;
  // Numerics: the first parameter is our own nick; errors (4xx, 5xx) go where the
  // person is looking, since they answer what was just typed.
  const text = msg.params.slice(1).join(' ');
  const error = msg.command[0] === '4' || msg.command[0] === '5';
  chat.add(error ? chat.active : chat.server, { time: stamp(msg.tags), nick: '', text, kind: error ? 'error' : 'info', self: false, mention: false }, true);
}
