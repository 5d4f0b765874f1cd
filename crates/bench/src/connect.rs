//! `connect`: open N connections at a fixed rate (spread over source addresses), register
//! each (IRC: until 001), hold them idle while answering PING, and read the server's RSS
//! before and after from /proc.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use hdrhistogram::Histogram;
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

pub async fn run(args: &ConnectArgs) -> anyhow::Result<ConnectReport> {
    let common = &args.common;
    let addr = crate::resolve(common).await?;
    let sources = crate::parse_sources(common.source_addrs.as_deref())?;
    let tag = crate::run_tag();
    let n = common.clients;
    let rss_before = args.server_pid.and_then(crate::rss_kib);
    let anon_before = args.server_pid.and_then(crate::rss_anon_kib);
    let counters = Arc::new(Counters {
        registered: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        open: AtomicU64::new(0),
        last_ns: AtomicU64::new(0),
        first_error: Mutex::new(None),
        latency: Mutex::new(crate::report::histogram()),
    });
    let cancel = CancellationToken::new();
    let bar = crate::progress_bar(common.quiet, n as u64);
    bar.set_message("registered");
    let start = Instant::now();
    let setup_deadline =
        start + Duration::from_secs_f64(n as f64 / args.rate.max(1.0) + common.setup_timeout);
    let pace = Duration::from_secs_f64(1.0 / args.rate.max(1.0));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let due = start + pace.mul_f64(i as f64);
        if due >= setup_deadline {
            break;
        }
        sleep_until(due).await;
        if i % 64 == 0 {
            bar.set_position(counters.registered.load(Relaxed));
        }
        let source = (!sources.is_empty()).then(|| sources[i % sources.len()]);
        tasks.push(tokio::spawn(hold(
            common.protocol,
            addr,
            source,
            crate::client_name(&tag, 0, i),
            start,
            setup_deadline,
            counters.clone(),
            cancel.clone(),
        )));
    }
    let attempted = tasks.len() as u64;
    while counters.registered.load(Relaxed) + counters.failed.load(Relaxed) < attempted
        && Instant::now() < setup_deadline
    {
        bar.set_position(counters.registered.load(Relaxed));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bar.set_position(counters.registered.load(Relaxed));
    bar.set_message("registered, holding");
    tokio::time::sleep(Duration::from_secs_f64(args.hold.max(0.0))).await;
    let rss_after = args.server_pid.and_then(crate::rss_kib);
    let anon_after = args.server_pid.and_then(crate::rss_anon_kib);
    let held = counters.open.load(Relaxed);
    cancel.cancel();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    bar.finish_and_clear();

    let registered = counters.registered.load(Relaxed);
    let failed = counters.failed.load(Relaxed) + (n as u64 - attempted);
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
    let rss_per_conn_bytes = per_conn(rss_before, rss_after);
    let rss_anon_per_conn_bytes = per_conn(anon_before, anon_after);
    Ok(ConnectReport {
        scenario: "connect",
        protocol: common.protocol.name(),
        addr: addr.to_string(),
        clients: n,
        rate_target: args.rate,
        source_addrs: sources.len(),
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
        held,
        server_pid: args.server_pid,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        rss_per_conn_bytes,
        rss_anon_before_kib: anon_before,
        rss_anon_after_kib: anon_after,
        rss_anon_per_conn_bytes,
    })
}

/// One connection: register, then stay idle (answering PING) until cancelled.
#[allow(clippy::too_many_arguments)]
async fn hold(
    wire: crate::Wire,
    addr: std::net::SocketAddr,
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
