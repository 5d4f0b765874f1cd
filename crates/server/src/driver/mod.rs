//! The connection driver: one task per connection, generic over any [`Socket`] (so TLS and
//! WebSocket are just other streams). It reads and feeds the adapter, drains the session's
//! whole outbox into one buffer per write, and runs the adapter's timers (through the server's
//! [`Alarms`](crate::alarms::Alarms), which ring through the outbox).
//!
//! Limits enforced here, for every protocol alike: flood control (a token bucket per
//! connection; the excess waits unread in the input buffer, see [`Pace`]), the bound on
//! that waiting input (`Excess Flood`), and the registration timeout.
//!
//! Counting (`crate::metrics`): one atomic add per read batch (messages in), per write
//! batch (deliveries, bytes) and per connection's start and end; none per message.
//!
//! Memory: an idle connection owns no buffer. Reads and writes go through one scratch
//! buffer per worker thread; only a partial frame waiting for its end, or output the
//! client has not taken yet, is copied into the connection's own buffers, which are
//! released again once empty.
//!
//! Here the connection's life and its serve loop; flood control and the registration
//! deadline in `pace.rs`, the read path in `read.rs`, the write path (drain the outbox,
//! render, write what the socket takes, wait for it when behind, the goodbye) in
//! `write.rs`.

mod pace;
mod read;
mod write;

use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;

use bytes::BytesMut;
use confab_core::{Departure, Name, Session};
use tokio::time::Instant;

use crate::adapter::{Adapter, Context, Flow};
use crate::alarms::Armed;
use crate::ending::Ending;
use crate::limits::Ticket;
use crate::metrics::ProtocolCounts;
use crate::shared::Shared;
use crate::socket::Socket;
use pace::Pace;
use read::read_and_handle;
use write::{catch_up, flush_now, say_goodbye, Flushed};

/// What woke a waiting connection.
enum Woke {
    /// The outbox has news: deliveries, a close (overflow, shutdown), an alarm.
    Outbox,
    /// The socket may have input (`false`: it failed).
    Readable(bool),
}

/// Serves one client until it leaves, fails, overflows or the server shuts down (the hub
/// closes every outbox, see [`confab_core::Hub::close_all`]). `ticket` holds the
/// connection's place in the admission counts until then.
pub fn drive<S, A>(
    stream: S,
    adapter: A,
    shared: Arc<Shared>,
    ticket: Ticket,
) -> impl Future<Output = ()>
where
    S: Socket,
    A: Adapter,
{
    let mut connection = Connection {
        stream,
        adapter,
        shared,
        ticket,
        input: Spill::default(),
        output: Spill::default(),
    };
    // An `async move` block uses what it captured in place. An `async fn` taking these
    // as arguments would move each into a second slot of the task: several hundred bytes
    // more for every connection, idle or not.
    async move { connection.serve().await }
}

/// One connection's own state, all of it, as it sits in its task while idle.
struct Connection<S, A> {
    stream: S,
    adapter: A,
    shared: Arc<Shared>,
    /// The connection's place in the admission counts, and its address.
    ticket: Ticket,
    /// A partial frame waiting for the rest (or input waiting for flood control).
    input: Spill,
    /// Output the client has not taken yet.
    output: Spill,
}

impl<S: Socket, A: Adapter> Connection<S, A> {
    /// The connection's life: attach to the hub, then wait for news (the outbox, the
    /// socket, a timer) and handle it until the connection ends; then leave the hub and
    /// say goodbye.
    async fn serve(&mut self) {
        // Fields are named through `self` rather than bound to locals: each local
        // reference would take room in the task for as long as the connection lives.
        let session = self.attach();
        let cx = Context::new(&self.shared, &session, self.ticket.peer());
        let mut pace = Pace::new(&self.shared, *self.ticket.peer());
        let mut armed = Armed::default();

        // A TLS handshake may have brought the first lines along with it, already
        // decrypted and waiting in the TLS layer: the socket will not wake us for those,
        // so read once now.
        let mut flow = read_and_handle(
            &mut self.stream,
            &mut self.adapter,
            &mut self.input,
            &cx,
            &mut pace,
        );
        let end = loop {
            if let Some(end) = ended(flow, &mut self.adapter, &mut self.input, &cx, &pace) {
                break end;
            }
            let due = pace.wake(self.adapter.deadline(), &cx);
            if let Some(due) = due {
                armed.arm(&self.shared.alarms, due, &session);
            }
            flow = match news(&session, pace.eof, &mut self.stream).await {
                Woke::Outbox => {
                    let counts = self.shared.metrics.protocol(self.adapter.protocol());
                    let (stream, output) = (&mut self.stream, &mut self.output);
                    match flush_now(stream, &self.adapter, &session, output, counts) {
                        Ok(Flushed::All) => Ok(Flow::Continue),
                        // Boxed, and awaited here rather than inside a `flush` future:
                        // this state is live only while a client is behind, and inline it
                        // would take room in every idle connection's task.
                        Ok(Flushed::Behind) => {
                            Box::pin(catch_up(stream, &self.adapter, &session, output, counts))
                                .await
                        }
                        Err(end) => Err(end),
                    }
                }
                Woke::Readable(true) => read_and_handle(
                    &mut self.stream,
                    &mut self.adapter,
                    &mut self.input,
                    &cx,
                    &mut pace,
                ),
                Woke::Readable(false) => Err(Ending::Failed),
            };
            if flow == Ok(Flow::Continue) && due.is_some() {
                let now = Instant::now();
                armed.forget_if_rung(&self.shared.alarms, now);
                if due.is_some_and(|due| due <= now) {
                    flow = on_timer(&mut self.adapter, &mut self.input, &cx, &mut pace);
                }
            }
        };

        armed.disarm(&self.shared.alarms);
        let name = self.shared.hub.name_of(&session);
        self.leave_hub(&session, end);
        // Boxed: what the last moments keep (the reason, the name, the goodbye's write)
        // would otherwise take room in every idle connection's task.
        Box::pin(self.finish(&session, end, name)).await;
    }

    /// Joins the hub as a session of this protocol, counted and logged.
    fn attach(&mut self) -> Arc<Session> {
        let session = self.adapter.attach(&self.shared.hub, *self.ticket.peer());
        self.counts().open.inc();
        tracing::info!(peer = %self.ticket.peer(), protocol = self.adapter.protocol().name(), "connected");
        session
    }

    /// Leaves the hub, before the socket closes, so a client that sees the close can at
    /// once take the name that was freed.
    fn leave_hub(&self, session: &Session, end: Ending) {
        let hub = &self.shared.hub;
        match end {
            // At EOF the adapter may still have read a goodbye (`printf 'QUIT :bye' | nc`).
            Ending::Closed | Ending::Eof => hub.detach(session, self.adapter.departure()),
            // Everyone is told the server is going; a departure per user would be noise.
            Ending::Shutdown => hub.detach_quietly(session),
            Ending::Failed
            | Ending::Overflow
            | Ending::Removed
            | Ending::RegistrationTimeout
            | Ending::ExcessFlood => hub.detach(session, Departure::Lost),
        }
    }

    /// This connection's series (`crate::metrics`): looked up, not kept, as every field
    /// kept takes room in every idle connection's task.
    fn counts(&self) -> &ProtocolCounts {
        self.shared.metrics.protocol(self.adapter.protocol())
    }

    /// Says goodbye (unless the connection failed), counts and logs the end.
    async fn finish(&mut self, session: &Session, end: Ending, name: Option<Name>) {
        self.counts().open.dec();
        self.counts().disconnected(end).inc();
        if end != Ending::Failed {
            let counts = self.shared.metrics.protocol(self.adapter.protocol());
            let output = &mut self.output;
            say_goodbye(
                &mut self.stream,
                &self.adapter,
                session,
                end,
                output,
                counts,
            )
            .await;
        }
        tracing::info!(
            peer = %self.ticket.peer(),
            protocol = self.adapter.protocol().name(),
            name = name.as_ref().map(|n| n.as_str()).unwrap_or("-"),
            reason = end.describe(),
            "disconnected"
        );
    }
}

/// Whether the connection ends here: the last step's end or close, or the client's EOF
/// once the input held for flood control has been handled (the adapter hears of it).
fn ended<A: Adapter>(
    flow: Result<Flow, Ending>,
    adapter: &mut A,
    input: &mut Spill,
    cx: &Context<'_>,
    pace: &Pace,
) -> Option<Ending> {
    match flow {
        Err(end) => return Some(end),
        Ok(Flow::Close) => return Some(Ending::Closed),
        Ok(Flow::Continue) => {}
    }
    if pace.eof && !pace.held {
        adapter.on_eof(input.buf(), cx);
        return Some(Ending::Eof);
    }
    None
}

/// Waits for news: the outbox first, as a shutdown must win over a busy client (alarms
/// ring through it too), then the socket unless the client has closed its side.
///
/// One poll of both sources in a closure of references, rather than a `select!` of
/// futures that would each take room in every idle connection's task.
fn news<'a, S: Socket>(
    session: &'a Session,
    eof: bool,
    stream: &'a mut S,
) -> impl Future<Output = Woke> + 'a {
    poll_fn(move |task| {
        if session.outbox().poll_ready(task).is_ready() {
            return Poll::Ready(Woke::Outbox);
        }
        if !eof {
            if let Poll::Ready(ready) = stream.poll_read_ready(task) {
                return Poll::Ready(Woke::Readable(ready.is_ok()));
            }
        }
        Poll::Pending
    })
}

/// Whatever is due: the registration deadline, a token for held input, the adapter's
/// own timer.
fn on_timer<A: Adapter>(
    adapter: &mut A,
    input: &mut Spill,
    cx: &Context<'_>,
    pace: &mut Pace,
) -> Result<Flow, Ending> {
    let now = Instant::now();
    let counts = cx.shared.metrics.protocol(adapter.protocol());
    if pace.registration.is_some_and(|due| due <= now) {
        if cx.hub.name_of(cx.session).is_none() {
            tracing::info!(peer = %cx.peer, protocol = adapter.protocol().name(), "registration timed out");
            return Err(Ending::RegistrationTimeout);
        }
        pace.registration = None;
    }
    if pace.held {
        let flow = pace.metered(input.buf(), cx, counts, |input, cx| {
            adapter.on_input(input, cx)
        });
        input.release_if_empty();
        if flow == Flow::Close {
            return Ok(Flow::Close);
        }
    }
    if adapter.deadline().is_some_and(|due| due <= now) {
        let flow = pace.metered(input.buf(), cx, counts, |input, cx| {
            adapter.on_deadline(input, cx)
        });
        input.release_if_empty();
        return Ok(flow);
    }
    Ok(Flow::Continue)
}

/// Bytes a connection keeps between wake-ups (a partial frame, output the client has not
/// taken): one pointer and no allocation while there are none, which is nearly always.
#[derive(Default)]
struct Spill(Option<Box<BytesMut>>);

impl Spill {
    fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|kept| kept.is_empty())
    }

    /// The buffer, made on first use.
    fn buf(&mut self) -> &mut BytesMut {
        self.0.get_or_insert_with(Box::default)
    }

    /// Frees the buffer once it holds nothing.
    fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.0 = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::irc::{IrcAdapter, Settings};
    use crate::alarms::Alarms;
    use crate::config::Config;
    use crate::limits::Admission;
    use confab_core::{Hub, HubConfig};

    /// The task of a plain IRC connection, what every idle user costs besides the hub's
    /// entry and the socket's registration. tokio allocates it aligned to 128 bytes with
    /// 112 bytes of its own (header, scheduler, id, stage tag, trailer) around the
    /// `TaskTracker`'s 8-byte wrapper: up to 528 bytes of future fit 640. Arguments moved
    /// into an `async fn`, a `select!` of futures, a timer or a write future kept inline
    /// would each push it into the next class, 768.
    #[tokio::test]
    async fn an_irc_connection_task_stays_small() {
        let config = Config::default();
        let shared = Arc::new(Shared {
            hub: Arc::new(Hub::new(HubConfig::default())),
            limits: config.limits.clone(),
            irc: Arc::new(Settings::with_limits(&config.irc, &config.limits)),
            http: Default::default(),
            admission: Admission::new(&config.limits),
            alarms: Arc::new(Alarms::new()),
            history: None,
            accounts: Default::default(),
            metrics: Default::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let peer = stream.local_addr().unwrap();
        let Ok(ticket) = shared.admission.admit(peer, Instant::now()) else {
            panic!("admitted");
        };
        let adapter = IrcAdapter::new(shared.irc.clone(), peer);
        let task = drive(stream, adapter, shared.clone(), ticket);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 528, "an IRC connection's future is {size} bytes");
    }
}
