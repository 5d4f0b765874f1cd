//! The byte-level scripted client every scenario uses: send literal bytes, then expect
//! exact bytes, silence or a close. Every step is bounded by a timeout, so a silent or
//! misbehaving server yields a [`Failure`] showing what did arrive, never a hang.

mod lines;
mod packet;
mod prefixed;

pub use packet::{
    kind, list_body, name_field, packet, parse_list_body, result, sendto_body, text_field,
};
pub use prefixed::{frame, framed_reply};

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
