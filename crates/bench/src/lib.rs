//! confab-bench: `confab bench`, a load generator that speaks IRC (so it can load any IRC
//! server), IRC over WebSocket and each classroom protocol. Scenarios: `connect` (many idle registered
//! connections, the server's RSS per connection), `fanout` (one room or many, open-loop
//! senders, latency and loss), `direct` (pairs of direct messages) and `ramp` (raise the
//! rate until p99 passes a bound). Clients are lightweight tasks on the multi-thread runtime; every
//! loop is bounded in count and time and the whole run has a hard deadline.

pub mod accounting;
pub mod client;
mod connect;
mod link;
pub mod payload;
pub mod report;
mod traffic;
pub mod wire;
mod ws_link;

use std::io::IsTerminal as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use confab_proto::Protocol;
use report::Report;
pub use wire::Wire;

/// `confab bench SCENARIO [FLAGS]`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Open N connections at a rate, register them (IRC: wait for 001) and hold them;
    /// report the connect rate, failures and (--server-pid) the server's RSS per connection.
    Connect(ConnectArgs),
    /// N members in one room (or spread over --rooms), S of them sending at a fixed total
    /// rate (open loop); report deliveries/s, latency percentiles and messages lost,
    /// duplicated or out of order.
    Fanout(TrafficArgs),
    /// N clients in pairs exchanging direct messages at a fixed total rate; same report.
    Direct(TrafficArgs),
    /// Run fanout (or direct) at rising rates until p99 passes a bound or messages are lost;
    /// report the highest sustained rate.
    Ramp(RampArgs),
}

/// Flags every scenario has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The protocol to speak (ws: IRC over WebSocket, at ws://HOST:PORT/irc).
    #[arg(long, value_name = "PROTOCOL", default_value = "irc", value_parser = Wire::parser())]
    pub protocol: Wire,
    /// The server's HOST:PORT (default: the protocol's default port on 127.0.0.1).
    /// Repeatable (fanout, direct, ramp): clients go to the addresses in turn, e.g. the
    /// nodes of a cluster, so a direct pair and a room's members span nodes.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Vec<String>,
    /// Number of client connections.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub clients: usize,
    /// Source addresses to spread connections over (bind before connect): a list such as
    /// `127.0.0.2,127.0.0.3`, or a count N for 127.0.0.2 onwards.
    #[arg(long, value_name = "LIST|N")]
    pub source_addrs: Option<String>,
    /// Seconds allowed to connect and register every client.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub setup_timeout: f64,
    /// Hard limit on the whole run, in seconds (default: derived from the other times).
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<f64>,
    /// Two letters or digits for the client names instead of a tag drawn at random:
    /// generators run side by side against one server need tags that differ.
    #[arg(long, value_name = "XY", value_parser = parse_tag)]
    pub tag: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `fanout` and `direct`.
#[derive(Debug, Clone, Args)]
pub struct TrafficArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Senders among the clients (fanout; in direct every client sends to its partner).
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub senders: usize,
    /// Total messages per second over all senders.
    #[arg(long, default_value_t = 1000.0, value_name = "MSGS_PER_SEC")]
    pub rate: f64,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub duration: f64,
    /// Seconds of sending before measuring starts.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub warmup: f64,
    /// The room (IRC channel `#ROOM`; broadcast always uses its one conversation).
    #[arg(long, default_value = "lobby")]
    pub room: String,
    /// Rooms (fanout): the clients spread evenly over R rooms `ROOM0`..`ROOM{R-1}`, client
    /// i in room i mod R. The first --senders clients send, so the senders are dealt round
    /// the rooms in turn: --senders must be at least R (a multiple of R gives every room
    /// the same rate), and --clients a multiple of R, at least 2 a room. Each message is
    /// expected at the other members of its own room only; anything that reaches another
    /// room counts as unexpected.
    #[arg(long, default_value_t = 1, value_name = "R")]
    pub rooms: usize,
    /// Bytes of text in each message (the stamp, padded).
    #[arg(long, default_value_t = 64, value_name = "BYTES")]
    pub size: usize,
    /// Seconds to wait after the last send for deliveries still in flight.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub drain: f64,
    /// Connections opened per second while setting up.
    #[arg(long, default_value_t = 2000.0, value_name = "PER_SEC")]
    pub connect_rate: f64,
    /// Extra members (fanout) that join the room and then never read: slow consumers, with
    /// a small receive buffer so the server's outbox for them fills. Not counted as
    /// recipients; the report says how many the server disconnected.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub stalled: usize,
    /// The server's process id: its CPU time (user + system, /proc/PID/stat) over the
    /// measured window is reported, and per million deliveries.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pattern {
    Fanout,
    Direct,
}

/// `ramp`.
#[derive(Debug, Clone, Args)]
pub struct RampArgs {
    #[command(flatten)]
    pub traffic: TrafficArgs,
    /// Which traffic to ramp.
    #[arg(long, value_enum, default_value = "fanout")]
    pub pattern: Pattern,
    /// Each step's rate is the previous one times this.
    #[arg(long, default_value_t = 1.5)]
    pub factor: f64,
    /// At most this many steps.
    #[arg(long, default_value_t = 15)]
    pub max_steps: u32,
    /// A step fails when its p99 latency exceeds this many milliseconds.
    #[arg(long, default_value_t = 50.0, value_name = "MS")]
    pub p99_bound_ms: f64,
    /// Runs a step that was over the latency bound (or behind its schedule) again, up to
    /// this many times, before the ramp stops there: on a shared machine one burst of
    /// load from elsewhere should not set the result. Lost messages end the ramp at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
}

/// `connect`.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Connections opened per second.
    #[arg(long, default_value_t = 1000.0, value_name = "PER_SEC")]
    pub rate: f64,
    /// Seconds to hold the connections once all are registered (RSS is read at the end).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub hold: f64,
    /// The server's process id, to read its VmRSS from /proc before and after.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

/// Runs one scenario and prints its report.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let json = match &args.scenario {
        Scenario::Connect(a) => a.common.json,
        Scenario::Fanout(a) | Scenario::Direct(a) => a.common.json,
        Scenario::Ramp(a) => a.traffic.common.json,
    };
    let report = execute(&args).await?;
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one scenario within its deadline and returns its report.
pub async fn execute(args: &BenchArgs) -> anyhow::Result<Report> {
    let connections = match &args.scenario {
        Scenario::Connect(a) => a.common.clients,
        Scenario::Fanout(a) | Scenario::Direct(a) => a.common.clients + a.stalled,
        Scenario::Ramp(a) => a.traffic.common.clients + a.traffic.stalled,
    };
    raise_fd_limit(connections)?;
    let (common, budget) = match &args.scenario {
        Scenario::Connect(a) => (
            &a.common,
            a.common.clients as f64 / a.rate.max(1.0) + a.common.setup_timeout + a.hold + 10.0,
        ),
        Scenario::Fanout(a) | Scenario::Direct(a) => (&a.common, traffic_budget(a)),
        Scenario::Ramp(a) => (
            &a.traffic.common,
            traffic_budget(&a.traffic) * f64::from(a.max_steps.max(1)) * f64::from(a.retries + 1),
        ),
    };
    let deadline = Duration::from_secs_f64(common.deadline.unwrap_or(budget).max(1.0));
    let work = async {
        match &args.scenario {
            Scenario::Connect(a) => connect::run(a).await.map(Report::Connect),
            Scenario::Fanout(a) => traffic::run_once(a, Pattern::Fanout)
                .await
                .map(Report::Traffic),
            Scenario::Direct(a) => traffic::run_once(a, Pattern::Direct)
                .await
                .map(Report::Traffic),
            Scenario::Ramp(a) => traffic::ramp(a).await.map(Report::Ramp),
        }
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(report) => report,
        Err(_) => bail!(
            "the run passed its deadline of {:.0} s",
            deadline.as_secs_f64()
        ),
    }
}

/// Setup, warm-up, measuring and draining, with room to spare.
fn traffic_budget(a: &TrafficArgs) -> f64 {
    (a.common.clients + a.stalled) as f64 / a.connect_rate.max(1.0)
        + a.common.setup_timeout
        + a.warmup
        + a.duration
        + a.drain
        + 10.0
}

/// The server address: the first `--addr`, or the protocol's default port on loopback.
pub(crate) async fn resolve(common: &CommonArgs) -> anyhow::Result<SocketAddr> {
    let all = resolve_all(common).await?;
    all.first().copied().context("no server address")
}

/// Every `--addr`, in order, or the protocol's default port on loopback.
pub(crate) async fn resolve_all(common: &CommonArgs) -> anyhow::Result<Vec<SocketAddr>> {
    let default = format!("127.0.0.1:{}", common.protocol.default_port());
    let texts = match common.addr.is_empty() {
        true => vec![default],
        false => common.addr.clone(),
    };
    let mut addrs = Vec::with_capacity(texts.len());
    for text in texts {
        let addr = tokio::net::lookup_host(&text)
            .await
            .with_context(|| format!("cannot resolve {text} (expected HOST:PORT)"))?
            .next();
        addrs.push(addr.with_context(|| format!("{text} has no address"))?);
    }
    Ok(addrs)
}

/// The addresses as a report shows them: `127.0.0.1:6667,127.0.0.1:6668`.
pub(crate) fn shown_addrs(addrs: &[SocketAddr]) -> String {
    let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    shown.join(",")
}

/// `--source-addrs`: a count N means 127.0.0.2 and the N-1 addresses after it.
pub fn parse_sources(spec: Option<&str>) -> anyhow::Result<Vec<IpAddr>> {
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    if let Ok(count) = spec.parse::<u32>() {
        if count == 0 || count > 1 << 20 {
            bail!("--source-addrs {count}: expected 1 to {}", 1 << 20);
        }
        let first = u32::from(Ipv4Addr::new(127, 0, 0, 2));
        return Ok((0..count)
            .map(|i| IpAddr::V4(Ipv4Addr::from(first + i)))
            .collect());
    }
    spec.split(',')
        .map(|s| {
            s.trim()
                .parse::<IpAddr>()
                .with_context(|| format!("--source-addrs: {s:?} is not an IP address"))
        })
        .collect()
}

/// Client names: short (ngIRCd's default NICKLEN is 9), unique per run and step, valid on
/// every protocol: `b`, a two-character run tag, the step, the index, in base 36.
pub(crate) fn client_name(tag: &str, step: u32, index: usize) -> String {
    format!("b{tag}{}{}", base36(step as usize % 36), base36(index))
}

/// `--tag`, or a tag that differs between runs, so a second run does not meet the first
/// one's names.
pub(crate) fn run_tag(chosen: Option<&str>) -> String {
    if let Some(tag) = chosen {
        return tag.to_owned();
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as usize ^ d.as_secs() as usize);
    let tag = base36(nanos % (36 * 36) + 36 * 36);
    tag[1..].to_owned()
}

/// `--tag`: two lowercase ASCII letters or digits, so a name stays short and valid.
fn parse_tag(text: &str) -> Result<String, String> {
    let ok = text.len() == 2
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    match ok {
        true => Ok(text.to_owned()),
        false => Err("expected two lowercase letters or digits, e.g. m1".to_owned()),
    }
}

fn base36(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Many connections need many descriptors: the soft limit goes up to the hard one, and a
/// run that needs more than that is refused before it opens anything (rather than
/// failing connection by connection with "too many open files").
fn raise_fd_limit(connections: usize) -> anyhow::Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    // Room for stdio, the runtime's own descriptors and a retried step's stragglers.
    let needed = connections as u64 + 64;
    match getrlimit(Resource::Nofile).current {
        Some(have) if have < needed => bail!(
            "{connections} connections need about {needed} file descriptors but the limit \
             is {have}: raise the hard limit (e.g. `ulimit -Hn 1048576` as root)"
        ),
        _ => Ok(()),
    }
}

/// The clock ticks of /proc/PID/stat's times: USER_HZ, 100 on every Linux architecture.
const USER_HZ: f64 = 100.0;

/// A process's CPU time so far (user + system), in seconds, from /proc/PID/stat.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// A process's resident set size in KiB, from /proc/PID/status.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// The anonymous part of a process's resident memory (`RssAnon` in /proc/PID/status):
/// its heap and stacks, without the pages of its program and libraries that the file
/// backs (`RssFile`), which a server pages in once when its code first runs.
pub(crate) fn rss_anon_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A progress bar on stderr, hidden with --quiet or when stderr is not a terminal.
pub(crate) fn progress_bar(quiet: bool, len: u64) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_from_a_count_or_a_list() {
        let ips = parse_sources(Some("3")).expect("count");
        assert_eq!(
            ips,
            ["127.0.0.2", "127.0.0.3", "127.0.0.4"].map(|s| s.parse::<IpAddr>().expect("ip"))
        );
        // Counting carries into the next octet.
        let ips = parse_sources(Some("300")).expect("count");
        assert_eq!(ips[299], "127.0.1.45".parse::<IpAddr>().expect("ip"));
        let ips = parse_sources(Some("127.0.0.9, 127.0.0.7")).expect("list");
        assert_eq!(ips.len(), 2);
        assert!(parse_sources(Some("0")).is_err());
        assert!(parse_sources(Some("x")).is_err());
        assert!(parse_sources(None).expect("none").is_empty());
    }

    #[test]
    fn client_names_are_short_valid_and_distinct() {
        let tag = run_tag(None);
        assert_eq!(tag.len(), 2);
        assert_eq!(run_tag(Some("m1")), "m1");
        assert!(parse_tag("m1").is_ok());
        assert!(parse_tag("M1").is_err() && parse_tag("abc").is_err() && parse_tag("a").is_err());
        let a = client_name(&tag, 0, 0);
        let b = client_name(&tag, 1, 0);
        let c = client_name(&tag, 0, 36 * 36 * 36 - 1);
        assert_ne!(a, b);
        assert!(c.len() <= 9, "{c}");
        assert!(a.starts_with('b') && a.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn a_run_past_the_file_limit_is_refused_up_front() {
        assert!(raise_fd_limit(10).is_ok());
        let e = raise_fd_limit(usize::MAX / 2).expect_err("too many");
        assert!(e.to_string().contains("file descriptors"), "{e}");
    }

    #[test]
    fn rss_of_this_process_is_readable() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn cpu_time_of_this_process_is_readable_and_grows() {
        let before = cpu_seconds(std::process::id()).expect("cpu time");
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = cpu_seconds(std::process::id()).expect("cpu time");
        assert!(after >= before, "{before} then {after}");
        assert!(cpu_seconds(u32::MAX).is_none());
    }
}
