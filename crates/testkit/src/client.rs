//! `Client`: a scripted client of any protocol, over TCP or any other stream (TLS), that
//! panics at the first wrong step: send bytes, expect exact bytes, a line, a line that
//! matches, silence, or everything up to the close. Every wait is bounded; a failure
//! shows the bytes that did arrive.

use std::net::SocketAddr;
use std::time::Duration;

use confab_check::escape;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::received::{Received, CHUNK};

/// How long one step waits by default.
pub const WAIT: Duration = Duration::from_secs(5);

/// One connection and what it has read but no step has consumed yet.
pub struct Client<S = TcpStream> {
    stream: S,
    received: Received,
    wait: Duration,
}

impl Client {
    /// Connects to `addr` within [`WAIT`].
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("connect to {addr}: timed out"))
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        // Tests send many tiny writes; Nagle would only slow them down.
        let _ = stream.set_nodelay(true);
        Client::over(stream)
    }

    /// A rooms user who joined `room` and took the nickname `nick` (both answered `0`).
    pub async fn rooms_user(addr: SocketAddr, room: &str, nick: &str) -> Client {
        let mut c = Client::connect(addr).await;
        c.send(format!("/join {room}\n/nick {nick}\n")).await;
        c.expect(b"0\n0\n").await;
        c
    }

    /// One request on a connection of its own (an HTTP/1.1 exchange that closes): sends
    /// `request` and returns everything the server says until it closes.
    pub async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut c = Client::connect(addr).await;
        c.send(request).await;
        c.rest().await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Wraps a stream the test opened itself (with a tiny receive buffer, over TLS).
    pub fn over(stream: S) -> Client<S> {
        Client {
            stream,
            received: Received::default(),
            wait: WAIT,
        }
    }

    /// The same client, each of whose later steps may wait `wait`.
    pub fn waiting(mut self, wait: Duration) -> Client<S> {
        self.wait = wait;
        self
    }

    /// The stream, to hand to another layer (a WebSocket); nothing may be left unread.
    ///
    /// # Panics
    /// If bytes arrived that no step consumed: the next layer would never see them.
    pub fn into_stream(mut self) -> S {
        let left = self.received.take_all();
        assert!(left.is_empty(), "left unread: {}", escape(&left));
        self.stream
    }

    /// Writes `bytes` in one call.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        tokio::time::timeout(self.wait, self.stream.write_all(bytes))
            .await
            .unwrap_or_else(|_| panic!("send {}: timed out", escape(bytes)))
            .unwrap_or_else(|e| panic!("send {}: {e}", escape(bytes)));
    }

    /// Closes the sending half (FIN, or TLS close_notify): the server reads EOF.
    pub async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(self.wait, self.stream.shutdown()).await;
    }

    /// Reads exactly `expected.len()` bytes and asserts they are `expected`.
    pub async fn expect(&mut self, expected: &[u8]) {
        let deadline = Instant::now() + self.wait;
        while !self.received.has(expected.len()) && self.fill(deadline).await {}
        self.received.consume(expected);
    }

    /// Exactly `n` bytes, whatever they are (a length or a header to decode).
    pub async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        while !self.received.has(n) && self.fill(deadline).await {}
        self.received.take(n)
    }

    /// The next line, with its `\n`.
    pub async fn line(&mut self) -> String {
        match self.next_line().await {
            Some(line) => line,
            None => panic!("expected a line, got {}", self.received.arrived()),
        }
    }

    /// The next line, with its `\n`, or `None` when the server closes or the wait ends
    /// first (for a test that retries).
    pub async fn next_line(&mut self) -> Option<String> {
        let deadline = Instant::now() + self.wait;
        loop {
            if let Some(line) = self.received.take_line() {
                return Some(line);
            }
            if !self.fill(deadline).await {
                return None;
            }
        }
    }

    /// Skips lines until one starts with `prefix` and returns it (past a welcome burst).
    pub async fn line_starting(&mut self, prefix: &str) -> String {
        self.expect_match(prefix, |line| line.starts_with(prefix))
            .await
    }

    /// Skips lines until one satisfies `wanted` and returns it; `what` names it in the
    /// failure.
    pub async fn expect_match(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + self.wait;
        loop {
            match self.received.take_line() {
                Some(line) if wanted(&line) => return line,
                Some(_) => {}
                None if self.fill(deadline).await => {}
                None => panic!(
                    "expected a line like {what:?}, got {}",
                    self.received.arrived()
                ),
            }
        }
    }

    /// Everything up to and including `end` (an HTTP head's blank line, the last line of
    /// a burst).
    pub async fn read_through(&mut self, end: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        loop {
            if let Some(bytes) = self.received.take_through(end) {
                return bytes;
            }
            if !self.fill(deadline).await {
                let arrived = self.received.arrived();
                panic!("expected {} after anything, got {arrived}", escape(end));
            }
        }
    }

    /// Everything until the server closes the connection cleanly (EOF, after TLS's
    /// close_notify), as text.
    pub async fn rest(&mut self) -> String {
        String::from_utf8_lossy(&self.rest_bytes().await).into_owned()
    }

    /// Everything until the server closes the connection cleanly, as bytes.
    pub async fn rest_bytes(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        while self.fill(deadline).await {}
        self.received.take_rest(true)
    }

    /// Everything until the connection ends, cleanly or not (a reset, a TLS alert): for
    /// a client the server is expected to drop however it likes.
    pub async fn until_closed(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        while self.fill(deadline).await {}
        self.received.take_rest(false)
    }

    /// Everything that arrives until nothing more has come for `quiet` (within the step's
    /// wait in all).
    pub async fn read_until_quiet(&mut self, quiet: Duration) -> Vec<u8> {
        let end = Instant::now() + self.wait;
        while self.fill((Instant::now() + quiet).min(end)).await {}
        self.received.take_all()
    }

    /// Asserts nothing arrives for `quiet`.
    pub async fn expect_quiet(&mut self, quiet: Duration) {
        let got = self.read_until_quiet(quiet).await;
        assert!(got.is_empty(), "expected silence, got {}", escape(&got));
    }

    /// One read before `deadline`; false on timeout or close.
    async fn fill(&mut self, deadline: Instant) -> bool {
        if self.received.is_closed() {
            return false;
        }
        let mut chunk = [0u8; CHUNK];
        match timeout_at(deadline, self.stream.read(&mut chunk)).await {
            Err(_) => false,
            Ok(read) => self.received.record(read, &chunk),
        }
    }
}
