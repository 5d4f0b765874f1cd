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
//!
//! One file per responsibility, as the server's `adapter/irc/commands/`: typed lines in
//! `command.rs`; server lines dispatched in `message.rs` to `chat.rs` (PRIVMSG, NOTICE),
//! `membership.rs` (JOIN, PART, KICK, QUIT, NICK), `mode.rs` and `numeric.rs` (with
//! `names.rs` for NAMES replies); the windows and nick lists in `window.rs`.

mod chat;
mod command;
mod membership;
mod message;
mod mode;
mod names;
mod numeric;
mod window;

use bytes::BytesMut;
use confab_proto::irc::{self, eq_fold};

use crate::session::{Effects, End, Roster, Session, Settle, QUIET};

pub use command::{HELP, NO_TARGET};
use window::Window;

pub const ASK_NICK: &str = "Enter nickname: ";
pub const CLOSED: &str = "The server closed the connection";
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
}

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

#[cfg(test)]
mod tests;
