//! Chat once registered: what a protocol can address (a room, one user), a chat message
//! encoded for its target, and what a frame without a stamp means (a PING answered, an
//! error, the server closing).

use bytes::BytesMut;
use confab_proto::irc::{self, Message};
use confab_proto::packet::{self, ClientPacket};
use confab_proto::prefixed::{self, Width};
use confab_proto::Protocol;

use super::{Conn, Frame};

/// True when the protocol has rooms a fan-out can use.
pub fn has_rooms(protocol: Protocol) -> bool {
    matches!(
        protocol,
        Protocol::Irc | Protocol::Rooms | Protocol::Broadcast
    )
}

/// True when a client can address one other client.
pub fn has_direct(protocol: Protocol) -> bool {
    // `rooms` has no direct message; a pair sharing a room of its own is the same load.
    !matches!(protocol, Protocol::Broadcast)
}

/// Where a chat message goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// The room the client joined at registration (broadcast: the only one).
    Room(String),
    /// One user, by name.
    User(String),
}

/// What a traffic loop should do with a frame that carries no stamp.
#[derive(Debug, PartialEq, Eq)]
pub enum Other {
    Ignore,
    /// The server refused something (an IRC error numeric, RESPONSE failure, `Error:`).
    Error,
    /// The server is closing the link (IRC `ERROR`).
    Closing,
}

impl Conn {
    /// Classifies a frame without a stamp; an IRC PING is answered into `out`.
    pub fn other(&self, frame: &Frame, out: &mut BytesMut) -> Other {
        match self.protocol {
            Protocol::Irc => {
                let Ok(message) = Message::parse(&frame.bytes) else {
                    return Other::Ignore;
                };
                if message.is("PING") {
                    out.extend_from_slice(&pong(message.param(0).unwrap_or("")));
                    Other::Ignore
                } else if message.is("ERROR") {
                    Other::Closing
                } else if is_irc_error(&message) {
                    Other::Error
                } else {
                    Other::Ignore
                }
            }
            Protocol::Packet if frame.kind == packet::kind::RESPONSE => match frame.bytes.first() {
                Some(0) => Other::Ignore,
                _ => Other::Error,
            },
            Protocol::Prefixed if frame.bytes.starts_with(b"Error:") => Other::Error,
            Protocol::Broadcast if frame.bytes.starts_with(b"Message not sent") => Other::Error,
            _ => Other::Ignore,
        }
    }
}

/// Appends one chat message carrying `text` to `target`.
pub fn encode_chat(protocol: Protocol, target: &Target, text: &str, out: &mut BytesMut) {
    match (protocol, target) {
        (Protocol::Irc, Target::Room(room)) => {
            irc::render(out, None, None, "PRIVMSG", &[&format!("#{room}"), text]);
        }
        (Protocol::Irc, Target::User(user)) => {
            irc::render(out, None, None, "PRIVMSG", &[user, text]);
        }
        (Protocol::Prefixed, Target::User(user)) => {
            prefixed::encode(Width::Four, format!("MSG {user} {text}").as_bytes(), out);
        }
        (Protocol::Packet, Target::User(user)) => ClientPacket::SendTo {
            to: user.clone(),
            text: text.to_owned(),
        }
        .encode(out),
        // Line protocols say everything to the room they are in.
        _ => {
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\n");
        }
    }
}

/// `PONG :token\r\n`.
pub(super) fn pong(token: &str) -> Vec<u8> {
    let mut out = BytesMut::new();
    irc::render(&mut out, None, None, "PONG", &[token]);
    out.to_vec()
}

/// An error numeric (400-599).
pub(super) fn is_irc_error(message: &Message) -> bool {
    message.command.len() == 3
        && message
            .command
            .parse::<u16>()
            .is_ok_and(|code| (400..600).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(protocol: Protocol, target: Target) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_chat(protocol, &target, "cbm:1:2:3", &mut out);
        out.to_vec()
    }

    #[test]
    fn chat_messages_in_each_protocol() {
        let room = || Target::Room("lobby".into());
        let user = || Target::User("bob".into());
        assert_eq!(chat(Protocol::Irc, room()), b"PRIVMSG #lobby cbm:1:2:3\r\n");
        assert_eq!(chat(Protocol::Irc, user()), b"PRIVMSG bob cbm:1:2:3\r\n");
        assert_eq!(chat(Protocol::Prefixed, user()), b"0017MSG bob cbm:1:2:3");
        assert_eq!(
            chat(Protocol::Packet, user()),
            b"\x03\x00\x00\x00\x11\x03bob\x00\x00\x00\x09cbm:1:2:3"
        );
        assert_eq!(chat(Protocol::Broadcast, room()), b"cbm:1:2:3\n");
        assert_eq!(chat(Protocol::Rooms, room()), b"cbm:1:2:3\n");
    }

    #[test]
    fn pong_echoes_the_token() {
        assert_eq!(pong("abc"), b"PONG abc\r\n");
        assert_eq!(pong("a b"), b"PONG :a b\r\n");
    }
}
