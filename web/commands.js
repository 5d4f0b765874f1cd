// commands.js: what the person types. A line starting with `/` is a command (the ones IRC
// users know); anything else, or `//text`, is said in the open tab. Also Tab completion
// of nicks. Commands act through the Chat and its Connection only.

import { isChannel, fold } from './irc.js';

export const HELP = '/join #room, /part [reason], /msg nick text, /me action, /nick name, '
  + '/topic [text], /away [text], /quit [reason], /list';

const COMMANDS = {
  join: (chat, arg) => {
    if (!arg) return 'usage: /join #room';
    const [rooms, keys] = arg.split(' ');
    const names = rooms.split(',').map((r) => (isChannel(r) ? r : `#${r}`));
    for (const name of names) chat.wanted.add(fold(name));
    // Already in it: just open its tab.
    if (names.length === 1 && chat.buffer(names[0])?.joined) return chat.ui.show(chat.buffer(names[0]));
    chat.conn.send('JOIN', names.join(','), ...(keys ? [keys] : []));
  },
  part: (chat, arg, buffer) => {
    if (buffer.kind === 'dm') return chat.close(buffer);
    if (buffer.kind !== 'channel') return 'open a room to leave it';
    chat.conn.send('PART', buffer.name, ...(arg ? [arg] : []));
  },
  msg: (chat, arg) => {
    const space = arg.indexOf(' ');
    if (space < 1) return 'usage: /msg nick text';
    const target = arg.slice(0, space);
    say(chat, chat.buffer(target, isChannel(target) ? 'channel' : 'dm'), arg.slice(space + 1));
    chat.ui.show(chat.buffer(target));
  },
  query: (chat, arg) => {
    if (!arg || isChannel(arg)) return 'usage: /query nick';
    chat.ui.show(chat.buffer(arg.split(' ')[0], 'dm'));
  },
  me: (chat, arg, buffer) => say(chat, buffer, `\x01ACTION ${arg}\x01`),
  nick: (chat, arg) => (arg ? chat.conn.send('NICK', arg.split(' ')[0]) : 'usage: /nick name'),
  topic: (chat, arg, buffer) => {
    if (buffer.kind !== 'channel') return 'open a room to see or set its topic';
    chat.conn.send('TOPIC', buffer.name, ...(arg ? [arg] : []));
  },
  away: (chat, arg) => chat.conn.send('AWAY', ...(arg ? [arg] : [])),
  quit: (chat, arg) => chat.ui.quit(arg),
  list: (chat) => chat.ui.openRooms(),
  help: () => HELP,
};
COMMANDS.j = COMMANDS.join;
COMMANDS.leave = COMMANDS.part;

// Sends text to a channel or a person. Without echo-message the server sends nothing
// back, so the line is shown at once; with it, the echo (with its msgid and time) is.
export function say(chat, buffer, text) {
  if (buffer.kind === 'server') return chat.note(buffer, 'open a room or a conversation to talk', 'error');
  if (!chat.conn.registered || !chat.conn.send('PRIVMSG', buffer.name, text)) {
    return chat.note(buffer, 'not connected: the message was not sent', 'error');
  }
  if (!chat.conn.caps.has('echo-message')) {
    chat.message({ source: `${chat.me}!me@me`, nick: chat.me, command: 'PRIVMSG', params: [buffer.name, text], tags: {} });
  }
}

// One line from the input box, typed in `buffer`.
export function run(chat, buffer, line) {
  if (!line.trim()) return;
  if (!line.startsWith('/') || line.startsWith('//')) return say(chat, buffer, line.replace(/^\//, ''));
  const space = line.indexOf(' ');
  const name = (space < 0 ? line.slice(1) : line.slice(1, space)).toLowerCase();
  const arg = space < 0 ? '' : line.slice(space + 1).trim();
  const command = COMMANDS[name];
  const problem = command ? command(chat, arg, buffer) : `unknown command /${name}; try ${HELP}`;
  if (typeof problem === 'string') chat.note(buffer, problem, 'error');
}

// Tab: the word before the caret becomes the next nick (or channel) that starts with it;
// pressing Tab again cycles. `state` remembers the cycle between presses.
export function complete(input, candidates, state) {
  const before = input.value.slice(0, input.selectionStart);
  const after = input.value.slice(input.selectionStart);
  if (!state.matches || state.text !== input.value) {
    const start = before.search(/\S*$/);
    const word = fold(before.slice(start));
    if (!word) return;
    state.start = start;
    state.matches = candidates.filter((c) => fold(c).startsWith(word));
    state.index = -1;
  }
  if (!state.matches.length) return;
  state.index = (state.index + 1) % state.matches.length;
  // A nick first on the line is being addressed: `ann: `.
  const suffix = state.start === 0 && !isChannel(state.matches[state.index]) ? ': ' : ' ';
  const head = before.slice(0, state.start) + state.matches[state.index] + suffix;
  const tail = after.replace(/^\S*\s?/, '');
  input.value = head + tail;
  input.setSelectionRange(head.length, head.length);
  state.text = input.value;
}
