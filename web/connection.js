// connection.js: one IRC session over the server's own /irc WebSocket, kept alive.
// It registers (CAP negotiation, SASL PLAIN, NICK/USER), answers PING, gathers batches
// (CHATHISTORY answers come as one), and after a drop reconnects with growing delays.
// Everything it reads goes to `onMessage` as parsed messages; it knows nothing of rooms.

import { parse, format } from './irc.js';

// Capabilities the client uses when the server offers them. draft/chathistory needs
// batch, server-time and message-tags (msgids) to page through history.
const WANTED = [
  'server-time', 'message-tags', 'batch', 'draft/chathistory', 'echo-message',
  'away-notify', 'multi-prefix',
];

// Reconnect delays grow 1 s, 2 s, 4 s ... up to 30 s, so a server that restarts is found
// quickly and a server that is down is not hammered by every open tab.
const FIRST_DELAY_MS = 1000;
const LAST_DELAY_MS = 30000;

export class Connection {
  // login: {nick, account, password}; on: {message(msg), batch(type, params, msgs),
  // status(state, detail), registered(nick)}.
  constructor(login, on) {
    this.login = login;
    this.on = on;
    this.caps = new Set();
    this.isupport = {};
    this.attempt = 0;
    this.quitting = false;
    this.registered = false;
    this.nick = login.nick;
  }

  get url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/irc`;
  }

  connect() {
    this.quitting = false;
    this.registered = false;
    this.caps = new Set();
    this.batches = new Map();
    this.nickTries = 0;
    this.on.status('connecting', this.attempt);
    const socket = new WebSocket(this.url, ['text.ircv3.net']);
    this.socket = socket;
    socket.onopen = () => this.register();
    // A message may carry one line or, from a lenient server, several.
    socket.onmessage = (event) => {
      for (const line of String(event.data).split(/\r?\n/)) if (line) this.receive(parse(line));
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.registered = false;
      if (this.quitting) this.on.status('closed', event.reason);
      else this.retry(event.reason);
    };
  }

  retry(reason) {
    this.attempt += 1;
    const delay = Math.min(LAST_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.attempt - 1));
    this.on.status('waiting', { attempt: this.attempt, seconds: delay / 1000, reason });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // Whether the line went out: while reconnecting nothing is queued, since it would
  // reach a new session that may not be in the same rooms yet.
  send(command, ...params) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(format(command, ...params));
    return true;
  }

  quit(reason) {
    this.quitting = true;
    clearTimeout(this.timer);
    this.send('QUIT', reason || 'Leaving');
    if (this.socket) setTimeout(() => this.socket.close(), 500);
    this.on.status('closed', '');
  }

  register() {
    this.send('CAP', 'LS', '302');
    this.send('NICK', this.login.nick);
    this.send('USER', this.login.nick, '0', '*', this.login.nick);
  }

  receive(msg) {
    if (msg.tags.batch && this.batches.has(msg.tags.batch)) {
      this.batches.get(msg.tags.batch).messages.push(msg);
      return;
    }
    switch (msg.command) {
      case 'PING': return this.send('PONG', ...msg.params);
      case 'CAP': return this.negotiate(msg.params[1], msg.params.slice(2));
      case 'AUTHENTICATE': return this.authenticate();
      case 'BATCH': return this.batch(msg);
      case '001': return this.welcome(msg);
      case '005': return this.support(msg.params.slice(1, -1));
      case '903': case '904': case '905': case '906': case '907':
        // Logged in or not, registration goes on (a failure is shown, not fatal).
        if (!this.registered) this.send('CAP', 'END');
        return this.on.message(msg);
      case '433': if (!this.registered) return this.nickTaken();
      // fall through: after registration a refused /nick is the user's to read.
      default: return this.on.message(msg);
    }
  }

  // CAP LS may come in several lines (`CAP * LS * :...` then the last without `*`).
  negotiate(sub, args) {
    if (sub === 'LS') {
      const more = args[0] === '*';
      const list = more ? args[1] : args[0];
      for (const cap of list.split(' ')) this.caps.add(cap.split('=')[0]);
      if (more) return;
      const want = WANTED.filter((cap) => this.caps.has(cap));
      if (this.login.password && this.caps.has('sasl')) want.push('sasl');
      if (want.length) this.send('CAP', 'REQ', want.join(' '));
      else this.send('CAP', 'END');
    } else if (sub === 'ACK') {
      this.caps = new Set(args[0].trim().split(' '));
      if (this.caps.has('sasl')) this.send('AUTHENTICATE', 'PLAIN');
      else this.send('CAP', 'END');
    } else if (sub === 'NAK') {
      this.caps = new Set();
      this.send('CAP', 'END');
    }
  }

  // SASL PLAIN: authzid, authcid and password separated by NUL, in base64; the server
  // answers 903 (or 904) and registration then goes on (the 90x replies end the CAP).
  authenticate() {
    const { account, password } = this.login;
    const bytes = new TextEncoder().encode(`${account}\0${account}\0${password}`);
    this.send('AUTHENTICATE', btoa(String.fromCharCode(...bytes)));
  }

  // The nick may still be held by this same person's previous connection (a reload, a
  // drop the server has not noticed yet): ask again a few times before taking another.
  nickTaken() {
    this.nickTries += 1;
    const nick = this.nickTries > 5 ? `${this.login.nick}_` : this.login.nick;
    if (this.nickTries > 5) this.on.message({ command: 'NOTE', params: [`${this.login.nick} is taken; you are ${nick}`], tags: {} });
    setTimeout(() => this.send('NICK', nick), this.nickTries > 5 ? 0 : 1000);
  }

  welcome(msg) {
    this.registered = true;
    this.attempt = 0;
    this.nick = msg.params[0];
    this.on.status('connected', '');
    this.on.registered(this.nick);
  }

  support(tokens) {
    for (const token of tokens) {
      const [key, value = ''] = token.split('=');
      this.isupport[key] = value;
    }
  }

  // `BATCH +ref type params...` opens, `BATCH -ref` closes; the whole batch is handed
  // on at once so a page of history is drawn in one go.
  batch(msg) {
    const ref = msg.params[0];
    if (ref.startsWith('+')) {
      this.batches.set(ref.slice(1), { type: msg.params[1], params: msg.params.slice(2), messages: [] });
    } else if (this.batches.has(ref.slice(1))) {
      const done = this.batches.get(ref.slice(1));
      this.batches.delete(ref.slice(1));
      this.on.batch(done.type, done.params, done.messages);
    }
  }

  get history() {
    return this.caps.has('draft/chathistory') && this.caps.has('batch');
  }
}
