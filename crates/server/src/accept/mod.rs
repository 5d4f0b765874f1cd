//! Accepting: the running listeners, each one's loop, and the settings every accept
//! reads. Each connection accepted is admitted or refused (`admit.rs`: the limits, before
//! any TLS handshake), then served in a task of its own (`serve.rs`: the driver with its
//! protocol's adapter after a TLS handshake on a `+tls` listener, or `crate::http` on an
//! `http` listener, `crate::metrics` on a `metrics` one).
//!
//! Each accept reads the [`Live`] settings once, so a configuration reload
//! (`crate::reload`) reaches every connection accepted after it, and none before.

mod admit;
mod serve;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ListenSpec};
use crate::server::BindError;
use crate::shared::Shared;
use crate::tls;
use confab_proto::Listener;

use admit::refuse;

/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

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
}
