//! The write path: the outbox drained whole and rendered into the worker thread's scratch
//! buffer, written as far as the socket takes it at once; only the rest is kept, and
//! waited on while the client is behind. And the last words to a closing client.

use std::cell::RefCell;
use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use confab_core::{CloseReason, Delivery, Session};
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

use super::Spill;
use crate::adapter::{Adapter, Flow};
use crate::ending::Ending;
use crate::metrics::ProtocolCounts;
use crate::socket::Socket;

/// How long the last words to a closing client may take before the socket is dropped.
const FINAL_WRITE: Duration = Duration::from_secs(1);

thread_local! {
    /// Where every connection on this worker thread renders into. Used only between two
    /// awaits, so no connection ever sees another's bytes.
    static WRITE_SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// Writes everything queued, draining again after each write until the outbox is empty, so
/// a burst costs one write per drain rather than one per message. What the socket takes at
/// once is written from the thread's scratch buffer; only the rest waits in `output`, and
/// then the caller waits for the socket with [`write_out`].
pub(super) fn flush_now<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    output: &mut Spill,
    counts: &ProtocolCounts,
) -> Result<Flushed, Ending> {
    if !output.is_empty() {
        return Ok(Flushed::Behind);
    }
    loop {
        match write_now(stream, adapter, session, output, counts)? {
            Written::Nothing if stream.flushed() => return Ok(Flushed::All),
            // What the socket kept of a write is flushed by `write_out`.
            Written::Nothing => return Ok(Flushed::Behind),
            Written::All => continue,
            Written::Part => return Ok(Flushed::Behind),
        }
    }
}

/// How far [`flush_now`] got.
pub(super) enum Flushed {
    /// The outbox is empty and the socket took everything.
    All,
    /// Some output waits in the connection's `output` for the socket to take it.
    Behind,
}

/// A client that is behind: waits until the socket has taken what `output` holds, then
/// drains the outbox again, until it is empty and all written.
pub(super) async fn catch_up<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    output: &mut Spill,
    counts: &ProtocolCounts,
) -> Result<Flow, Ending> {
    loop {
        write_out(stream, session, output.buf()).await?;
        output.0 = None;
        if let Flushed::All = flush_now(stream, adapter, session, output, counts)? {
            return Ok(Flow::Continue);
        }
    }
}

/// Writes `output` to a socket that would not take it at once, then flushes.
async fn write_out<S: Socket>(
    stream: &mut S,
    session: &Session,
    output: &mut BytesMut,
) -> Result<(), Ending> {
    loop {
        tokio::select! {
            // Remade after each wake-up of the outbox: `write_all_buf` keeps its progress
            // in `output`, and a flush may be asked again.
            written = async {
                stream.write_all_buf(output).await?;
                stream.flush().await
            } => return written.map_err(|_| Ending::Failed),
            // A client that stopped reading blocks this write (and a flush of what a
            // WebSocket or TLS stream kept); its outbox overflowing or the server shutting
            // down must still end the session.
            _ = session.outbox().ready() => match session.outbox().closed() {
                Some(CloseReason::Overflow) => return Err(Ending::Overflow),
                Some(CloseReason::Shutdown) => return Err(Ending::Shutdown),
                Some(CloseReason::Removed) => return Err(Ending::Removed),
                None => {}
            },
        }
    }
}

enum Written {
    /// The outbox was empty.
    Nothing,
    All,
    /// The socket took only part; the rest is in `output`.
    Part,
}

/// Drains the outbox, renders it into the thread's scratch buffer and writes what the
/// socket takes without waiting. A shutdown ends the session once what was queued before
/// it is written or kept in `output` for the goodbye.
fn write_now<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    output: &mut Spill,
    counts: &ProtocolCounts,
) -> Result<Written, Ending> {
    WRITE_SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        let closed = drain_rendered(adapter, session, scratch, counts);
        if closed == Some(CloseReason::Overflow) {
            return Err(Ending::Overflow);
        }
        let mut written = Written::Nothing;
        while !scratch.is_empty() {
            match stream.write_now(scratch) {
                Ok(0) => return Err(Ending::Failed),
                Ok(n) => {
                    scratch.advance(n);
                    written = Written::All;
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    output.buf().extend_from_slice(scratch);
                    scratch.clear();
                    written = Written::Part;
                }
                Err(_) => return Err(Ending::Failed),
            }
        }
        match closed {
            Some(CloseReason::Shutdown) => Err(Ending::Shutdown),
            Some(CloseReason::Removed) => Err(Ending::Removed),
            _ => Ok(written),
        }
    })
}

/// Moves everything queued into `out`, in this protocol's bytes, and counts it: once per
/// drain, however many deliveries it took.
fn drain_rendered<A: Adapter>(
    adapter: &A,
    session: &Session,
    out: &mut BytesMut,
    counts: &ProtocolCounts,
) -> Option<CloseReason> {
    let (deliveries, closed) = session.outbox().take();
    if !deliveries.is_empty() {
        counts.deliveries.inc_by(deliveries.len() as u64);
    }
    let before = out.len();
    for delivery in deliveries {
        match delivery {
            Delivery::Bytes(bytes) => out.extend_from_slice(&bytes),
            Delivery::Event(event) => adapter.render(&event, out),
        }
    }
    if out.len() > before {
        counts.outbox_bytes.inc_by((out.len() - before) as u64);
    }
    closed
}

/// Writes what is still queued (not for an overflowing client: that queue was dropped) and
/// the protocol's last words, then closes the write side.
pub(super) async fn say_goodbye<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    end: Ending,
    output: &mut Spill,
    counts: &ProtocolCounts,
) {
    let output = output.buf();
    if end != Ending::Overflow {
        drain_rendered(adapter, session, output, counts);
    }
    if let Some(why) = end.farewell() {
        adapter.farewell(why, output);
    }
    let _ = timeout(FINAL_WRITE, async {
        stream.write_all_buf(output).await?;
        stream.shutdown().await
    })
    .await;
}
