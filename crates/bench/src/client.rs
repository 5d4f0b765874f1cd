//! One benchmark connection on any protocol: connecting (from a chosen source address;
//! for `ws`, then the WebSocket handshake), registering (IRC counts a client only once
//! 001 arrived), framing what arrives with the protocol's own codec from `confab-proto`,
//! answering PING, and encoding a chat message to a room or a user.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use bytes::{Bytes, BytesMut};
use confab_proto::irc::{self, Message};
use confab_proto::line::{Line, LineDecoder};
use confab_proto::packet::{self, ClientPacket};
use confab_proto::prefixed::{self, Width};
use confab_proto::Protocol;
use tokio::net::TcpSocket;
use tokio::time::{timeout_at, Instant};

use crate::link::Link;
use crate::wire::Wire;

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

/// The framing state for one connection.
enum Codec {
    Irc(irc::Decoder),
    Prefixed(prefixed::Decoder),
    Packet(packet::Decoder),
    Lines(LineDecoder),
}

/// One received unit: an IRC or text line, a prefixed payload, or a packet.
#[derive(Debug)]
pub struct Frame {
    /// The packet type (0 for the other protocols).
    pub kind: u8,
    pub bytes: Bytes,
}

/// One connection and what it has read but not framed yet.
pub struct Conn {
    /// What it speaks (inside a WebSocket, IRC).
    pub protocol: Protocol,
    link: Link,
    rbuf: BytesMut,
    codec: Codec,
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

/// Longest line accepted from a line protocol: relayed lines may exceed the input limit.
const MAX_LINE: usize = 64 * 1024;

impl Conn {
    /// Connects to `addr`, from `source` if given (bind before connect, so many source
    /// addresses in 127.0.0.0/8 multiply the ephemeral ports available).
    pub async fn connect(
        wire: Wire,
        addr: SocketAddr,
        source: Option<IpAddr>,
    ) -> anyhow::Result<Conn> {
        Conn::connect_with(wire, addr, source, None).await
    }

    /// [`Conn::connect`], with the socket's receive buffer set to `recv_buffer` bytes if
    /// given (a stalled client keeps it small, so the server's outbox for it fills soon).
    pub async fn connect_with(
        wire: Wire,
        addr: SocketAddr,
        source: Option<IpAddr>,
        recv_buffer: Option<u32>,
    ) -> anyhow::Result<Conn> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .with_context(|| format!("cannot bind source address {ip}"))?;
        }
        let stream = socket
            .connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let link = match wire {
            Wire::Plain(_) => Link::Tcp(stream),
            Wire::WebSocket => Link::websocket(stream, addr).await?,
        };
        let protocol = wire.protocol();
        let codec = match protocol {
            Protocol::Irc => Codec::Irc(irc::Decoder::new()),
            Protocol::Prefixed => Codec::Prefixed(prefixed::Decoder::with_width(Width::Four)),
            Protocol::Packet => Codec::Packet(packet::Decoder::new(1 << 20)),
            Protocol::Rooms | Protocol::Broadcast => Codec::Lines(LineDecoder::new(MAX_LINE)),
        };
        Ok(Conn {
            protocol,
            link,
            rbuf: BytesMut::with_capacity(512),
            codec,
        })
    }

    /// Logs in as `name` and, where the protocol has rooms and `room` is given, joins it.
    /// IRC: NICK/USER, then waits for 001 (answering PING meanwhile), then JOIN and 366.
    pub async fn register(
        &mut self,
        name: &str,
        room: Option<&str>,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        match self.protocol {
            Protocol::Irc => self.register_irc(name, room, deadline).await,
            Protocol::Prefixed => {
                let mut out = BytesMut::new();
                prefixed::encode(Width::Four, format!("NAME {name}").as_bytes(), &mut out);
                self.write(&out).await?;
                let hello = format!("Hello {name}");
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.bytes == hello.as_bytes() {
                        return Ok(());
                    }
                    if frame.bytes.starts_with(b"Error:") {
                        bail!("NAME {name}: {}", String::from_utf8_lossy(&frame.bytes));
                    }
                }
            }
            Protocol::Packet => {
                let mut out = BytesMut::new();
                ClientPacket::Login {
                    name: name.to_owned(),
                }
                .encode(&mut out);
                self.write(&out).await?;
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.kind == packet::kind::RESPONSE {
                        return match frame.bytes.first() {
                            Some(0) => Ok(()),
                            other => bail!("login {name}: RESPONSE {other:?}"),
                        };
                    }
                }
            }
            Protocol::Rooms => {
                let room = room.unwrap_or("lobby");
                self.write(format!("/join {room}\n").as_bytes()).await?;
                self.expect_code(&format!("/join {room}"), deadline).await?;
                self.write(format!("/nick {name}\n").as_bytes()).await?;
                self.expect_code(&format!("/nick {name}"), deadline).await
            }
            Protocol::Broadcast => {
                self.write(format!("{name}\n").as_bytes()).await?;
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.bytes.starts_with(b"Welcome to the chat") {
                        return Ok(());
                    }
                    if frame.bytes.starts_with(b"Username") {
                        bail!("name {name}: {}", String::from_utf8_lossy(&frame.bytes));
                    }
                }
            }
        }
    }

    async fn register_irc(
        &mut self,
        name: &str,
        room: Option<&str>,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        self.write(format!("NICK {name}\r\nUSER {name} 0 * :confab bench\r\n").as_bytes())
            .await?;
        self.irc_until(deadline, "001", |m| m.is("001")).await?;
        if let Some(room) = room {
            self.write(format!("JOIN #{room}\r\n").as_bytes()).await?;
            // 366 ends the NAMES burst that follows a successful JOIN.
            self.irc_until(deadline, "366 after JOIN", |m| m.is("366"))
                .await?;
        }
        Ok(())
    }

    /// Reads IRC lines until `done` holds, answering PING; an error numeric or ERROR fails.
    async fn irc_until(
        &mut self,
        deadline: Instant,
        what: &str,
        done: impl Fn(&Message) -> bool,
    ) -> anyhow::Result<()> {
        loop {
            let frame = self.expect_frame(deadline).await?;
            let Ok(message) = Message::parse(&frame.bytes) else {
                continue;
            };
            if done(&message) {
                return Ok(());
            }
            if message.is("PING") {
                let pong = pong(message.param(0).unwrap_or(""));
                self.write(&pong).await?;
            } else if message.is("ERROR") || is_irc_error(&message) {
                bail!(
                    "waiting for {what}: {}",
                    String::from_utf8_lossy(&frame.bytes)
                );
            }
        }
    }

    /// Reads `rooms` lines until a reply code: `0` succeeds, any other code fails.
    async fn expect_code(&mut self, command: &str, deadline: Instant) -> anyhow::Result<()> {
        loop {
            let frame = self.expect_frame(deadline).await?;
            match &frame.bytes[..] {
                b"0" => return Ok(()),
                [code] if code.is_ascii_digit() => bail!("{command}: reply {}", *code as char),
                _ => {}
            }
        }
    }

    /// The next frame, reading as needed until `deadline`.
    async fn expect_frame(&mut self, deadline: Instant) -> anyhow::Result<Frame> {
        loop {
            if let Some(frame) = self.next_frame() {
                return Ok(frame);
            }
            match timeout_at(deadline, self.fill()).await {
                Err(_) => bail!("timed out"),
                Ok(Ok(false)) => bail!("the server closed the connection"),
                Ok(Ok(true)) => {}
                Ok(Err(e)) => return Err(anyhow!(e).context("read failed")),
            }
        }
    }

    /// Reads once (cancel safe); `Ok(false)` at end of stream.
    pub async fn fill(&mut self) -> std::io::Result<bool> {
        if self.rbuf.capacity() - self.rbuf.len() < 256 {
            self.rbuf.reserve(16 * 1024);
        }
        self.link.read_into(&mut self.rbuf).await
    }

    /// The next complete frame already buffered; malformed ones are skipped.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let frame = match &mut self.codec {
                Codec::Irc(d) => match d.decode(&mut self.rbuf)? {
                    Line::Complete(bytes) => Frame { kind: 0, bytes },
                    Line::TooLong => continue,
                },
                Codec::Lines(d) => match d.decode(&mut self.rbuf)? {
                    Line::Complete(bytes) => Frame { kind: 0, bytes },
                    Line::TooLong => continue,
                },
                Codec::Prefixed(d) => match d.decode(&mut self.rbuf)? {
                    prefixed::Frame::Payload(bytes) => Frame { kind: 0, bytes },
                    prefixed::Frame::BadLength => continue,
                },
                Codec::Packet(d) => match d.decode(&mut self.rbuf)? {
                    packet::Decoded::Packet { kind, body } => Frame { kind, bytes: body },
                    packet::Decoded::TooLarge => continue,
                },
            };
            return Some(frame);
        }
    }

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

    /// Writes all of `bytes`.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.link.write_all(bytes).await
    }

    /// Forgets every byte read but not framed yet.
    pub fn discard(&mut self) {
        self.rbuf.clear();
    }

    /// Drops buffered bytes and their capacity (a held idle connection keeps nothing).
    pub fn shrink(&mut self) {
        if self.rbuf.is_empty() {
            self.rbuf = BytesMut::new();
        }
    }

    /// Closes politely where the protocol says how (a server may log it), without waiting.
    pub async fn quit(mut self, wait: Duration) {
        let bye: &[u8] = match self.protocol {
            Protocol::Irc => b"QUIT :bench done\r\n",
            Protocol::Prefixed => b"0004EXIT",
            Protocol::Packet => &[packet::kind::LOGOUT, 0, 0, 0, 0],
            Protocol::Rooms => b"/logout\n",
            Protocol::Broadcast => b"bye\n",
        };
        let goodbye = async {
            self.link.write_all(bye).await?;
            self.link.close().await
        };
        let _ = tokio::time::timeout(wait, goodbye).await;
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
fn pong(token: &str) -> Vec<u8> {
    let mut out = BytesMut::new();
    irc::render(&mut out, None, None, "PONG", &[token]);
    out.to_vec()
}

/// An error numeric (400-599).
fn is_irc_error(message: &Message) -> bool {
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
