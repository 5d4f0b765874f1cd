//! The `broadcast` client (seed 004): asks for the name (unless `--name` gave it), sends
//! it as the first line, then prompts `You: ` and prints every line the server sends;
//! `bye` leaves, and when the server closes it prints `Disconnected from the server`.

use bytes::BytesMut;
use confab_proto::broadcast::{self, Input};

use crate::server_lines::{LineSession, ServerLines};
use crate::session::{Effects, End, Roster, Session, Settle, QUIET};

pub const ASK_NAME: &str = "Enter username: ";
pub const PROMPT: &str = "You: ";
pub const DISCONNECTED: &str = "Disconnected from the server";
/// The server's farewell to a connection that sent no name in time (docs/security.md).
const TIMED_OUT: &str = "Registration timed out";

pub struct BroadcastSession {
    lines: ServerLines,
    /// The name sent, once it has been.
    name: Option<String>,
    roster: Roster,
    said_bye: bool,
}

impl BroadcastSession {
    /// `name`: from `--name`, sent at once; otherwise the first typed line is the name.
    pub fn new(name: Option<String>) -> Self {
        BroadcastSession {
            lines: ServerLines::new(),
            name,
            roster: Roster::default(),
            said_bye: false,
        }
    }

    fn send_line(&self, line: &str, fx: &mut Effects) {
        fx.send.extend_from_slice(line.as_bytes());
        fx.send.extend_from_slice(b"\n");
    }
}

impl LineSession for BroadcastSession {
    fn server_lines(&mut self) -> &mut ServerLines {
        &mut self.lines
    }

    /// One server line: shown as sent; joins, departures and speakers fill the side pane
    /// (the protocol has no way to ask who is there).
    fn on_server_line(&mut self, line: &str, fx: &mut Effects) {
        if line == TIMED_OUT && self.name.is_none() {
            self.lines.farewell = Some(line.to_owned());
            return;
        }
        if line == "Welcome to the chat. Enter 'bye' anytime to exit." {
            self.roster.me = self.name.clone();
            if let Some(name) = &self.name {
                self.roster.add_name(name);
            }
        } else if let Some(name) = line.strip_suffix(" joined the conversation") {
            self.roster.add_name(name);
        } else if let Some(name) = line
            .strip_suffix(" left the conversation")
            .or_else(|| line.strip_suffix(" left the conversation unexpectedly"))
        {
            self.roster.remove_name(name);
        } else if let Some(name) = kicked(line) {
            self.roster.remove_name(name);
        } else if let Some((from, _)) = line.split_once(": ") {
            if !from.contains(' ') && !from.starts_with('*') {
                self.roster.add_name(from);
            }
        }
        fx.received(line);
    }
}

impl Session for BroadcastSession {
    fn start(&mut self, fx: &mut Effects) {
        if let Some(name) = &self.name {
            self.send_line(name, fx);
        }
    }

    fn prompt(&self) -> Option<String> {
        Some(match self.name {
            None => ASK_NAME.to_owned(),
            Some(_) => PROMPT.to_owned(),
        })
    }

    fn on_line(&mut self, line: &str, fx: &mut Effects) {
        if self.name.is_none() {
            let name = line.trim();
            // An empty name is not an answer: ask again rather than be refused.
            if !name.is_empty() {
                self.send_line(name, fx);
                self.name = Some(name.to_owned());
            }
            return;
        }
        self.send_line(line, fx);
        if broadcast::parse(line) == Input::Bye {
            self.said_bye = true;
            fx.end(End::WhenClosed);
        }
    }

    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        self.read_lines(buf, fx);
    }

    /// The seed's client prints its disconnect line however the session ended, `bye`
    /// included.
    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        self.read_to_end(buf, fx);
        fx.info(DISCONNECTED);
    }

    fn leave(&mut self, fx: &mut Effects) {
        if self.name.is_some() && !self.said_bye {
            self.on_line("bye", fx);
        } else {
            fx.end(End::Now);
        }
    }

    /// Timed out while the user was still reading `Enter username: `: the name goes on
    /// a new connection (issue 15 #10).
    fn restart(&mut self) -> bool {
        if self.name.is_some() || self.lines.farewell.take().is_none() {
            return false;
        }
        self.lines.restart();
        true
    }

    fn settle(&self) -> Settle {
        Settle::QuietFor(QUIET)
    }

    fn roster(&self) -> Roster {
        self.roster.clone()
    }
}

/// Whom `bob was kicked by alice (spam)` is about (a name holds no space).
fn kicked(line: &str) -> Option<&str> {
    let (name, _) = line.split_once(" was kicked by ")?;
    (!name.contains(' ') && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(fx: &Effects) -> Vec<&str> {
        fx.shown.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn asks_for_the_name_then_prompts_you() {
        let mut s = BroadcastSession::new(None);
        let mut fx = Effects::default();
        s.start(&mut fx);
        assert!(fx.send.is_empty());
        assert_eq!(s.prompt().as_deref(), Some(ASK_NAME));
        s.on_line("  ", &mut fx);
        assert!(fx.send.is_empty(), "an empty name is asked again");
        s.on_line("Ash", &mut fx);
        s.on_line("Hey there", &mut fx);
        assert_eq!(&fx.send[..], b"Ash\nHey there\n");
        assert_eq!(s.prompt().as_deref(), Some(PROMPT));
    }

    #[test]
    fn a_given_name_is_sent_at_once() {
        let mut s = BroadcastSession::new(Some("Ryuka".into()));
        let mut fx = Effects::default();
        s.start(&mut fx);
        assert_eq!(&fx.send[..], b"Ryuka\n");
        assert_eq!(s.prompt().as_deref(), Some(PROMPT));
    }

    #[test]
    fn bye_waits_for_the_close_which_prints_disconnected() {
        let mut s = BroadcastSession::new(Some("a".into()));
        let mut fx = Effects::default();
        s.on_line("ByE", &mut fx);
        assert_eq!(&fx.send[..], b"ByE\n");
        assert_eq!(fx.end, Some(End::WhenClosed));
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::new(), &mut fx);
        assert_eq!(texts(&fx), [DISCONNECTED]);
    }

    #[test]
    fn prints_lines_and_follows_who_is_there() {
        let mut s = BroadcastSession::new(Some("Ryuka".into()));
        let mut fx = Effects::default();
        let mut buf = BytesMut::from(
            &b"Welcome to the chat. Enter 'bye' anytime to exit.\nAsh joined the conversation\n\
               Ash: Hey there\nBo: x\nBo left the conversation unexpectedly\nCy"[..],
        );
        s.on_bytes(&mut buf, &mut fx);
        assert_eq!(
            texts(&fx),
            [
                "Welcome to the chat. Enter 'bye' anytime to exit.",
                "Ash joined the conversation",
                "Ash: Hey there",
                "Bo: x",
                "Bo left the conversation unexpectedly"
            ]
        );
        assert_eq!(s.roster().names, ["Ryuka", "Ash"]);
        // An action naming nobody leaves the pane alone; a kick removes the kicked.
        let mut action = BytesMut::from(&b"* Ash (action): left the conversation\n"[..]);
        s.on_bytes(&mut action, &mut Effects::default());
        assert_eq!(s.roster().names, ["Ryuka", "Ash"]);
        let mut kick = BytesMut::from(&b"Ash was kicked by Ryuka (spam)\n"[..]);
        s.on_bytes(&mut kick, &mut Effects::default());
        assert_eq!(s.roster().names, ["Ryuka"]);
        let mut fx = Effects::default();
        s.on_closed(&mut buf, &mut fx);
        assert_eq!(texts(&fx), ["Cy", DISCONNECTED]);
    }
}
