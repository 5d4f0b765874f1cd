//! Accepting: each listener's loop hands every connection it accepts to the driver with
//! its protocol's adapter (after a TLS handshake on a `+tls` listener), or to
//! `crate::http` on an `http` listener (`crate::metrics` on a `metrics` one).
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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapter::broadcast::BroadcastAdapter;
use crate::adapter::irc::IrcAdapter;
use crate::adapter::packet::PacketAdapter;
use crate::adapter::prefixed::PrefixedAdapter;
use crate::adapter::rooms::RoomsAdapter;
use crate::adapter::{Adapter, Farewell};
use crate::config::{Config, ListenSpec};
use crate::driver::drive;
use crate::http;
use crate::limits::Ticket;
use crate::metrics;
use crate::server::BindError;
use crate::shared::Shared;
use crate::tls;
use confab_proto::{Listener, Protocol};

/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long a refused connection may take to receive its refusal line.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

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
    pub(crate) listeners: TaskTracker,
    pub(crate) connections: TaskTracker,
    /// Connections say goodbye, newcomers are refused.
    shutdown: CancellationToken,
    /// Every listener closes.
    pub(crate) closing: CancellationToken,
    live: Arc<ArcSwap<Live>>,
    /// Each listener as configured (port 0 unresolved), with what stops it alone.
    running: Vec<(ListenSpec, CancellationToken)>,
}

impl Accepting {
    /// Nothing accepted yet: each listener starts with [`Accepting::start`].
    pub(crate) fn new(shutdown: CancellationToken, live: Arc<ArcSwap<Live>>) -> Accepting {
        Accepting {
            listeners: TaskTracker::new(),
            connections: TaskTracker::new(),
            shutdown,
            closing: CancellationToken::new(),
            live,
            running: Vec::new(),
        }
    }

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
