//! CI smoke of `confab bench`: against a real `confab serve`, a short fanout on IRC, on
//! broadcast and on IRC over WebSocket, one over several IRC channels, and a small
//! connect run on IRC and on WebSocket, must deliver every message (within its own
//! channel) and register every client. No timing is asserted
//! (the machine may be busy); only that the tool works end to end and cannot rot.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `confab serve` child with IRC, broadcast and http (IRC over WebSocket) on free ports,
/// killed on drop.
struct Server {
    child: Child,
    /// The server's own data directory, removed on drop.
    _data: tempfile::TempDir,
    irc: String,
    broadcast: String,
    http: String,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("a data directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_confab"))
            .args([
                "serve",
                "--listen",
                "irc=127.0.0.1:0",
                "--listen",
                "broadcast=127.0.0.1:0",
                "--listen",
                "http=127.0.0.1:0",
            ])
            .arg("--data")
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("confab serve starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut irc, mut broadcast, mut http) = (None, None, None);
        // Three `listening PROTOCOL ADDR` lines, then the server is ready.
        while irc.is_none() || broadcast.is_none() || http.is_none() {
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
                (Some("listening"), Some("http"), Some(addr)) => http = Some(addr.to_owned()),
                _ => {}
            }
        }
        Server {
            child,
            _data: data,
            irc: irc.unwrap_or_default(),
            broadcast: broadcast.unwrap_or_default(),
            http: http.unwrap_or_default(),
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
fn fanout_on_irc_broadcast_and_websocket_delivers_every_message() {
    let server = Server::start();
    let wires = [
        ("irc", &server.irc),
        ("broadcast", &server.broadcast),
        ("ws", &server.http),
    ];
    for (protocol, addr) in wires {
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
fn fanout_over_many_rooms_delivers_within_each_room_only() {
    let server = Server::start();
    let pid = server.child.id().to_string();
    // 9 members in 3 channels (#lobby0..#lobby2), a sender in each: every message should
    // reach the 2 other members of its channel and nobody else.
    let report = bench(&[
        "fanout",
        "--addr",
        &server.irc,
        "--clients",
        "9",
        "--senders",
        "3",
        "--rooms",
        "3",
        "--rate",
        "60",
        "--warmup",
        "0.3",
        "--duration",
        "1.7",
        "--server-pid",
        &pid,
    ]);
    assert_eq!(report["rooms"], 3, "{report:#}");
    assert_eq!(report["expected_per_message"], 2, "{report:#}");
    assert_all_delivered(&report);
    assert_eq!(report["deliveries"]["unexpected"], 0, "{report:#}");
    assert!(report["server_cpu_s"].as_f64().is_some(), "{report:#}");
}

#[test]
fn connect_registers_every_client_on_irc_and_websocket() {
    let server = Server::start();
    let pid = server.child.id().to_string();
    for (protocol, addr) in [("irc", &server.irc), ("ws", &server.http)] {
        let report = bench(&[
            "connect",
            "--protocol",
            protocol,
            "--addr",
            addr,
            "--clients",
            "8",
            "--source-addrs",
            "2",
            "--hold",
            "0.2",
            "--server-pid",
            &pid,
        ]);
        assert_eq!(report["protocol"], protocol);
        assert_eq!(report["registered"], 8, "{report:#}");
        assert_eq!(report["failed"], 0, "{report:#}");
        assert!(
            report["rss_after_kib"].as_u64().unwrap_or(0) > 0,
            "{report:#}"
        );
        assert!(
            report["rss_anon_after_kib"].as_u64().unwrap_or(0) > 0,
            "{report:#}"
        );
    }
}

/// The arguments of a short ramp on IRC: 4 members, 2 senders, from 50 msg/s doubling.
fn ramp_args<'a>(addr: &'a str, p99_bound_ms: &'a str) -> Vec<&'a str> {
    vec![
        "ramp",
        "--addr",
        addr,
        "--clients",
        "4",
        "--senders",
        "2",
        "--rate",
        "50",
        "--factor",
        "2",
        "--max-steps",
        "2",
        "--retries",
        "1",
        "--warmup",
        "0.2",
        "--duration",
        "0.6",
        "--p99-bound-ms",
        p99_bound_ms,
    ]
}

/// A ramp step's target rate, msg/s.
fn rate_of(step: &serde_json::Value) -> f64 {
    step["rate_target"].as_f64().expect("a step has its rate")
}

#[test]
fn ramp_steps_up_and_retries_a_slow_step_once_before_stopping() {
    let server = Server::start();

    // A bound no step can miss: both steps pass at their first try, the best is the second.
    let report = bench(&ramp_args(&server.irc, "60000"));
    let steps = report["steps"].as_array().expect("steps");
    let rates: Vec<f64> = steps.iter().map(rate_of).collect();
    assert_eq!(rates, [50.0, 100.0], "{report:#}");
    steps.iter().for_each(assert_all_delivered);
    assert_eq!(report["best_rate"], 100.0, "{report:#}");
    assert_eq!(report["stopped_because"], "reached --max-steps 2");

    // A bound no step can meet (one nanosecond): the first step is run twice, then the
    // ramp stops there with nothing sustained.
    let report = bench(&ramp_args(&server.irc, "0.000001"));
    let steps = report["steps"].as_array().expect("steps");
    let rates: Vec<f64> = steps.iter().map(rate_of).collect();
    assert_eq!(rates, [50.0, 50.0], "{report:#}");
    steps.iter().for_each(assert_all_delivered);
    assert!(report["best_rate"].is_null(), "{report:#}");
    let why = report["stopped_because"].as_str().unwrap_or_default();
    assert!(
        why.starts_with("p99 ") && why.ends_with(" ms over 0.000001 ms at 50.0 msg/s"),
        "{why}"
    );
}
