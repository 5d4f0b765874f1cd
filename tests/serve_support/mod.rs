//! Shared by the tests that run the real `confab serve` and watch it: the child process
//! with every listener on a free loopback port and a data directory of its own (or one
//! the test keeps across restarts), its resident set size, the first two users of its
//! broadcast conversation, `confab account` on a data directory, and a TLS client
//! configuration trusting one certificate.
//! Clients to talk through it are the harness's (`confab_testkit::blocking`).
#![allow(dead_code)]

pub mod redis;
pub mod watched;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use confab_testkit::blocking::Lines;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// A `confab serve` child with all five protocols on 127.0.0.1, killed on drop.
pub struct Serve {
    child: Child,
    /// The server's own data directory, removed on drop (`None`: the test's).
    _data: Option<tempfile::TempDir>,
    addrs: HashMap<String, SocketAddr>,
}

impl Serve {
    /// Starts the server with `args` after the listeners (e.g. `--outbox-bytes 65536`).
    pub fn start(args: &[&str]) -> Serve {
        let data = tempfile::tempdir().expect("a data directory");
        let mut serve = Serve::start_in(data.path(), args);
        serve._data = Some(data);
        serve
    }

    /// Starts the server on the data directory `data`, which outlives it.
    pub fn start_in(data: &std::path::Path, args: &[&str]) -> Serve {
        Serve::start_logging(data, args, Stdio::null())
    }

    /// Like `start_in`, with the server's log (errors and warnings) sent to `log`.
    pub fn start_logging(data: &std::path::Path, args: &[&str], log: impl Into<Stdio>) -> Serve {
        let protocols = ["irc", "rooms", "broadcast", "prefixed", "packet"];
        let mut command = Command::new(BIN);
        command.arg("serve").arg("--data").arg(data);
        for p in protocols {
            command.args(["--listen", &format!("{p}=127.0.0.1:0")]);
        }
        let mut child = command
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("confab starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut addrs = HashMap::new();
        // Listeners in `args` (`--listen metrics=…`) print their lines after these.
        let extra = args.iter().filter(|arg| **arg == "--listen").count();
        for _ in 0..protocols.len() + extra {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("a listening line");
            let parts: Vec<&str> = line.trim_end().split(' ').collect();
            assert_eq!(parts.len(), 3, "line {line:?}");
            addrs.insert(parts[1].to_string(), parts[2].parse().expect("an address"));
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stdout.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Serve {
            child,
            _data: None,
            addrs,
        }
    }

    pub fn addr(&self, protocol: &str) -> SocketAddr {
        self.addrs[protocol]
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident set size in KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// SIGKILL: the process ends at once, wherever it is.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits up to `limit` for the exit.
    pub fn stop(mut self, limit: Duration) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.child.try_wait().expect("try_wait").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `confab account ARGS --data DIR` with `stdin` as its input.
pub fn account(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .arg("account")
        .args(args)
        .arg("--data")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("confab starts");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin.as_bytes()).expect("writes");
    drop(input);
    child.wait_with_output().expect("confab ends")
}

/// bob and amy, broadcast users of `addr` in that order, once bob has been told amy joined.
pub fn bob_and_amy(addr: SocketAddr) -> (Lines, Lines) {
    let mut bob = Lines::broadcast_user(addr, "bob");
    let amy = Lines::broadcast_user(addr, "amy");
    assert_eq!(
        bob.next_line().as_deref(),
        Some("amy joined the conversation")
    );
    (bob, amy)
}

/// A rustls client configuration that trusts exactly the certificate in `cert`.
pub fn trusting(cert: &std::path::Path) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls_pki_types::CertificateDer::pem_file_iter(cert).expect("the certificate file")
    {
        roots.add(der.expect("a PEM certificate")).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    std::sync::Arc::new(config)
}

/// `VmRSS` of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Mebibytes, for summaries.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
