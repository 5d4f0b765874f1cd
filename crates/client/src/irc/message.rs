//! Server lines to the IRC client: decoded, parsed, and sent by command to the function
//! that reads it (chat in `chat.rs`, membership in `membership.rs`, modes in `mode.rs`,
//! numerics in `numeric.rs`); the small ones (PING, PONG, TOPIC, INVITE, ERROR) are here.

use confab_proto::irc::{self, Message};
use confab_proto::line::Line;

use crate::session::Kind;

use super::window::{label, nick_of};
use super::{Effects, IrcSession, Stage, PING_TOKEN, TIMED_OUT};

impl IrcSession {
    pub(super) fn on_decoded(&mut self, line: Line, fx: &mut Effects) {
        match line {
            Line::Complete(bytes) => match Message::parse(&bytes) {
                Ok(message) => self.on_message(&message, fx),
                Err(irc::ParseError::Empty) => {}
                Err(error) => fx.error(format!("The server sent a line that is not IRC: {error}")),
            },
            Line::TooLong => fx.error("The server sent a line too long for IRC; it was dropped"),
        }
    }

    /// One server line: the table of commands the client reads.
    fn on_message(&mut self, m: &Message<'_>, fx: &mut Effects) {
        let source = m.source.map(nick_of).unwrap_or("");
        let p = |i: usize| m.param(i).unwrap_or("");
        match m.command_upper().as_ref() {
            "PING" => self.send("PONG", &m.params, fx),
            "PONG" => self.on_pong(m),
            "PRIVMSG" | "NOTICE" => self.on_privmsg(m, source, fx),
            "JOIN" => self.on_join(source, p(0), fx),
            "PART" => self.on_part(m, source, fx),
            "KICK" => self.on_kick(m, source, fx),
            "QUIT" => self.on_quit(m, source, fx),
            "NICK" => self.on_nick(source, p(0), fx),
            "TOPIC" => on_topic(m, source, fx),
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

    /// The PONG to a script's own PING: the replies to its line have all come.
    fn on_pong(&mut self, m: &Message<'_>) {
        let token = m.params.last().copied().unwrap_or("");
        if token.starts_with(PING_TOKEN) {
            self.pings_due = self.pings_due.saturating_sub(1);
        }
    }
}

/// `TOPIC #c :text`, or an empty text: cleared.
fn on_topic(m: &Message<'_>, source: &str, fx: &mut Effects) {
    let channel = m.param(0).unwrap_or("");
    let text = match m.param(1) {
        Some("") | None => format!("* {source} cleared the topic of {channel}"),
        Some(topic) => format!("* {source} set the topic of {channel}: {topic}"),
    };
    fx.push_to(Kind::Info, &label(channel), text);
}
