//! The server: binds every configured listener (loading the TLS certificate, opening the
//! data directory, joining the cluster first), runs until shut down, and shuts down
//! gracefully. Accepting, admission and the task each connection is served in are
//! `crate::accept`'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use confab_cluster::{Cluster, ClusterError, Joining, Next};
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{CloseReason, Hub, HubConfig, Name};
use confab_store::StoreError;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::accept::{Accepting, Live, Transport};
use crate::adapter::irc::Settings;
use crate::alarms::Alarms;
use crate::config::{Config, ConfigError, ListenSpec};
use crate::history::History;
use crate::limits::Admission;
use crate::metrics::Metrics;
use crate::reload::{Reloader, Reloading, Request};
use crate::shared::Shared;
use crate::tls::TlsError;
use confab_proto::Listener;

/// How long connections get to say goodbye after a shutdown signal (the process must be
/// gone within 2 seconds).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// Newcomers are told the server is shutting down for at least this long after the
/// signal, even when every connection closed at once: long enough that a client connecting
/// right after the signal on a loaded machine still hears it, short enough to exit in 2 s.
const SHUTDOWN_REFUSALS: Duration = Duration::from_millis(1000);
/// How long a shutdown waits for the events already made to be committed and routed.
const HISTORY_FLUSH: Duration = Duration::from_millis(300);
/// How long a starting node waits to hear the state of the nodes already running.
const CLUSTER_READY: Duration = Duration::from_secs(3);
/// How long a shutdown waits for the cluster to hear this node's goodbye.
const CLUSTER_GOODBYE: Duration = Duration::from_millis(300);
/// A message that names its cause does not also return it as `source()`, which
/// `confab: {error:#}` would print a second time (issue 15 #7).
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen for {spec}: {cause}")]
    Listen {
        spec: ListenSpec,
        cause: std::io::Error,
    },
    /// A `+tls` listener without both a certificate and a key.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory cannot be used (locked by another server, not a database,
    /// unwritable, from a newer confab).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Redis cannot be reached, or this node's number is another live node's.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

pub struct Server {
    listeners: Vec<(ListenSpec, TcpListener)>,
    /// This node's place in a cluster (`--cluster`).
    cluster: Option<Arc<Cluster>>,
    live: Arc<ArcSwap<Live>>,
    /// The configuration served, which a reload compares the new one with.
    config: Config,
    /// Reloads asked for by [`Server::reloader`]s, carried out by [`Server::run`].
    requests: mpsc::Receiver<Request>,
    reloader: Reloader,
}

impl Server {
    /// Loads the TLS certificate and key when a listener needs them, opens the data
    /// directory, then binds every listener of `config`; nothing is accepted until
    /// [`Server::run`].
    pub async fn bind(config: &Config) -> Result<Server, BindError> {
        let tls = Transport::for_config(config)?;
        let joining = match config.cluster.to_cluster() {
            Some(cluster) => Some(Joining::connect(cluster).await?),
            None => None,
        };
        let hub = new_hub(config, joining.as_ref());
        let history = History::open(&config.data, &config.history, &hub)?.map(Arc::new);
        let admission = Admission::new(&config.limits);
        // What this node keeps first: in a cluster, the link then adds what others changed.
        load_protected(history.as_ref(), &hub, &admission)?;
        let cluster = join_stages(&hub, history.as_ref(), &admission, joining);
        if let Some(cluster) = &cluster {
            // Listeners open once this node knows the chat the other nodes hold.
            if !cluster.ready(CLUSTER_READY).await {
                tracing::warn!("not every node's state heard yet; serving anyway");
            }
        }
        let metrics = Metrics::new(
            &hub,
            history.clone(),
            cluster.as_deref().map(Cluster::counters),
        );
        let mut listeners = Vec::new();
        for spec in &config.listen {
            listeners.push((*spec, bind_listener(*spec).await?));
        }
        let shared = Arc::new(Shared {
            hub,
            limits: config.limits.clone(),
            irc: Arc::new(
                Settings::with_limits(&config.irc, &config.limits).with_history(history.is_some()),
            ),
            http: crate::http::Settings::new(&config.http).map_err(ConfigError::from)?,
            admission,
            alarms: Arc::new(Alarms::new()),
            history,
            accounts: Default::default(),
            metrics: Arc::new(metrics),
        });
        let (reloader, requests) = Reloader::channel();
        Ok(Server {
            listeners,
            cluster,
            live: Arc::new(ArcSwap::from_pointee(Live { shared, tls })),
            config: config.clone(),
            requests,
            reloader,
        })
    }

    /// A handle that asks this server, once running, to apply a new configuration.
    pub fn reloader(&self) -> Reloader {
        self.reloader.clone()
    }

    /// The bound address of each listener, in configuration order (port 0 resolved); a
    /// `+tls` listener is listed under its protocol too.
    pub fn local_addrs(&self) -> Vec<(Listener, SocketAddr)> {
        self.listening()
            .into_iter()
            .map(|spec| (spec.listener, spec.addr))
            .collect()
    }

    /// Each listener as configured but with its bound address (port 0 resolved), in
    /// configuration order: what the `listening` lines print.
    pub fn listening(&self) -> Vec<ListenSpec> {
        self.listeners
            .iter()
            .filter_map(|(spec, l)| l.local_addr().ok().map(|addr| ListenSpec { addr, ..*spec }))
            .collect()
    }

    /// Serves until `shutdown` is cancelled, then lets every connection deliver what is
    /// queued and say goodbye, and returns within the grace period. Meanwhile the listeners
    /// stay open and tell each newcomer the server is shutting down.
    pub async fn run(self, shutdown: CancellationToken) {
        let shared = self.live.load().shared.clone();
        let mut accepting = Accepting::new(shutdown.clone(), self.live.clone());
        accepting.listeners.spawn({
            let (shared, closing) = (shared.clone(), accepting.closing.clone());
            async move { shared.alarms.run(closing).await }
        });
        for (spec, listener) in self.listeners {
            accepting.start(spec, listener);
        }
        shared.metrics.set_ready(true);
        drop(self.reloader);
        let mut reloading = Reloading::new(self.config);
        let mut requests = self.requests;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(request) = requests.recv() => {
                    reloading.serve(request, &mut accepting).await;
                }
            }
        }
        shared.metrics.set_ready(false);
        let Accepting {
            listeners,
            connections,
            closing,
            ..
        } = accepting;
        let started = tokio::time::Instant::now();
        if let Some(history) = &shared.history {
            // What was accepted before the signal is delivered before the goodbye.
            let _ = tokio::time::timeout(HISTORY_FLUSH, history.flush()).await;
        }
        if let Some(cluster) = &self.cluster {
            // The other nodes drop this node's users now, not when its lease runs out.
            cluster.leave(CLUSTER_GOODBYE).await;
        }
        // Every connection's driver sees its outbox close, delivers what is queued and
        // says goodbye; one attaching from now on is closed as it attaches.
        shared.hub.close_all(CloseReason::Shutdown);
        connections.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        tokio::time::sleep_until(started + SHUTDOWN_REFUSALS).await;
        closing.cancel();
        listeners.close();
        listeners.wait().await;
        if let Some(history) = shared.history.clone() {
            // Commits what is still queued; the thread join blocks, so not on this one.
            let _ = tokio::task::spawn_blocking(move || history.shutdown()).await;
        }
    }
}

/// Puts the stages between the hub and delivery: the cluster (when joining one), then
/// the store (when history is kept). A cluster shares the data directory's accounts and
/// bans.
fn join_stages(
    hub: &Arc<Hub>,
    history: Option<&Arc<History>>,
    admission: &Arc<Admission>,
    joining: Option<Joining>,
) -> Option<Arc<Cluster>> {
    let store = history.map(|h| h.stage());
    let (cluster, stage) = match joining {
        Some(joining) => {
            let node = joining.node();
            let records = history.map(|history| {
                Arc::new(crate::cluster_records::Records {
                    history: history.clone(),
                    hub: hub.clone(),
                    admission: admission.clone(),
                }) as Arc<dyn confab_cluster::Directory>
            });
            let (cluster, stage) = joining.start(hub.clone(), Next(store), records);
            let cluster = Arc::new(cluster);
            if let Some(history) = history {
                history.follow_cluster(cluster.clone());
            }
            tracing::info!(node, "joined the cluster");
            (Some(cluster), Some(stage))
        }
        None => (None, store),
    };
    if let Some(stage) = stage {
        if hub.set_stage(stage).is_err() {
            tracing::warn!("the hub already had a stage");
        }
    }
    cluster
}

/// Binds one listener.
pub(crate) async fn bind_listener(spec: ListenSpec) -> Result<TcpListener, BindError> {
    TcpListener::bind(spec.addr)
        .await
        .map_err(|cause| BindError::Listen { spec, cause })
}

/// The hub of `config`'s limits, in `joining`'s cluster if any, with the services' and
/// the server's own names reserved.
fn new_hub(config: &Config, joining: Option<&Joining>) -> Arc<Hub> {
    let hub = Arc::new(Hub::new(HubConfig {
        name_max: config.limits.name_max,
        outbox_bytes: config.limits.outbox_bytes,
        rooms_max: config.limits.rooms_per_user,
        node: joining.map_or(0, Joining::node),
        // A node tells the others every name its users take or give up.
        announce_names: joining.is_some(),
        // The lobby, broadcast's one conversation, is the server's: nobody owns it for
        // being first (server operators run it).
        server_rooms: vec![crate::adapter::broadcast::lobby()],
        filtered_words: config.moderation.filtered_words.clone(),
    }));
    // The services' and the server's own names are nobody's, on every protocol, so
    // nobody can pass for them (a server name with dots can never be a name anyway).
    for name in reserved_names(&config.irc.server_name) {
        hub.reserve(name);
    }
    hub
}

/// Protects what the data directory keeps (registered names, server-wide bans), and
/// says where it is; or that nothing is kept.
fn load_protected(
    history: Option<&Arc<History>>,
    hub: &Arc<Hub>,
    admission: &Admission,
) -> Result<(), BindError> {
    match history {
        Some(history) => {
            let path = history.database().path();
            let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            tracing::info!(database = %path.display(), "keeping accounts and history");
            let accounts = crate::accounts::load_names(history, hub)?;
            tracing::info!(accounts, "registered names protected");
            let bans = crate::bans::load(history, hub, admission)?;
            tracing::info!(bans, "server-wide bans in force");
        }
        None => tracing::info!("history not kept (--data none)"),
    }
    Ok(())
}

/// Names no user may take: the services (`NickServ`, `ChanServ`), the server's own name
/// as IRC shows it, and `confab`, the program's.
fn reserved_names(server_name: &str) -> Vec<Name> {
    let mut names = vec![crate::adapter::irc::nickserv()];
    names.extend(
        ["ChanServ", "confab", server_name]
            .into_iter()
            .filter_map(|text| Name::parse(text, NAME_MAX_CEILING).ok()),
    );
    names
}
