//! What a harness client has read and not yet consumed, and how its connection ended: the
//! bookkeeping the async [`Client`](crate::Client) and the blocking
//! [`Lines`](crate::blocking::Lines) share, so that each only says how to read more.

use std::io::{self, ErrorKind};

use confab_check::escape;

/// How much one read asks for.
pub(crate) const CHUNK: usize = 16 * 1024;

/// Bytes read and not yet consumed (a reply split over several reads, or several replies
/// in one, are alike here), and why the connection ended once it has.
#[derive(Default)]
pub(crate) struct Received {
    buf: Vec<u8>,
    /// `None` while open; `Some(None)` after a clean EOF; `Some(Some(error))` after a
    /// failed read (a reset, a TLS alert).
    closed: Option<Option<String>>,
}

impl Received {
    /// Whether nothing more can come.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// Takes one read's outcome into account; true when bytes came (or the read is worth
    /// trying again), false at a close or when the read timed out.
    pub(crate) fn record(&mut self, read: io::Result<usize>, chunk: &[u8]) -> bool {
        match read {
            Ok(0) => {
                self.closed = Some(None);
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(e) if e.kind() == ErrorKind::Interrupted => true,
            Err(e) => {
                self.closed = Some(Some(e.to_string()));
                false
            }
        }
    }

    /// Whether at least `n` bytes are here.
    pub(crate) fn has(&self, n: usize) -> bool {
        self.buf.len() >= n
    }

    /// Everything up to and including the first `end`, if it is here.
    pub(crate) fn take_through(&mut self, end: &[u8]) -> Option<Vec<u8>> {
        let at = self.buf.windows(end.len()).position(|w| w == end)?;
        Some(self.buf.drain(..at + end.len()).collect())
    }

    /// The first line, with its `\n`, if a whole one is here.
    pub(crate) fn take_line(&mut self) -> Option<String> {
        let line = self.take_through(b"\n")?;
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    /// Asserts that what is here starts with `expected`, and consumes it.
    pub(crate) fn consume(&mut self, expected: &[u8]) {
        let n = expected.len().min(self.buf.len());
        assert!(
            self.buf[..n] == *expected,
            "expected {}\n     got {}",
            escape(expected),
            self.arrived()
        );
        self.buf.drain(..n);
    }

    /// The first `n` bytes, which must be here.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        assert!(self.has(n), "expected {n} bytes, got {}", self.arrived());
        self.buf.drain(..n).collect()
    }

    /// Everything here.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Everything here, once the connection ended: cleanly (`clean`) or in any way.
    pub(crate) fn take_rest(&mut self, clean: bool) -> Vec<u8> {
        let ended = match &self.closed {
            Some(None) => true,
            Some(Some(_)) => !clean,
            None => false,
        };
        assert!(
            ended,
            "expected the server to close, got {}",
            self.arrived()
        );
        self.take_all()
    }

    /// What arrived and was not consumed, and the connection's state, for a failure.
    pub(crate) fn arrived(&self) -> String {
        let state = match &self.closed {
            None => "still open".to_owned(),
            Some(None) => "closed".to_owned(),
            Some(Some(error)) => format!("failed: {error}"),
        };
        format!("{} ({state})", escape(&self.buf))
    }
}
