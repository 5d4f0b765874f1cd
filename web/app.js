// app.js: the page's entry point. Shows the login form (or reconnects at once with the
// nick this browser used last, so a reload keeps it), then wires the Connection, the Chat
// and the View to the page: typing, keys, the room list, notifications, the phone layout.

import { Connection } from './connection.js';
import { Chat } from './client.js';
import { handle } from './events.js';
import { View } from './view.js';
import { run, complete } from './commands.js';
import { fold } from './irc.js';

const $ = (id) => document.getElementById(id);
const LOGIN = 'confab.login'; // localStorage: {nick, account}; never the password
const PASSWORD = 'confab.password'; // sessionStorage: this tab only, gone when it closes

const chat = new Chat(null);
const view = new View(chat);
let connection = null;

chat.ui = {
  added: (buffer, msg, index, live) => view.added(buffer, msg, index, live),
  changed: (buffer) => view.changed(buffer),
  tabs: () => view.tabs(),
  rooms: (list) => view.rooms(list),
  show: (buffer) => view.show(buffer),
  me: (nick) => { $('me').textContent = nick; remember({ ...saved(), nick }); },
  notify,
  quit,
  openRooms,
  join: (name) => run(chat, chat.active, `/join ${name}`),
};

function saved() {
  try {
    return JSON.parse(localStorage.getItem(LOGIN)) || null;
  } catch {
    return null;
  }
}

function remember(login) {
  localStorage.setItem(LOGIN, JSON.stringify({ nick: login.nick, account: login.account || '' }));
}

function start(login) {
  remember(login);
  if (login.password) sessionStorage.setItem(PASSWORD, login.password);
  $('login').hidden = true;
  $('app').hidden = false;
  $('me').textContent = login.nick;
  connection = new Connection(login, {
    message: (msg) => handle(chat, msg),
    batch: (type, params, messages) => chat.history(type, params, messages),
    status,
    registered: (nick) => { chat.ui.me(nick); chat.registered(nick); view.changed(chat.active); },
  });
  chat.attach(connection);
  view.show(chat.active);
  connection.connect();
}

// The connection's state, in words, in the header.
function status(state, detail) {
  const text = {
    connecting: 'connecting…',
    connected: '',
    waiting: () => `disconnected; reconnecting in ${detail.seconds} s (attempt ${detail.attempt})`,
    closed: 'disconnected',
  }[state];
  $('status').textContent = typeof text === 'function' ? text() : text;
  $('status').dataset.state = state;
  document.body.dataset.state = state;
}

function quit(reason) {
  connection.quit(reason);
  localStorage.removeItem(LOGIN);
  sessionStorage.removeItem(PASSWORD);
  setTimeout(() => location.reload(), 600);
}

function openRooms() {
  chat.roomList = [];
  connection.send('LIST');
  $('rooms').showModal();
  $('join-name').focus();
}

// Desktop notifications only while the page is hidden, and only once allowed.
function notify(buffer, msg) {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  const where = buffer.kind === 'dm' ? msg.nick : `${msg.nick} in ${buffer.name}`;
  try {
    const note = new Notification(where, { body: msg.text, tag: buffer.name });
    note.onclick = () => { window.focus(); view.show(buffer); };
  } catch {
    // Some mobile browsers show notifications only from a service worker; the page
    // goes on without them (the unread counts still tell).
  }
}

function wireLogin() {
  $('login-form').onsubmit = (event) => {
    event.preventDefault();
    const nick = $('nick').value.trim();
    if (!/^[A-Za-z_[\]\\^{}|`][A-Za-z0-9_\-[\]\\^{}|`]*$/.test(nick)) {
      $('login-error').textContent = 'A nick is letters, digits and _-[]\\^{}|` and does not start with a digit or -.';
      return;
    }
    start({ nick, account: $('account').value.trim() || nick, password: $('password').value });
  };
}

function wireInput() {
  const input = $('input');
  const completion = {};
  $('say').onsubmit = (event) => {
    event.preventDefault();
    const line = input.value;
    input.value = '';
    run(chat, chat.active, line);
  };
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    event.preventDefault();
    const members = [...chat.active.members.values()].map((m) => m.nick).filter((n) => fold(n) !== fold(chat.me));
    const others = [...chat.buffers.values()].filter((b) => b.kind === 'channel').map((b) => b.name);
    complete(input, [...members, ...others], completion);
  });
}

function wireKeys() {
  // Alt+1 ... Alt+9 open the tabs in order, as in most IRC clients.
  document.addEventListener('keydown', (event) => {
    if (!event.altKey || !/^Digit[1-9]$/.test(event.code)) return;
    const buffer = [...chat.buffers.values()][Number(event.code.slice(5)) - 1];
    if (buffer) {
      event.preventDefault();
      view.show(buffer);
    }
  });
}

function wireButtons() {
  $('rooms-button').onclick = openRooms;
  $('rooms-close').onclick = () => $('rooms').close();
  $('join-form').onsubmit = (event) => {
    event.preventDefault();
    const name = $('join-name').value.trim();
    if (name) run(chat, chat.active, `/join ${name}`);
    $('join-name').value = '';
    $('rooms').close();
  };
  $('members-button').onclick = () => document.body.classList.toggle('show-members');
  $('tabs-button').onclick = () => document.body.classList.toggle('show-tabs');
  $('tabs').addEventListener('click', () => document.body.classList.remove('show-tabs'));
  $('leave-button').onclick = () => run(chat, chat.active, '/part');
  $('older').onclick = () => chat.older(chat.active);
  // Scrolled to the top: ask for the page of history before the oldest line shown.
  $('log').addEventListener('scroll', () => { if ($('log').scrollTop < 40) chat.older(chat.active); });
  const bell = $('notify-button');
  bell.hidden = !('Notification' in window) || Notification.permission !== 'default';
  bell.onclick = () => Notification.requestPermission().then(() => { bell.hidden = true; });
}

// A tab that comes back into view counts its open conversation as read.
document.addEventListener('visibilitychange', () => { if (!document.hidden && connection) view.show(chat.active); });

wireLogin();
wireInput();
wireKeys();
wireButtons();
const last = saved();
if (last?.nick) {
  start({ ...last, password: sessionStorage.getItem(PASSWORD) || '' });
} else {
  $('login').hidden = false;
}
