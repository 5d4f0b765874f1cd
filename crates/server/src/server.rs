//! The server: binds every configured listener, accepts connections and hands each to the
//! driver with its protocol's adapter (after a TLS handshake on a `+tls` listener), or to
//! `crate::http` on an `http` listener (`crate::metrics` on a `metrics` one), and shuts down
//! gracefully.
//!
//! Admission happens here, before any TLS handshake: the limits on connections in all and
//! per IP address and the connection rate per address. A refused connection, and one that
//! arrives while the server shuts down, gets one line in its protocol's form and is closed.
//!
//! Each accept reads the [`Live`] settings once, so a configuration reload
//! (`crate::reload`) reaches every connection accepted after it, and none before.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::BytesMut;
use confab_cluster::{Cluster, ClusterError, Joining, Next};
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{CloseReason, Hub, HubConfig, Name};
use confab_store::StoreError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapter::broadcast::BroadcastAdapter;
use crate::adapter::irc::{IrcAdapter, Settings};
use crate::adapter::packet::PacketAdapter;
use crate::adapter::prefixed::PrefixedAdapter;
use crate::adapter::rooms::RoomsAdapter;
use crate::adapter::{Adapter, Farewell};
use crate::alarms::Alarms;
use crate::config::{Config, ConfigError, ListenSpec};
use crate::driver::drive;
use crate::history::History;
use crate::http;
use crate::limits::{Admission, Ticket};
use crate::metrics::{self, Metrics};
use crate::reload::{Reloader, Reloading, Request};
use crate::shared::Shared;
use crate::tls::{self, TlsError};
use confab_proto::{Listener, Protocol};

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
/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long a refused connection may take to receive its refusal line.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

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
    cluster: Option<Cluster>,
    live: Arc<ArcSwap<Live>>,
    /// The configuration served, which a reload compares the new one with.
    config: Config,
    /// Reloads asked for by [`Server::reloader`]s, carried out by [`Server::run`].
    requests: mpsc::Receiver<Request>,
    reloader: Reloader,
}

/// What an accept reads once, for the connection it accepts: swapped whole by a reload.
pub(crate) struct Live {
    pub(crate) shared: Arc<Shared>,
    /// Present when some listener is `+tls`.
    pub(crate) tls: Option<Transport>,
}

/// How a listener's connections reach the driver: as accepted, or after a TLS handshake
/// that must finish within `handshake`.
#[derive(Clone)]
pub(crate) enum Transport {
    Plain,
    Tls {
        acceptor: TlsAcceptor,
        handshake: Duration,
    },
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
        let cluster = join_stages(&hub, history.as_deref(), joining);
        if let Some(cluster) = &cluster {
            // Listeners open once this node knows the chat the other nodes hold.
            if !cluster.ready(CLUSTER_READY).await {
                tracing::warn!("not every node's state heard yet; serving anyway");
            }
        }
        let metrics = Metrics::new(
            &hub,
            history.clone(),
            cluster.as_ref().map(Cluster::counters),
        );
        let admission = Admission::new(&config.limits);
        load_protected(history.as_ref(), &hub, &admission)?;
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
        let mut accepting = Accepting {
            listeners: TaskTracker::new(),
            connections: TaskTracker::new(),
            shutdown: shutdown.clone(),
            closing: CancellationToken::new(),
            live: self.live.clone(),
            running: Vec::new(),
        };
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
/// the store (when history is kept).
fn join_stages(
    hub: &Arc<Hub>,
    history: Option<&History>,
    joining: Option<Joining>,
) -> Option<Cluster> {
    let store = history.map(History::stage);
    let (cluster, stage) = match joining {
        Some(joining) => {
            let node = joining.node();
            let (cluster, stage) = joining.start(hub.clone(), Next(store));
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

impl Transport {
    /// The TLS acceptor with the configured certificate and key, when a listener is
    /// `+tls`: loaded anew each time, so a reload picks up a renewed certificate.
    pub(crate) fn for_config(config: &Config) -> Result<Option<Transport>, BindError> {
        Ok(match config.tls_files()? {
            Some((cert, key)) => Some(Transport::Tls {
                acceptor: tls::acceptor(cert, key)?,
                handshake: Duration::from_secs(config.tls.handshake_timeout_secs),
            }),
            None => None,
        })
    }
}

/// The running listeners and what starting another takes.
pub(crate) struct Accepting {
    listeners: TaskTracker,
    connections: TaskTracker,
    /// Connections say goodbye, newcomers are refused.
    shutdown: CancellationToken,
    /// Every listener closes.
    closing: CancellationToken,
    live: Arc<ArcSwap<Live>>,
    /// Each listener as configured (port 0 unresolved), with what stops it alone.
    running: Vec<(ListenSpec, CancellationToken)>,
}

impl Accepting {
    /// Accepts on `listener` until it is stopped or the server closes.
    pub(crate) fn start(&mut self, spec: ListenSpec, listener: TcpListener) {
        let stop = Stop {
            shutdown: self.shutdown.clone(),
            closing: self.closing.child_token(),
        };
        self.running.push((spec, stop.closing.clone()));
        self.listeners.spawn(accept_loop(
            spec,
            listener,
            self.live.clone(),
            stop,
            self.connections.clone(),
        ));
    }

    /// Stops accepting on the listener configured as `spec` (its connections go on).
    pub(crate) fn stop(&mut self, spec: ListenSpec) {
        self.running.retain(|(running, closing)| {
            let stopped = *running == spec;
            if stopped {
                closing.cancel();
            }
            !stopped
        });
    }

    /// The settings the next connections are accepted with.
    pub(crate) fn live(&self) -> Arc<Live> {
        self.live.load_full()
    }

    /// Accepts every connection from now on with `live`.
    pub(crate) fn set_live(&self, live: Live) {
        self.live.store(Arc::new(live));
    }
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

/// The two moments of a shutdown: `shutdown` (connections say goodbye, newcomers are
/// refused) and `closing` (the listener closes: at the end, or when a reload removes it).
struct Stop {
    shutdown: CancellationToken,
    closing: CancellationToken,
}

/// Accepts on one listener until it closes, each connection taken by [`Door::take`].
async fn accept_loop(
    spec: ListenSpec,
    listener: TcpListener,
    live: Arc<ArcSwap<Live>>,
    stop: Stop,
    connections: TaskTracker,
) {
    let door = Door {
        kind: spec.listener,
        tls: spec.tls,
        shutdown: stop.shutdown,
        connections,
    };
    loop {
        let accepted = tokio::select! {
            _ = stop.closing.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => door.take(stream, peer, &live.load_full()),
            Err(error) => {
                tracing::warn!(protocol = door.kind.name(), %error, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// One listener's side of accepting: what it serves, whether over TLS, the shutdown that
/// turns newcomers away, and the tracker its connections' tasks join.
struct Door {
    kind: Listener,
    tls: bool,
    shutdown: CancellationToken,
    connections: TaskTracker,
}

impl Door {
    /// An accepted connection, with the settings read for it: refused, or handed to the
    /// task that serves it.
    fn take(&self, stream: TcpStream, peer: SocketAddr, live: &Live) {
        let _ = stream.set_nodelay(true);
        let shared = &live.shared;
        let transport = match (self.tls, &live.tls) {
            (true, Some(tls)) => tls,
            (true, None) => return, // a reload keeps a certificate while +tls
            (false, _) => &Transport::Plain,
        };
        let ticket = match self.admit(peer, shared) {
            Ok(ticket) => ticket,
            Err(why) => return refuse(self.kind, self.tls, stream, peer, shared, why),
        };
        shared.metrics.listener(self.kind).accepted.inc();
        self.spawn(transport, stream, peer, shared, ticket);
    }

    /// The connection's place in the admission counts, or why it is refused (counted and
    /// logged here): the server is shutting down, or a limit says no.
    fn admit(&self, peer: SocketAddr, shared: &Shared) -> Result<Ticket, Farewell> {
        let counts = shared.metrics.listener(self.kind);
        // A metrics listener answers on to the end: `/readyz` says 503 then.
        if self.shutdown.is_cancelled() && self.kind != Listener::Metrics {
            tracing::info!(%peer, protocol = self.kind.name(), "refused: server shutting down");
            counts.refused(None).inc();
            return Err(Farewell::Shutdown);
        }
        let now = tokio::time::Instant::now();
        shared.admission.admit(peer, now).map_err(|refusal| {
            counts.refused(Some(refusal)).inc();
            tracing::warn!(
                %peer,
                protocol = self.kind.name(),
                reason = refusal.text(),
                open = shared.admission.open(),
                "connection refused"
            );
            Farewell::Refused(refusal)
        })
    }

    /// Starts the task that serves an admitted connection. Plain and TLS connections are
    /// separate tasks, so a plain connection's task is not sized for a TLS handshake and
    /// stream (several KiB).
    fn spawn(
        &self,
        transport: &Transport,
        stream: TcpStream,
        peer: SocketAddr,
        shared: &Arc<Shared>,
        ticket: Ticket,
    ) {
        let (shutdown, connections) = (&self.shutdown, &self.connections);
        match (transport, self.kind) {
            (Transport::Plain, Listener::Http) => {
                let serve = http::serve(
                    stream,
                    false,
                    shared.clone(),
                    ticket,
                    shutdown.clone(),
                    connections.clone(),
                );
                connections.spawn(serve);
            }
            (Transport::Plain, Listener::Metrics) => {
                let serve = metrics::serve(stream, shared.clone(), ticket, shutdown.clone());
                connections.spawn(serve);
            }
            (Transport::Plain, Listener::Chat(protocol)) => {
                spawn_driver(connections, protocol, stream, shared, ticket);
            }
            (
                Transport::Tls {
                    acceptor,
                    handshake,
                },
                kind,
            ) => {
                connections.spawn(serve_tls(
                    kind,
                    acceptor.clone(),
                    *handshake,
                    stream,
                    peer,
                    shared.clone(),
                    shutdown.clone(),
                    ticket,
                    connections.clone(),
                ));
            }
        }
    }
}

/// Serves one accepted TLS connection in its own task: the handshake happens here, so a
/// slow or broken one holds up nobody but itself.
#[allow(clippy::too_many_arguments)] // one connection's whole context, passed once
async fn serve_tls(
    kind: Listener,
    acceptor: TlsAcceptor,
    handshake: Duration,
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    ticket: Ticket,
    tasks: TaskTracker,
) {
    let accepted = tokio::select! {
        _ = shutdown.cancelled() => return,
        accepted = tokio::time::timeout(handshake, acceptor.accept(stream)) => accepted,
    };
    let stream = match accepted {
        Ok(Ok(stream)) => stream,
        // Scanners and clients with the wrong port or an untrusted certificate end here;
        // the connection is simply dropped.
        Ok(Err(error)) => {
            let listener = format!("{kind}+tls");
            tracing::info!(%peer, listener, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            let listener = format!("{kind}+tls");
            tracing::info!(%peer, listener, "TLS handshake timed out");
            return;
        }
    };
    match kind {
        Listener::Http => http::serve(stream, true, shared, ticket, shutdown, tasks).await,
        Listener::Metrics => metrics::serve(stream, shared, ticket, shutdown).await,
        Listener::Chat(protocol) => serve_tls_stream(protocol, stream, shared, ticket).await,
    }
}

/// Makes the adapter of `protocol` and evaluates `body` with it bound to `adapter`: one
/// `match`, where each arm has the adapter's own type (so each protocol's connection gets
/// a task exactly its size), for every place that needs a protocol's adapter.
macro_rules! with_adapter {
    ($protocol:expr, $shared:expr, $peer:expr, |$adapter:ident| $body:expr) => {{
        let limits = &$shared.limits;
        match $protocol {
            Protocol::Prefixed => {
                let $adapter = PrefixedAdapter::new();
                $body
            }
            Protocol::Packet => {
                let $adapter = PacketAdapter::new(limits.packet_body_max);
                $body
            }
            Protocol::Rooms => {
                let $adapter = RoomsAdapter::new(limits.rooms_line_max);
                $body
            }
            Protocol::Broadcast => {
                let $adapter = BroadcastAdapter::new(limits.broadcast_line_max);
                $body
            }
            Protocol::Irc => {
                let $adapter = IrcAdapter::new($shared.irc.clone(), $peer);
                $body
            }
        }
    }};
}

/// Spawns the driver of a plain connection with its protocol's adapter.
fn spawn_driver(
    connections: &TaskTracker,
    protocol: Protocol,
    stream: TcpStream,
    shared: &Arc<Shared>,
    ticket: Ticket,
) {
    with_adapter!(protocol, shared, *ticket.peer(), |adapter| {
        connections.spawn(drive(stream, adapter, shared.clone(), ticket));
    })
}

/// Hands a connection whose TLS handshake is done to the driver, in the task that made
/// the handshake.
async fn serve_tls_stream(
    protocol: Protocol,
    stream: TlsStream<TcpStream>,
    shared: Arc<Shared>,
    ticket: Ticket,
) {
    with_adapter!(protocol, shared, *ticket.peer(), |adapter| {
        drive(stream, adapter, shared.clone(), ticket).await
    })
}

/// Tells a refused connection why, in its protocol's form, and closes it, in a task of its
/// own so the accept loop goes on at once. A TLS listener's refusal is silent: there is no
/// handshake to speak through, and the point is to spend nothing on the connection.
fn refuse(
    kind: Listener,
    tls: bool,
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    why: Farewell,
) {
    let mut line = BytesMut::new();
    if !tls {
        match kind {
            Listener::Http | Listener::Metrics => http::refusal(why, &mut line),
            Listener::Chat(protocol) => with_adapter!(protocol, shared, peer, |adapter| adapter
                .farewell(why, &mut line)),
        }
    }
    if line.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            stream.write_all(&line).await?;
            stream.shutdown().await?;
            // Read until the client closes: closing on input not yet read would send a
            // reset, which can destroy the line before the client reads it.
            let mut sink = [0u8; 256];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<(), std::io::Error>(())
        })
        .await;
    });
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
