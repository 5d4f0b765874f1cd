//! The byte-level scripted client every scenario uses: send literal bytes, then expect
//! exact bytes, silence or a close. Every step is bounded by a timeout, so a silent or
//! misbehaving server yields a [`Failure`] showing what did arrive, never a hang.

use crate::report::{escape, Failure};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// How long one `expect` (or a connect, or a send) may take: generous for a student's
/// Python server on a slow laptop, short enough that a failing run ends quickly.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// After a mismatch, how long to keep reading so the failure shows the whole reply
/// rather than the first bytes of it.
const SETTLE: Duration = Duration::from_millis(100);

/// What one read attempt brought.
enum Fill {
    Data,
    Timeout,
    Closed(String),
}

/// One scripted client connection. Bytes read but not yet matched stay in `buf`, so a
/// reply split over several TCP segments (or several replies in one) is handled alike.
pub struct Wire {
    label: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    closed: Option<String>,
    timeout: Duration,
}

impl Wire {
    /// Connects to `addr`; `label` names this client in failure messages (e.g. `A`).
    pub async fn connect(addr: SocketAddr, label: &str) -> Result<Wire, Failure> {
        let step = format!("{label}: connect to {addr}");
        let stream = match tokio::time::timeout(DEFAULT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(Failure::note(format!("{step}: {e}"))),
            Err(_) => return Err(Failure::note(format!("{step}: timed out"))),
        };
        // Scenarios send many tiny writes; Nagle would only slow them down.
        let _ = stream.set_nodelay(true);
        Ok(Wire {
            label: label.to_owned(),
            stream: Some(stream),
            buf: Vec::new(),
            closed: None,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The name this client has in failure messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Changes how long each later step may wait (default [`DEFAULT_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Writes `bytes` in one call.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let step = format!("{}: send {}", self.label, escape(bytes));
        let Some(stream) = self.stream.as_mut() else {
            return Err(Failure::note(format!(
                "{step}: the connection is already closed"
            )));
        };
        match tokio::time::timeout(self.timeout, stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Failure::note(format!("{step}: {e}"))),
            Err(_) => Err(Failure::note(format!(
                "{step}: timed out (the server stopped reading)"
            ))),
        }
    }

    /// Reads until `expected.len()` bytes arrived and checks they are exactly `expected`.
    /// Fails early on the first differing byte, and on timeout or close.
    pub async fn expect(&mut self, expected: &[u8]) -> Result<(), Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let n = self.buf.len().min(expected.len());
            if let Some(at) = first_difference(&self.buf[..n], &expected[..n]) {
                self.settle().await;
                let step = format!("{}: expect (differs at byte {at})", self.label);
                return Err(Failure::new(step, expected, &self.buf));
            }
            if self.buf.len() >= expected.len() {
                self.buf.drain(..expected.len());
                return Ok(());
            }
            if let Some(reason) = self.fill(deadline).await {
                let step = format!("{}: expect ({reason})", self.label);
                return Err(Failure::new(step, expected, &self.buf));
            }
        }
    }

    /// Checks that nothing arrives (and the connection stays open) for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) -> Result<(), Failure> {
        let step = format!(
            "{}: expect silence for {} ms",
            self.label,
            quiet.as_millis()
        );
        if self.buf.is_empty() {
            match self.fill_once(Instant::now() + quiet).await {
                Fill::Timeout => return Ok(()),
                Fill::Data => self.settle().await,
                Fill::Closed(reason) => {
                    return Err(Failure::new(format!("{step} ({reason})"), b"", &self.buf))
                }
            }
        }
        Err(Failure::new(step, b"", &self.buf))
    }

    /// Checks that the server closes the connection (EOF or reset) within the timeout,
    /// with nothing else arriving first.
    pub async fn expect_closed(&mut self) -> Result<(), Failure> {
        let deadline = Instant::now() + self.timeout;
        let step = format!("{}: expect the server to close the connection", self.label);
        while self.buf.is_empty() {
            match self.fill_once(deadline).await {
                Fill::Closed(_) => {
                    self.stream = None;
                    return Ok(());
                }
                Fill::Timeout => {
                    return Err(Failure::new(format!("{step} (still open)"), b"", b""))
                }
                Fill::Data => self.settle().await,
            }
        }
        Err(Failure::new(step, b"", &self.buf))
    }

    /// Discards whatever arrives (a goodbye in the server's own words) until the server
    /// closes the connection, within the timeout.
    pub async fn expect_closed_after_anything(&mut self) -> Result<(), Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            self.buf.clear();
            match self.fill_once(deadline).await {
                Fill::Data => {}
                Fill::Closed(_) => {
                    self.stream = None;
                    return Ok(());
                }
                Fill::Timeout => {
                    let step = format!(
                        "{}: expect the server to close the connection (still open)",
                        self.label
                    );
                    return Err(Failure::note(step));
                }
            }
        }
    }

    /// Reads up to and including the next `\n`; returns the line without it.
    pub async fn read_line(&mut self) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                return Ok(line);
            }
            if let Some(reason) = self.fill(deadline).await {
                let step = format!("{}: read a line ({reason})", self.label);
                return Err(Failure::new(step, b"...\n", &self.buf));
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + self.timeout;
        while self.buf.len() < n {
            if let Some(reason) = self.fill(deadline).await {
                let step = format!("{}: read {n} bytes ({reason})", self.label);
                return Err(Failure::new(step, b"", &self.buf));
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Discards everything up to and including `needle`; for streams whose earlier
    /// content is deliberately unpredictable (after garbage was sent).
    pub async fn skip_until(&mut self, needle: &[u8]) -> Result<(), Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(at) = find(&self.buf, needle) {
                self.buf.drain(..at + needle.len());
                return Ok(());
            }
            if let Some(reason) = self.fill(deadline).await {
                let step = format!("{}: expect, after anything, ({reason})", self.label);
                return Err(Failure::new(step, needle, &self.buf));
            }
        }
    }

    /// Aborts the connection: SO_LINGER 0 makes the close send RST instead of FIN,
    /// like a client that crashed or lost its network.
    pub fn reset(mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    }

    /// Closes the connection normally (FIN), without waiting for anything.
    pub async fn close(mut self) {
        if let Some(mut stream) = self.stream.take() {
            let _ = tokio::time::timeout(self.timeout, stream.shutdown()).await;
        }
    }

    /// Reads more, up to `deadline`; `Some(reason)` when nothing more can come in time.
    async fn fill(&mut self, deadline: Instant) -> Option<String> {
        match self.fill_once(deadline).await {
            Fill::Data => None,
            Fill::Timeout => Some(format!("timed out after {:?}", self.timeout)),
            Fill::Closed(reason) => Some(reason),
        }
    }

    /// One read into `buf`.
    async fn fill_once(&mut self, deadline: Instant) -> Fill {
        if let Some(reason) = &self.closed {
            return Fill::Closed(reason.clone());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Fill::Closed("the connection is closed".to_owned());
        };
        let mut chunk = [0u8; 16 * 1024];
        let closed = match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Fill::Timeout,
            Ok(Ok(0)) => "the server closed the connection".to_owned(),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                return Fill::Data;
            }
            Ok(Err(e)) => format!("the connection failed: {e}"),
        };
        self.closed = Some(closed.clone());
        Fill::Closed(closed)
    }

    /// Collects whatever else arrives shortly, so a failure shows the full reply.
    async fn settle(&mut self) {
        let deadline = Instant::now() + SETTLE;
        while let Fill::Data = self.fill_once(deadline).await {}
    }
}

/// Index of the first byte where `a` and `b` (of equal length) differ.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// Index where `needle` starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Deterministic pseudo-random bytes (xorshift), so a failing garbage run can be
/// reproduced byte for byte.
pub fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

// ---- prefixed: ASCII decimal length of 2 or 4 digits, then the payload ----

/// One frame: `payload`'s length zero-padded to `width` digits, then `payload`.
pub fn frame(width: usize, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{:0width$}", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// How the server must frame `reply`: split when longer than the width allows, each
/// split after the last space that fits, else at a UTF-8 character boundary.
pub fn framed_reply(width: usize, reply: &[u8]) -> Vec<u8> {
    let max = 10usize.pow(u32::try_from(width).unwrap_or(2)) - 1;
    let mut out = Vec::new();
    let mut rest = reply;
    while rest.len() > max {
        let window = &rest[..max];
        let cut = match window.iter().rposition(|&b| b == b' ') {
            Some(space) => space + 1,
            None => {
                // Back off over UTF-8 continuation bytes to a character start.
                let mut cut = max;
                while cut > 0 && rest[cut] & 0xC0 == 0x80 {
                    cut -= 1;
                }
                if cut == 0 {
                    max
                } else {
                    cut
                }
            }
        };
        out.extend(frame(width, &rest[..cut]));
        rest = &rest[cut..];
    }
    out.extend(frame(width, rest));
    out
}

impl Wire {
    /// Sends one prefixed frame.
    pub async fn send_frame(&mut self, width: usize, payload: &[u8]) -> Result<(), Failure> {
        self.send(&frame(width, payload)).await
    }

    /// Expects one prefixed frame carrying exactly `payload`.
    pub async fn expect_frame(&mut self, width: usize, payload: &[u8]) -> Result<(), Failure> {
        self.expect(&frame(width, payload)).await
    }

    /// Expects `reply`, split into several frames if it is too long for the width.
    pub async fn expect_reply(&mut self, width: usize, reply: &[u8]) -> Result<(), Failure> {
        self.expect(&framed_reply(width, reply)).await
    }

    /// Reads one prefixed frame and returns its payload.
    pub async fn read_frame(&mut self, width: usize) -> Result<Vec<u8>, Failure> {
        let field = self.read_exact(width).await?;
        let len = std::str::from_utf8(&field)
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(len) = len else {
            let step = format!("{}: read a length field of {width} digits", self.label);
            return Err(Failure::new(step, b"", &field));
        };
        self.read_exact(len).await
    }
}

// ---- packet: type u8, body length u32 big-endian, body ----

/// Packet types of docs/protocols/packet.md.
pub mod kind {
    pub const LOGIN: u8 = 0x01;
    pub const LIST: u8 = 0x02;
    pub const SENDTO: u8 = 0x03;
    pub const LOGOUT: u8 = 0x04;
    pub const LIST_REPLY: u8 = 0x81;
    pub const RESPONSE: u8 = 0x82;
    pub const SENDTO_REPLY: u8 = 0x83;
}

/// RESPONSE results.
pub mod result {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const MALFORMED: u8 = 2;
}

/// A whole packet: header then body.
pub fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut out = vec![kind];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A name field: u8 length, then the bytes (longer input is cut to 255 bytes).
pub fn name_field(name: &[u8]) -> Vec<u8> {
    let name = &name[..name.len().min(255)];
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name);
    out
}

/// A text field: u32 big-endian length, then the bytes.
pub fn text_field(text: &[u8]) -> Vec<u8> {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(text);
    out
}

/// The body of a LIST reply: u16 count, then the names.
pub fn list_body(names: &[&[u8]]) -> Vec<u8> {
    let count = u16::try_from(names.len()).unwrap_or(u16::MAX);
    let mut out = count.to_be_bytes().to_vec();
    for name in names {
        out.extend(name_field(name));
    }
    out
}

/// The names of a LIST reply's body; None when it is not one.
pub fn parse_list_body(body: &[u8]) -> Option<Vec<String>> {
    let (count, mut rest) = body.split_first_chunk::<2>()?;
    let mut names = Vec::new();
    for _ in 0..u16::from_be_bytes(*count) {
        let (len, tail) = rest.split_first()?;
        let name = tail.get(..usize::from(*len))?;
        names.push(String::from_utf8_lossy(name).into_owned());
        rest = &tail[usize::from(*len)..];
    }
    rest.is_empty().then_some(names)
}

/// The body of a sendto (client) or SENDTO (server) packet: name, then text.
pub fn sendto_body(name: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = name_field(name);
    out.extend(text_field(text));
    out
}

impl Wire {
    /// Sends one packet.
    pub async fn send_packet(&mut self, kind: u8, body: &[u8]) -> Result<(), Failure> {
        self.send(&packet(kind, body)).await
    }

    /// Expects exactly this packet.
    pub async fn expect_packet(&mut self, kind: u8, body: &[u8]) -> Result<(), Failure> {
        self.expect(&packet(kind, body)).await
    }

    /// Expects a RESPONSE with this result.
    pub async fn expect_response(&mut self, result: u8) -> Result<(), Failure> {
        self.expect_packet(kind::RESPONSE, &[result]).await
    }

    /// Expects a LIST reply with exactly these names, in this order.
    pub async fn expect_list(&mut self, names: &[&[u8]]) -> Result<(), Failure> {
        self.expect_packet(kind::LIST_REPLY, &list_body(names))
            .await
    }

    /// Reads one packet of any type; the body is capped at 1 MiB to stay bounded.
    pub async fn read_packet(&mut self) -> Result<(u8, Vec<u8>), Failure> {
        let header = self.read_exact(5).await?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > 1 << 20 {
            let step = format!(
                "{}: read a packet (body length {len} is absurd)",
                self.label
            );
            return Err(Failure::new(step, b"", &header));
        }
        let body = self.read_exact(len).await?;
        Ok((header[0], body))
    }
}

// ---- lines: rooms and broadcast ----

impl Wire {
    /// Sends `line` followed by `\n`.
    pub async fn send_line(&mut self, line: &[u8]) -> Result<(), Failure> {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        self.send(&bytes).await
    }

    /// Expects exactly `line` followed by `\n`.
    pub async fn expect_line(&mut self, line: &[u8]) -> Result<(), Failure> {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        self.expect(&bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pad_the_length() {
        assert_eq!(frame(2, b"NAME A"), b"06NAME A");
        assert_eq!(frame(4, b"NAME A"), b"0006NAME A");
        assert_eq!(frame(2, b""), b"00");
    }

    #[test]
    fn long_replies_split_after_the_last_space_that_fits() {
        let reply = format!("{} {}", "a".repeat(60), "b".repeat(60));
        let want = format!("61{} 60{}", "a".repeat(60), "b".repeat(60));
        assert_eq!(framed_reply(2, reply.as_bytes()), want.as_bytes());
        // No space: cut at a character boundary (é is 2 bytes, 99 is odd).
        let reply = "é".repeat(60);
        let want = format!("98{}22{}", "é".repeat(49), "é".repeat(11));
        assert_eq!(framed_reply(2, reply.as_bytes()), want.as_bytes());
        assert_eq!(
            framed_reply(4, reply.as_bytes()),
            frame(4, reply.as_bytes())
        );
    }

    #[test]
    fn packets_have_a_big_endian_length() {
        assert_eq!(
            packet(kind::LOGIN, &name_field(b"ab")),
            [1, 0, 0, 0, 3, 2, b'a', b'b']
        );
        assert_eq!(text_field(b"x"), [0, 0, 0, 1, b'x']);
        assert_eq!(list_body(&[b"a"]), [0, 1, 1, b'a']);
        assert_eq!(
            parse_list_body(&list_body(&[b"a", b"bc"])),
            Some(vec!["a".into(), "bc".into()])
        );
        assert_eq!(parse_list_body(&[0, 2, 1, b'a']), None);
    }

    #[test]
    fn garbage_is_reproducible() {
        assert_eq!(garbage(7, 64), garbage(7, 64));
        assert_ne!(garbage(7, 64), garbage(8, 64));
    }
}
