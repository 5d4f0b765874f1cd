//! The benchmark's WebSocket transport after the handshake: frames parsed straight out of
//! the bytes one TCP read brings, as the TCP transport finds lines, so that a fan-out
//! recipient costs the generator about the same over either transport and a ramp measures
//! the server rather than the generator's framing (on a 2-core machine both share it).
//!
//! tungstenite does the handshake and parses and formats every frame header; what is left
//! here is the loop: a read appends every complete message's payload with CR LF, a write
//! sends each line as one masked text frame. Pings are answered without waiting, so a read
//! stays cancel safe.

use std::io::{self, Cursor};

use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

/// What one read asks the kernel for at least, as the TCP transport's buffer does.
const READ_RESERVE: usize = 16 * 1024;

/// One WebSocket connection whose handshake is done.
pub struct WsLink {
    stream: TcpStream,
    /// Bytes read and not yet a whole frame.
    raw: BytesMut,
    /// Frames of ours (pongs) the socket did not take at once.
    out: Vec<u8>,
    /// The server's close frame came after lines that were returned first.
    closed: bool,
    /// The state of the masking keys' generator.
    mask_state: u32,
}

/// What decoding the buffered bytes found.
enum Decoded {
    /// At least one line was appended.
    Lines,
    /// The server closed the connection (and no line came before its close).
    Closed,
    /// No whole message yet.
    NeedMore,
}

impl WsLink {
    /// Takes over `stream` right after the handshake. The server sends nothing before the
    /// client's first line, so no frame can be left in the handshake's buffer.
    pub fn new(stream: TcpStream, seed: u32) -> WsLink {
        WsLink {
            stream,
            raw: BytesMut::with_capacity(READ_RESERVE),
            out: Vec::new(),
            closed: false,
            mask_state: seed | 1,
        }
    }

    /// Reads until at least one whole message is here and appends every whole message with
    /// CR LF to `buf`; `Ok(false)` at the end of the stream or the server's close. Cancel
    /// safe: what was read stays in `raw`.
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<bool> {
        loop {
            if self.closed {
                return Ok(false);
            }
            match self.decode(buf)? {
                Decoded::Lines => return Ok(true),
                Decoded::Closed => return Ok(false),
                Decoded::NeedMore => {}
            }
            self.raw.reserve(READ_RESERVE);
            if self.stream.read_buf(&mut self.raw).await? == 0 {
                return Ok(false);
            }
        }
    }

    /// Decodes every whole frame in `raw`.
    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Decoded> {
        let mut lines = false;
        loop {
            let mut cursor = Cursor::new(&self.raw[..]);
            let Some((header, length)) = FrameHeader::parse(&mut cursor).map_err(invalid)? else {
                break;
            };
            let start = usize::try_from(cursor.position()).map_err(invalid)?;
            let end = usize::try_from(length)
                .ok()
                .and_then(|length| start.checked_add(length))
                .ok_or_else(|| invalid("a frame longer than memory"))?;
            if self.raw.len() < end {
                break;
            }
            let mut payload = self.raw.split_to(end);
            payload.advance(start);
            if let Some(mask) = header.mask {
                apply_mask(&mut payload, mask);
            }
            match header.opcode {
                OpCode::Data(Data::Text | Data::Binary | Data::Continue) => {
                    buf.extend_from_slice(&payload);
                    if header.is_final {
                        buf.extend_from_slice(b"\r\n");
                    }
                    lines = true;
                }
                OpCode::Control(Control::Close) => {
                    self.closed = true;
                    break;
                }
                OpCode::Control(Control::Ping) => self.pong(&payload)?,
                _ => {}
            }
        }
        Ok(match (lines, self.closed) {
            (true, _) => Decoded::Lines,
            (false, true) => Decoded::Closed,
            (false, false) => Decoded::NeedMore,
        })
    }

    /// Answers a ping now, keeping what the socket does not take for the next write.
    fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.frame(OpCode::Control(Control::Pong), payload);
        while !self.out.is_empty() {
            match self.stream.try_write(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes all of `bytes`, each line one text frame, in one write.
    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                std::str::from_utf8(line).map_err(invalid)?;
                self.frame(OpCode::Data(Data::Text), line);
            }
        }
        let out = std::mem::take(&mut self.out);
        self.stream.write_all(&out).await
    }

    /// Sends the close frame, as a browser does when a page goes.
    pub async fn close(&mut self) -> io::Result<()> {
        self.frame(OpCode::Control(Control::Close), &[]);
        let out = std::mem::take(&mut self.out);
        self.stream.write_all(&out).await
    }

    /// Appends one masked frame to `out`: a client's frames must be masked (RFC 6455 5.3).
    fn frame(&mut self, opcode: OpCode, payload: &[u8]) {
        let mask = self.next_mask();
        let header = FrameHeader {
            opcode,
            mask: Some(mask),
            ..FrameHeader::default()
        };
        let length = payload.len() as u64;
        header
            .format(length, &mut self.out)
            .expect("formatting into a Vec cannot fail");
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        apply_mask(&mut self.out[start..], mask);
    }

    /// A fresh masking key per frame (xorshift32): the RFC wants keys a proxy cannot
    /// predict from earlier frames, not secrets.
    fn next_mask(&mut self) -> [u8; 4] {
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mask_state = x;
        x.to_be_bytes()
    }
}

/// XORs `bytes` with the 4-byte `mask`, starting at its first byte.
fn apply_mask(bytes: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

fn invalid(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A connected pair: the link under test and the raw server end.
    async fn pair() -> (WsLink, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (WsLink::new(client.unwrap(), 7), accepted.unwrap().0)
    }

    /// An unmasked server frame.
    fn frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let header = FrameHeader {
            opcode,
            ..FrameHeader::default()
        };
        header.format(payload.len() as u64, &mut out).unwrap();
        out.extend_from_slice(payload);
        out
    }

    #[tokio::test]
    async fn whole_messages_become_crlf_lines_even_when_a_frame_is_cut_across_reads() {
        let (mut link, mut server) = pair().await;
        let text = OpCode::Data(Data::Text);
        let mut bytes = frame(text, b"PING :a");
        bytes.extend(frame(text, b"PRIVMSG #c :hello"));
        let (first, rest) = bytes.split_at(10);
        server.write_all(first).await.unwrap();
        let mut buf = BytesMut::new();
        assert!(link.read_into(&mut buf).await.unwrap());
        assert_eq!(&buf[..], b"PING :a\r\n");
        server.write_all(rest).await.unwrap();
        assert!(link.read_into(&mut buf).await.unwrap());
        assert_eq!(&buf[..], b"PING :a\r\nPRIVMSG #c :hello\r\n");
    }

    #[tokio::test]
    async fn a_ping_is_answered_with_its_payload_and_a_close_ends_the_reads() {
        let (mut link, mut server) = pair().await;
        let mut bytes = frame(OpCode::Control(Control::Ping), b"xyz");
        bytes.extend(frame(OpCode::Data(Data::Text), b"last"));
        bytes.extend(frame(OpCode::Control(Control::Close), b""));
        server.write_all(&bytes).await.unwrap();
        let mut buf = BytesMut::new();
        assert!(link.read_into(&mut buf).await.unwrap());
        assert_eq!(&buf[..], b"last\r\n");
        assert!(!link.read_into(&mut buf).await.unwrap());
        let mut pong = [0u8; 9];
        server.read_exact(&mut pong).await.unwrap();
        assert_eq!(pong[..2], [0x8A, 0x83], "a final masked pong of 3 bytes");
        let mask = [pong[2], pong[3], pong[4], pong[5]];
        let mut payload = pong[6..].to_vec();
        apply_mask(&mut payload, mask);
        assert_eq!(payload, b"xyz");
    }

    #[tokio::test]
    async fn each_written_line_is_one_masked_text_frame() {
        let (mut link, mut server) = pair().await;
        link.write_all(b"NICK a\r\nUSER a 0 * :a\r\n")
            .await
            .unwrap();
        link.close().await.unwrap();
        drop(link);
        let mut raw = Vec::new();
        server.read_to_end(&mut raw).await.unwrap();
        let mut cursor = Cursor::new(&raw[..]);
        let mut messages = Vec::new();
        while let Some((header, length)) = FrameHeader::parse(&mut cursor).unwrap() {
            let start = cursor.position() as usize;
            let end = start + length as usize;
            let mut payload = raw[start..end].to_vec();
            apply_mask(&mut payload, header.mask.expect("client frames are masked"));
            messages.push((header.opcode, payload));
            cursor.set_position(end as u64);
        }
        let text = OpCode::Data(Data::Text);
        assert_eq!(
            messages,
            vec![
                (text, b"NICK a".to_vec()),
                (text, b"USER a 0 * :a".to_vec()),
                (OpCode::Control(Control::Close), Vec::new()),
            ]
        );
    }
}
