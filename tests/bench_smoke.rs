//! CI smoke of `confab bench`: against a real `confab serve`, a short fanout on IRC and on
//! broadcast and a small connect run must deliver every message. No timing is asserted
//! (the machine may be busy); only that the tool works end to end and cannot rot.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `confab serve` child with IRC and broadcast on free ports, killed on drop.
struct Server {
    child: Child,
    irc: String,
    broadcast: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .args([
                "serve",
                "--listen",
                "irc=127.0.0.1:0",
                "--listen",
                "broadcast=127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("confab serve starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut irc, mut broadcast) = (None, None);
        // Two `listening PROTOCOL ADDR` lines, then the server is ready.
        while irc.is_none() || broadcast.is_none() {
            let line = lines
                .next()
                .expect("a listening line")
                .expect("readable stdout");
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("listening"), Some("irc"), Some(addr)) => irc = Some(addr.to_owned()),
                (Some("listening"), Some("broadcast"), Some(addr)) => {
                    broadcast = Some(addr.to_owned())
                }
                _ => {}
            }
        }
        Server {
            child,
            irc: irc.unwrap_or_default(),
            broadcast: broadcast.unwrap_or_default(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `confab bench ARGS --json --quiet` and parses its report.
fn bench(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("bench")
        .args(args)
        .args(["--json", "--quiet", "--deadline", "60"])
        .output()
        .expect("confab bench runs");
    assert!(
        output.status.success(),
        "confab bench {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

fn assert_all_delivered(report: &serde_json::Value) {
    let d = &report["deliveries"];
    assert!(d["delivered"].as_u64().unwrap_or(0) > 0, "{report:#}");
    assert!(
        report["deliveries_in_window"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
    assert_eq!(d["lost"], 0, "{report:#}");
    assert_eq!(d["duplicated"], 0, "{report:#}");
    assert_eq!(report["disconnected"], 0, "{report:#}");
}

#[test]
fn fanout_on_irc_and_broadcast_delivers_every_message() {
    let server = Server::start();
    for (protocol, addr) in [("irc", &server.irc), ("broadcast", &server.broadcast)] {
        let report = bench(&[
            "fanout",
            "--protocol",
            protocol,
            "--addr",
            addr,
            "--clients",
            "6",
            "--senders",
            "2",
            "--rate",
            "100",
            "--warmup",
            "0.3",
            "--duration",
            "1.7",
        ]);
        assert_eq!(report["protocol"], protocol);
        assert_all_delivered(&report);
    }
}

#[test]
fn connect_registers_every_client() {
    let server = Server::start();
    let pid = server.child.id().to_string();
    let report = bench(&[
        "connect",
        "--protocol",
        "irc",
        "--addr",
        &server.irc,
        "--clients",
        "8",
        "--source-addrs",
        "2",
        "--hold",
        "0.2",
        "--server-pid",
        &pid,
    ]);
    assert_eq!(report["registered"], 8, "{report:#}");
    assert_eq!(report["failed"], 0, "{report:#}");
    assert!(
        report["rss_after_kib"].as_u64().unwrap_or(0) > 0,
        "{report:#}"
    );
}
