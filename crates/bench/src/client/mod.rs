//! One benchmark connection on any protocol: connecting (from a chosen source address;
//! for `ws`, then the WebSocket handshake), framing what arrives with the protocol's own
//! codec from `confab-proto`, writing, and closing. Registering is `register.rs`; what is
//! said and heard once registered, `chat.rs`.

mod chat;
mod register;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use bytes::{Bytes, BytesMut};
use confab_proto::irc;
use confab_proto::line::{Line, LineDecoder};
use confab_proto::packet;
use confab_proto::prefixed::{self, Width};
use confab_proto::Protocol;
use tokio::net::TcpSocket;

use crate::link::Link;
use crate::wire::Wire;

pub use chat::{encode_chat, has_direct, has_rooms, Other, Target};

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
