//! `connect`: open N connections at a fixed rate (spread over source addresses), register
//! each (IRC: until 001), hold them idle while answering PING, and read the server's RSS
//! before and after from /proc.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::client::{Conn, Other};
use crate::report::{ConnectReport, Latency};
use crate::ConnectArgs;

/// What the connection tasks share.
struct Counters {
    registered: AtomicU64,
    failed: AtomicU64,
    open: AtomicU64,
    /// Nanoseconds from the start to the latest registration.
    last_ns: AtomicU64,
    first_error: Mutex<Option<String>>,
    latency: Mutex<Histogram<u64>>,
}

impl Counters {
    fn new() -> Counters {
        Counters {
            registered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            open: AtomicU64::new(0),
            last_ns: AtomicU64::new(0),
            first_error: Mutex::new(None),
            latency: Mutex::new(crate::report::histogram()),
        }
    }
}

/// When connections open: one every `every` from `start`, none at or after `deadline`
/// (by which every one opened should also have registered).
struct Pace {
    start: Instant,
    every: Duration,
    deadline: Instant,
}

impl Pace {
    fn new(args: &ConnectArgs) -> Pace {
        let start = Instant::now();
        let rate = args.rate.max(1.0);
        Pace {
            start,
            every: Duration::from_secs_f64(1.0 / rate),
            deadline: start
                + Duration::from_secs_f64(
                    args.common.clients as f64 / rate + args.common.setup_timeout,
                ),
        }
    }
}

/// The server's resident memory, in KiB, if `--server-pid` was given: all of it, and
/// the anonymous part (heap and stacks, without mapped files).
#[derive(Clone, Copy)]
struct Rss {
    all: Option<u64>,
    anon: Option<u64>,
}

impl Rss {
    fn read(pid: Option<u32>) -> Rss {
        Rss {
            all: pid.and_then(crate::resources::rss_kib),
            anon: pid.and_then(crate::resources::rss_anon_kib),
        }
    }
}

/// What a run saw besides the counters.
struct Measured {
    /// Connections opened before the deadline.
    attempted: u64,
    /// Connections still open at the end of the hold.
    held: u64,
    before: Rss,
    after: Rss,
}

pub async fn run(args: &ConnectArgs) -> anyhow::Result<ConnectReport> {
    let common = &args.common;
    let addr = crate::addrs::resolve(common).await?;
    let sources = crate::addrs::parse_sources(common.source_addrs.as_deref())?;
    let before = Rss::read(args.server_pid);
    let counters = Arc::new(Counters::new());
    let cancel = CancellationToken::new();
    let bar = crate::progress_bar(common.quiet, common.clients as u64);
    bar.set_message("registered");
    let pace = Pace::new(args);
    let tasks = open_paced(args, addr, &sources, &pace, &counters, &cancel, &bar).await;
    let attempted = tasks.len() as u64;
    wait_registered(&counters, attempted, pace.deadline, &bar).await;
    bar.set_message("registered, holding");
    tokio::time::sleep(Duration::from_secs_f64(args.hold.max(0.0))).await;
    let after = Rss::read(args.server_pid);
    let held = counters.open.load(Relaxed);
    cancel.cancel();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    bar.finish_and_clear();
    let measured = Measured {
        attempted,
        held,
        before,
        after,
    };
    Ok(report(args, addr, sources.len(), &counters, &measured))
}

/// Opens the connections on `pace`'s schedule, the sources in turn: their tasks.
async fn open_paced(
    args: &ConnectArgs,
    addr: SocketAddr,
    sources: &[IpAddr],
    pace: &Pace,
    counters: &Arc<Counters>,
    cancel: &CancellationToken,
    bar: &ProgressBar,
) -> Vec<JoinHandle<()>> {
    let tag = crate::names::run_tag(args.common.tag.as_deref());
    let n = args.common.clients;
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let due = pace.start + pace.every.mul_f64(i as f64);
        if due >= pace.deadline {
            break;
        }
        sleep_until(due).await;
        if i % 64 == 0 {
            bar.set_position(counters.registered.load(Relaxed));
        }
        let source = (!sources.is_empty()).then(|| sources[i % sources.len()]);
        tasks.push(tokio::spawn(hold(
            args.common.protocol,
            addr,
            source,
            crate::names::client_name(&tag, 0, i),
            pace.start,
            pace.deadline,
            counters.clone(),
            cancel.clone(),
        )));
    }
    tasks
}

/// Waits until every connection opened has registered or failed, or the deadline.
async fn wait_registered(
    counters: &Counters,
    attempted: u64,
    deadline: Instant,
    bar: &ProgressBar,
) {
    while counters.registered.load(Relaxed) + counters.failed.load(Relaxed) < attempted
        && Instant::now() < deadline
    {
        bar.set_position(counters.registered.load(Relaxed));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bar.set_position(counters.registered.load(Relaxed));
}

fn report(
    args: &ConnectArgs,
    addr: SocketAddr,
    source_addrs: usize,
    counters: &Counters,
    measured: &Measured,
) -> ConnectReport {
    let n = args.common.clients;
    let registered = counters.registered.load(Relaxed);
    let failed = counters.failed.load(Relaxed) + (n as u64 - measured.attempted);
    let connect_s = counters.last_ns.load(Relaxed) as f64 / 1e9;
    let latency = counters
        .latency
        .lock()
        .map(|h| Latency::from_micros(&h))
        .unwrap_or_default();
    let first_error = counters.first_error.lock().ok().and_then(|e| e.clone());
    let per_conn = |before: Option<u64>, after: Option<u64>| match (before, after) {
        (Some(before), Some(after)) if registered > 0 => {
            Some((after as f64 - before as f64) * 1024.0 / registered as f64)
        }
        _ => None,
    };
    let (before, after) = (measured.before, measured.after);
    ConnectReport {
        scenario: "connect",
        protocol: args.common.protocol.name(),
        addr: addr.to_string(),
        clients: n,
        rate_target: args.rate,
        source_addrs,
        registered,
        failed,
        first_error,
        connect_s,
        connect_rate: if connect_s > 0.0 {
            registered as f64 / connect_s
        } else {
            0.0
        },
        register_latency: latency,
        hold_s: args.hold,
        held: measured.held,
        server_pid: args.server_pid,
        rss_before_kib: before.all,
        rss_after_kib: after.all,
        rss_per_conn_bytes: per_conn(before.all, after.all),
        rss_anon_before_kib: before.anon,
        rss_anon_after_kib: after.anon,
        rss_anon_per_conn_bytes: per_conn(before.anon, after.anon),
    }
}

/// One connection: register, then stay idle (answering PING) until cancelled.
#[allow(clippy::too_many_arguments)]
async fn hold(
    wire: crate::Wire,
    addr: SocketAddr,
    source: Option<IpAddr>,
    name: String,
    start: Instant,
    deadline: Instant,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) {
    let began = Instant::now();
    let setup = async {
        let mut conn = Conn::connect(wire, addr, source).await?;
        conn.register(&name, None, deadline).await?;
        anyhow::Ok(conn)
    };
    let mut conn = tokio::select! {
        _ = cancel.cancelled() => return,
        conn = setup => match conn {
            Ok(conn) => conn,
            Err(e) => {
                counters.failed.fetch_add(1, Relaxed);
                if let Ok(mut first) = counters.first_error.lock() {
                    first.get_or_insert_with(|| format!("{name}: {e:#}"));
                }
                return;
            }
        },
    };
    let took = began.elapsed();
    if let Ok(mut h) = counters.latency.lock() {
        crate::report::record(&mut h, took.as_micros() as u64);
    }
    let since_start = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    counters.last_ns.fetch_max(since_start, Relaxed);
    counters.registered.fetch_add(1, Relaxed);
    counters.open.fetch_add(1, Relaxed);
    conn.shrink();
    let mut out = BytesMut::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            filled = conn.fill() => {
                if !matches!(filled, Ok(true)) {
                    counters.open.fetch_sub(1, Relaxed);
                    return;
                }
                out.clear();
                let mut closing = false;
                while let Some(frame) = conn.next_frame() {
                    if conn.other(&frame, &mut out) == Other::Closing {
                        closing = true;
                    }
                }
                if closing || (!out.is_empty() && conn.write(&out).await.is_err()) {
                    counters.open.fetch_sub(1, Relaxed);
                    return;
                }
                conn.shrink();
            }
        }
    }
}
