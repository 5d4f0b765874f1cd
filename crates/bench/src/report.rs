//! What a run found, as one serialisable value per scenario: rendered as a human table
//! on stdout, or as JSON (`--json`) with every figure.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::accounting::Tally;

/// A new histogram of microseconds: 3 significant figures, growing only as far as the
/// largest value recorded.
pub fn histogram() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant figures are valid"))
}

/// Records `value`, growing the histogram as needed. (`saturating_record` would not grow
/// it: it clamps to the current highest value, which starts at 2.)
pub fn record(h: &mut Histogram<u64>, value: u64) {
    if h.record(value).is_err() {
        h.saturating_record(value);
    }
}

/// Percentiles of a histogram recorded in microseconds, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn from_micros(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// `fanout` and `direct`: one steady rate.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficReport {
    pub scenario: &'static str,
    pub protocol: &'static str,
    pub addr: String,
    pub clients: usize,
    pub senders: usize,
    /// Rooms the members were spread over (fanout `--rooms`; 1 in direct).
    pub rooms: usize,
    /// Total messages per second asked of all senders together.
    pub rate_target: f64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub message_bytes: usize,
    /// Time to connect and register every client.
    pub setup_s: f64,
    /// Messages sent, warm-up included.
    pub sent: u64,
    /// Messages sent during the measured window, and per second of it.
    pub sent_in_window: u64,
    pub send_rate: f64,
    /// Recipients of each message.
    pub expected_per_message: usize,
    /// Deliveries of messages sent in the window, and per second of it.
    pub deliveries_in_window: u64,
    pub deliveries_per_sec: f64,
    /// From the stamp in the message to its arrival, for messages sent in the window.
    pub latency: Latency,
    /// How late senders wrote their messages against their schedule (the generator's own
    /// lag: large values mean the generator, not the server, was the limit).
    pub send_lag: Latency,
    /// Every delivery of the run, warm-up included.
    pub deliveries: Tally,
    /// Refusals from the server (IRC error numerics, RESPONSE failure, `Error:`...).
    pub errors: u64,
    /// Clients the server disconnected during the run.
    pub disconnected: u64,
    /// False if deliveries were still missing when the drain time ran out.
    pub drained: bool,
    /// Members that joined and never read (`--stalled`), and how many of them the server
    /// had disconnected by the end.
    pub stalled: usize,
    pub stalled_disconnected: u64,
    /// With `--server-pid`: the server's CPU seconds (user + system) from the start of the
    /// window to the end of sending, and per million deliveries in the window.
    pub server_cpu_s: Option<f64>,
    pub server_cpu_per_million: Option<f64>,
}

/// `ramp`: one traffic run per step.
#[derive(Debug, Clone, Serialize)]
pub struct RampReport {
    pub scenario: &'static str,
    pub protocol: &'static str,
    pub addr: String,
    pub pattern: &'static str,
    pub p99_bound_ms: f64,
    pub steps: Vec<TrafficReport>,
    /// The highest target rate whose step kept p99 under the bound with nothing lost.
    pub best_rate: Option<f64>,
    pub best_deliveries_per_sec: Option<f64>,
    pub stopped_because: String,
}

/// `connect`: many idle registered connections.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    pub scenario: &'static str,
    pub protocol: &'static str,
    pub addr: String,
    pub clients: usize,
    pub rate_target: f64,
    pub source_addrs: usize,
    pub registered: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    /// From the first connect to the last registration.
    pub connect_s: f64,
    /// Registrations per second over `connect_s`.
    pub connect_rate: f64,
    /// From connect to registered (IRC: 001), per connection.
    pub register_latency: Latency,
    pub hold_s: f64,
    /// Still open at the end of the hold.
    pub held: u64,
    pub server_pid: Option<u32>,
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    /// (after - before) / registered, in bytes.
    pub rss_per_conn_bytes: Option<f64>,
    /// The same for the anonymous part (`RssAnon`: heap and stacks), which leaves out the
    /// program's own pages that the first connections page in once.
    pub rss_anon_before_kib: Option<u64>,
    pub rss_anon_after_kib: Option<u64>,
    pub rss_anon_per_conn_bytes: Option<f64>,
}

/// Any scenario's report.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    Traffic(TrafficReport),
    Ramp(RampReport),
    Connect(ConnectReport),
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The human table.
    pub fn render(&self) -> String {
        match self {
            Report::Traffic(r) => table(&traffic_rows(r)),
            Report::Connect(r) => table(&connect_rows(r)),
            Report::Ramp(r) => render_ramp(r),
        }
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn latency_cell(l: &Latency) -> String {
    format!(
        "p50 {} p90 {} p99 {} p99.9 {} max {} ms",
        f3(l.p50_ms),
        f3(l.p90_ms),
        f3(l.p99_ms),
        f3(l.p999_ms),
        f3(l.max_ms)
    )
}

fn traffic_rows(r: &TrafficReport) -> Vec<(&'static str, String)> {
    let d = &r.deliveries;
    let mut rows = vec![
        (
            "scenario",
            format!("{} ({} on {})", r.scenario, r.protocol, r.addr),
        ),
        (
            "clients / senders / rooms",
            format!("{} / {} / {}", r.clients, r.senders, r.rooms),
        ),
        (
            "rate target",
            format!("{} msg/s, {} B each", f1(r.rate_target), r.message_bytes),
        ),
        (
            "window",
            format!("{} s after {} s warm-up", f1(r.duration_s), f1(r.warmup_s)),
        ),
        ("setup", format!("{} s", f3(r.setup_s))),
        (
            "sent",
            format!("{} ({} msg/s in window)", r.sent, f1(r.send_rate)),
        ),
        (
            "deliveries/s",
            format!(
                "{} ({} per message)",
                f1(r.deliveries_per_sec),
                r.expected_per_message
            ),
        ),
        ("latency", latency_cell(&r.latency)),
        ("send lag", latency_cell(&r.send_lag)),
        (
            "delivered / expected",
            format!("{} / {}", d.delivered, d.expected),
        ),
        (
            "lost / dup / out of order",
            format!("{} / {} / {}", d.lost, d.duplicated, d.out_of_order),
        ),
        (
            "errors / disconnected",
            format!("{} / {}", r.errors, r.disconnected),
        ),
    ];
    if let (Some(cpu), per) = (r.server_cpu_s, r.server_cpu_per_million) {
        let per = per.map_or("-".to_owned(), f3);
        rows.push(("server cpu", format!("{} s, {per} s per million", f3(cpu))));
    }
    if r.stalled > 0 {
        rows.push((
            "stalled / disconnected",
            format!("{} / {}", r.stalled, r.stalled_disconnected),
        ));
    }
    rows
}

fn connect_rows(r: &ConnectReport) -> Vec<(&'static str, String)> {
    let kib = |v: Option<u64>| v.map_or("-".to_owned(), |v| format!("{v} KiB"));
    let mut rows = vec![
        (
            "scenario",
            format!("connect ({} on {})", r.protocol, r.addr),
        ),
        (
            "clients",
            format!(
                "{} at {} /s from {} source address(es)",
                r.clients,
                f1(r.rate_target),
                r.source_addrs.max(1)
            ),
        ),
        (
            "registered / failed",
            format!("{} / {}", r.registered, r.failed),
        ),
        (
            "connect rate",
            format!("{} /s over {} s", f1(r.connect_rate), f3(r.connect_s)),
        ),
        ("register latency", latency_cell(&r.register_latency)),
        ("held", format!("{} for {} s", r.held, f1(r.hold_s))),
        ("server rss before", kib(r.rss_before_kib)),
        ("server rss after", kib(r.rss_after_kib)),
        ("server rss per conn", per_conn_cell(r.rss_per_conn_bytes)),
        (
            "anonymous per conn",
            per_conn_cell(r.rss_anon_per_conn_bytes),
        ),
    ];
    if let Some(e) = &r.first_error {
        rows.push(("first error", e.clone()));
    }
    rows
}

fn per_conn_cell(bytes: Option<f64>) -> String {
    bytes.map_or("-".to_owned(), |b| {
        format!("{} B ({:.2} KiB)", b.round(), b / 1024.0)
    })
}

fn render_ramp(r: &RampReport) -> String {
    let mut out = format!(
        "ramp ({} {} on {}), p99 bound {} ms\n",
        r.pattern,
        r.protocol,
        r.addr,
        f1(r.p99_bound_ms)
    );
    let head = [
        "rate", "sent/s", "deliv/s", "p50 ms", "p99 ms", "max ms", "lost", "dup", "ooo",
    ];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| (*s).to_owned()).collect()];
    for s in &r.steps {
        rows.push(vec![
            f1(s.rate_target),
            f1(s.send_rate),
            f1(s.deliveries_per_sec),
            f3(s.latency.p50_ms),
            f3(s.latency.p99_ms),
            f3(s.latency.max_ms),
            s.deliveries.lost.to_string(),
            s.deliveries.duplicated.to_string(),
            s.deliveries.out_of_order.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:>w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    match (r.best_rate, r.best_deliveries_per_sec) {
        (Some(rate), Some(d)) => out.push_str(&format!(
            "highest sustained rate: {} msg/s ({} deliveries/s)\n",
            f1(rate),
            f1(d)
        )),
        _ => out.push_str("highest sustained rate: none (the first step already failed)\n"),
    }
    out.push_str(&format!("stopped: {}\n", r.stopped_because));
    out
}

/// Two columns, the first padded.
fn table(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> TrafficReport {
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for us in 1..=1000 {
            h.record(us).expect("record");
        }
        TrafficReport {
            scenario: "fanout",
            protocol: "irc",
            addr: "127.0.0.1:6667".into(),
            clients: 3,
            senders: 1,
            rooms: 1,
            rate_target: 10.0,
            duration_s: 1.0,
            warmup_s: 0.0,
            message_bytes: 64,
            setup_s: 0.01,
            sent: 10,
            sent_in_window: 10,
            send_rate: 10.0,
            expected_per_message: 2,
            deliveries_in_window: 20,
            deliveries_per_sec: 20.0,
            latency: Latency::from_micros(&h),
            send_lag: Latency::default(),
            deliveries: Tally {
                expected: 20,
                delivered: 19,
                lost: 1,
                duplicated: 2,
                out_of_order: 3,
                unexpected: 0,
            },
            errors: 0,
            disconnected: 0,
            drained: false,
            stalled: 0,
            stalled_disconnected: 0,
            server_cpu_s: None,
            server_cpu_per_million: None,
        }
    }

    #[test]
    fn histograms_grow_to_the_largest_value() {
        let mut h = histogram();
        record(&mut h, 3);
        record(&mut h, 5_000_000);
        let l = Latency::from_micros(&h);
        assert!((4999.0..=5005.0).contains(&l.max_ms), "{l:?}");
        assert_eq!(l.p50_ms, 0.003);
    }

    #[test]
    fn latency_percentiles_in_milliseconds() {
        let l = sample().latency;
        assert_eq!(l.count, 1000);
        assert_eq!(l.p50_ms, 0.5);
        assert_eq!(l.p99_ms, 0.99);
        assert_eq!(l.max_ms, 1.0);
    }

    #[test]
    fn traffic_table_shows_every_figure() {
        let text = Report::Traffic(sample()).render();
        assert!(text.contains("scenario                   fanout (irc on 127.0.0.1:6667)\n"));
        assert!(text.contains("deliveries/s               20.0 (2 per message)\n"));
        assert!(text.contains(
            "latency                    p50 0.500 p90 0.900 p99 0.990 p99.9 0.999 max 1.000 ms\n"
        ));
        assert!(text.contains("lost / dup / out of order  1 / 2 / 3\n"));
        assert!(!text.contains("stalled"));
        assert!(!text.contains("server cpu"));
        let mut stalled = sample();
        stalled.server_cpu_s = Some(0.5);
        stalled.server_cpu_per_million = Some(25_000.0);
        stalled.stalled = 2;
        stalled.stalled_disconnected = 1;
        let text = Report::Traffic(stalled).render();
        assert!(
            text.contains("stalled / disconnected     2 / 1\n"),
            "{text}"
        );
        assert!(
            text.contains("server cpu                 0.500 s, 25000.000 s per million\n"),
            "{text}"
        );
    }

    #[test]
    fn json_has_every_figure() {
        let json: serde_json::Value =
            serde_json::from_str(&Report::Traffic(sample()).to_json()).expect("json");
        assert_eq!(json["deliveries"]["lost"], 1);
        assert_eq!(json["deliveries"]["duplicated"], 2);
        assert_eq!(json["latency"]["p99_ms"], 0.99);
        assert_eq!(json["deliveries_per_sec"], 20.0);
        assert_eq!(json["protocol"], "irc");
    }

    #[test]
    fn ramp_table_has_a_row_per_step_and_the_best_rate() {
        let step = sample();
        let ramp = RampReport {
            scenario: "ramp",
            protocol: "irc",
            addr: step.addr.clone(),
            pattern: "fanout",
            p99_bound_ms: 50.0,
            steps: vec![step.clone(), step],
            best_rate: Some(10.0),
            best_deliveries_per_sec: Some(20.0),
            stopped_because: "messages lost at 10.0 msg/s".into(),
        };
        let text = Report::Ramp(ramp).render();
        assert_eq!(text.lines().filter(|l| l.starts_with("10.0")).count(), 2);
        assert!(text.contains("highest sustained rate: 10.0 msg/s (20.0 deliveries/s)\n"));
    }

    #[test]
    fn connect_table_shows_rss_per_connection() {
        let r = ConnectReport {
            scenario: "connect",
            protocol: "irc",
            addr: "127.0.0.1:6667".into(),
            clients: 2,
            rate_target: 100.0,
            source_addrs: 0,
            registered: 2,
            failed: 0,
            first_error: None,
            connect_s: 0.02,
            connect_rate: 100.0,
            register_latency: Latency::default(),
            hold_s: 1.0,
            held: 2,
            server_pid: Some(1),
            rss_before_kib: Some(1000),
            rss_after_kib: Some(1003),
            rss_per_conn_bytes: Some(1536.0),
            rss_anon_before_kib: Some(600),
            rss_anon_after_kib: Some(602),
            rss_anon_per_conn_bytes: Some(1024.0),
        };
        let text = Report::Connect(r).render();
        assert!(
            text.contains("server rss per conn  1536 B (1.50 KiB)\n"),
            "{text}"
        );
        assert!(
            text.contains("anonymous per conn   1024 B (1.00 KiB)\n"),
            "{text}"
        );
    }
}
