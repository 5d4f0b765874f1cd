// irc.js: IRC lines as values. Parsing and formatting only, no sockets and no DOM, so the
// rest of the client handles messages as plain objects ({tags, source, nick, command,
// params}) and never splits strings itself.

// IRCv3 message-tags escape these in tag values (\: is ;, \s a space, ...).
const TAG_ESCAPES = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTag(value) {
  return value.replace(/\\(.?)/g, (_, c) => (c in TAG_ESCAPES ? TAG_ESCAPES[c] : c));
}

// `@tags :source COMMAND p1 p2 :trailing` -> a message object.
export function parse(line) {
  let rest = line;
  const tags = {};
  if (rest.startsWith('@')) {
    const end = rest.indexOf(' ');
    for (const tag of rest.slice(1, end).split(';')) {
      const eq = tag.indexOf('=');
      if (eq < 0) tags[tag] = '';
      else tags[tag.slice(0, eq)] = unescapeTag(tag.slice(eq + 1));
    }
    rest = rest.slice(end + 1).trimStart();
  }
  let source = '';
  if (rest.startsWith(':')) {
    const end = rest.indexOf(' ');
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).trimStart();
  }
  const params = [];
  while (rest.length > 0) {
    if (rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(' ');
    if (end < 0) {
      params.push(rest);
      break;
    }
    params.push(rest.slice(0, end));
    rest = rest.slice(end + 1).trimStart();
  }
  const command = (params.shift() || '').toUpperCase();
  return { tags, source, nick: nickOf(source), command, params };
}

// A line from a command and its parameters. The last one is sent as a trailing
// parameter when it must be (empty, has a space, starts with ':'); CR, LF and NUL are
// replaced so nothing a user types can end the line early and become a second command.
export function format(command, ...params) {
  const clean = params.map((p) => String(p).replace(/[\r\n\0]/g, ' '));
  const last = clean.length - 1;
  if (last >= 0 && (clean[last] === '' || clean[last].includes(' ') || clean[last].startsWith(':'))) {
    clean[last] = ':' + clean[last];
  }
  return [command, ...clean].join(' ');
}

// `nick!user@host` -> `nick`; a server name stays whole.
export function nickOf(source) {
  const bang = source.indexOf('!');
  return bang < 0 ? source : source.slice(0, bang);
}

export function isChannel(name) {
  return name.startsWith('#');
}

// confab compares names ignoring ASCII case only (ISUPPORT CASEMAPPING=ascii).
export function fold(name) {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// CTCP ACTION (`/me`) travels as `\x01ACTION text\x01` inside a PRIVMSG.
export function action(text) {
  const match = /^\x01ACTION(?: (.*?))?\x01?$/.exec(text);
  return match ? match[1] || '' : null;
}

// mIRC formatting (bold, colours, ...) is dropped rather than drawn: the page shows text.
export function stripFormatting(text) {
  return text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, '');
}
