//! The connection driver: one task per connection, generic over any [`Socket`] (so TLS and
//! WebSocket are just other streams). It reads and feeds the adapter, drains the session's
//! whole outbox into one buffer per write, and runs the adapter's timers.
//!
//! Limits enforced here, for every protocol alike: flood control (a token bucket per
//! connection; the excess waits unread in the input buffer, see [`Pace`]), the bound on
//! that waiting input (`Excess Flood`), and the registration timeout.
//!
//! Memory: an idle connection owns no buffer. Reads and writes go through one scratch
//! buffer per worker thread; only a partial frame waiting for its end, or output the
//! client has not taken yet, is copied into the connection's own buffers, which are
//! released again once empty.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use confab_core::{CloseReason, Delivery, Departure, Session};
use tokio::io::AsyncWriteExt;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

use crate::adapter::{Adapter, Context, Farewell, Flow};
use crate::limits::{Rate, TokenBucket};
use crate::shared::Shared;
use crate::socket::Socket;

/// How long the last words to a closing client may take before the socket is dropped.
const FINAL_WRITE: Duration = Duration::from_secs(1);
/// Room made in the scratch buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// Reads per wake-up at most, so one fast sender cannot hold a worker thread.
const READS_PER_WAKE: usize = 16;

thread_local! {
    /// Where every connection on this worker thread reads into and renders into. Used only
    /// between two awaits, so no connection ever sees another's bytes.
    static READ_SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
    static WRITE_SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
    static PENDING: RefCell<Vec<Delivery>> = const { RefCell::new(Vec::new()) };
}

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
    /// A limit of the connection's own: registration timeout, excess flood.
    Limit(Farewell),
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
            End::Limit(why) => why.text(),
        }
    }
}

/// Flood control and the registration timeout of one connection: a few bytes, and no
/// timer of its own (the driver's one sleep wakes for the earliest of what is due).
struct Pace {
    /// `None` for an exempt (loopback) address.
    bucket: Option<TokenBucket>,
    /// Input is waiting for a token: the adapter is not called until one is due.
    held: bool,
    /// The client closed its side while input was held: end once that is handled.
    eof: bool,
    /// When an unnamed connection is closed; `None` once it has a name.
    registration: Option<Instant>,
}

impl Pace {
    fn new(shared: &Shared, peer: SocketAddr) -> Pace {
        let limits = &shared.limits;
        let now = Instant::now();
        Pace {
            bucket: (!shared.admission.exempt(peer.ip())).then(|| TokenBucket::new(now)),
            held: false,
            eof: false,
            registration: Some(now + Duration::from_secs(limits.registration_timeout_secs)),
        }
    }

    /// Calls the adapter with a budget of what the bucket holds now, and charges what it
    /// decoded. No token, no call: the input waits.
    fn metered(
        &mut self,
        input: &mut BytesMut,
        cx: &Context<'_>,
        call: impl FnOnce(&mut BytesMut, &Context<'_>) -> Flow,
    ) -> Flow {
        let now = Instant::now();
        let rate = flood_rate(cx);
        let granted = self
            .bucket
            .map_or(u32::MAX, |bucket| bucket.available(rate, now));
        if granted == 0 {
            self.held = !input.is_empty();
            return Flow::Continue;
        }
        cx.set_budget(granted);
        let flow = call(input, cx);
        let left = cx.budget();
        if let Some(bucket) = &mut self.bucket {
            bucket.spend(rate, now, granted - left);
        }
        self.held = left == 0 && !input.is_empty();
        flow
    }

    /// The next instant the driver must wake for: a token for held input, the
    /// registration deadline, the adapter's own.
    fn wake(&self, adapter: Option<Instant>, cx: &Context<'_>) -> Option<Instant> {
        let token = match (self.held, &self.bucket) {
            (true, Some(bucket)) => Some(bucket.next_token(flood_rate(cx))),
            _ => None,
        };
        [adapter, self.registration, token]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The flood bucket's shape, from the limits (not kept per connection).
fn flood_rate(cx: &Context<'_>) -> Rate {
    Rate::new(cx.limits.flood_burst, cx.limits.flood_per_sec)
}

/// Serves one client until it leaves, fails, overflows or the server shuts down.
pub async fn drive<S, A>(
    mut stream: S,
    mut adapter: A,
    shared: Arc<Shared>,
    peer: SocketAddr,
    shutdown: CancellationToken,
) where
    S: Socket,
    A: Adapter,
{
    let protocol = adapter.protocol();
    let session = adapter.attach(&shared.hub, peer);
    tracing::info!(%peer, protocol = protocol.name(), "connected");
    let cx = Context::new(&shared.hub, &session, peer, &shared.limits);
    let mut pace = Pace::new(&shared, peer);
    // A partial frame waiting for the rest (or input waiting for flood control), and
    // output the client has not taken yet.
    let mut input = BytesMut::new();
    let mut output = BytesMut::new();

    // A TLS handshake may have brought the first lines along with it, already decrypted
    // and waiting in the TLS layer: the socket will not wake us for those, so read once now.
    let mut flow = read_and_handle(&mut stream, &mut adapter, &mut input, &cx, &mut pace);
    let end = loop {
        match flow {
            Err(end) => break end,
            Ok(Flow::Close) => break End::Closed,
            Ok(Flow::Continue) => {}
        }
        if pace.eof && !pace.held {
            adapter.on_eof(&mut input, &cx);
            break End::Eof;
        }
        let wake = pace.wake(adapter.deadline(), &cx);
        flow = tokio::select! {
            biased;
            _ = shutdown.cancelled() => Err(End::Shutdown),
            _ = session.outbox().ready() => {
                flush(&mut stream, &adapter, &session, &mut output, &shutdown)
                    .await
                    .map(|()| Flow::Continue)
            }
            _ = sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => {
                on_timer(&mut adapter, &mut input, &cx, &mut pace)
            }
            ready = stream.ready_to_read(), if !pace.eof => match ready {
                Ok(()) => read_and_handle(&mut stream, &mut adapter, &mut input, &cx, &mut pace),
                Err(_) => Err(End::Failed),
            }
        };
    };

    let name = shared.hub.name_of(&session);
    // Leave the hub before the socket closes, so a client that sees the close can at once
    // take the name that was freed.
    match end {
        // At EOF the adapter may still have read a goodbye (`printf 'QUIT :bye' | nc`).
        End::Closed | End::Eof => shared.hub.detach(&session, adapter.departure()),
        // Everyone is told the server is going; a departure per user would be noise.
        End::Shutdown => shared.hub.detach_quietly(&session),
        End::Failed | End::Overflow | End::Limit(_) => shared.hub.detach(&session, Departure::Lost),
    }
    if end != End::Failed {
        Box::pin(say_goodbye(
            &mut stream,
            &adapter,
            &session,
            end,
            &mut output,
        ))
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

/// Whatever is due: the registration deadline, a token for held input, the adapter's
/// own timer.
fn on_timer<A: Adapter>(
    adapter: &mut A,
    input: &mut BytesMut,
    cx: &Context<'_>,
    pace: &mut Pace,
) -> Result<Flow, End> {
    let now = Instant::now();
    if pace.registration.is_some_and(|due| due <= now) {
        if cx.hub.name_of(cx.session).is_none() {
            tracing::info!(peer = %cx.peer, protocol = adapter.protocol().name(), "registration timed out");
            return Err(End::Limit(Farewell::RegistrationTimeout));
        }
        pace.registration = None;
    }
    if pace.held {
        let flow = pace.metered(input, cx, |input, cx| adapter.on_input(input, cx));
        if input.is_empty() {
            // Release the buffer the waiting input held.
            *input = BytesMut::new();
        }
        if flow == Flow::Close {
            return Ok(Flow::Close);
        }
    }
    if adapter.deadline().is_some_and(|due| due <= now) {
        return Ok(pace.metered(input, cx, |input, cx| adapter.on_deadline(input, cx)));
    }
    Ok(Flow::Continue)
}

/// Reads what has arrived into the thread's scratch buffer, after any partial frame kept
/// from before, and hands it all to the adapter as far as flood control allows; keeps
/// the rest. A client whose held input passes `flood_queue_bytes` is disconnected.
fn read_and_handle<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &mut A,
    input: &mut BytesMut,
    cx: &Context<'_>,
    pace: &mut Pace,
) -> Result<Flow, End> {
    READ_SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        scratch.extend_from_slice(input);
        let before = scratch.len();
        let mut eof = false;
        for _ in 0..READS_PER_WAKE {
            scratch.reserve(READ_CHUNK);
            let room = scratch.capacity() - scratch.len();
            match stream.read_now(scratch) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                // A read that did not fill the room found everything there was.
                Ok(n) if n < room => break,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(End::Failed),
            }
        }
        let flow = if scratch.len() > before || pace.held {
            pace.metered(scratch, cx, |input, cx| adapter.on_input(input, cx))
        } else {
            Flow::Continue
        };
        if flow == Flow::Continue && pace.held && scratch.len() > cx.limits.flood_queue_bytes {
            tracing::info!(
                peer = %cx.peer,
                protocol = adapter.protocol().name(),
                waiting = scratch.len(),
                "excess flood"
            );
            scratch.clear();
            return Err(End::Limit(Farewell::ExcessFlood));
        }
        if eof && flow == Flow::Continue {
            if pace.held {
                // Handle what waits first, at the usual pace; then the end.
                pace.eof = true;
                keep_rest(scratch, input);
                return Ok(Flow::Continue);
            }
            adapter.on_eof(scratch, cx);
        }
        keep_rest(scratch, input);
        match (flow, eof) {
            (Flow::Close, _) => Ok(Flow::Close),
            (_, true) => Err(End::Eof),
            _ => Ok(Flow::Continue),
        }
    })
}

/// Keeps the unread rest of the scratch buffer in the connection's own buffer, or frees
/// that buffer when nothing is left.
fn keep_rest(scratch: &mut BytesMut, input: &mut BytesMut) {
    if scratch.is_empty() {
        *input = BytesMut::new();
    } else {
        input.clear();
        input.extend_from_slice(scratch);
        scratch.clear();
    }
}

/// Writes everything queued, draining again after each write until the outbox is empty, so
/// a burst costs one write per drain rather than one per message. What the socket takes at
/// once is written from the thread's scratch buffer; only the rest waits in `output`.
async fn flush<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    output: &mut BytesMut,
    shutdown: &CancellationToken,
) -> Result<(), End> {
    loop {
        if output.is_empty() {
            match write_now(stream, adapter, session, output)? {
                Written::Nothing => return Ok(()),
                Written::All => continue,
                Written::Part => {}
            }
        }
        // Boxed: this state is live only while a client is behind, and keeping it out of
        // the connection's task keeps every idle connection small.
        Box::pin(write_out(stream, session, output, shutdown)).await?;
        *output = BytesMut::new();
    }
}

/// Writes `output` to a socket that would not take it at once, then flushes.
async fn write_out<S: Socket>(
    stream: &mut S,
    session: &Session,
    output: &mut BytesMut,
    shutdown: &CancellationToken,
) -> Result<(), End> {
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
    stream.flush().await.map_err(|_| End::Failed)
}

enum Written {
    /// The outbox was empty.
    Nothing,
    All,
    /// The socket took only part; the rest is in `output`.
    Part,
}

/// Drains the outbox, renders it into the thread's scratch buffer and writes what the
/// socket takes without waiting.
fn write_now<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    output: &mut BytesMut,
) -> Result<Written, End> {
    WRITE_SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        if drain_rendered(adapter, session, scratch) == Some(CloseReason::Overflow) {
            return Err(End::Overflow);
        }
        if scratch.is_empty() {
            return Ok(Written::Nothing);
        }
        while !scratch.is_empty() {
            match stream.write_now(scratch) {
                Ok(0) => return Err(End::Failed),
                Ok(n) => scratch.advance(n),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    output.extend_from_slice(scratch);
                    scratch.clear();
                    return Ok(Written::Part);
                }
                Err(_) => return Err(End::Failed),
            }
        }
        Ok(Written::All)
    })
}

/// Moves everything queued into `out`, in this protocol's bytes.
fn drain_rendered<A: Adapter>(
    adapter: &A,
    session: &Session,
    out: &mut BytesMut,
) -> Option<CloseReason> {
    PENDING.with_borrow_mut(|pending| {
        let closed = session.outbox().drain(pending);
        for delivery in pending.drain(..) {
            match delivery {
                Delivery::Bytes(bytes) => out.extend_from_slice(&bytes),
                Delivery::Event(event) => adapter.render(&event, out),
            }
        }
        closed
    })
}

/// Writes what is still queued (not for an overflowing client: that queue was dropped) and
/// the protocol's last words, then closes the write side.
async fn say_goodbye<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &A,
    session: &Session,
    end: End,
    output: &mut BytesMut,
) {
    if end != End::Overflow {
        drain_rendered(adapter, session, output);
    }
    match end {
        End::Shutdown => adapter.farewell(Farewell::Shutdown, output),
        End::Overflow => adapter.farewell(Farewell::Overflow, output),
        End::Limit(why) => adapter.farewell(why, output),
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
