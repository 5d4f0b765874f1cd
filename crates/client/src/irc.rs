//! The IRC client: registers (NICK/USER, asking for another nick while the one wanted is
//! taken, or trying it with `_` added in a script), answers the server's PING, and turns
//! what arrives into readable lines: `[#lobby] <bob> hi`, `[query bob] <bob> hi`,
//! `* bob joined #lobby`, `error: nobody: No such nick/channel`. Typed lines go to the
//! current window (the last channel joined, or `/query NICK`); `/join /part /msg /query
//! /nick /me /topic /names /quit /list /who /whois /raw /window` are commands, and any
//! other `/word` goes to the server as the command `WORD`.
//!
//! The windows (status, then one per channel and query) and each channel's nick list,
//! kept from NAMES, JOIN, PART, KICK, QUIT, NICK and MODE, are the [`Roster`] the
//! full-screen UI shows.
//!
//! In a script every line that sent something is followed by `PING :confab-N`, and the
//! next line waits for its PONG: the server answers in order, so the replies to a line
//! have all arrived when its PONG does.

use bytes::BytesMut;
use confab_proto::irc::{self, eq_fold, Message};
use confab_proto::line::Line;

use crate::session::{Effects, End, Kind, Roster, Session, Settle, QUIET};

pub const ASK_NICK: &str = "Enter nickname: ";
pub const CLOSED: &str = "The server closed the connection";
pub const NO_TARGET: &str = "No channel or query here: /join #CHANNEL or /query NICK first";
/// The first window, for what belongs to no channel or query.
pub const STATUS: &str = "status";
/// The token of the PINGs a script sends to know its replies have come.
const PING_TOKEN: &str = "confab-";
const CTCP: char = '\x01';
/// The end of the server's ERROR to a connection that did not register in time
/// (docs/security.md, registration timeout).
const TIMED_OUT: &str = "Registration timed out";

/// Where registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// No nick yet: the next typed line is one.
    AskNick,
    /// NICK and USER sent, no welcome yet.
    Registering,
    /// Welcomed: chat.
    Registered,
}

/// A channel or query window.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    /// `#lobby`, or the nick of a query.
    name: String,
    /// Channel members as the server names them, prefix included (`@amy`, `+bob`).
    names: Vec<String>,
    /// A NAMES reply is being read into `names`: the first 353 replaces them.
    reading_names: bool,
}

impl Window {
    fn new(name: &str) -> Window {
        Window {
            name: name.to_owned(),
            names: Vec::new(),
            reading_names: false,
        }
    }

    fn is_channel(&self) -> bool {
        self.name.starts_with('#')
    }

    /// The label in lines and in the window list: `#lobby` or `query bob`.
    fn label(&self) -> String {
        label(&self.name)
    }

    fn member(&self, nick: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| eq_fold(strip_prefix(n), nick))
    }

    fn add(&mut self, entry: &str) {
        match self.member(strip_prefix(entry)) {
            Some(at) => self.names[at] = entry.to_owned(),
            None => self.names.push(entry.to_owned()),
        }
    }

    fn remove(&mut self, nick: &str) -> bool {
        let before = self.names.len();
        self.names.retain(|n| !eq_fold(strip_prefix(n), nick));
        self.names.len() != before
    }
}

fn label(name: &str) -> String {
    if name.starts_with('#') {
        name.to_owned()
    } else {
        format!("query {name}")
    }
}

/// `@amy` is `amy`.
fn strip_prefix(entry: &str) -> &str {
    entry.trim_start_matches(['@', '+'])
}

/// The nick of a source `nick!user@host` (a server name stays whole).
fn nick_of(source: &str) -> &str {
    source.split('!').next().unwrap_or(source)
}

pub struct IrcSession {
    decoder: irc::Decoder,
    stage: Stage,
    /// The nick in use, or asked for while registering.
    nick: Option<String>,
    /// Channels to join once welcomed (`--join`).
    autojoin: Vec<String>,
    /// A script: a taken nick is tried again with `_`, and lines wait for their PONG.
    script: bool,
    windows: Vec<Window>,
    /// The window typed lines go to (an index into `windows`); `None` is the status.
    current: Option<usize>,
    /// PINGs sent by a script whose PONG has not come.
    pings_due: usize,
    pings_sent: u64,
    /// NAMES replies for channels without a window (`/names #other`), shown at 366.
    other_names: Vec<(String, Vec<String>)>,
    /// A line sent JOIN or PART: the window typed lines go to may change with the
    /// answer, so the prompt waits for it (a PING's PONG) instead of going stale.
    sync: bool,
    /// `/quit` (or Ctrl-D) sent: the server's ERROR and close are the expected end.
    quitting: bool,
    /// USER went with the first nick: a nick asked again after a refusal is NICK alone,
    /// since USER a second time would meet 462 once that NICK completes registration.
    user_sent: bool,
    /// An ERROR that came while asking for a nick again, shown only if the session then
    /// ends: the registration timeout's, when the session starts over instead.
    farewell: Option<String>,
}

impl IrcSession {
    /// `nick`: from `--nick`, sent at once; otherwise the first typed line is the nick.
    pub fn new(nick: Option<String>, autojoin: Vec<String>, script: bool) -> Self {
        IrcSession {
            decoder: irc::Decoder::new(),
            stage: Stage::AskNick,
            nick: nick.filter(|n| !n.trim().is_empty()),
            autojoin,
            script,
            windows: Vec::new(),
            current: None,
            pings_due: 0,
            pings_sent: 0,
            sync: false,
            other_names: Vec::new(),
            quitting: false,
            user_sent: false,
            farewell: None,
        }
    }

    fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    fn is_me(&self, nick: &str) -> bool {
        eq_fold(nick, self.me())
    }

    fn send(&self, command: &str, params: &[&str], fx: &mut Effects) {
        irc::render(&mut fx.send, None, None, command, params);
    }

    fn register(&mut self, fx: &mut Effects) {
        let Some(nick) = self.nick.clone() else {
            return;
        };
        self.stage = Stage::Registering;
        self.send("NICK", &[&nick], fx);
        if !std::mem::replace(&mut self.user_sent, true) {
            self.send("USER", &[&nick, "0", "*", &nick], fx);
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|w| eq_fold(&w.name, name))
    }

    /// The window for `name`, opened at the end of the list if there is none.
    fn open(&mut self, name: &str) -> usize {
        match self.find(name) {
            Some(at) => at,
            None => {
                self.windows.push(Window::new(name));
                self.windows.len() - 1
            }
        }
    }

    fn close(&mut self, at: usize) {
        self.windows.remove(at);
        self.current = match self.current {
            Some(c) if c == at => self.windows.len().checked_sub(1),
            Some(c) if c > at => Some(c - 1),
            other => other,
        };
    }

    fn target(&self) -> Option<&Window> {
        self.current.and_then(|c| self.windows.get(c))
    }

    fn current_channel(&self) -> Option<&str> {
        self.target()
            .filter(|w| w.is_channel())
            .map(|w| w.name.as_str())
    }

    // ---- typed lines ----

    fn on_command(&mut self, line: &str, fx: &mut Effects) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim_start();
        let arg = first_word(rest);
        match word.to_ascii_lowercase().as_str() {
            "/join" | "/j" if !arg.is_empty() => {
                let (channels, key) = rest.split_once(' ').unwrap_or((rest, ""));
                let channels = channels
                    .split(',')
                    .map(|c| {
                        if c.starts_with('#') || c == "0" {
                            c.to_owned()
                        } else {
                            format!("#{c}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",");
                let mut params = vec![channels.as_str()];
                if !key.trim().is_empty() {
                    params.push(key.trim());
                }
                self.send("JOIN", &params, fx);
                self.sync = true;
            }
            "/part" | "/leave" | "/close" => self.part(rest, fx),
            "/msg" | "/query" if word.eq_ignore_ascii_case("/msg") || !arg.is_empty() => {
                let text = rest[arg.len()..].trim_start();
                if word.eq_ignore_ascii_case("/query") {
                    let at = self.open(arg);
                    self.current = Some(at);
                } else if text.is_empty() {
                    fx.info("Usage: /msg NICK TEXT");
                    return;
                }
                if !text.is_empty() {
                    self.privmsg(arg, text, fx);
                }
            }
            "/me" => match self.target().map(|w| w.name.clone()) {
                Some(target) => {
                    self.send(
                        "PRIVMSG",
                        &[&target, &format!("{CTCP}ACTION {rest}{CTCP}")],
                        fx,
                    );
                    let text = format!("[{}] * {} {rest}", label(&target), self.me());
                    fx.push_to(Kind::Own, &label(&target), text);
                }
                None => fx.info(NO_TARGET),
            },
            "/nick" if !arg.is_empty() => self.send("NICK", &[arg], fx),
            "/topic" => match self.current_channel().map(str::to_owned) {
                Some(channel) if rest.is_empty() => self.send("TOPIC", &[&channel], fx),
                Some(channel) => self.send("TOPIC", &[&channel, rest], fx),
                None => fx.info("Not in a channel: /join #CHANNEL first"),
            },
            "/names" => match (arg, self.current_channel()) {
                ("", Some(channel)) => {
                    let channel = channel.to_owned();
                    self.send("NAMES", &[&channel], fx);
                }
                ("", None) => self.send("NAMES", &[], fx),
                (channel, _) => self.send("NAMES", &[channel], fx),
            },
            "/who" => match (arg, self.current_channel()) {
                ("", Some(channel)) => {
                    let channel = channel.to_owned();
                    self.send("WHO", &[&channel], fx);
                }
                ("", None) => self.send("WHO", &["*"], fx),
                (mask, _) => self.send("WHO", &[mask], fx),
            },
            "/whois" if !arg.is_empty() => self.send("WHOIS", &[arg], fx),
            "/list" if rest.is_empty() => self.send("LIST", &[], fx),
            "/list" => self.send("LIST", &[rest], fx),
            "/quit" | "/exit" => self.quit(rest, fx),
            "/raw" | "/quote" if !rest.is_empty() => {
                fx.send.extend_from_slice(rest.as_bytes());
                fx.send.extend_from_slice(b"\r\n");
            }
            "/away" if rest.is_empty() => self.send("AWAY", &[], fx),
            "/away" => self.send("AWAY", &[rest], fx),
            "/window" | "/win" | "/w" => self.window(arg, fx),
            "/help" => fx.info(HELP),
            "/join" | "/j" | "/nick" | "/whois" | "/raw" | "/quote" | "/query" => {
                fx.info(format!("{word} needs an argument (see /help)"));
            }
            _ => {
                // Any other command is the server's: `/away gone` is `AWAY :gone`.
                let command = word[1..].to_ascii_uppercase();
                if command.is_empty() {
                    return;
                }
                fx.send.extend_from_slice(command.as_bytes());
                if !rest.is_empty() {
                    fx.send.extend_from_slice(b" ");
                    fx.send.extend_from_slice(rest.as_bytes());
                }
                fx.send.extend_from_slice(b"\r\n");
            }
        }
    }

    fn part(&mut self, rest: &str, fx: &mut Effects) {
        let (name, reason) = match first_word(rest) {
            w if w.starts_with('#') => (w.to_owned(), rest[w.len()..].trim_start()),
            _ => match self.target() {
                Some(w) => (w.name.clone(), rest),
                None => {
                    fx.info("Not in a channel or query");
                    return;
                }
            },
        };
        if name.starts_with('#') {
            let mut params = vec![name.as_str()];
            if !reason.is_empty() {
                params.push(reason);
            }
            self.send("PART", &params, fx);
            self.sync = true;
        } else if let Some(at) = self.find(&name) {
            // A query has nothing to leave on the server: its window closes.
            self.close(at);
        }
    }

    fn quit(&mut self, reason: &str, fx: &mut Effects) {
        let reason = if reason.is_empty() { "Leaving" } else { reason };
        self.send("QUIT", &[reason], fx);
        self.quitting = true;
        fx.end(End::WhenClosed);
    }

    /// `/window N` (1 is the status), `/window next`, `/window prev`.
    fn window(&mut self, arg: &str, fx: &mut Effects) {
        // Positions: 0 is the status, then the windows.
        let count = self.windows.len() + 1;
        let now = self.current.map_or(0, |c| c + 1);
        let to = match arg.to_ascii_lowercase().as_str() {
            "next" | "n" => (now + 1) % count,
            "prev" | "p" => (now + count - 1) % count,
            n => match n.parse::<usize>() {
                Ok(n) if (1..=count).contains(&n) => n - 1,
                _ => {
                    fx.info(format!("Windows are 1 to {count}: /window N, next or prev"));
                    return;
                }
            },
        };
        self.current = to.checked_sub(1);
    }

    /// Sends `text` to `target` and shows it (to the full-screen UI, which has no
    /// typed line on screen).
    fn privmsg(&mut self, target: &str, text: &str, fx: &mut Effects) {
        self.send("PRIVMSG", &[target, text], fx);
        let window = if target.starts_with('#') {
            target.to_owned()
        } else {
            let at = self.open(target);
            self.windows[at].name.clone()
        };
        let window = label(&window);
        fx.push_to(
            Kind::Own,
            &window,
            format!("[{window}] <{}> {text}", self.me()),
        );
    }

    // ---- server lines ----

    fn on_decoded(&mut self, line: Line, fx: &mut Effects) {
        match line {
            Line::Complete(bytes) => match Message::parse(&bytes) {
                Ok(message) => self.on_message(&message, fx),
                Err(irc::ParseError::Empty) => {}
                Err(error) => fx.error(format!("The server sent a line that is not IRC: {error}")),
            },
            Line::TooLong => fx.error("The server sent a line too long for IRC; it was dropped"),
        }
    }

    fn on_message(&mut self, m: &Message<'_>, fx: &mut Effects) {
        let source = m.source.map(nick_of).unwrap_or("");
        let p = |i: usize| m.param(i).unwrap_or("");
        match m.command_upper().as_ref() {
            "PING" => {
                let params: Vec<&str> = m.params.clone();
                self.send("PONG", &params, fx);
            }
            "PONG" => {
                let token = m.params.last().copied().unwrap_or("");
                if token.starts_with(PING_TOKEN) {
                    self.pings_due = self.pings_due.saturating_sub(1);
                }
            }
            "PRIVMSG" | "NOTICE" => self.on_privmsg(m, source, fx),
            "JOIN" => self.on_join(source, p(0), fx),
            "PART" => {
                let channel = p(0);
                let reason = reason(m.param(1));
                let window = label(channel);
                if self.is_me(source) {
                    if let Some(at) = self.find(channel) {
                        self.close(at);
                    }
                    fx.push_to(Kind::Info, &window, format!("* You left {channel}{reason}"));
                } else {
                    if let Some(at) = self.find(channel) {
                        self.windows[at].remove(source);
                    }
                    fx.push_to(
                        Kind::Info,
                        &window,
                        format!("* {source} left {channel}{reason}"),
                    );
                }
            }
            "KICK" => {
                let (channel, kicked) = (p(0), p(1));
                let reason = reason(m.param(2));
                let window = label(channel);
                let who = if self.is_me(kicked) { "You were" } else { "" };
                let text = if who.is_empty() {
                    format!("* {kicked} was kicked from {channel} by {source}{reason}")
                } else {
                    format!("* {who} kicked from {channel} by {source}{reason}")
                };
                if let Some(at) = self.find(channel) {
                    if self.is_me(kicked) {
                        self.close(at);
                    } else {
                        self.windows[at].remove(kicked);
                    }
                }
                fx.push_to(Kind::Info, &window, text);
            }
            "QUIT" => {
                for window in &mut self.windows {
                    window.remove(source);
                }
                fx.info(format!("* {source} quit{}", reason(m.param(0))));
            }
            "NICK" => {
                let new = p(0);
                for window in &mut self.windows {
                    if let Some(at) = window.member(source) {
                        let prefix: String = window.names[at]
                            .chars()
                            .take_while(|c| matches!(c, '@' | '+'))
                            .collect();
                        window.names[at] = format!("{prefix}{new}");
                    } else if !window.is_channel() && eq_fold(&window.name, source) {
                        window.name = new.to_owned();
                    }
                }
                if self.is_me(source) {
                    self.nick = Some(new.to_owned());
                    fx.info(format!("* You are now known as {new}"));
                } else {
                    fx.info(format!("* {source} is now known as {new}"));
                }
            }
            "TOPIC" => {
                let channel = p(0);
                let text = match m.param(1) {
                    Some("") | None => format!("* {source} cleared the topic of {channel}"),
                    Some(topic) => format!("* {source} set the topic of {channel}: {topic}"),
                };
                fx.push_to(Kind::Info, &label(channel), text);
            }
            "MODE" => self.on_mode(m, source, fx),
            "INVITE" => fx.info(format!("* {source} invites you to {}", p(1))),
            "ERROR" if self.quitting => {}
            "ERROR" if self.stage == Stage::AskNick && p(0).ends_with(TIMED_OUT) => {
                self.farewell = Some(format!("error: {}", p(0)));
            }
            "ERROR" => fx.error(format!("error: {}", p(0))),
            "CAP" | "AUTHENTICATE" => {}
            command => match command.parse::<u16>() {
                Ok(code) if command.len() == 3 => self.on_numeric(code, m, fx),
                _ => {
                    let rest = m.params.join(" ");
                    fx.received(format!("{source} {command} {rest}").trim().to_owned());
                }
            },
        }
    }

    fn on_privmsg(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let notice = m.is("NOTICE");
        let (target, text) = (m.param(0).unwrap_or(""), m.param(1).unwrap_or(""));
        let from_server = m.source.is_none_or(|s| !s.contains('!'));
        if from_server {
            // Server notices (before registration, or about the connection).
            fx.received(format!("-{source}- {text}"));
            return;
        }
        let window = if target.starts_with('#') {
            target.to_owned()
        } else if notice {
            // Notices from users go where the user is looking (no new window).
            String::new()
        } else {
            let at = self.open(source);
            self.windows[at].name.clone()
        };
        let ctcp = text
            .strip_prefix(CTCP)
            .map(|t| t.strip_suffix(CTCP).unwrap_or(t));
        let body = match ctcp {
            Some(ctcp) => match ctcp.split_once(' ') {
                Some((action, rest)) if action.eq_ignore_ascii_case("ACTION") => {
                    format!("* {source} {rest}")
                }
                _ if ctcp.eq_ignore_ascii_case("ACTION") => format!("* {source}"),
                _ => {
                    let (what, _) = ctcp.split_once(' ').unwrap_or((ctcp, ""));
                    format!("* {source} sent CTCP {what}")
                }
            },
            None if notice => format!("-{source}- {text}"),
            None => format!("<{source}> {text}"),
        };
        if window.is_empty() {
            fx.received(body);
        } else {
            let window = label(&window);
            fx.push_to(Kind::Received, &window, format!("[{window}] {body}"));
        }
    }

    fn on_join(&mut self, source: &str, channel: &str, fx: &mut Effects) {
        let at = self.open(channel);
        let window = self.windows[at].label();
        if self.is_me(source) {
            self.current = Some(at);
            self.windows[at].names.clear();
            fx.push_to(Kind::Info, &window, format!("* You joined {channel}"));
        } else {
            self.windows[at].add(source);
            fx.push_to(Kind::Info, &window, format!("* {source} joined {channel}"));
        }
    }

    /// Channel modes: shown, and `+o`/`+v` kept in the nick list's prefixes.
    fn on_mode(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let target = m.param(0).unwrap_or("");
        let change = m.params.get(1..).unwrap_or(&[]).join(" ");
        if !target.starts_with('#') {
            fx.info(format!("* {source} set mode {change} on {target}"));
            return;
        }
        if let Some(at) = self.find(target) {
            let mut args = m.params.iter().skip(2);
            let mut adding = true;
            for c in m.param(1).unwrap_or("").chars() {
                match c {
                    '+' => adding = true,
                    '-' => adding = false,
                    'o' | 'v' => {
                        let Some(nick) = args.next() else { break };
                        let window = &mut self.windows[at];
                        if let Some(i) = window.member(nick) {
                            window.names[i] = with_mode(&window.names[i], c, adding);
                        }
                    }
                    // Modes with an argument (when set; the key and bans also unset).
                    'b' | 'e' | 'k' => {
                        args.next();
                    }
                    'l' if adding => {
                        args.next();
                    }
                    _ => {}
                }
            }
        }
        fx.push_to(
            Kind::Info,
            &label(target),
            format!("* {source} set mode {change} on {target}"),
        );
    }

    fn on_numeric(&mut self, code: u16, m: &Message<'_>, fx: &mut Effects) {
        // Parameter 0 is the recipient's nick.
        let p = |i: usize| m.param(i).unwrap_or("");
        let rest = m.params.get(1..).unwrap_or(&[]);
        let text = m.params.last().copied().unwrap_or("");
        match code {
            1 => {
                self.stage = Stage::Registered;
                self.nick = Some(p(0).to_owned());
                fx.received(text);
                for channel in std::mem::take(&mut self.autojoin) {
                    let channel = if channel.starts_with('#') {
                        channel
                    } else {
                        format!("#{channel}")
                    };
                    self.send("JOIN", &[&channel], fx);
                    self.sync = true;
                }
                self.ping_if_synced(fx);
            }
            // The rest of the welcome, LUSERS and the MOTD's frame: nothing to read.
            2..=5 | 250..=266 | 375 | 376 | 422 | 315 | 318 | 321 | 333 | 329 => {}
            372 => fx.received(text.strip_prefix("- ").unwrap_or(text)),
            433 | 432 if self.stage != Stage::Registered => self.nick_refused(code, p(1), text, fx),
            353 => {
                let channel = p(2);
                // userhost-in-names would give `nick!user@host`.
                let entries = text.split(' ').filter(|e| !e.is_empty()).map(nick_of);
                if let Some(at) = self.find(channel) {
                    let window = &mut self.windows[at];
                    if !window.reading_names {
                        window.reading_names = true;
                        window.names.clear();
                    }
                    for entry in entries {
                        window.add(entry);
                    }
                } else {
                    match self.other_names.iter_mut().find(|(c, _)| c == channel) {
                        Some((_, names)) => names.extend(entries.map(str::to_owned)),
                        None => self
                            .other_names
                            .push((channel.to_owned(), entries.map(str::to_owned).collect())),
                    }
                }
            }
            366 => {
                let channel = p(1);
                if let Some(at) = self.find(channel) {
                    let window = &mut self.windows[at];
                    window.reading_names = false;
                    let names = window.names.join(" ");
                    let label = window.label();
                    fx.push_to(Kind::Info, &label, format!("* Names in {channel}: {names}"));
                }
                for (channel, names) in std::mem::take(&mut self.other_names) {
                    fx.info(format!("* Names in {channel}: {}", names.join(" ")));
                }
            }
            332 => fx.push_to(
                Kind::Info,
                &label(p(1)),
                format!("* Topic of {}: {text}", p(1)),
            ),
            331 => fx.push_to(Kind::Info, &label(p(1)), format!("* {} has no topic", p(1))),
            322 => {
                let topic = if text.is_empty() || m.params.len() < 4 {
                    String::new()
                } else {
                    format!(": {text}")
                };
                fx.info(format!("* {} ({} users){topic}", p(1), p(2)));
            }
            323 => fx.info("* End of the channel list"),
            352 => {
                // `#chan user host server nick flags :hops realname`
                let real = text.split_once(' ').map_or("", |(_, r)| r);
                fx.info(format!(
                    "* {} {} {} ({}@{}) {real}",
                    p(1),
                    p(5),
                    p(6),
                    p(2),
                    p(3)
                ));
            }
            311 => fx.info(format!("* {} is {}@{} ({text})", p(1), p(2), p(3))),
            319 => fx.info(format!("* {} is on {text}", p(1))),
            312 => fx.info(format!("* {} is connected to {} ({text})", p(1), p(2))),
            301 => fx.info(format!("* {} is away: {text}", p(1))),
            305 | 306 => fx.info(format!("* {text}")),
            400..=599 => {
                let about: Vec<&str> = rest[..rest.len().saturating_sub(1)].to_vec();
                if about.is_empty() {
                    fx.error(format!("error: {text}"));
                } else {
                    fx.error(format!("error: {}: {text}", about.join(" ")));
                }
            }
            _ => fx.received(rest.join(" ")),
        }
    }

    /// 433 or 432 before the welcome: ask for another nick, or (a script) try with `_`.
    fn nick_refused(&mut self, code: u16, nick: &str, text: &str, fx: &mut Effects) {
        fx.error(format!("error: {nick}: {text}"));
        if code == 433 && self.script {
            let next = format!("{nick}_");
            fx.info(format!("Trying the nickname {next}"));
            self.send("NICK", &[&next], fx);
            self.nick = Some(next);
        } else if self.script {
            fx.end(End::Broken);
        } else {
            self.nick = None;
            self.stage = Stage::AskNick;
            fx.info("Choose another nickname.");
        }
    }
}

/// ` (reason)`, or nothing for none.
fn reason(reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!(" ({r})"),
        _ => String::new(),
    }
}

fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

/// A nick list entry with `+o`/`-o`/`+v`/`-v` applied; it shows the highest (`@`).
fn with_mode(entry: &str, mode: char, adding: bool) -> String {
    let nick = strip_prefix(entry);
    let mut op = entry[..entry.len() - nick.len()].contains('@');
    let mut voice = entry[..entry.len() - nick.len()].contains('+');
    match mode {
        'o' => op = adding,
        _ => voice = adding,
    }
    let prefix = if op {
        "@"
    } else if voice {
        "+"
    } else {
        ""
    };
    format!("{prefix}{nick}")
}

pub const HELP: &str = "Commands: /join #C, /part [#C] [reason], /msg NICK TEXT, /query NICK, \
     /me ACTION, /nick NEW, /topic [TEXT], /names, /who [MASK], /whois NICK, /list, \
     /window N|next|prev, /raw LINE, /quit [reason]; other /WORDs go to the server as is. \
     Plain text goes to the current channel or query.";

impl Session for IrcSession {
    fn start(&mut self, fx: &mut Effects) {
        self.register(fx);
    }

    fn prompt(&self) -> Option<String> {
        match self.stage {
            Stage::AskNick => Some(ASK_NICK.to_owned()),
            Stage::Registering => None,
            Stage::Registered if self.pings_due > 0 => None,
            Stage::Registered => Some(match self.target() {
                Some(window) => format!("[{}] ", window.label()),
                None => format!("[{}] ", self.me()),
            }),
        }
    }

    fn on_line(&mut self, line: &str, fx: &mut Effects) {
        match self.stage {
            Stage::AskNick => {
                let nick = line.trim();
                if !nick.is_empty() {
                    self.nick = Some(nick.to_owned());
                    self.register(fx);
                }
                return;
            }
            // Input waits while registering (the prompt is withheld); nothing to do.
            Stage::Registering => return,
            Stage::Registered => {}
        }
        if let Some(escaped) = line.strip_prefix("//") {
            self.plain(&format!("/{escaped}"), fx);
        } else if line.starts_with('/') {
            self.on_command(line, fx);
        } else if !line.is_empty() {
            self.plain(line, fx);
        }
        if self.script && !fx.send.is_empty() && !self.quitting {
            self.sync = true;
        }
        self.ping_if_synced(fx);
    }

    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        while let Some(line) = self.decoder.decode(buf) {
            self.on_decoded(line, fx);
        }
    }

    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        if let Some(farewell) = self.farewell.take() {
            fx.error(farewell);
        }
        while let Some(line) = self.decoder.decode_eof(buf) {
            self.on_decoded(line, fx);
        }
        if !self.quitting {
            fx.error(CLOSED);
        }
    }

    fn leave(&mut self, fx: &mut Effects) {
        if self.stage == Stage::Registered && !self.quitting {
            self.quit("", fx);
        } else if self.quitting {
            fx.end(End::WhenClosed);
        } else {
            self.send("QUIT", &["Leaving"], fx);
            fx.end(End::Now);
        }
    }

    /// After the registration timeout's ERROR while asking for a nick (the first, or
    /// another after a refusal) the server holds nothing of the user's: a new connection
    /// registers afresh, USER included (issue 15 #10).
    fn restart(&mut self) -> bool {
        if self.stage != Stage::AskNick || self.quitting || self.farewell.is_none() {
            return false;
        }
        self.decoder = irc::Decoder::new();
        self.user_sent = false;
        self.farewell = None;
        true
    }

    fn settle(&self) -> Settle {
        if self.stage == Stage::Registering || self.pings_due > 0 {
            Settle::Waiting
        } else {
            Settle::QuietFor(QUIET)
        }
    }

    fn roster(&self) -> Roster {
        let mut roster = Roster {
            me: (self.stage == Stage::Registered).then(|| self.me().to_owned()),
            ..Roster::default()
        };
        roster.windows.push(STATUS.to_owned());
        roster
            .windows
            .extend(self.windows.iter().map(Window::label));
        match self.target() {
            Some(window) => {
                roster.window = Some(window.label());
                roster.room = Some(window.label());
                roster.names = if window.is_channel() {
                    window.names.clone()
                } else {
                    vec![self.me().to_owned(), window.name.clone()]
                };
            }
            None => roster.window = Some(STATUS.to_owned()),
        }
        roster
    }

    fn echo_typed(&self) -> bool {
        false
    }
}

impl IrcSession {
    /// Sends `PING :confab-N` if what was sent asks to wait for its answers (see
    /// [`Self::sync`] and the module's note on scripts).
    fn ping_if_synced(&mut self, fx: &mut Effects) {
        if !std::mem::take(&mut self.sync) {
            return;
        }
        self.pings_sent += 1;
        let token = format!("{PING_TOKEN}{}", self.pings_sent);
        self.send("PING", &[&token], fx);
        self.pings_due += 1;
    }

    /// Text for the current window.
    fn plain(&mut self, text: &str, fx: &mut Effects) {
        match self.target().map(|w| w.name.clone()) {
            Some(target) => self.privmsg(&target, text, fx),
            None => fx.info(NO_TARGET),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(fx: &Effects) -> Vec<&str> {
        fx.shown
            .iter()
            .filter(|s| s.kind != Kind::Own)
            .map(|s| s.text.as_str())
            .collect()
    }

    fn sent(fx: &Effects) -> String {
        String::from_utf8_lossy(&fx.send).into_owned()
    }

    /// Feeds server lines (joined with CRLF) and returns what they produced.
    fn feed(s: &mut IrcSession, lines: &[&str]) -> Effects {
        let mut fx = Effects::default();
        let mut buf = BytesMut::new();
        for line in lines {
            buf.extend_from_slice(line.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        s.on_bytes(&mut buf, &mut fx);
        assert!(buf.is_empty());
        fx
    }

    fn typed(s: &mut IrcSession, line: &str) -> Effects {
        let mut fx = Effects::default();
        s.on_line(line, &mut fx);
        fx
    }

    /// A session registered as `amy` and in `#lobby` with bob and carol.
    fn in_lobby() -> IrcSession {
        let mut s = IrcSession::new(Some("amy".into()), vec!["#lobby".into()], false);
        let mut fx = Effects::default();
        s.start(&mut fx);
        feed(
            &mut s,
            &[
                ":confab 001 amy :Welcome to the confab Network, amy!amy@127.0.0.1",
                ":amy!amy@127.0.0.1 JOIN #lobby",
                ":confab 353 amy = #lobby :@carol bob amy",
                ":confab 366 amy #lobby :End of /NAMES list",
                ":confab PONG confab confab-1",
            ],
        );
        s
    }

    #[test]
    fn registers_welcomes_condenses_the_motd_and_joins() {
        let mut s = IrcSession::new(Some("amy".into()), vec!["lobby".into()], false);
        let mut fx = Effects::default();
        s.start(&mut fx);
        assert_eq!(sent(&fx), "NICK amy\r\nUSER amy 0 * amy\r\n");
        assert_eq!(s.prompt(), None, "input waits for the welcome");
        assert_eq!(s.settle(), Settle::Waiting);
        let fx = feed(
            &mut s,
            &[
                ":confab 001 amy :Welcome to the confab Network, amy!amy@127.0.0.1",
                ":confab 002 amy :Your host is confab, running version confab-0.1.0",
                ":confab 005 amy CASEMAPPING=ascii :are supported by this server",
                ":confab 251 amy :There are 1 users and 0 invisible on 1 servers",
                ":confab 375 amy :- confab Message of the day - ",
                ":confab 372 amy :- Welcome to confab.",
                ":confab 376 amy :End of /MOTD command.",
                "PING :abc",
                ":amy!amy@127.0.0.1 JOIN #lobby",
                ":confab 332 amy #lobby :the topic",
                ":confab 333 amy #lobby bob 1700000000",
                ":confab 353 amy = #lobby :@bob amy",
                ":confab 366 amy #lobby :End of /NAMES list",
            ],
        );
        assert_eq!(s.prompt(), None, "the prompt waits for the joins");
        assert!(feed(&mut s, &[":confab PONG confab confab-1"])
            .shown
            .is_empty());
        assert_eq!(
            texts(&fx),
            [
                "Welcome to the confab Network, amy!amy@127.0.0.1",
                "Welcome to confab.",
                "* You joined #lobby",
                "* Topic of #lobby: the topic",
                "* Names in #lobby: @bob amy",
            ]
        );
        assert_eq!(sent(&fx), "JOIN #lobby\r\nPING confab-1\r\nPONG abc\r\n");
        assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
        assert_eq!(s.settle(), Settle::QuietFor(QUIET));
        let roster = s.roster();
        assert_eq!(roster.me.as_deref(), Some("amy"));
        assert_eq!(roster.names, ["@bob", "amy"]);
        assert_eq!(roster.windows, ["status", "#lobby"]);
        assert_eq!(roster.window.as_deref(), Some("#lobby"));
    }

    #[test]
    fn asks_for_the_nick_and_again_while_it_is_taken() {
        let mut s = IrcSession::new(None, vec![], false);
        let mut fx = Effects::default();
        s.start(&mut fx);
        assert!(fx.send.is_empty());
        assert_eq!(s.prompt().as_deref(), Some(ASK_NICK));
        let fx = typed(&mut s, "bob");
        assert_eq!(sent(&fx), "NICK bob\r\nUSER bob 0 * bob\r\n");
        let fx = feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
        assert_eq!(
            texts(&fx),
            [
                "error: bob: Nickname is already in use",
                "Choose another nickname."
            ]
        );
        assert!(fx.send.is_empty());
        assert_eq!(s.prompt().as_deref(), Some(ASK_NICK));
        // USER went with the first nick; sent again, the server would finish registering
        // on the NICK and answer the second USER with 462.
        let fx = typed(&mut s, "rob");
        assert_eq!(sent(&fx), "NICK rob\r\n");
        let fx = feed(&mut s, &[":confab 432 * 9x :Erroneous nickname"]);
        assert_eq!(texts(&fx)[1], "Choose another nickname.");
        assert_eq!(sent(&typed(&mut s, "ron")), "NICK ron\r\n");
        feed(&mut s, &[":confab 001 ron :Welcome"]);
        assert_eq!(s.prompt().as_deref(), Some("[ron] "));
    }

    #[test]
    fn a_connection_timed_out_while_asking_again_registers_afresh() {
        let mut s = IrcSession::new(None, vec![], false);
        typed(&mut s, "bob");
        feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
        let fx = feed(&mut s, &["ERROR :Closing link: Registration timed out"]);
        assert!(texts(&fx).is_empty(), "held back: {:?}", texts(&fx));
        assert!(s.restart());
        // The new connection has seen no USER yet.
        assert_eq!(
            sent(&typed(&mut s, "rob")),
            "NICK rob\r\nUSER rob 0 * rob\r\n"
        );
        assert!(!s.restart(), "registering: answers are due");
    }

    #[test]
    fn a_farewell_held_back_is_shown_when_the_session_ends() {
        let mut s = IrcSession::new(None, vec![], false);
        typed(&mut s, "bob");
        feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
        feed(&mut s, &["ERROR :Closing link: Registration timed out"]);
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::new(), &mut fx);
        assert_eq!(
            texts(&fx),
            ["error: Closing link: Registration timed out", CLOSED]
        );
    }

    #[test]
    fn a_script_tries_the_taken_nick_with_an_underscore() {
        let mut s = IrcSession::new(Some("bob".into()), vec![], true);
        s.start(&mut Effects::default());
        let fx = feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
        assert_eq!(
            texts(&fx),
            [
                "error: bob: Nickname is already in use",
                "Trying the nickname bob_"
            ]
        );
        assert_eq!(sent(&fx), "NICK bob_\r\n");
        feed(&mut s, &[":confab 001 bob_ :Welcome"]);
        assert_eq!(s.roster().me.as_deref(), Some("bob_"));
    }

    #[test]
    fn channel_and_query_lines() {
        let mut s = in_lobby();
        let fx = feed(
            &mut s,
            &[
                ":bob!bob@broadcast PRIVMSG #lobby :hello all",
                ":bob!bob@broadcast PRIVMSG #lobby :\x01ACTION waves\x01",
                ":X!X@prefixed PRIVMSG amy :psst",
                ":carol!c@h NOTICE #lobby :note",
                ":confab NOTICE amy :server says",
                ":confab 401 amy nobody :No such nick/channel",
                "ERROR :Closing link: bye",
            ],
        );
        assert_eq!(
            texts(&fx),
            [
                "[#lobby] <bob> hello all",
                "[#lobby] * bob waves",
                "[query X] <X> psst",
                "[#lobby] -carol- note",
                "-confab- server says",
                "error: nobody: No such nick/channel",
                "error: Closing link: bye",
            ]
        );
        let windows: Vec<Option<&str>> = fx.shown.iter().map(|s| s.window.as_deref()).collect();
        assert_eq!(
            windows,
            [
                Some("#lobby"),
                Some("#lobby"),
                Some("query X"),
                Some("#lobby"),
                None,
                None,
                None
            ]
        );
        assert_eq!(s.roster().windows, ["status", "#lobby", "query X"]);
        assert_eq!(
            s.roster().window.as_deref(),
            Some("#lobby"),
            "a query opens without taking the focus"
        );
    }

    #[test]
    fn joins_parts_quits_nicks_and_modes_keep_the_nick_list() {
        let mut s = in_lobby();
        let fx = feed(
            &mut s,
            &[
                ":dan!dan@rooms JOIN #lobby",
                ":bob!bob@broadcast PART #lobby :later",
                ":carol!c@h NICK :caro",
                ":caro!c@h MODE #lobby +v dan",
                ":caro!c@h MODE #lobby -o caro",
                ":caro!c@h TOPIC #lobby :new topic",
                ":dan!dan@rooms QUIT :Quit: bye",
                ":caro!c@h KICK #lobby amy :out",
            ],
        );
        assert_eq!(
            texts(&fx),
            [
                "* dan joined #lobby",
                "* bob left #lobby (later)",
                "* carol is now known as caro",
                "* caro set mode +v dan on #lobby",
                "* caro set mode -o caro on #lobby",
                "* caro set the topic of #lobby: new topic",
                "* dan quit (Quit: bye)",
                "* You were kicked from #lobby by caro (out)",
            ]
        );
        assert_eq!(s.roster().windows, ["status"]);
        assert_eq!(s.prompt().as_deref(), Some("[amy] "));

        let mut s = in_lobby();
        feed(
            &mut s,
            &[
                ":dan!dan@rooms JOIN #lobby",
                ":bob!bob@broadcast PART #lobby",
                ":carol!c@h NICK caro",
                ":caro!c@h MODE #lobby +v dan",
                ":amy!amy@h NICK amy2",
            ],
        );
        assert_eq!(s.roster().names, ["@caro", "amy2", "+dan"]);
        assert_eq!(s.roster().me.as_deref(), Some("amy2"));
        // A fresh NAMES reply replaces the list.
        feed(
            &mut s,
            &[
                ":confab 353 amy2 = #lobby :@caro",
                ":confab 353 amy2 = #lobby :amy2",
                ":confab 366 amy2 #lobby :End of /NAMES list",
                ":caro!c@h QUIT :gone",
            ],
        );
        assert_eq!(s.roster().names, ["amy2"]);
        // Names of a channel without a window are shown, and kept out of the list.
        let fx = feed(
            &mut s,
            &[
                ":confab 353 amy2 = #den :@dan",
                ":confab 353 amy2 = #den :eve",
                ":confab 366 amy2 #den :End of /NAMES list",
            ],
        );
        assert_eq!(texts(&fx), ["* Names in #den: @dan eve"]);
        assert_eq!(s.roster().names, ["amy2"]);
    }

    #[test]
    fn commands_send_what_irc_expects() {
        let mut s = in_lobby();
        let cases = [
            ("hello there", "PRIVMSG #lobby :hello there\r\n"),
            ("/me waves", "PRIVMSG #lobby :\x01ACTION waves\x01\r\n"),
            ("/msg bob hi bob", "PRIVMSG bob :hi bob\r\n"),
            ("/topic", "TOPIC #lobby\r\n"),
            ("/topic a new one", "TOPIC #lobby :a new one\r\n"),
            ("/names", "NAMES #lobby\r\n"),
            ("/who", "WHO #lobby\r\n"),
            ("/whois bob", "WHOIS bob\r\n"),
            ("/list", "LIST\r\n"),
            ("/nick amy2", "NICK amy2\r\n"),
            ("/join den", "JOIN #den\r\nPING confab-2\r\n"),
            ("/join #a,b key", "JOIN #a,#b key\r\nPING confab-3\r\n"),
            ("/raw MODE #lobby +m", "MODE #lobby +m\r\n"),
            ("/away gone home", "AWAY :gone home\r\n"),
            ("/away", "AWAY\r\n"),
            ("/mode #lobby +v bob", "MODE #lobby +v bob\r\n"),
            ("//etc/passwd", "PRIVMSG #lobby /etc/passwd\r\n"),
            ("/part", "PART #lobby\r\nPING confab-4\r\n"),
            (
                "/part #den see you",
                "PART #den :see you\r\nPING confab-5\r\n",
            ),
        ];
        for (line, wire) in cases {
            assert_eq!(sent(&typed(&mut s, line)), wire, "{line}");
        }
        let fx = typed(&mut s, "hi");
        assert_eq!(
            fx.shown,
            [crate::session::Shown {
                kind: Kind::Own,
                text: "[#lobby] <amy> hi".into(),
                window: Some("#lobby".into())
            }]
        );
        let fx = typed(&mut s, "/quit off now");
        assert_eq!(sent(&fx), "QUIT :off now\r\n");
        assert_eq!(fx.end, Some(End::WhenClosed));
        let fx = feed(&mut s, &["ERROR :Closing link: (amy@h) [Quit: off now]"]);
        assert!(texts(&fx).is_empty(), "the goodbye is not an error");
    }

    #[test]
    fn query_and_windows() {
        let mut s = in_lobby();
        let fx = typed(&mut s, "/query bob");
        assert!(fx.send.is_empty());
        assert_eq!(s.prompt().as_deref(), Some("[query bob] "));
        assert_eq!(sent(&typed(&mut s, "psst")), "PRIVMSG bob psst\r\n");
        typed(&mut s, "/window 1");
        assert_eq!(s.roster().window.as_deref(), Some("status"));
        assert_eq!(sent(&typed(&mut s, "x")), "");
        typed(&mut s, "/window next");
        assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
        typed(&mut s, "/window prev");
        typed(&mut s, "/window prev");
        assert_eq!(s.prompt().as_deref(), Some("[query bob] "));
        typed(&mut s, "/part");
        assert_eq!(s.roster().windows, ["status", "#lobby"]);
        assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
        let fx = typed(&mut s, "/window 9");
        assert_eq!(texts(&fx), ["Windows are 1 to 2: /window N, next or prev"]);
    }

    #[test]
    fn a_script_pings_after_each_line_and_waits_for_the_pong() {
        let mut s = IrcSession::new(Some("amy".into()), vec![], true);
        s.start(&mut Effects::default());
        feed(&mut s, &[":confab 001 amy :Welcome"]);
        let fx = typed(&mut s, "/join #lobby");
        assert_eq!(sent(&fx), "JOIN #lobby\r\nPING confab-1\r\n");
        assert_eq!(s.settle(), Settle::Waiting);
        let fx = feed(&mut s, &[":confab PONG confab :confab-1"]);
        assert!(fx.shown.is_empty());
        assert_eq!(s.settle(), Settle::QuietFor(QUIET));
        let fx = typed(&mut s, "no target yet");
        assert!(fx.send.is_empty(), "nothing sent, nothing to wait for");
        assert_eq!(s.settle(), Settle::QuietFor(QUIET));
    }

    #[test]
    fn leaving_says_quit() {
        let mut s = in_lobby();
        let mut fx = Effects::default();
        s.leave(&mut fx);
        assert_eq!(sent(&fx), "QUIT Leaving\r\n");
        assert_eq!(fx.end, Some(End::WhenClosed));
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::new(), &mut fx);
        assert!(fx.shown.is_empty());

        let mut s = in_lobby();
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::from(&b"ERROR :bye"[..]), &mut fx);
        assert_eq!(texts(&fx), ["error: bye", CLOSED]);
    }
}
