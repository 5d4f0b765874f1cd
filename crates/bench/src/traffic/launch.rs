//! Starting a traffic run's clients: spawned at `--connect-rate` (the stalled members
//! last), spread over the addresses and source addresses, and waited for until every
//! one has registered and joined; if any has not by `--setup-timeout`, the run stops.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use indicatif::ProgressBar;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::client::{client, ClientResult};
use super::plan::Plan;
use super::schedule::{Schedule, Shared};
use super::stalled::stalled_client;
use crate::TrafficArgs;

/// A run's clients, all registered, waiting for the schedule.
pub(super) struct Crowd {
    pub(super) clients: Vec<JoinHandle<ClientResult>>,
    pub(super) stalled: Vec<JoinHandle<bool>>,
    /// Sending the schedule starts the run.
    pub(super) start: watch::Sender<Option<Schedule>>,
    pub(super) cancel: CancellationToken,
    /// Seconds from the first connection to the last registration.
    pub(super) setup_s: f64,
}

/// Where and when clients connect, and the channels every client task is given.
struct Setup<'a> {
    addrs: &'a [SocketAddr],
    sources: &'a [IpAddr],
    start: Instant,
    pace: Duration,
    deadline: Instant,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: CancellationToken,
}

impl Setup<'_> {
    /// The `i`th connection's address, source address and when it opens.
    async fn wait_turn(&self, i: usize) -> (SocketAddr, Option<IpAddr>) {
        sleep_until(self.start + self.pace * i as u32).await;
        let source = (!self.sources.is_empty()).then(|| self.sources[i % self.sources.len()]);
        (self.addrs[i % self.addrs.len()], source)
    }
}

/// Spawns every client and waits until all have registered: the crowd, or why not.
pub(super) async fn launch(
    args: &TrafficArgs,
    plan: &Plan,
    addrs: &[SocketAddr],
    sources: &[IpAddr],
    shared: &Arc<Shared>,
    bar: &ProgressBar,
) -> anyhow::Result<Crowd> {
    let everyone = plan.clients + plan.stalled;
    let (start, start_rx) = watch::channel::<Option<Schedule>>(None);
    let (ready, mut ready_rx) = mpsc::channel::<Result<(), String>>(everyone);
    let setup_start = Instant::now();
    let setup = Setup {
        addrs,
        sources,
        start: setup_start,
        pace: Duration::from_secs_f64(1.0 / args.connect_rate.max(1.0)),
        deadline: setup_start + Duration::from_secs_f64(args.common.setup_timeout),
        ready,
        cancel: CancellationToken::new(),
    };
    bar.set_length(plan.clients as u64);
    bar.set_message("registering");
    let mut clients = Vec::with_capacity(plan.clients);
    for i in 0..plan.clients {
        let (addr, _) = setup.wait_turn(i).await;
        let role = plan.role(i, sources);
        let task = client(
            role,
            addr,
            setup.deadline,
            shared.clone(),
            start_rx.clone(),
            setup.ready.clone(),
            setup.cancel.clone(),
        );
        clients.push(tokio::spawn(task));
    }
    let stalled = spawn_stalled(plan, &setup, shared).await;
    let Setup {
        ready,
        cancel,
        deadline,
        ..
    } = setup;
    drop(ready);
    // Everyone must be registered (and in the room) before anyone sends.
    let (registered, failures) = wait_ready(&mut ready_rx, everyone, deadline, bar).await;
    let crowd = Crowd {
        clients,
        stalled,
        start,
        cancel,
        setup_s: setup_start.elapsed().as_secs_f64(),
    };
    if registered < everyone {
        abandon(crowd).await;
        let first = failures
            .first()
            .cloned()
            .unwrap_or_else(|| "setup timed out (--setup-timeout)".to_owned());
        bail!(
            "only {registered} of {everyone} clients registered ({} failed); first error: {first}",
            failures.len()
        );
    }
    Ok(crowd)
}

/// Spawns the stalled members, paced after the clients, each in the room of its index.
async fn spawn_stalled(plan: &Plan, setup: &Setup<'_>, shared: &Shared) -> Vec<JoinHandle<bool>> {
    let mut stalled = Vec::with_capacity(plan.stalled);
    for j in 0..plan.stalled {
        let i = plan.clients + j;
        let (addr, source) = setup.wait_turn(i).await;
        stalled.push(tokio::spawn(stalled_client(
            plan.names[i].clone(),
            plan.room_of(i),
            source,
            addr,
            setup.deadline,
            shared.wire,
            setup.ready.clone(),
            setup.cancel.clone(),
        )));
    }
    stalled
}

/// Counts clients reporting ready until all `everyone` have answered or the deadline:
/// how many registered, and the failures.
async fn wait_ready(
    ready_rx: &mut mpsc::Receiver<Result<(), String>>,
    everyone: usize,
    deadline: Instant,
    bar: &ProgressBar,
) -> (usize, Vec<String>) {
    let mut registered = 0usize;
    let mut failures = Vec::new();
    while registered + failures.len() < everyone {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => {
                registered += 1;
                bar.set_position(registered as u64);
            }
            Ok(Some(Err(e))) => failures.push(e),
            Ok(None) | Err(_) => break,
        }
    }
    (registered, failures)
}

/// Cancels every client and waits for each to end.
async fn abandon(crowd: Crowd) {
    crowd.cancel.cancel();
    for task in crowd.clients {
        let _ = task.await;
    }
    for task in crowd.stalled {
        let _ = task.await;
    }
}
