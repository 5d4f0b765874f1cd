//! The connection driver: one task per connection, generic over any async byte stream (so
//! TLS and WebSocket are just other streams). It reads and feeds the adapter, drains the
//! session's whole outbox into one buffer per write, and runs the adapter's timers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use confab_core::{CloseReason, Delivery, Departure, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

use crate::adapter::{Adapter, Context, Farewell, Flow};
use crate::shared::Shared;

/// How long the last words to a closing client may take before the socket is dropped.
const FINAL_WRITE: Duration = Duration::from_secs(1);
/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 4096;

/// Why a connection ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// The adapter closed it (a goodbye, or a rule that ends the session).
    Closed,
    /// The client closed its side.
    Eof,
    /// A read or write failed (reset, broken pipe).
    Failed,
    Overflow,
    Shutdown,
}

impl End {
    /// The reason as the log shows it.
    fn describe(self) -> &'static str {
        match self {
            End::Closed => "ended by the session",
            End::Eof => "closed by the client",
            End::Failed => "connection lost",
            End::Overflow => "too slow: outbox full",
            End::Shutdown => "server shutdown",
        }
    }
}

/// Serves one client until it leaves, fails, overflows or the server shuts down.
pub async fn drive<S, A>(
    mut stream: S,
    mut adapter: A,
    shared: Arc<Shared>,
    peer: SocketAddr,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    A: Adapter,
{
    let protocol = adapter.protocol();
    let session = adapter.attach(&shared.hub, peer);
    tracing::info!(%peer, protocol = protocol.name(), "connected");
    let cx = Context {
        hub: &shared.hub,
        session: &session,
        peer,
        limits: &shared.limits,
    };
    let mut input = BytesMut::new();
    let mut output = BytesMut::new();
    let mut pending = Vec::new();

    let end = loop {
        let deadline = adapter.deadline();
        let flow = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break End::Shutdown,
            _ = session.outbox().ready() => {
                match flush(&mut stream, &adapter, &session, &mut pending, &mut output, &shutdown).await {
                    Ok(()) => Flow::Continue,
                    Err(end) => break end,
                }
            }
            _ = sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                adapter.on_deadline(&mut input, &cx)
            }
            read = read_some(&mut stream, &mut input) => match read {
                Ok(0) => {
                    adapter.on_eof(&mut input, &cx);
                    break End::Eof;
                }
                Ok(_) => adapter.on_input(&mut input, &cx),
                Err(_) => break End::Failed,
            }
        };
        if flow == Flow::Close {
            break End::Closed;
        }
    };

    let name = shared.hub.name_of(&session);
    // Leave the hub before the socket closes, so a client that sees the close can at once
    // take the name that was freed.
    match end {
        // At EOF the adapter may still have read a goodbye (`printf 'QUIT :bye' | nc`).
        End::Closed | End::Eof => shared.hub.detach(&session, adapter.departure()),
        // Everyone is told the server is going; a departure per user would be noise.
        End::Shutdown => shared.hub.detach_quietly(&session),
        End::Failed | End::Overflow => shared.hub.detach(&session, Departure::Lost),
    }
    if end != End::Failed {
        say_goodbye(
            &mut stream,
            &adapter,
            &session,
            end,
            &mut pending,
            &mut output,
        )
        .await;
    }
    tracing::info!(
        %peer,
        protocol = protocol.name(),
        name = name.as_ref().map(|n| n.as_str()).unwrap_or("-"),
        reason = end.describe(),
        "disconnected"
    );
}

async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    input: &mut BytesMut,
) -> std::io::Result<usize> {
    input.reserve(READ_CHUNK);
    stream.read_buf(input).await
}

/// Writes everything queued, draining again after each write until the outbox is empty, so
/// a burst costs one write per drain rather than one per message.
async fn flush<S, A>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    pending: &mut Vec<Delivery>,
    output: &mut BytesMut,
    shutdown: &CancellationToken,
) -> Result<(), End>
where
    S: AsyncWrite + Unpin,
    A: Adapter,
{
    loop {
        if session.outbox().drain(pending) == Some(CloseReason::Overflow) {
            return Err(End::Overflow);
        }
        if pending.is_empty() {
            return Ok(());
        }
        render_all(adapter, pending, output);
        while !output.is_empty() {
            tokio::select! {
                written = stream.write_all_buf(output) => written.map_err(|_| End::Failed)?,
                // A client that stopped reading blocks this write; its outbox overflowing or
                // the server shutting down must still end the session.
                _ = session.outbox().ready() => {
                    if session.outbox().closed() == Some(CloseReason::Overflow) {
                        return Err(End::Overflow);
                    }
                }
                _ = shutdown.cancelled() => return Err(End::Shutdown),
            }
        }
        stream.flush().await.map_err(|_| End::Failed)?;
    }
}

fn render_all<A: Adapter>(adapter: &A, pending: &mut Vec<Delivery>, output: &mut BytesMut) {
    for delivery in pending.drain(..) {
        match delivery {
            Delivery::Bytes(bytes) => output.extend_from_slice(&bytes),
            Delivery::Event(event) => adapter.render(&event, output),
        }
    }
}

/// Writes what is still queued (not for an overflowing client: that queue was dropped) and
/// the protocol's last words, then closes the write side.
async fn say_goodbye<S, A>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    end: End,
    pending: &mut Vec<Delivery>,
    output: &mut BytesMut,
) where
    S: AsyncWrite + Unpin,
    A: Adapter,
{
    if end != End::Overflow {
        session.outbox().drain(pending);
        render_all(adapter, pending, output);
    }
    match end {
        End::Shutdown => adapter.farewell(Farewell::Shutdown, output),
        End::Overflow => adapter.farewell(Farewell::Overflow, output),
        _ => {}
    }
    let _ = timeout(FINAL_WRITE, async {
        stream.write_all_buf(output).await?;
        stream.shutdown().await
    })
    .await;
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
