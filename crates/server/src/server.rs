//! The server: binds every configured listener, accepts connections and hands each to the
//! driver with its protocol's adapter (after a TLS handshake on a `+tls` listener), and
//! shuts down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_core::{Hub, HubConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapter::broadcast::BroadcastAdapter;
use crate::adapter::irc::{IrcAdapter, Settings};
use crate::adapter::packet::PacketAdapter;
use crate::adapter::prefixed::PrefixedAdapter;
use crate::adapter::rooms::RoomsAdapter;
use crate::config::{Config, ConfigError, ListenSpec};
use crate::driver::drive;
use crate::protocol::Protocol;
use crate::shared::Shared;
use crate::tls::{self, TlsError};

/// How long connections get to say goodbye after a shutdown signal (the process must be
/// gone within 2 seconds).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen for {spec}: {source}")]
    Listen {
        spec: ListenSpec,
        source: std::io::Error,
    },
    /// A `+tls` listener without both a certificate and a key.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

pub struct Server {
    listeners: Vec<(ListenSpec, TcpListener)>,
    shared: Arc<Shared>,
    /// Present when some listener is `+tls`.
    tls: Option<Transport>,
}

/// How a listener's connections reach the driver: as accepted, or after a TLS handshake
/// that must finish within `handshake`.
#[derive(Clone)]
enum Transport {
    Plain,
    Tls {
        acceptor: TlsAcceptor,
        handshake: Duration,
    },
}

impl Server {
    /// Loads the TLS certificate and key when a listener needs them, then binds every
    /// listener of `config`; nothing is accepted until [`Server::run`].
    pub async fn bind(config: &Config) -> Result<Server, BindError> {
        let tls = match config.tls_files()? {
            Some((cert, key)) => Some(Transport::Tls {
                acceptor: tls::acceptor(cert, key)?,
                handshake: Duration::from_secs(config.tls.handshake_timeout_secs),
            }),
            None => None,
        };
        let mut listeners = Vec::new();
        for spec in &config.listen {
            let spec = *spec;
            let listener = TcpListener::bind(spec.addr)
                .await
                .map_err(|source| BindError::Listen { spec, source })?;
            listeners.push((spec, listener));
        }
        let hub = Hub::new(HubConfig {
            name_max: config.limits.name_max,
            outbox_bytes: config.limits.outbox_bytes,
        });
        Ok(Server {
            listeners,
            tls,
            shared: Arc::new(Shared {
                hub,
                limits: config.limits.clone(),
                irc: Arc::new(Settings::new(&config.irc, config.limits.name_max)),
            }),
        })
    }

    /// The bound address of each listener, in configuration order (port 0 resolved); a
    /// `+tls` listener is listed under its protocol too.
    pub fn local_addrs(&self) -> Vec<(Protocol, SocketAddr)> {
        self.listening()
            .into_iter()
            .map(|spec| (spec.protocol, spec.addr))
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

    /// Serves until `shutdown` is cancelled, then stops accepting, lets every connection
    /// deliver what is queued and say goodbye, and returns within the grace period.
    pub async fn run(self, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        for (spec, listener) in self.listeners {
            let shared = self.shared.clone();
            let shutdown = shutdown.clone();
            let connections = tracker.clone();
            let transport = match (spec.tls, &self.tls) {
                (true, Some(tls)) => tls.clone(),
                _ => Transport::Plain,
            };
            tracker.spawn(accept_loop(
                spec.protocol,
                transport,
                listener,
                shared,
                shutdown,
                connections,
            ));
        }
        shutdown.cancelled().await;
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
    }
}

async fn accept_loop(
    protocol: Protocol,
    transport: Transport,
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    connections: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                // Plain and TLS connections are separate tasks, so a plain connection's
                // task is not sized for a TLS handshake and stream (several KiB).
                match &transport {
                    Transport::Plain => {
                        connections.spawn(serve_stream(
                            protocol,
                            stream,
                            peer,
                            shared.clone(),
                            shutdown.clone(),
                        ));
                    }
                    Transport::Tls {
                        acceptor,
                        handshake,
                    } => {
                        connections.spawn(serve_tls(
                            protocol,
                            acceptor.clone(),
                            *handshake,
                            stream,
                            peer,
                            shared.clone(),
                            shutdown.clone(),
                        ));
                    }
                }
            }
            Err(error) => {
                tracing::warn!(protocol = protocol.name(), %error, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Serves one accepted TLS connection in its own task: the handshake happens here, so a
/// slow or broken one holds up nobody but itself.
async fn serve_tls(
    protocol: Protocol,
    acceptor: TlsAcceptor,
    handshake: Duration,
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
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
            let listener = format!("{protocol}+tls");
            tracing::info!(%peer, listener, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            let listener = format!("{protocol}+tls");
            tracing::info!(%peer, listener, "TLS handshake timed out");
            return;
        }
    };
    serve_stream(protocol, stream, peer, shared, shutdown).await
}

/// Hands a connection, plain or TLS, to the driver with its protocol's adapter.
async fn serve_stream<S>(
    protocol: Protocol,
    stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) where
    S: crate::socket::Socket,
{
    let limits = &shared.limits;
    match protocol {
        Protocol::Prefixed => drive(stream, PrefixedAdapter::new(), shared, peer, shutdown).await,
        Protocol::Packet => {
            let adapter = PacketAdapter::new(limits.packet_body_max);
            drive(stream, adapter, shared, peer, shutdown).await
        }
        Protocol::Rooms => {
            let adapter = RoomsAdapter::new(limits.rooms_line_max);
            drive(stream, adapter, shared, peer, shutdown).await
        }
        Protocol::Broadcast => {
            let adapter = BroadcastAdapter::new(limits.broadcast_line_max);
            drive(stream, adapter, shared, peer, shutdown).await
        }
        Protocol::Irc => {
            let adapter = IrcAdapter::new(shared.irc.clone(), peer);
            drive(stream, adapter, shared, peer, shutdown).await
        }
    }
}
