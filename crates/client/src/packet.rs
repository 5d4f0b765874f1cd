//! The `packet` client (seed 002): the commands `login`, `list`, `sendto`, `logout` and
//! `exit`, checked with the seed's client-side rules and exact errors before anything is
//! sent, and the server's LIST, RESPONSE and SENDTO packets printed as the seed asks.
//!
//! A LIST is printed as the names on one line, separated by spaces (names never hold
//! spaces), or `(nobody is logged in)` when the list is empty.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::BytesMut;
use confab_proto::packet::{ClientPacket, Decoded, Decoder, ResultCode, ServerPacket};

use crate::session::{Effects, End, Roster, Session, Settle};

/// The seed's limits, checked by the client before sending.
const NAME_MAX_CHARS: usize = 20;
const TEXT_MAX_CHARS: usize = 65_535;
/// The largest body accepted from the server: a SENDTO of 65535 four-byte characters
/// plus its name fits.
const MAX_BODY: usize = 1 << 20;

pub const BAD_USERNAME: &str = "Bad username";
pub const INVALID_COMMAND: &str = "Invalid command";
pub const BAD_MESSAGE: &str = "Bad message";
pub const EMPTY_LIST: &str = "(nobody is logged in)";

/// A request whose one reply (LIST or RESPONSE, docs/protocols/packet.md) is still due.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Due {
    Login(String),
    /// `quiet`: asked by the client itself to fill the side pane; the answer is not shown.
    List {
        quiet: bool,
    },
    SendTo,
    Logout,
}

/// A typed command that passed the seed's rules.
#[derive(Debug, PartialEq, Eq)]
enum Typed {
    Send(ClientPacket),
    Exit,
}

pub struct PacketSession {
    decoder: Decoder,
    /// Replies come in the order of requests, one each, so a queue matches them.
    due: VecDeque<Due>,
    roster: Roster,
    /// Ask for the list after each login and logout, for the full-screen side pane.
    track: bool,
}

impl PacketSession {
    pub fn new(track: bool) -> Self {
        PacketSession {
            decoder: Decoder::new(MAX_BODY),
            due: VecDeque::new(),
            roster: Roster::default(),
            track,
        }
    }

    fn send(&mut self, packet: ClientPacket, due: Due, fx: &mut Effects) {
        packet.encode(&mut fx.send);
        self.due.push_back(due);
    }

    fn on_packet(&mut self, packet: ServerPacket, fx: &mut Effects) {
        match packet {
            ServerPacket::Response(code) => self.on_response(code, fx),
            ServerPacket::List(names) => {
                let quiet = self.due.pop_front() == Some(Due::List { quiet: true });
                if !quiet {
                    fx.received(render_list(&names));
                }
                self.roster.names = names;
            }
            ServerPacket::SendTo { from, text } => fx.received(format!("{from}: {text}")),
        }
    }

    fn on_response(&mut self, code: ResultCode, fx: &mut Effects) {
        let due = self.due.pop_front();
        let quiet = due == Some(Due::List { quiet: true });
        if code == ResultCode::Ok {
            self.on_success(due, fx);
        }
        if quiet {
            return;
        }
        fx.received(match code {
            ResultCode::Ok => "Success",
            ResultCode::Failure => "Failure",
            ResultCode::Malformed => "Malformed packet (the server could not parse it)",
        });
    }

    /// A login or logout took effect: note who the user is, refresh the side pane.
    fn on_success(&mut self, due: Option<Due>, fx: &mut Effects) {
        match due {
            Some(Due::Login(name)) => self.roster.me = Some(name),
            Some(Due::Logout) => self.roster.me = None,
            _ => return,
        }
        if self.track {
            self.send(ClientPacket::List, Due::List { quiet: true }, fx);
        }
    }
}

/// The names separated by spaces, or [`EMPTY_LIST`].
fn render_list(names: &[String]) -> String {
    if names.is_empty() {
        EMPTY_LIST.to_owned()
    } else {
        names.join(" ")
    }
}

/// Checks one line against seed 002's rules; the error is exactly what the seed prints.
fn parse(line: &str) -> Result<Typed, &'static str> {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let no_params = |typed: Typed| {
        if rest.trim().is_empty() {
            Ok(typed)
        } else {
            Err(INVALID_COMMAND)
        }
    };
    match word {
        "login" => parse_login(rest),
        "list" => no_params(Typed::Send(ClientPacket::List)),
        "sendto" => parse_sendto(rest),
        "logout" => no_params(Typed::Send(ClientPacket::Logout)),
        "exit" => no_params(Typed::Exit),
        _ => Err(INVALID_COMMAND),
    }
}

/// `login <username>`: exactly one word of at most 20 characters.
fn parse_login(rest: &str) -> Result<Typed, &'static str> {
    let mut words = rest.split_whitespace();
    match (words.next(), words.next()) {
        (Some(name), None) if name.chars().count() <= NAME_MAX_CHARS => {
            Ok(Typed::Send(ClientPacket::Login { name: name.into() }))
        }
        _ => Err(BAD_USERNAME),
    }
}

/// `sendto <username> <message>`: both present, the name at most 20 characters, the
/// message (everything after the space after the name, as typed) at most 65535.
fn parse_sendto(rest: &str) -> Result<Typed, &'static str> {
    let Some((to, text)) = rest.split_once(' ') else {
        return Err(BAD_USERNAME);
    };
    if to.is_empty() || text.is_empty() || to.chars().count() > NAME_MAX_CHARS {
        return Err(BAD_USERNAME);
    }
    if text.chars().count() > TEXT_MAX_CHARS {
        return Err(BAD_MESSAGE);
    }
    Ok(Typed::Send(ClientPacket::SendTo {
        to: to.into(),
        text: text.into(),
    }))
}

impl Session for PacketSession {
    fn start(&mut self, _fx: &mut Effects) {}

    fn prompt(&self) -> Option<String> {
        Some("> ".to_owned())
    }

    /// Whenever a line breaks a rule the error is printed and nothing is sent (the
    /// seed: "it should not perform any other action"). An empty line is ignored.
    fn on_line(&mut self, line: &str, fx: &mut Effects) {
        if line.trim().is_empty() {
            return;
        }
        match parse(line) {
            Err(error) => fx.error(error),
            Ok(Typed::Exit) => fx.end(End::Now),
            Ok(Typed::Send(packet)) => {
                let due = match &packet {
                    ClientPacket::Login { name } => Due::Login(name.clone()),
                    ClientPacket::List => Due::List { quiet: false },
                    ClientPacket::SendTo { .. } => Due::SendTo,
                    ClientPacket::Logout => Due::Logout,
                };
                self.send(packet, due, fx);
            }
        }
    }

    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        while let Some(decoded) = self.decoder.decode(buf) {
            match decoded {
                Decoded::Packet { kind, body } => match ServerPacket::parse(kind, &body) {
                    Ok(packet) => self.on_packet(packet, fx),
                    // The length field still holds, so the next packet can be read.
                    Err(error) => fx.error(format!("The server sent a malformed packet: {error}")),
                },
                Decoded::TooLarge => {
                    fx.error("The server sent a packet too large to read; disconnecting");
                    fx.end(End::Broken);
                    return;
                }
            }
        }
    }

    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        self.on_bytes(buf, fx);
        fx.error("The server closed the connection");
    }

    fn leave(&mut self, fx: &mut Effects) {
        fx.end(End::Now);
    }

    fn settle(&self) -> Settle {
        // Every request gets exactly one reply, so they can be counted.
        if self.due.is_empty() {
            Settle::QuietFor(Duration::ZERO)
        } else {
            Settle::Waiting
        }
    }

    /// Closed before a login with nothing due: the protocol has no farewell, and the
    /// registration timeout of a user still reading is the likely cause; a new connection
    /// goes on (issue 15 #10). A server that really went away is reported at the next
    /// line, when connecting again fails.
    fn restart(&mut self) -> bool {
        if self.roster.me.is_some() || !self.due.is_empty() {
            return false;
        }
        self.decoder = Decoder::new(MAX_BODY);
        true
    }

    fn roster(&self) -> Roster {
        self.roster.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_proto::packet::{encode_list, encode_response, encode_sendto};

    fn line(s: &mut PacketSession, text: &str) -> Effects {
        let mut fx = Effects::default();
        s.on_line(text, &mut fx);
        fx
    }

    fn texts(fx: &Effects) -> Vec<&str> {
        fx.shown.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn every_seed_error_prints_exactly_and_sends_nothing() {
        let long = "x".repeat(21);
        let cases = [
            ("login", BAD_USERNAME),
            ("login John Doe", BAD_USERNAME),
            (&format!("login {long}"), BAD_USERNAME),
            ("list bob", INVALID_COMMAND),
            ("sendto JohnHello", BAD_USERNAME),
            ("sendto", BAD_USERNAME),
            ("sendto John ", BAD_USERNAME),
            (&format!("sendto {long} hi"), BAD_USERNAME),
            (&format!("sendto John {}", "é".repeat(65_536)), BAD_MESSAGE),
            ("logout Joe", INVALID_COMMAND),
            ("exit client", INVALID_COMMAND),
            ("hello", INVALID_COMMAND),
            ("LIST", INVALID_COMMAND),
        ];
        for (typed, error) in cases {
            let mut s = PacketSession::new(false);
            let fx = line(&mut s, typed);
            assert_eq!(texts(&fx), [error], "{typed:.40}");
            assert!(fx.send.is_empty(), "{typed:.40} sent bytes");
            assert_eq!(fx.end, None);
            assert_eq!(s.settle(), Settle::QuietFor(Duration::ZERO));
        }
    }

    #[test]
    fn valid_commands_send_their_packets() {
        let mut s = PacketSession::new(false);
        assert_eq!(
            &line(&mut s, "login John").send[..],
            b"\x01\0\0\0\x05\x04John"
        );
        assert_eq!(&line(&mut s, "list").send[..], b"\x02\0\0\0\0");
        assert_eq!(
            &line(&mut s, "sendto A hi there").send[..],
            b"\x03\0\0\0\x0e\x01A\0\0\0\x08hi there"
        );
        assert_eq!(&line(&mut s, "logout").send[..], b"\x04\0\0\0\0");
        assert_eq!(s.settle(), Settle::Waiting);
        let fx = line(&mut s, "exit");
        assert!(fx.send.is_empty());
        assert_eq!(fx.end, Some(End::Now));
    }

    #[test]
    fn the_longest_allowed_message_is_sent() {
        let mut s = PacketSession::new(false);
        let fx = line(&mut s, &format!("sendto John {}", "a".repeat(65_535)));
        assert!(fx.shown.is_empty());
        assert_eq!(fx.send.len(), 5 + 5 + 4 + 65_535);
    }

    #[test]
    fn replies_print_as_the_seed_says() {
        let mut s = PacketSession::new(false);
        line(&mut s, "login bob");
        line(&mut s, "login amy");
        line(&mut s, "list");
        line(&mut s, "list");
        let mut buf = BytesMut::new();
        encode_response(ResultCode::Ok, &mut buf);
        encode_sendto("amy", "Hi how are you?", &mut buf);
        encode_response(ResultCode::Failure, &mut buf);
        encode_list(["amy", "bob"].into_iter(), &mut buf);
        encode_list(std::iter::empty(), &mut buf);
        let mut fx = Effects::default();
        s.on_bytes(&mut buf, &mut fx);
        assert_eq!(
            texts(&fx),
            [
                "Success",
                "amy: Hi how are you?",
                "Failure",
                "amy bob",
                EMPTY_LIST
            ]
        );
        assert_eq!(s.settle(), Settle::QuietFor(Duration::ZERO));
        assert_eq!(s.roster().me.as_deref(), Some("bob"));
    }

    #[test]
    fn tracking_asks_for_the_list_quietly_after_login() {
        let mut s = PacketSession::new(true);
        line(&mut s, "login bob");
        let mut buf = BytesMut::new();
        encode_response(ResultCode::Ok, &mut buf);
        let mut fx = Effects::default();
        s.on_bytes(&mut buf, &mut fx);
        assert_eq!(&fx.send[..], b"\x02\0\0\0\0");
        encode_list(["bob"].into_iter(), &mut buf);
        let mut quiet = Effects::default();
        s.on_bytes(&mut buf, &mut quiet);
        assert!(quiet.shown.is_empty());
        assert_eq!(s.roster().names, ["bob"]);
    }

    #[test]
    fn malformed_packets_are_reported_and_reading_goes_on() {
        let mut s = PacketSession::new(false);
        let mut fx = Effects::default();
        let mut buf = BytesMut::from(&b"\x09\0\0\0\x01x\x82\0\0\0\x01\x07"[..]);
        encode_sendto("a", "ok", &mut buf);
        s.on_bytes(&mut buf, &mut fx);
        assert_eq!(
            texts(&fx),
            [
                "The server sent a malformed packet: unknown packet type 0x09",
                "The server sent a malformed packet: unknown result code 7",
                "a: ok"
            ]
        );
        assert_eq!(fx.end, None);
        let mut fx = Effects::default();
        s.on_bytes(&mut BytesMut::from(&b"\x83\xff\xff\xff\xff"[..]), &mut fx);
        assert_eq!(fx.end, Some(End::Broken));
    }
}
