//! Real Prometheus (issue 16, Observe): Debian's `prometheus` scrapes the real `confab serve`
//! through its `metrics` listener every second, and confab's series come back through
//! Prometheus's HTTP query API (`/api/v1/query`) with the values the traffic made, and every
//! query of the Grafana dashboard in docs/ is one Prometheus accepts. Skipped,
//! with a notice, when `prometheus` is not installed (`scripts/test.sh` installs it).
//! Everything on 127.0.0.1, every wait bounded.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::serve_support::Serve;
use confab_testkit::blocking::Lines;

/// How long Prometheus may take to start, scrape and answer with the value sought.
const WAIT: Duration = Duration::from_secs(60);

/// The `prometheus` child, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus on a free loopback port, scraping `target` every second.
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().expect("a directory for Prometheus");
        let config = dir.path().join("prometheus.yml");
        let yaml = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: confab\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(&config, yaml).expect("the config is written");
        // A port that was free a moment ago: Prometheus binds it itself.
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        Prometheus {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The value of the instant query `query` as Prometheus prints it (`None`: no series
    /// yet, or Prometheus not answering yet).
    fn query(&self, query: &str) -> Option<String> {
        let body = http_get(self.addr, &format!("/api/v1/query?query={}", escape(query)))?;
        let answer: serde_json::Value = serde_json::from_str(&body).ok()?;
        assert_eq!(answer["status"], "success", "{answer}");
        let value = &answer["data"]["result"][0]["value"][1];
        value.as_str().map(str::to_string)
    }

    /// Asks `query` until it is `want`, for at most `WAIT`.
    fn wait_for(&self, query: &str, want: &str) {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < WAIT {
            last = self.query(query);
            if last.as_deref() == Some(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("Prometheus answered {query} with {last:?}, not {want:?}, for {WAIT:?}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.0 GET (so the answer is never chunked and the server closes): the body of a
/// 200, `None` for anything else or no answer within 5 s.
fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    // Go answers in the request's version: `HTTP/1.0 200 OK`.
    let status = head.split(' ').nth(1)?;
    (status == "200").then(|| body.to_string())
}

/// Percent-escapes everything but letters, digits and `_` for a query string.
fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn prometheus_reads_confabs_series_back() {
    if Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: prometheus is not installed (apt-get install prometheus)");
        return;
    }
    let serve = Serve::start(&["--listen", "metrics=127.0.0.1:0"]);
    let prometheus = Prometheus::start(serve.addr("metrics"));
    // Two broadcast users: each names itself (1 message in), then ann says 3 lines.
    let mut ann = Lines::broadcast_user(serve.addr("broadcast"), "ann");
    let mut ben = Lines::broadcast_user(serve.addr("broadcast"), "ben");
    for n in 0..3 {
        ann.send(format!("hello {n}\n"));
    }
    for n in 0..3 {
        assert_eq!(
            ben.next_line().as_deref(),
            Some(format!("ann: hello {n}").as_str())
        );
    }
    prometheus.wait_for("up{job=\"confab\"}", "1");
    prometheus.wait_for("confab_messages_in_total{protocol=\"broadcast\"}", "5");
    prometheus.wait_for("confab_connections_open{protocol=\"broadcast\"}", "2");
    prometheus.wait_for("confab_registrations_total{protocol=\"broadcast\"}", "2");
    // ben leaves: Prometheus sees one connection fewer at its next scrape.
    drop(ben);
    prometheus.wait_for("confab_connections_open{protocol=\"broadcast\"}", "1");
    drop(ann);
    // Every panel of the Grafana dashboard in docs/ is a query Prometheus accepts.
    let dashboard = include_str!("../docs/grafana-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(dashboard).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    for target in panels.iter().flat_map(|p| p["targets"].as_array().unwrap()) {
        let expr = target["expr"].as_str().unwrap();
        let body = http_get(
            prometheus.addr,
            &format!("/api/v1/query?query={}", escape(expr)),
        );
        assert!(
            body.is_some_and(|b| b.contains("\"status\":\"success\"")),
            "{expr}"
        );
    }
}
