//! `fanout`, `direct` and `ramp`: clients as lightweight tasks, each owning one socket,
//! reading whatever arrives and, for senders, writing on an open-loop schedule (messages
//! go out when due whatever the replies; a late sender writes the overdue ones at once and
//! its lag is reported). Latencies go to a few shared, sharded histograms; sequence
//! accounting stays in each task until the end.

//!
//! `run` is the outline of one run; its steps have a file each: the setup of who sends
//! and hears what (`plan.rs`), starting the clients (`launch.rs`), the clock and the wait
//! through the run (`schedule.rs`), one client task (`client.rs`, and `stalled.rs` for a
//! member that never reads) and the accounting at the end (`totals.rs`).

mod client;
mod launch;
mod plan;
mod schedule;
mod stalled;
mod totals;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;

use crate::report::{Latency, RampReport, TrafficReport};
use crate::{Pattern, RampArgs, TrafficArgs};
use plan::Plan;
use schedule::{Schedule, Shared};
use totals::Totals;

/// One traffic run with its rate.
pub async fn run_once(args: &TrafficArgs, pattern: Pattern) -> anyhow::Result<TrafficReport> {
    let addrs = crate::addrs::resolve_all(&args.common).await?;
    let sources = crate::addrs::parse_sources(args.common.source_addrs.as_deref())?;
    let tag = crate::names::run_tag(args.common.tag.as_deref());
    let bar = crate::progress_bar(args.common.quiet, args.common.clients as u64);
    let report = run(args, pattern, args.rate, &addrs, &sources, &tag, 0, &bar).await;
    bar.finish_and_clear();
    report
}

/// Steps the rate up by `--factor` until p99 passes the bound or messages are lost.
pub async fn ramp(args: &RampArgs) -> anyhow::Result<RampReport> {
    let t = &args.traffic;
    let addrs = crate::addrs::resolve_all(&t.common).await?;
    let sources = crate::addrs::parse_sources(t.common.source_addrs.as_deref())?;
    let tag = crate::names::run_tag(t.common.tag.as_deref());
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
        addr: crate::addrs::shown_addrs(&addrs),
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

/// One run at `rate`: set up, start every client, send for the warm-up and the duration,
/// drain, and account.
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
    let plan = Plan::new(args, pattern, rate, tag, step)?;
    let shared = Arc::new(Shared::new(args, plan.senders));
    let crowd = launch::launch(args, &plan, addrs, sources, &shared, bar).await?;
    let schedule = Schedule::starting_soon(&shared, args);
    let _ = crowd.start.send(Some(schedule));
    let cpu = schedule::server_cpu(&shared, schedule, args.server_pid);
    let drained = schedule::watch(&shared, schedule, args, plan.per_message, bar).await;
    crowd.cancel.cancel();
    let totals = totals::collect(crowd.clients, crowd.stalled, &plan, &shared).await;
    let server_cpu_s = match cpu {
        Some(task) => task.await.ok().flatten(),
        None => None,
    };
    let measured = Measured {
        setup_s: crowd.setup_s,
        drained,
        totals,
        server_cpu_s,
    };
    Ok(report(args, &plan, rate, addrs, measured))
}

/// What a run measured, for its report.
struct Measured {
    setup_s: f64,
    drained: bool,
    totals: Totals,
    /// The server's CPU seconds over the window (`--server-pid`).
    server_cpu_s: Option<f64>,
}

fn report(
    args: &TrafficArgs,
    plan: &Plan,
    rate: f64,
    addrs: &[SocketAddr],
    measured: Measured,
) -> TrafficReport {
    let Measured {
        setup_s,
        drained,
        totals: t,
        server_cpu_s,
    } = measured;
    let window_s = args.duration.max(1e-9);
    TrafficReport {
        scenario: pattern_name(plan.pattern),
        protocol: args.common.protocol.name(),
        addr: crate::addrs::shown_addrs(addrs),
        clients: plan.clients,
        senders: plan.senders,
        rooms: plan.rooms,
        rate_target: rate,
        duration_s: args.duration,
        warmup_s: args.warmup,
        message_bytes: args.size,
        setup_s,
        sent: t.sent.iter().sum(),
        sent_in_window: t.sent_in_window,
        send_rate: t.sent_in_window as f64 / window_s,
        expected_per_message: plan.per_message,
        deliveries_in_window: t.in_window,
        deliveries_per_sec: t.in_window as f64 / window_s,
        latency: Latency::from_micros(&t.latency),
        send_lag: Latency::from_micros(&t.lag),
        deliveries: t.tally,
        errors: t.errors,
        disconnected: t.disconnected,
        drained,
        stalled: plan.stalled,
        stalled_disconnected: t.stalled_disconnected,
        server_cpu_s,
        server_cpu_per_million: server_cpu_s
            .filter(|_| t.in_window > 0)
            .map(|cpu| cpu / t.in_window as f64 * 1e6),
    }
}
