//! A `confab serve` child whose stdout and log lines arrive on channels, for the tests that
//! wait for what it prints: `listening` lines (a reload prints more later) and log lines.
//! Killed on drop.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any one expected line may take.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Watched {
    child: Child,
    stdout: mpsc::Receiver<String>,
    log: mpsc::Receiver<String>,
}

impl Watched {
    /// Runs `command` (a `confab serve ...`) with its output piped and logging at `info`.
    pub fn spawn(mut command: Command) -> Watched {
        let mut child = command
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("confab starts");
        let stdout = lines_of(child.stdout.take().expect("piped stdout"));
        let log = lines_of(child.stderr.take().expect("piped stderr"));
        Watched { child, stdout, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next `listening KIND ADDR` line.
    pub fn listening(&self) -> (String, SocketAddr) {
        let line = self
            .stdout
            .recv_timeout(WAIT)
            .expect("a listening line in time");
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!((parts.len(), parts[0]), (3, "listening"), "line {line:?}");
        (parts[1].to_string(), parts[2].parse().expect("an address"))
    }

    /// Waits for a log line containing `wanted` (lines before it are skipped).
    pub fn logged(&self, wanted: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(wanted) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {wanted:?} within {WAIT:?}"),
            }
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each line `pipe` gives, on a channel, as it comes (read on a thread of its own).
pub fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    receive
}
