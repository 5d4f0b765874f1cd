//! Shared harness for the `confab connect` tests: a server on port 0, the client binary
//! driven through pipes (its scriptable mode) or inside tmux (a real terminal), and a
//! fake server for one client. Raw peers are the harness's (`confab_testkit::blocking`).
//! Every wait is bounded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use confab_testkit::blocking::Lines;
use confab_testkit::TestServer;

pub const BIN: &str = env!("CARGO_BIN_EXE_confab");
/// The longest any single expected event may take.
/// Every wait here polls until its condition holds, so a generous bound costs a passing run
/// nothing and keeps a loaded machine (builds, fuzzers beside the tests) from failing them.
pub const WAIT: Duration = Duration::from_secs(15);

/// A test server on 127.0.0.1 with every classroom listener, on a runtime of its own so
/// the test thread can block on pipes and sockets.
pub struct Server {
    pub server: Option<TestServer>,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(|_| {})
    }

    /// Starts one after `adjust` has changed its configuration (e.g. a limit).
    pub fn start_with(adjust: impl FnOnce(&mut confab_server::Config)) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(TestServer::start_with(adjust));
        Server {
            server: Some(server),
            runtime,
        }
    }

    pub fn addr(&self, protocol: &str) -> String {
        self.server
            .as_ref()
            .expect("server running")
            .addr(protocol)
            .to_string()
    }

    /// Shuts the server down gracefully (every client hears its goodbye).
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// `confab connect` with stdin and stdout piped: the scriptable mode.
pub struct Script {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Script {
    pub fn start(args: &[&str]) -> Script {
        let mut child = Command::new(BIN)
            .arg("connect")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("confab starts");
        let lines = read_lines(child.stdout.take().expect("stdout"));
        let stderr = read_lines(child.stderr.take().expect("stderr"));
        let stdin = child.stdin.take();
        Script {
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// Types one line.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).expect("write stdin");
        stdin.write_all(b"\n").expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// The next `n` stdout lines, each within [`WAIT`].
    pub fn expect(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.lines
                    .recv_timeout(WAIT)
                    .unwrap_or_else(|_| panic!("line {} of {n} did not come", i + 1))
            })
            .collect()
    }

    /// Stdout lines up to and including the first equal to `last`, each within [`WAIT`].
    pub fn expect_through(&mut self, last: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(line) => {
                    let done = line == last;
                    lines.push(line);
                    if done {
                        return lines;
                    }
                }
                Err(_) => panic!("{last:?} did not come; got {lines:#?}"),
            }
        }
    }

    /// Closes stdin and waits for the exit; returns the code and the rest of stdout.
    pub fn finish(mut self) -> (Option<i32>, Vec<String>) {
        self.stdin = None;
        self.wait()
    }

    /// Waits for the exit without closing stdin (the session ends itself).
    pub fn wait(&mut self) -> (Option<i32>, Vec<String>) {
        let code = wait_exit(&mut self.child, Duration::from_secs(10));
        let rest = self.lines.iter().collect();
        (code, rest)
    }

    /// Everything the client wrote to stderr (after it exited).
    pub fn stderr(&self) -> String {
        self.stderr.try_iter().map(|l| l + "\n").collect()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines of `pipe`, read on a thread into a channel that ends with the pipe.
fn read_lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to `limit` for `child` to exit; `None` if it did not.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the client did not exit within {limit:?}");
}

/// A fake server for one client: accepts one connection and hands it to the test.
pub struct FakeServer {
    listener: std::net::TcpListener,
}

impl FakeServer {
    pub fn bind() -> FakeServer {
        FakeServer {
            listener: std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("local addr")
    }

    /// The client's connection, as a harness client to script the server's side.
    pub fn accept(&self) -> Lines {
        self.listener.set_nonblocking(true).expect("nonblocking");
        let start = Instant::now();
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).expect("blocking");
                    return Lines::over(stream).waiting(WAIT);
                }
                Err(_) if start.elapsed() < WAIT => std::thread::sleep(Duration::from_millis(10)),
                Err(error) => panic!("the client did not connect: {error}"),
            }
        }
    }
}

/// A tmux server on a private socket, killed on drop: a real terminal for the client.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (with a notice) when tmux is not installed: the caller skips.
    pub fn start(test: &str, command: &str, width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipped {test}: tmux is not installed");
            return None;
        }
        let socket = format!("confab-{test}-{}", std::process::id());
        let tmux = Tmux { socket };
        // The shell keeps the pane open after the client exits, showing its exit code and
        // whether the terminal's mode is back to what it was before.
        let shell = format!(
            "before=$(stty -g); {command}; code=$?; \
             [ \"$(stty -g)\" = \"$before\" ] && echo '[tty restored]'; \
             echo \"[exit $code]\"; sleep 60"
        );
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            &shell,
        ]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
    }

    /// Presses named keys (`Enter`, `Up`, `PPage`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The visible screen, one string per row, trailing spaces trimmed.
    pub fn screen(&self) -> Vec<String> {
        self.run(&["capture-pane", "-p"])
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect()
    }

    /// The cursor's column and row.
    pub fn cursor(&self) -> (usize, usize) {
        let out = self.run(&["display-message", "-p", "#{cursor_x} #{cursor_y}"]);
        let mut parts = out.split_whitespace().map(|n| n.parse().expect("a number"));
        (parts.next().expect("x"), parts.next().expect("y"))
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.run(&[
            "resize-window",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Polls the screen until `ready` holds, for at most [`WAIT`].
    pub fn wait_for(&self, what: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > WAIT {
                panic!(
                    "timed out waiting for {what}; screen:\n{}",
                    screen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until some row equals `row` exactly.
    pub fn wait_row(&self, row: &str) -> Vec<String> {
        self.wait_for(row, |screen| screen.iter().any(|r| r == row))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The screen rows without the empty ones at the bottom.
pub fn trimmed(screen: &[String]) -> Vec<String> {
    let mut rows = screen.to_vec();
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    rows
}
