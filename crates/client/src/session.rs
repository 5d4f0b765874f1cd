//! The seam between a protocol and a user interface: a [`Session`] turns typed lines and
//! server bytes into [`Effects`] (lines to show, bytes to send, whether to end), so each
//! protocol is written once and runs unchanged under the script, line and full-screen UIs.

use std::time::Duration;

use bytes::BytesMut;

/// What kind of line a session shows; the full-screen UI colours them, the others print
/// them plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something the server sent (a chat line, a reply, a notice).
    Received,
    /// The client's own guidance (questions, confirmations).
    Info,
    /// A client-side error (`Bad username`) or a connection problem.
    Error,
    /// The user's own typed line, echoed by the full-screen UI only (the other UIs
    /// already have it on screen or in their input).
    Own,
}

/// One line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub kind: Kind,
    pub text: String,
    /// The window the line belongs to (IRC: `#lobby`, `query bob`, as in the text's
    /// `[...]` lead); `None` for wherever the user is looking. Only the full-screen UI,
    /// which shows one window at a time, reads it.
    pub window: Option<String>,
}

impl Shown {
    pub fn new(kind: Kind, text: impl Into<String>) -> Shown {
        Shown {
            kind,
            text: text.into(),
            window: None,
        }
    }
}

/// How a session asks to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The user is leaving and has said so to the server (`EXIT`, `bye`, `/logout`):
    /// wait, bounded, for the server to close, then exit 0.
    WhenClosed,
    /// The user is leaving and the protocol has no goodbye (`exit`): exit 0 now.
    Now,
    /// The stream can no longer be understood (a framing error): exit 1 now.
    Broken,
}

/// Everything one step of a session produced, applied by the driver in this order:
/// show the lines, send the bytes, then end if asked.
#[derive(Debug, Default)]
pub struct Effects {
    pub shown: Vec<Shown>,
    pub send: BytesMut,
    pub end: Option<End>,
}

impl Effects {
    /// A line the server sent, shown as is.
    pub fn received(&mut self, text: impl Into<String>) {
        self.push(Kind::Received, text);
    }

    /// The client's own guidance.
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Kind::Info, text);
    }

    /// A client-side error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Kind::Error, text);
    }

    pub fn push(&mut self, kind: Kind, text: impl Into<String>) {
        self.shown.push(Shown::new(kind, text));
    }

    /// A line that belongs to `window` (see [`Shown::window`]).
    pub fn push_to(&mut self, kind: Kind, window: &str, text: impl Into<String>) {
        self.shown.push(Shown {
            kind,
            text: text.into(),
            window: Some(window.to_owned()),
        });
    }

    /// Asks to end; the first request wins (a later `Broken` does not undo a goodbye).
    pub fn end(&mut self, end: End) {
        self.end.get_or_insert(end);
    }
}

/// How a script (stdin not a terminal) knows, after its last line, that the server's
/// replies have arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Replies the protocol promises are still due: keep waiting (bounded).
    Waiting,
    /// Nothing is due that can be counted: done once the server has been quiet this long.
    QuietFor(Duration),
}

/// The quiet period for protocols whose replies cannot all be counted.
pub const QUIET: Duration = Duration::from_millis(300);

/// What the full-screen UI shows in its side pane and status bar, as far as the
/// protocol lets the client know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// The user's own name, once the server accepted it.
    pub me: Option<String>,
    /// The room the user is in (rooms only).
    pub room: Option<String>,
    /// Names known to be online (in the room, for rooms).
    pub names: Vec<String>,
    /// Rooms known to exist (rooms only).
    pub rooms: Vec<String>,
    /// The windows, in order, when the protocol has them (IRC: `status`, then one per
    /// channel and query); the full-screen UI lists them and shows the one named by
    /// `window`. Empty for one-conversation protocols.
    pub windows: Vec<String>,
    /// The window shown (an entry of `windows`).
    pub window: Option<String>,
}

impl Roster {
    /// Adds `name` unless present (compared as the server does, without ASCII case).
    pub fn add_name(&mut self, name: &str) {
        if !self.names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            self.names.push(name.to_owned());
        }
    }

    pub fn remove_name(&mut self, name: &str) {
        self.names.retain(|n| !n.eq_ignore_ascii_case(name));
    }

    pub fn rename(&mut self, old: &str, new: &str) {
        self.remove_name(old);
        self.add_name(new);
    }
}

/// One protocol's client behaviour.
pub trait Session: Send {
    /// Called once connected, before the first prompt (`Pls enter commands`).
    fn start(&mut self, fx: &mut Effects);

    /// The prompt for the next line, or `None` while what to ask next depends on a
    /// reply still due (the rooms client's guided steps). Input waits meanwhile.
    fn prompt(&self) -> Option<String>;

    /// One line the user typed, without its newline.
    fn on_line(&mut self, line: &str, fx: &mut Effects);

    /// Bytes arrived: take every whole frame out of `buf`, leave a partial one.
    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects);

    /// The server closed the connection; `buf` holds whatever unterminated rest came.
    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects);

    /// The user pressed Ctrl-D or Ctrl-C at the prompt: leave the way the protocol
    /// says goodbye.
    fn leave(&mut self, fx: &mut Effects);

    /// See [`Settle`].
    fn settle(&self) -> Settle;

    /// See [`Roster`].
    fn roster(&self) -> Roster;

    /// The server closed the connection before the user took a name on it (its
    /// registration timeout, while the user was reading a question): true when the
    /// session can go on as if nothing happened on a new connection, which the driver
    /// opens when the session next sends; the session then redoes whatever of its steps
    /// the server must see again. False (the default) ends the session as any close does.
    fn restart(&mut self) -> bool {
        false
    }

    /// Whether the full-screen UI echoes each typed line after the prompt. A session
    /// that shows the user's own lines itself, as [`Kind::Own`], says no.
    fn echo_typed(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_end_wins() {
        let mut fx = Effects::default();
        fx.end(End::WhenClosed);
        fx.end(End::Broken);
        assert_eq!(fx.end, Some(End::WhenClosed));
    }

    #[test]
    fn roster_names_ignore_case() {
        let mut roster = Roster::default();
        roster.add_name("Bob");
        roster.add_name("bob");
        roster.add_name("amy");
        roster.rename("BOB", "rob");
        assert_eq!(roster.names, ["amy", "rob"]);
        roster.remove_name("AMY");
        assert_eq!(roster.names, ["rob"]);
    }
}
