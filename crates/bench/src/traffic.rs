//! `fanout`, `direct` and `ramp`: clients as lightweight tasks, each owning one socket,
//! reading whatever arrives and, for senders, writing on an open-loop schedule (messages
//! go out when due whatever the replies; a late sender writes the overdue ones at once and
//! its lag is reported). Latencies go to a few shared, sharded histograms; sequence
//! accounting stays in each task until the end.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::bail;
use bytes::BytesMut;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::accounting::{Stream, Tally};
use crate::client::{encode_chat, has_direct, has_rooms, Conn, Other, Target};
use crate::payload::{self, Stamp};
use crate::report::{histogram, Latency, RampReport, TrafficReport};
use crate::{Pattern, RampArgs, TrafficArgs};
use crate::{Protocol, Wire};

/// Latency histograms shared by the receivers (each locks one per read, not per message).
const SHARDS: usize = 16;
/// A sender writes at most this many bytes per wake-up before reading again.
const MAX_BATCH: usize = 64 * 1024;

/// One traffic run with its rate.
pub async fn run_once(args: &TrafficArgs, pattern: Pattern) -> anyhow::Result<TrafficReport> {
    let addrs = crate::resolve_all(&args.common).await?;
    let sources = crate::parse_sources(args.common.source_addrs.as_deref())?;
    let tag = crate::run_tag();
    let bar = crate::progress_bar(args.common.quiet, args.common.clients as u64);
    let report = run(args, pattern, args.rate, &addrs, &sources, &tag, 0, &bar).await;
    bar.finish_and_clear();
    report
}

/// Steps the rate up by `--factor` until p99 passes the bound or messages are lost.
pub async fn ramp(args: &RampArgs) -> anyhow::Result<RampReport> {
    let t = &args.traffic;
    let addrs = crate::resolve_all(&t.common).await?;
    let sources = crate::parse_sources(t.common.source_addrs.as_deref())?;
    let tag = crate::run_tag();
    let mut steps: Vec<TrafficReport> = Vec::new();
    let mut best: Option<(f64, f64)> = None;
    let mut rate = t.rate;
    let mut stopped = format!("reached --max-steps {}", args.max_steps);
    let factor = if args.factor > 1.0 { args.factor } else { 1.5 };
    // Every run gets its own number, so a retried step's clients never meet the last ones'.
    let mut attempt = 0;
    'steps: for step in 0..args.max_steps {
        for try_no in 0..=args.retries {
            if attempt > 0 {
                // Let the server forget the previous run's clients.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let bar = crate::progress_bar(t.common.quiet, t.common.clients as u64);
            bar.set_prefix(if try_no == 0 {
                format!("step {}", step + 1)
            } else {
                format!("step {} again", step + 1)
            });
            let report = run(t, args.pattern, rate, &addrs, &sources, &tag, attempt, &bar).await;
            bar.finish_and_clear();
            attempt += 1;
            let report = report?;
            let verdict = step_verdict(&report, rate, args.p99_bound_ms);
            let delivered = report.deliveries_per_sec;
            steps.push(report);
            match verdict {
                StepVerdict::Sustained => {
                    best = Some((rate, delivered));
                    break;
                }
                // Lost messages are the server's doing, never noise: no second chance.
                StepVerdict::Lost(reason) => {
                    stopped = reason;
                    break 'steps;
                }
                // A slow step may be a burst of load from elsewhere on a shared machine:
                // the step only fails when every try of it is slow.
                StepVerdict::Slow(reason) if try_no == args.retries => {
                    stopped = reason;
                    break 'steps;
                }
                StepVerdict::Slow(_) => {}
            }
        }
        rate *= factor;
    }
    Ok(RampReport {
        scenario: "ramp",
        protocol: t.common.protocol.name(),
        addr: crate::shown_addrs(&addrs),
        pattern: pattern_name(args.pattern),
        p99_bound_ms: args.p99_bound_ms,
        steps,
        best_rate: best.map(|b| b.0),
        best_deliveries_per_sec: best.map(|b| b.1),
        stopped_because: stopped,
    })
}

/// What one ramp step showed.
enum StepVerdict {
    Sustained,
    /// Messages lost or clients disconnected.
    Lost(String),
    /// Over the latency bound, or the generator fell behind its schedule.
    Slow(String),
}

fn step_verdict(report: &TrafficReport, rate: f64, p99_bound_ms: f64) -> StepVerdict {
    if report.deliveries.lost > 0 || report.disconnected > 0 {
        StepVerdict::Lost(format!(
            "{} lost, {} disconnected at {rate:.1} msg/s",
            report.deliveries.lost, report.disconnected
        ))
    } else if report.latency.p99_ms > p99_bound_ms {
        StepVerdict::Slow(format!(
            "p99 {:.3} ms over {p99_bound_ms} ms at {rate:.1} msg/s",
            report.latency.p99_ms
        ))
    } else if report.send_rate < 0.9 * rate {
        StepVerdict::Slow(format!(
            "the generator sent only {:.1} of {rate:.1} msg/s",
            report.send_rate
        ))
    } else {
        StepVerdict::Sustained
    }
}

fn pattern_name(p: Pattern) -> &'static str {
    match p {
        Pattern::Fanout => "fanout",
        Pattern::Direct => "direct",
    }
}

/// When sending starts, measuring starts and sending stops, in ns since the epoch.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    start_ns: u64,
    warm_end_ns: u64,
    send_end_ns: u64,
}

/// What every client task shares.
struct Shared {
    epoch: std::time::Instant,
    wire: Wire,
    size: usize,
    /// Messages sent so far, per sender id.
    sent: Vec<AtomicU64>,
    /// Stamped arrivals from expected senders (for progress and the drain).
    arrivals: AtomicU64,
    latency: Vec<Mutex<Histogram<u64>>>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn instant(&self, ns: u64) -> Instant {
        Instant::from_std(self.epoch + Duration::from_nanos(ns))
    }
}

/// One client's part in the run.
struct Role {
    index: usize,
    name: String,
    room: Option<String>,
    source: Option<IpAddr>,
    /// Its sender id, where to send, and its schedule offset and interval.
    send: Option<(u32, Target, u64, u64)>,
    /// The senders it should hear.
    hears: Hears,
}

#[derive(Clone, Copy)]
enum Hears {
    /// Every sender but itself (`Some(own id)`).
    AllBut(Option<u32>),
    One(u32),
}

impl Hears {
    fn includes(self, sender: u32) -> bool {
        match self {
            Hears::AllBut(own) => own != Some(sender),
            Hears::One(s) => s == sender,
        }
    }
}

/// What one client task hands back.
#[derive(Default)]
struct ClientResult {
    streams: HashMap<u32, Stream>,
    in_window: u64,
    sent_in_window: u64,
    unexpected: u64,
    errors: u64,
    disconnected: bool,
    lag: Option<Histogram<u64>>,
}

#[allow(clippy::too_many_arguments)]
async fn run(
    args: &TrafficArgs,
    pattern: Pattern,
    rate: f64,
    addrs: &[SocketAddr],
    sources: &[IpAddr],
    tag: &str,
    step: u32,
    bar: &ProgressBar,
) -> anyhow::Result<TrafficReport> {
    let wire = args.common.protocol;
    let protocol = wire.protocol();
    let n = args.common.clients;
    if rate <= 0.0 || !rate.is_finite() {
        bail!("--rate must be positive");
    }
    let senders = match pattern {
        Pattern::Fanout => {
            if !has_rooms(protocol) {
                bail!(
                    "{} has no rooms: fanout needs irc, rooms or broadcast (use direct)",
                    wire.name()
                );
            }
            if n < 2 {
                bail!("fanout needs at least 2 clients");
            }
            args.senders.clamp(1, n)
        }
        Pattern::Direct => {
            if !has_direct(protocol) {
                bail!("broadcast has no direct messages: use fanout");
            }
            if n < 2 || !n.is_multiple_of(2) {
                bail!("direct needs an even number of clients (pairs), got {n}");
            }
            n
        }
    };
    if args.stalled > 0 && pattern != Pattern::Fanout {
        bail!("--stalled needs fanout (stalled members sit in the room)");
    }
    let stalled = args.stalled;
    let per_message = match pattern {
        Pattern::Fanout => n - 1,
        Pattern::Direct => 1,
    };
    let names: Vec<String> = (0..n).map(|i| crate::client_name(tag, step, i)).collect();
    // Each sender sends at rate/senders, the senders' schedules staggered evenly.
    let interval_ns = (1e9 * senders as f64 / rate).max(1.0) as u64;
    let shared = Arc::new(Shared {
        epoch: std::time::Instant::now(),
        wire,
        size: args.size,
        sent: (0..senders).map(|_| AtomicU64::new(0)).collect(),
        arrivals: AtomicU64::new(0),
        latency: (0..SHARDS).map(|_| Mutex::new(histogram())).collect(),
    });
    let (start_tx, start_rx) = watch::channel::<Option<Schedule>>(None);
    let (ready_tx, mut ready_rx) = mpsc::channel::<Result<(), String>>(n + stalled);
    let cancel = CancellationToken::new();
    let setup_start = Instant::now();
    let setup_deadline = setup_start + Duration::from_secs_f64(args.common.setup_timeout);

    bar.set_length(n as u64);
    bar.set_message("registering");
    let mut tasks = Vec::with_capacity(n);
    let pace = Duration::from_secs_f64(1.0 / args.connect_rate.max(1.0));
    for i in 0..n {
        sleep_until(setup_start + pace * i as u32).await;
        let (room, send, hears) = match pattern {
            Pattern::Fanout => {
                let room = (protocol != Protocol::Broadcast).then(|| args.room.clone());
                let send = (i < senders).then(|| {
                    let id = i as u32;
                    let offset = interval_ns * u64::from(id) / senders as u64;
                    (id, Target::Room(args.room.clone()), offset, interval_ns)
                });
                (room, send, Hears::AllBut((i < senders).then_some(i as u32)))
            }
            Pattern::Direct => {
                let partner = i ^ 1;
                let (room, target) = match protocol {
                    // A pair shares a room of its own.
                    Protocol::Rooms => {
                        let room = format!("{}{}", args.room, i / 2);
                        (Some(room.clone()), Target::Room(room))
                    }
                    _ => (None, Target::User(names[partner].clone())),
                };
                let id = i as u32;
                let offset = interval_ns * u64::from(id) / senders as u64;
                (
                    room,
                    Some((id, target, offset, interval_ns)),
                    Hears::One(partner as u32),
                )
            }
        };
        let role = Role {
            index: i,
            name: names[i].clone(),
            room,
            source: (!sources.is_empty()).then(|| sources[i % sources.len()]),
            send,
            hears,
        };
        tasks.push(tokio::spawn(client(
            role,
            addrs[i % addrs.len()],
            setup_deadline,
            shared.clone(),
            start_rx.clone(),
            ready_tx.clone(),
            cancel.clone(),
        )));
    }
    let mut stalled_tasks = Vec::with_capacity(stalled);
    for j in 0..stalled {
        sleep_until(setup_start + pace * (n + j) as u32).await;
        let i = n + j;
        stalled_tasks.push(tokio::spawn(stalled_client(
            crate::client_name(tag, step, i),
            args.room.clone(),
            (!sources.is_empty()).then(|| sources[i % sources.len()]),
            addrs[i % addrs.len()],
            setup_deadline,
            shared.wire,
            ready_tx.clone(),
            cancel.clone(),
        )));
    }
    drop(ready_tx);

    // Everyone must be registered (and in the room) before anyone sends.
    let mut ready = 0usize;
    let mut failures = Vec::new();
    while ready + failures.len() < n + stalled {
        match tokio::time::timeout_at(setup_deadline, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => {
                ready += 1;
                bar.set_position(ready as u64);
            }
            Ok(Some(Err(e))) => failures.push(e),
            Ok(None) | Err(_) => break,
        }
    }
    if ready < n + stalled {
        cancel.cancel();
        for task in tasks {
            let _ = task.await;
        }
        for task in stalled_tasks {
            let _ = task.await;
        }
        let first = failures
            .first()
            .cloned()
            .unwrap_or_else(|| "setup timed out (--setup-timeout)".to_owned());
        let n = n + stalled;
        bail!(
            "only {ready} of {n} clients registered ({} failed); first error: {first}",
            failures.len()
        );
    }
    let setup_s = setup_start.elapsed().as_secs_f64();

    let start_ns = shared.now_ns() + 20_000_000;
    let schedule = Schedule {
        start_ns,
        warm_end_ns: start_ns + secs_ns(args.warmup),
        send_end_ns: start_ns + secs_ns(args.warmup) + secs_ns(args.duration),
    };
    let _ = start_tx.send(Some(schedule));
    let run_ms = (args.warmup + args.duration) * 1000.0;
    bar.set_length(run_ms as u64);
    bar.set_position(0);
    let drain_end = shared.instant(schedule.send_end_ns) + Duration::from_secs_f64(args.drain);
    let mut drained = false;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = shared.now_ns();
        let sent: u64 = shared.sent.iter().map(|s| s.load(Relaxed)).sum();
        let arrivals = shared.arrivals.load(Relaxed);
        bar.set_position((now.saturating_sub(start_ns) / 1_000_000).min(run_ms as u64));
        bar.set_message(format!("sent {sent} delivered {arrivals}"));
        if now >= schedule.send_end_ns {
            // Senders stop on their own; wait for what is still in flight.
            let senders_done = now >= schedule.send_end_ns + 50_000_000;
            if senders_done && arrivals >= sent * per_message as u64 {
                drained = true;
                break;
            }
            if Instant::now() >= drain_end {
                break;
            }
        }
    }
    cancel.cancel();

    let sent: Vec<u64> = shared.sent.iter().map(|s| s.load(Relaxed)).collect();
    let mut tally = Tally::default();
    let mut lag = histogram();
    let (mut in_window, mut sent_in_window, mut errors, mut disconnected) = (0, 0, 0, 0);
    for (i, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap_or_default();
        let hears = match pattern {
            Pattern::Fanout => Hears::AllBut((i < senders).then_some(i as u32)),
            Pattern::Direct => Hears::One((i ^ 1) as u32),
        };
        for (id, &count) in sent.iter().enumerate() {
            let id = id as u32;
            if !hears.includes(id) {
                continue;
            }
            match result.streams.get(&id) {
                Some(stream) => tally.add_stream(stream, count),
                None => tally.add_silent(count),
            }
        }
        tally.unexpected += result.unexpected;
        in_window += result.in_window;
        sent_in_window += result.sent_in_window;
        errors += result.errors;
        disconnected += u64::from(result.disconnected);
        if let Some(h) = &result.lag {
            let _ = lag.add(h);
        }
    }
    let mut stalled_disconnected = 0;
    for task in stalled_tasks {
        stalled_disconnected += u64::from(task.await.unwrap_or(false));
    }
    let mut latency = histogram();
    for shard in &shared.latency {
        if let Ok(h) = shard.lock() {
            let _ = latency.add(&*h);
        }
    }
    let window_s = args.duration.max(1e-9);
    Ok(TrafficReport {
        scenario: pattern_name(pattern),
        protocol: wire.name(),
        addr: crate::shown_addrs(addrs),
        clients: n,
        senders,
        rate_target: rate,
        duration_s: args.duration,
        warmup_s: args.warmup,
        message_bytes: args.size,
        setup_s,
        sent: sent.iter().sum(),
        sent_in_window,
        send_rate: sent_in_window as f64 / window_s,
        expected_per_message: per_message,
        deliveries_in_window: in_window,
        deliveries_per_sec: in_window as f64 / window_s,
        latency: Latency::from_micros(&latency),
        send_lag: Latency::from_micros(&lag),
        deliveries: tally,
        errors,
        disconnected,
        drained,
        stalled,
        stalled_disconnected,
    })
}

fn secs_ns(secs: f64) -> u64 {
    (secs.max(0.0) * 1e9) as u64
}

/// Receive buffer of a stalled member: small, so the server's outbox for it fills soon.
const STALLED_RCVBUF: u32 = 4096;

/// A stalled member: connect (small receive buffer), register, join, report ready, then
/// never read until cancelled. Afterwards it reads what is left, for at most 2 s, to see
/// whether the server had closed the connection: true if it had.
#[allow(clippy::too_many_arguments)]
async fn stalled_client(
    name: String,
    room: String,
    source: Option<IpAddr>,
    addr: SocketAddr,
    setup_deadline: Instant,
    wire: Wire,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: CancellationToken,
) -> bool {
    let setup = async {
        let mut conn = Conn::connect_with(wire, addr, source, Some(STALLED_RCVBUF)).await?;
        let room = (wire.protocol() != Protocol::Broadcast).then_some(room.as_str());
        conn.register(&name, room, setup_deadline).await?;
        anyhow::Ok(conn)
    };
    let mut conn = tokio::select! {
        _ = cancel.cancelled() => return false,
        conn = setup => match conn {
            Ok(conn) => conn,
            Err(e) => {
                let _ = ready.send(Err(format!("{name} (stalled): {e:#}"))).await;
                return false;
            }
        },
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);
    cancel.cancelled().await;
    let until = Instant::now() + Duration::from_secs(2);
    // Bounded: at most this many reads, each within the 2 s.
    for _ in 0..100_000 {
        conn.discard();
        match tokio::time::timeout_at(until, conn.fill()).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false) | Err(_)) => return true,
            Err(_) => return false,
        }
    }
    false
}

/// One client: connect, register, report ready, then read (and send on schedule) until
/// cancelled or the server closes.
async fn client(
    role: Role,
    addr: SocketAddr,
    setup_deadline: Instant,
    shared: Arc<Shared>,
    mut start_rx: watch::Receiver<Option<Schedule>>,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: CancellationToken,
) -> ClientResult {
    let mut result = ClientResult::default();
    let setup = async {
        let mut conn = Conn::connect(shared.wire, addr, role.source).await?;
        conn.register(&role.name, role.room.as_deref(), setup_deadline)
            .await?;
        anyhow::Ok(conn)
    };
    let mut conn = tokio::select! {
        _ = cancel.cancelled() => return result,
        conn = setup => match conn {
            Ok(conn) => conn,
            Err(e) => {
                let _ = ready.send(Err(format!("{}: {e:#}", role.name))).await;
                return result;
            }
        },
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);

    let shard = role.index % SHARDS;
    let mut schedule: Option<Schedule> = None;
    let mut next_due = 0u64;
    let mut seq = 0u64;
    let mut sending = role.send.is_some();
    let mut out = BytesMut::new();
    let mut text = String::with_capacity(shared.size + 32);
    let mut latencies: Vec<u64> = Vec::new();
    let far = Instant::now() + Duration::from_secs(86_400);
    loop {
        let wake = match (&schedule, sending) {
            (Some(_), true) => shared.instant(next_due),
            _ => far,
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                conn.quit(Duration::from_millis(200)).await;
                break;
            }
            changed = start_rx.changed(), if schedule.is_none() => {
                if changed.is_err() {
                    break;
                }
                schedule = *start_rx.borrow();
                if let (Some(s), Some((_, _, offset, _))) = (&schedule, &role.send) {
                    next_due = s.start_ns + offset;
                }
            }
            _ = sleep_until(wake), if schedule.is_some() && sending => {
                let (Some(s), Some((id, target, _, interval))) = (&schedule, &role.send) else {
                    continue;
                };
                let now = shared.now_ns();
                out.clear();
                let lag = result.lag.get_or_insert_with(histogram);
                while next_due <= now && next_due < s.send_end_ns && out.len() < MAX_BATCH {
                    text.clear();
                    let stamp = Stamp { sender: *id, seq, sent_ns: now };
                    payload::encode(stamp, shared.size, &mut text);
                    encode_chat(shared.wire.protocol(), target, &text, &mut out);
                    crate::report::record(lag, (now - next_due) / 1000);
                    if next_due >= s.warm_end_ns {
                        result.sent_in_window += 1;
                    }
                    seq += 1;
                    next_due += interval;
                }
                shared.sent[*id as usize].store(seq, Relaxed);
                if next_due >= s.send_end_ns {
                    sending = false;
                }
                if conn.write(&out).await.is_err() {
                    result.disconnected = !cancel.is_cancelled();
                    break;
                }
            }
            filled = conn.fill() => {
                if !matches!(filled, Ok(true)) {
                    result.disconnected = !cancel.is_cancelled();
                    break;
                }
                let now = shared.now_ns();
                let mut arrivals = 0u64;
                let mut closing = false;
                out.clear();
                while let Some(frame) = conn.next_frame() {
                    let Some(stamp) = payload::find(&frame.bytes) else {
                        match conn.other(&frame, &mut out) {
                            Other::Ignore => {}
                            Other::Error => result.errors += 1,
                            Other::Closing => closing = true,
                        }
                        continue;
                    };
                    if !role.hears.includes(stamp.sender) {
                        result.unexpected += 1;
                        continue;
                    }
                    arrivals += 1;
                    result.streams.entry(stamp.sender).or_default().record(stamp.seq);
                    if let Some(s) = &schedule {
                        if (s.warm_end_ns..s.send_end_ns).contains(&stamp.sent_ns) {
                            result.in_window += 1;
                            latencies.push(now.saturating_sub(stamp.sent_ns) / 1000);
                        }
                    }
                }
                if arrivals > 0 {
                    shared.arrivals.fetch_add(arrivals, Relaxed);
                }
                if !latencies.is_empty() {
                    if let Ok(mut h) = shared.latency[shard].lock() {
                        for &us in &latencies {
                            crate::report::record(&mut h, us);
                        }
                    }
                    latencies.clear();
                }
                if !out.is_empty() && conn.write(&out).await.is_err() {
                    result.disconnected = !cancel.is_cancelled();
                    break;
                }
                if closing {
                    result.disconnected = !cancel.is_cancelled();
                    break;
                }
            }
        }
    }
    result
}
