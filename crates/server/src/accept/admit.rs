//! Admission, before any TLS handshake: whether the server still takes newcomers, the
//! limits on connections in all and per IP address and the connection rate per address
//! (`crate::limits`), and the one line in its protocol's form a refused connection gets
//! before it is closed.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::serve::with_adapter;
use super::Door;
use crate::adapter::{Adapter, Farewell};
use crate::http;
use crate::limits::Ticket;
use crate::shared::Shared;
use confab_proto::Listener;

/// How long a refused connection may take to receive its refusal line.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

impl Door {
    /// The connection's place in the admission counts, or why it is refused (counted and
    /// logged here): the server is shutting down, or a limit says no.
    pub(super) fn admit(&self, peer: SocketAddr, shared: &Shared) -> Result<Ticket, Farewell> {
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
}

/// Tells a refused connection why, in its protocol's form, and closes it, in a task of its
/// own so the accept loop goes on at once. A TLS listener's refusal is silent: there is no
/// handshake to speak through, and the point is to spend nothing on the connection.
pub(super) fn refuse(
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
