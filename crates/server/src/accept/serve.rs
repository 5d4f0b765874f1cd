//! Serving an admitted connection: the task each one gets, with its protocol's adapter
//! and the driver, or `crate::http` / `crate::metrics`; on a `+tls` listener, after a TLS
//! handshake in that same task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Door, Transport};
use crate::driver::drive;
use crate::http;
use crate::limits::Ticket;
use crate::metrics;
use crate::shared::Shared;
use confab_proto::{Listener, Protocol};

impl Door {
    /// Starts the task that serves an admitted connection. Plain and TLS connections are
    /// separate tasks, so a plain connection's task is not sized for a TLS handshake and
    /// stream (several KiB).
    pub(super) fn spawn(
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
        // Paths of its own: it expands in `admit.rs` too.
        use confab_proto::Protocol;
        use $crate::adapter::broadcast::BroadcastAdapter;
        use $crate::adapter::irc::IrcAdapter;
        use $crate::adapter::packet::PacketAdapter;
        use $crate::adapter::prefixed::PrefixedAdapter;
        use $crate::adapter::rooms::RoomsAdapter;
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
pub(super) use with_adapter;

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
