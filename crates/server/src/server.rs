//! The server: binds every configured listener, accepts connections and hands each to the
//! driver with its protocol's adapter, and shuts down gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_core::{Hub, HubConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapter::broadcast::BroadcastAdapter;
use crate::adapter::irc::{IrcAdapter, Settings};
use crate::adapter::packet::PacketAdapter;
use crate::adapter::prefixed::PrefixedAdapter;
use crate::adapter::rooms::RoomsAdapter;
use crate::config::{Config, ListenSpec};
use crate::driver::drive;
use crate::protocol::Protocol;
use crate::shared::Shared;

/// How long connections get to say goodbye after a shutdown signal (the process must be
/// gone within 2 seconds).
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// Pause after a failed accept (out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
#[error("cannot listen for {spec}: {source}")]
pub struct BindError {
    pub spec: ListenSpec,
    pub source: std::io::Error,
}

pub struct Server {
    listeners: Vec<(Protocol, TcpListener)>,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds every listener of `config`; nothing is accepted until [`Server::run`].
    pub async fn bind(config: &Config) -> Result<Server, BindError> {
        let mut listeners = Vec::new();
        for spec in &config.listen {
            let listener = TcpListener::bind(spec.addr)
                .await
                .map_err(|source| BindError {
                    spec: *spec,
                    source,
                })?;
            listeners.push((spec.protocol, listener));
        }
        let hub = Hub::new(HubConfig {
            name_max: config.limits.name_max,
            outbox_bytes: config.limits.outbox_bytes,
        });
        Ok(Server {
            listeners,
            shared: Arc::new(Shared {
                hub,
                limits: config.limits.clone(),
                irc: Arc::new(Settings::new(&config.irc, config.limits.name_max)),
            }),
        })
    }

    /// The bound address of each listener, in configuration order (port 0 resolved).
    pub fn local_addrs(&self) -> Vec<(Protocol, SocketAddr)> {
        self.listeners
            .iter()
            .filter_map(|(protocol, l)| l.local_addr().ok().map(|a| (*protocol, a)))
            .collect()
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, lets every connection
    /// deliver what is queued and say goodbye, and returns within the grace period.
    pub async fn run(self, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        for (protocol, listener) in self.listeners {
            let shared = self.shared.clone();
            let shutdown = shutdown.clone();
            let connections = tracker.clone();
            tracker.spawn(accept_loop(
                protocol,
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
                connections.spawn(serve(
                    protocol,
                    stream,
                    peer,
                    shared.clone(),
                    shutdown.clone(),
                ));
            }
            Err(error) => {
                tracing::warn!(protocol = protocol.name(), %error, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

async fn serve(
    protocol: Protocol,
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
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
