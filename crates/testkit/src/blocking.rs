//! The harness's clients for tests without a runtime (those that drive the real `confab`
//! binary, a terminal or `redis-server` from plain threads): [`Lines`], a blocking line
//! client of any protocol, and [`Irc`] on it. Every read is bounded by the client's wait;
//! a failure shows the bytes that did arrive.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use confab_check::escape;

use crate::received::{Received, CHUNK};

/// How long one step waits by default: the real binary on a busy machine (builds and
/// fuzzers beside the tests); a passing run never waits it out.
pub const WAIT: Duration = Duration::from_secs(15);

/// One blocking connection and what it has read but no step has consumed yet.
pub struct Lines {
    pub stream: TcpStream,
    received: Received,
    wait: Duration,
}

impl Lines {
    /// Connects to `addr`.
    pub fn connect(addr: impl ToSocketAddrs + std::fmt::Debug) -> Lines {
        let stream =
            TcpStream::connect(&addr).unwrap_or_else(|e| panic!("connect to {addr:?}: {e}"));
        Lines::over(stream)
    }

    /// A broadcast user named `name`, welcomed.
    pub fn broadcast_user(addr: impl ToSocketAddrs + std::fmt::Debug, name: &str) -> Lines {
        let mut user = Lines::connect(addr);
        user.send(format!("{name}\n"));
        assert_eq!(
            user.line(),
            "Welcome to the chat. Enter 'bye' anytime to exit."
        );
        user
    }

    /// Wraps a stream the test opened (or accepted) itself.
    pub fn over(stream: TcpStream) -> Lines {
        Lines {
            stream,
            received: Received::default(),
            wait: WAIT,
        }
    }

    /// The same client, each of whose later steps may wait `wait`.
    pub fn waiting(mut self, wait: Duration) -> Lines {
        self.wait = wait;
        self
    }

    /// Lets each later step wait `wait` (a test polling in short steps).
    pub fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    /// Writes `bytes`.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("send {}: {e}", escape(bytes)));
    }

    /// The next line without its `\n` (a `\r` before it stays).
    ///
    /// # Panics
    /// When no whole line comes within the wait, or the connection closes first.
    pub fn line(&mut self) -> String {
        match self.next_line() {
            Some(line) => line,
            None => panic!("expected a line, got {}", self.received.arrived()),
        }
    }

    /// The next line without its `\n`, or `None` once the connection is closed or the
    /// wait is over.
    pub fn next_line(&mut self) -> Option<String> {
        let deadline = Instant::now() + self.wait;
        loop {
            if let Some(mut line) = self.received.take_line() {
                line.pop();
                return Some(line);
            }
            if !self.fill(deadline) {
                return None;
            }
        }
    }

    /// Lines (each without its `\n`) up to and including the first that `last` accepts.
    ///
    /// # Panics
    /// When the wait ends or the connection closes before one does.
    pub fn until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + self.wait;
        let mut lines = Vec::new();
        loop {
            if let Some(mut line) = self.received.take_line() {
                line.pop();
                let done = last(&line);
                lines.push(line);
                if done {
                    return lines;
                }
            } else if !self.fill(deadline) {
                panic!("no end in {lines:?}, then {}", self.received.arrived());
            }
        }
    }

    /// Reads exactly `expected.len()` bytes and asserts they are `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let deadline = Instant::now() + self.wait;
        while !self.received.has(expected.len()) && self.fill(deadline) {}
        self.received.consume(expected);
    }

    /// Exactly `n` bytes.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        while !self.received.has(n) && self.fill(deadline) {}
        self.received.take(n)
    }

    /// Everything until the server closes the connection cleanly (EOF, not a reset).
    pub fn rest(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + self.wait;
        while self.fill(deadline) {}
        self.received.take_rest(true)
    }

    /// Everything that arrives until nothing more has come for `quiet` (within the step's
    /// wait in all).
    pub fn read_until_quiet(&mut self, quiet: Duration) -> Vec<u8> {
        let end = Instant::now() + self.wait;
        while self.fill((Instant::now() + quiet).min(end)) {}
        self.received.take_all()
    }

    /// One read before `deadline`; false on timeout or close.
    fn fill(&mut self, deadline: Instant) -> bool {
        if self.received.is_closed() {
            return false;
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return false;
        };
        // A zero timeout would mean "block forever".
        let left = left.max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(left))
            .expect("a read timeout");
        let mut chunk = [0u8; CHUNK];
        let read = self.stream.read(&mut chunk);
        self.received.record(read, &chunk)
    }
}

/// A registered IRC client reading CRLF lines (each without its CRLF).
pub struct Irc {
    pub lines: Lines,
    /// What registration was answered with, up to and including the end of the MOTD.
    pub welcome: Vec<String>,
}

impl Irc {
    /// Registers `nick` (user name `nick`, real name `nick`) and keeps the welcome.
    pub fn register(addr: impl ToSocketAddrs + std::fmt::Debug, nick: &str) -> Irc {
        let mut lines = Lines::connect(addr);
        lines.send(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"));
        let mut irc = Irc {
            lines,
            welcome: Vec::new(),
        };
        irc.welcome = irc.until(|line| line.split(' ').nth(1) == Some("376"));
        irc
    }

    /// Logs in to `account` with SASL PLAIN while registering as `nick`: what SASL was
    /// answered (the lines after `AUTHENTICATE +`, up to `903` or `904`), and, after a
    /// `903`, the client registered (its welcome kept); after a `904`, `None`.
    pub fn sasl(
        addr: impl ToSocketAddrs + std::fmt::Debug,
        nick: &str,
        account: &str,
        password: &str,
    ) -> (Vec<String>, Option<Irc>) {
        use base64ct::{Base64, Encoding};
        let lines = Lines::connect(addr);
        let mut irc = Irc {
            lines,
            welcome: Vec::new(),
        };
        irc.send(&format!(
            "CAP REQ :sasl\r\nNICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nAUTHENTICATE PLAIN\r\n"
        ));
        irc.until(|line| line == "AUTHENTICATE +");
        let plain = Base64::encode_string(format!("\0{account}\0{password}").as_bytes());
        irc.send(&format!("AUTHENTICATE {plain}\r\n"));
        let said = irc.until(|line| [" 903 ", " 904 "].iter().any(|n| line.contains(n)));
        if !said.last().is_some_and(|line| line.contains(" 903 ")) {
            return (said, None);
        }
        irc.send("CAP END\r\n");
        irc.welcome = irc.until(|line| line.split(' ').nth(1) == Some("376"));
        (said, Some(irc))
    }

    /// Sends `text` as it is (CRLF included by the caller).
    pub fn send(&mut self, text: &str) {
        self.lines.send(text);
    }

    /// The next line, which must end in CRLF, without it.
    pub fn line(&mut self) -> String {
        let line = self.lines.line();
        match line.strip_suffix('\r') {
            Some(line) => line.to_owned(),
            None => panic!("a line without its CR: {line:?}"),
        }
    }

    /// Lines (without CRLF) up to and including the first that `last` accepts.
    pub fn until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let lines = self
            .lines
            .until(|line| last(line.strip_suffix('\r').unwrap_or(line)));
        lines
            .into_iter()
            .map(|line| match line.strip_suffix('\r') {
                Some(line) => line.to_owned(),
                None => panic!("a line without its CR: {line:?}"),
            })
            .collect()
    }

    /// Reads up to the first line containing `part`, and returns it.
    pub fn until_containing(&mut self, part: &str) -> String {
        let mut lines = self.until(|line| line.contains(part));
        lines.pop().expect("the line found")
    }
}
