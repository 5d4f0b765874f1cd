// view.js: draws the Chat (client.js) into the page: the tabs, the open tab's messages,
// its topic and members, the room list. Every piece of text from the network is put in
// with textContent or as a link built node by node, never as HTML, so a message such as
// `<script>` is shown, not run.

import { fold } from './irc.js';
import { roster } from './events.js';

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A colour per nick that stays the same everywhere: a hue from a hash of the folded
// nick; the lightness comes from the theme (style.css) so it reads on light and dark.
export function hue(nick) {
  let hash = 0;
  for (const c of fold(nick)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return hash % 360;
}

function nickNode(nick) {
  const node = el('span', 'nick', nick);
  node.style.setProperty('--hue', hue(nick));
  return node;
}

// Only http(s) addresses become links, so no `javascript:` can be clicked into running.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/g;

// Text with its links clickable and the reader's own nick marked.
function rich(text, me) {
  const out = el('span', 'text');
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    marked(out, text.slice(last, match.index), me);
    const link = el('a', '', url);
    link.href = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    out.append(link);
    last = match.index + url.length;
  }
  marked(out, text.slice(last), me);
  return out;
}

function marked(parent, text, me) {
  if (!me || !text) return parent.append(text);
  const escaped = me.replace(/[-[\]\\^{}|`]/g, '\\$&');
  const parts = text.split(new RegExp(`(?<![\\w\\-[\\]\\\\^{}|\`])(${escaped})(?![\\w\\-[\\]\\\\^{}|\`])`, 'i'));
  parts.forEach((part, i) => parent.append(i % 2 ? el('mark', '', part) : part));
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function messageNode(msg, me) {
  const row = el('div', `msg ${msg.kind}${msg.mention ? ' mention' : ''}${msg.self ? ' self' : ''}`);
  const time = el('time', '', TIME.format(msg.time));
  time.dateTime = msg.time.toISOString();
  time.title = msg.time.toLocaleString();
  row.append(time);
  if (msg.kind === 'action') row.append(el('span', 'star', '*'), nickNode(msg.nick), ' ');
  else if (msg.kind === 'notice') row.append(el('span', 'notice-nick', `-${msg.nick}-`), ' ');
  else if (msg.nick) row.append(nickNode(msg.nick));
  row.append(rich(msg.text, msg.kind === 'info' ? '' : me));
  return row;
}

export class View {
  constructor(chat) {
    this.chat = chat;
    this.log = $('log');
  }

  atBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
  }

  // A message was put at `index` of `buffer`: drawn there if the tab is open.
  added(buffer, msg, index) {
    if (buffer !== this.chat.active) return;
    const stick = this.atBottom();
    const node = messageNode(msg, this.chat.me);
    const rows = this.log.querySelectorAll('.msg');
    if (index < rows.length) {
      // Older history goes in above: keep what the reader is looking at in place.
      const height = this.log.scrollHeight;
      rows[index].before(node);
      if (!stick) this.log.scrollTop += this.log.scrollHeight - height;
    } else this.log.append(node);
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }

  // Opens `buffer`'s tab: its messages, topic and members, and marks it read.
  show(buffer) {
    this.chat.active = buffer;
    buffer.unread = 0;
    buffer.mentions = 0;
    this.log.replaceChildren(...buffer.messages.map((m) => messageNode(m, this.chat.me)));
    this.log.scrollTop = this.log.scrollHeight;
    this.changed(buffer);
    this.tabs();
    $('input').focus();
  }

  changed(buffer) {
    if (buffer !== this.chat.active) return;
    $('title').textContent = buffer.name;
    $('topic').textContent = buffer.topic;
    $('topic').title = buffer.topic;
    $('older').hidden = buffer.complete || !buffer.oldestId() || !this.chat.conn?.history;
    document.body.classList.toggle('no-members', buffer.kind !== 'channel');
    this.members(buffer);
  }

  members(buffer) {
    const list = roster(buffer);
    $('member-count').textContent = String(list.length);
    $('member-list').replaceChildren(...list.map((m) => {
      const item = el('li', m.away ? 'away' : '');
      item.append(el('span', 'prefix', m.prefix.slice(0, 1)), nickNode(m.nick));
      item.title = m.away ? `${m.nick} is away` : m.nick;
      item.onclick = () => this.show(this.chat.buffer(m.nick, 'dm'));
      return item;
    }));
  }

  tabs() {
    const buffers = [...this.chat.buffers.values()];
    $('tabs').replaceChildren(...buffers.map((buffer, i) => {
      const tab = el('button', `tab ${buffer.kind}${buffer === this.chat.active ? ' active' : ''}`);
      tab.append(el('span', 'tab-name', buffer.name));
      if (buffer.unread) tab.append(el('span', buffer.mentions ? 'badge hot' : 'badge', String(buffer.unread)));
      if (i < 9) tab.title = `Alt+${i + 1}`;
      tab.onclick = () => this.show(buffer);
      return tab;
    }));
    const unread = buffers.reduce((n, b) => n + b.unread, 0);
    document.title = unread ? `(${unread}) confab` : 'confab';
  }

  // The LIST answer: each room with its member count and topic, and a button to join.
  rooms(list) {
    const rows = list.sort((a, b) => b.users - a.users || a.name.localeCompare(b.name)).map((room) => {
      const row = el('tr');
      const join = el('button', '', 'Join');
      join.onclick = () => {
        this.chat.ui.join(room.name);
        $('rooms').close();
      };
      const action = el('td');
      action.append(join);
      row.append(el('td', 'room-name', room.name), el('td', 'room-users', String(room.users)), el('td', 'room-topic', room.topic), action);
      return row;
    });
    if (!rows.length) rows.push(el('tr', '', 'No rooms yet: make one above.'));
    $('room-table').replaceChildren(...rows);
  }
}
