//! Several confab nodes as one chat, over Redis. Each node keeps the whole chat in its
//! hub: its own users, and the users of the other nodes as they announce them. Every
//! event a node's hub makes is published, on the control channel or, for what is said
//! in a room, on the room's channel, and delivered on every node that listens to that
//! channel, its own included, in the order Redis gives; names are claimed in Redis before
//! they are announced; a node's lease tells the others it is alive. See docs/cluster.md.
//!
//! The cluster is a stage of the hub ([`confab_core::Stage`]), between the hub and the
//! store: the core knows no Redis, and without `--cluster` none of this runs.

mod config;
mod inbound;
mod keys;
mod link;
mod outbound;
pub mod records;
mod rooms;
mod sharing;
mod stage;
mod stats;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use confab_core::{Hub, Stage};
use redis::aio::MultiplexedConnection;
use redis::{Client, IntoConnectionInfo};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use config::{redacted, ClusterConfig, DEFAULT_LEASE};
pub use records::{AccountRecord, BanRecord, Directory, Record};
pub use sharing::Claim;
pub use stage::Next;
pub use stats::{ClusterStats, StatsNow};

use link::Link;
use sharing::Sharing;
use stage::{ClusterStage, Outgoing, OUTGOING_MAX};

/// Changes of accounts and bans that may wait for the link; past that, a change crosses
/// at the next reconciliation instead.
const RECORDS_MAX: usize = 1024;
/// How long a new account's claim waits for Redis's answer before the node decides alone.
const CLAIM_WAIT: Duration = Duration::from_secs(5);

/// Why a node cannot join.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("bad cluster URL {url}: {cause}")]
    Url { url: String, cause: String },
    #[error("cannot reach Redis at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error("node number {0} is in use by another running node (its lease in Redis is held); choose another or wait for it to lapse")]
    NodeTaken(u16),
    #[error("no free node number in Redis")]
    NoFreeNode,
}

/// A node that reached Redis and holds its number, before its hub exists (the hub's
/// message ids carry the number).
pub struct Joining {
    config: ClusterConfig,
    client: Client,
    node: u16,
    run: u64,
}

impl Joining {
    /// Reaches Redis and takes this node's number: the configured one (refused if another
    /// live node holds it) or a free one.
    pub async fn connect(config: ClusterConfig) -> Result<Joining, ClusterError> {
        let url = config.shown_url();
        let client = client_for(&config)?;
        let unreachable = |cause: String| ClusterError::Unreachable {
            url: url.clone(),
            cause: redacted(&cause),
        };
        let connecting = client.get_multiplexed_async_connection();
        let mut conn = tokio::time::timeout(Duration::from_secs(5), connecting)
            .await
            .map_err(|_| unreachable("timed out".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        let run = run_token();
        let node = take_number(&mut conn, &config, run)
            .await
            .map_err(|e| unreachable(e.to_string()))??;
        Ok(Joining {
            config,
            client,
            node,
            run,
        })
    }

    /// This node's number.
    pub fn node(&self) -> u16 {
        self.node
    }

    /// Starts the link for `hub` and returns the node and the stage to set on the hub,
    /// which passes events on to `next` (the store's stage, or delivery). The accounts
    /// and bans of `directory`, if any, are shared with the other nodes.
    pub fn start(
        self,
        hub: Arc<Hub>,
        next: Next,
        directory: Option<Arc<dyn Directory>>,
    ) -> (Cluster, Arc<dyn Stage>) {
        let stats = Arc::new(ClusterStats::default());
        let (tx, rx) = mpsc::channel(OUTGOING_MAX);
        let (records_tx, records) = mpsc::channel(RECORDS_MAX);
        let (ready, heard) = oneshot::channel();
        let stage = Arc::new(ClusterStage {
            outgoing: tx.clone(),
            next: next.clone(),
            stats: stats.clone(),
        });
        let link = Link {
            config: self.config,
            client: self.client,
            node: self.node,
            run: self.run,
            hub,
            next,
            outgoing: rx,
            directory,
            records,
            stats: stats.clone(),
            seq: Default::default(),
            pending: Default::default(),
            unsent: Vec::new(),
            heard: Default::default(),
            listening: Default::default(),
            owe_history: Vec::new(),
            owe_catch_up: Vec::new(),
            expiry_renewed: Default::default(),
            sink: None,
            partial: Default::default(),
            owe_snapshot: false,
            owe_hello: false,
            ready: Some(ready),
            awaited: Default::default(),
            up_since: tokio::time::Instant::now(),
        };
        let (leave, left) = oneshot::channel();
        let task = tokio::spawn(link.run(left));
        let cluster = Cluster {
            stats,
            outgoing: tx,
            records: records_tx,
            leave: std::sync::Mutex::new(Some((leave, task))),
            heard: std::sync::Mutex::new(Some(heard)),
        };
        (cluster, stage)
    }
}

/// This node's place in the cluster, while it runs.
pub struct Cluster {
    stats: Arc<ClusterStats>,
    outgoing: mpsc::Sender<Outgoing>,
    records: mpsc::Sender<Sharing>,
    leave: std::sync::Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
    heard: std::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

impl Cluster {
    /// The link's counters, to read whenever (the metrics listener, at each scrape).
    pub fn counters(&self) -> Arc<ClusterStats> {
        self.stats.clone()
    }

    /// Waits, at most `within`, until this node has heard every live node's snapshot
    /// (or found Redis unreachable): `false` if it is still waiting.
    pub async fn ready(&self, within: Duration) -> bool {
        let heard = self.heard.lock().map(|mut h| h.take()).unwrap_or(None);
        match heard {
            Some(heard) => matches!(tokio::time::timeout(within, heard).await, Ok(Ok(()))),
            None => true,
        }
    }

    /// Waits, at most `within`, until the link has handled every event this node made
    /// before the call: published, and the history of any room one of its users just
    /// joined handed to the store (which [`Cluster::settled`]'s caller then flushes), so a
    /// history read that follows sees the room's history from the other nodes.
    pub async fn settled(&self, within: Duration) {
        let (done, wait) = oneshot::channel();
        if self.outgoing.try_send(Outgoing::Settle(done)).is_ok() {
            let _ = tokio::time::timeout(within, wait).await;
        }
    }

    /// Shares a change of this node's accounts or bans with the other nodes (at once
    /// while the link is up; else at the next reconciliation).
    pub fn share(&self, record: Record) {
        let sharing = Sharing {
            record,
            claim: None,
        };
        if self.records.try_send(sharing).is_err() {
            tracing::warn!(
                "too many account and ban changes at once: they cross when the link reconciles"
            );
        }
    }

    /// Claims a new account's name for the cluster: [`Claim::Won`] and shared, or
    /// [`Claim::Lost`] to a live account of another node, or [`Claim::Alone`] when Redis
    /// cannot answer (now, or within 5 s).
    pub async fn claim(&self, record: Record) -> Claim {
        let (answer, wait) = oneshot::channel();
        let sharing = Sharing {
            record,
            claim: Some(answer),
        };
        if self.records.try_send(sharing).is_err() {
            return Claim::Alone;
        }
        match tokio::time::timeout(CLAIM_WAIT, wait).await {
            Ok(Ok(claim)) => claim,
            _ => Claim::Alone,
        }
    }

    /// Says goodbye (the other nodes drop this node's users at once and its names are
    /// free) and stops the link; from then on events go straight to the next stage.
    pub async fn leave(&self, wait: Duration) {
        let taken = self.leave.lock().map(|mut l| l.take()).unwrap_or(None);
        if let Some((leave, task)) = taken {
            let _ = leave.send(());
            let _ = tokio::time::timeout(wait, task).await;
        }
    }
}

/// The client for `config`'s URL, trusting its CA file as well when there is one.
fn client_for(config: &ClusterConfig) -> Result<Client, ClusterError> {
    let bad = |cause: String| ClusterError::Url {
        url: config.shown_url(),
        cause: redacted(&cause),
    };
    let info = config
        .url
        .as_str()
        .into_connection_info()
        .map_err(|e| bad(e.to_string()))?;
    let Some(path) = &config.ca else {
        return Client::open(info).map_err(|e| bad(e.to_string()));
    };
    let root_cert = std::fs::read(path)
        .map_err(|e| bad(format!("cannot read the CA file {}: {e}", path.display())))?;
    let certs = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    };
    Client::build_with_tls(info, certs).map_err(|e| bad(e.to_string()))
}

/// A number for this run of the process: its lease's value and its envelopes' `run`.
fn run_token() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

async fn take_number(
    conn: &mut MultiplexedConnection,
    config: &ClusterConfig,
    run: u64,
) -> redis::RedisResult<Result<u16, ClusterError>> {
    let token = run.to_string();
    Ok(match config.node {
        Some(node) => {
            if keys::claim(conn, &keys::node_key(node), &token, config.lease).await? {
                Ok(node)
            } else {
                Err(ClusterError::NodeTaken(node))
            }
        }
        None => keys::take_free_node(conn, &token, config.lease, 64)
            .await?
            .ok_or(ClusterError::NoFreeNode),
    })
}
