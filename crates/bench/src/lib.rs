//! confab-bench: `confab bench`, a load generator that speaks IRC (so it can load any IRC
//! server), IRC over WebSocket and each classroom protocol. Scenarios: `connect` (many idle registered
//! connections, the server's RSS per connection), `fanout` (one room or many, open-loop
//! senders, latency and loss), `direct` (pairs of direct messages) and `ramp` (raise the
//! rate until p99 passes a bound). Clients are lightweight tasks on the multi-thread runtime; every
//! loop is bounded in count and time and the whole run has a hard deadline.

pub mod accounting;
mod addrs;
mod args;
pub mod client;
mod connect;
mod link;
mod names;
pub mod payload;
pub mod report;
mod resources;
mod traffic;
pub mod wire;
mod ws_link;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use addrs::parse_sources;
pub use args::{BenchArgs, CommonArgs, ConnectArgs, Pattern, RampArgs, Scenario, TrafficArgs};
pub use confab_proto::Protocol;
use report::Report;
use resources::raise_fd_limit;
pub use wire::Wire;

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
