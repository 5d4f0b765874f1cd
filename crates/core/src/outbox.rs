//! A session's bounded outbox: what waits to be written to one client.
//!
//! Bounded in bytes. A sender never blocks or slows: when an event would push the outbox
//! past its limit, the outbox closes with [`CloseReason::Overflow`] and the session's writer
//! ends the session. Replies to the client's own requests are never refused (a long
//! `GET_NAMES` must not disconnect the one who asked) and do not count towards the limit,
//! so a long reply followed by one ordinary event cannot trip it either.
//!
//! Memory: an outbox has exactly one reader, the session's writer, so its wake-up is one
//! waker slot and a flag, not a wait list; and the queue's memory is given back at every
//! drain, so an idle connection's outbox holds no allocation at all.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use bytes::Bytes;

use crate::event::Event;

/// The default outbox limit: 256 KiB.
pub const DEFAULT_OUTBOX_BYTES: usize = 256 * 1024;
/// How many times the limit unread replies may take before the client is cut off.
pub const REPLY_ALLOWANCE: usize = 8;

/// One thing to write to the client.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// Something that happened, rendered by the writer in its protocol.
    Event(Arc<Event>),
    /// A reply the protocol adapter already rendered.
    Bytes(Bytes),
}

/// Why an outbox stopped taking deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client did not read fast enough and its outbox filled up.
    Overflow,
    /// The server is shutting down.
    Shutdown,
    /// Someone put the user out of the one room its protocol lives in (a `broadcast`
    /// user kicked from `lobby`): there is nowhere left for it to be.
    Removed,
}

/// An event was refused because the outbox is full or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("outbox full: the client is not reading")]
pub struct Overflow;

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Delivery>,
    /// Bytes of queued events: what the limit bounds.
    bytes: usize,
    /// Bytes of queued replies, which the limit leaves alone.
    reply_bytes: usize,
    closed: Option<CloseReason>,
    /// Held places filled or given up so far (wrapping): see [`Outbox::hold`].
    holds_done: u32,
    /// Replies made while events for this client were still on their way (held), each
    /// with the number of holds taken when it was made: it follows exactly those events,
    /// so a reply never overtakes something that happened first, and never waits for
    /// events held after it. Boxed: 8 bytes in every connection's outbox rather than a
    /// `VecDeque`'s 32, for what only a client with events on their way needs.
    #[allow(clippy::box_collection)]
    parked: Option<Box<VecDeque<(u32, Bytes)>>>,
    /// How many deliveries the last drain took (at most [`BATCH_HINT_MAX`]): the queue
    /// the next burst starts is made that big at once rather than grown by doubling.
    last_batch: u16,
}

/// The most places a new queue is made with: past it a queue grows as it needs.
const BATCH_HINT_MAX: u16 = 64;

/// The queue between the hub and one client's writer.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    /// Set when there is news for the writer (a delivery, a close, a [`Outbox::wake`]);
    /// cleared when the writer sees it.
    news: AtomicBool,
    /// The writer's waker, while it waits.
    writer: AtomicWaker,
    /// How many events were ever resolved to this client ahead of their delivery (they
    /// wait for the store's commit), wrapping: see [`Outbox::hold`].
    holds_taken: AtomicU32,
    /// Bytes; a `u32` (4 GiB is far past any sane limit) keeps the session handle, one per
    /// connection, in a smaller allocation.
    limit: u32,
}

impl Outbox {
    pub fn new(limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            news: AtomicBool::new(false),
            writer: AtomicWaker::new(),
            holds_taken: AtomicU32::new(0),
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit as usize
    }

    /// Reserves the place of an event that will be pushed later with
    /// [`Outbox::push_held_event`] (or given up with [`Outbox::release_hold`]): replies
    /// made meanwhile wait behind it. Called under the hub's lock, so it is one atomic add;
    /// holds are filled in the order they were taken (the hub's order).
    pub fn hold(&self) {
        self.holds_taken.fetch_add(1, Ordering::AcqRel);
    }

    /// Pushes an event whose place was held; the replies parked behind it (and behind
    /// nothing later) follow it.
    pub fn push_held_event(&self, event: Arc<Event>) -> Result<(), Overflow> {
        self.push(Some(event), true)
    }

    /// Gives up a held place without an event (it was never delivered).
    pub fn release_hold(&self) {
        let _ = self.push(None, true);
    }

    /// Queues an event, or closes the outbox if it would pass its limit.
    pub fn push_event(&self, event: Arc<Event>) -> Result<(), Overflow> {
        self.push(Some(event), false)
    }

    fn push(&self, event: Option<Arc<Event>>, held: bool) -> Result<(), Overflow> {
        let result = {
            let mut state = self.lock();
            let result = match event {
                Some(event) => self.enqueue(&mut state, event),
                None => Ok(()),
            };
            if held {
                state.holds_done = state.holds_done.wrapping_add(1);
                release_parked(&mut state);
            }
            result
        };
        self.wake();
        result
    }

    /// Queues an event under the lock, or closes the outbox if it would pass its limit.
    fn enqueue(&self, state: &mut State, event: Arc<Event>) -> Result<(), Overflow> {
        if state.closed.is_some() {
            return Err(Overflow);
        }
        let cost = event.cost();
        if state.bytes + cost > self.limit() {
            state.closed = Some(CloseReason::Overflow);
            state.queue.clear();
            state.parked = None;
            state.bytes = 0;
            return Err(Overflow);
        }
        state.bytes += cost;
        if state.queue.capacity() == 0 {
            state.queue.reserve(usize::from(state.last_batch));
        }
        state.queue.push_back(Delivery::Event(event));
        Ok(())
    }

    /// Queues a reply to the client's own request. Replies do not count towards the limit;
    /// only a client that lets [`REPLY_ALLOWANCE`] times the limit of them pile up unread
    /// is cut off.
    pub fn push_reply(&self, bytes: Bytes) {
        // A hold taken after this load is for an event made after the reply: not waited for.
        let ticket = self.holds_taken.load(Ordering::Acquire);
        {
            let mut state = self.lock();
            if state.closed.is_some() {
                return;
            }
            state.reply_bytes += bytes.len();
            if state.parked.is_some() || !reached(state.holds_done, ticket) {
                state
                    .parked
                    .get_or_insert_with(Box::default)
                    .push_back((ticket, bytes));
            } else {
                state.queue.push_back(Delivery::Bytes(bytes));
            }
            // A client that keeps asking and never reads still has a bound: replies may
            // take several times the limit before it is cut off like any slow consumer.
            if state.reply_bytes > self.limit().saturating_mul(REPLY_ALLOWANCE) {
                state.closed = Some(CloseReason::Overflow);
                state.queue.clear();
                state.parked = None;
                state.bytes = 0;
                state.reply_bytes = 0;
            }
        }
        self.wake();
    }

    /// Stops taking deliveries; what is queued stays for the writer to drain, parked
    /// replies included (nothing more is coming for them to wait for).
    pub fn close(&self, reason: CloseReason) {
        let mut state = self.lock();
        if state.closed.is_none() {
            state.closed = Some(reason);
        }
        unpark(&mut state);
        drop(state);
        self.wake();
    }

    /// Moves everything queued into `into` (in order) and tells whether the outbox closed.
    pub fn drain(&self, into: &mut Vec<Delivery>) -> Option<CloseReason> {
        let (queue, closed) = self.take();
        into.extend(queue);
        closed
    }

    /// Takes the whole queue (in order) and tells whether the outbox closed: the writer's
    /// drain, which leaves the lock at once and copies nothing under it. The queue's memory
    /// goes with it, so an idle connection keeps nothing; the next delivery's allocation
    /// costs far less than the write that follows it.
    pub fn take(&self) -> (VecDeque<Delivery>, Option<CloseReason>) {
        let mut state = self.lock();
        state.bytes = 0;
        state.reply_bytes = 0;
        let queue = std::mem::take(&mut state.queue);
        state.last_batch =
            u16::try_from(queue.len()).map_or(BATCH_HINT_MAX, |n| n.min(BATCH_HINT_MAX));
        (queue, state.closed)
    }

    pub fn closed(&self) -> Option<CloseReason> {
        self.lock().closed
    }

    /// Bytes waiting to be written.
    pub fn queued_bytes(&self) -> usize {
        let state = self.lock();
        state.bytes + state.reply_bytes
    }

    /// Tells the writer to look: called for every delivery and close, and by whoever
    /// keeps the writer's timers.
    pub fn wake(&self) {
        // Already news: whoever set it woke the writer, which has not looked since, so a
        // burst into one outbox wakes its writer once rather than once per delivery.
        if !self.news.swap(true, Ordering::AcqRel) {
            self.writer.wake();
        }
    }

    /// Ready when something was queued, the outbox closed or [`Outbox::wake`] was called
    /// since the writer last saw ready; otherwise the writer's task is woken then. Meant
    /// for the one writer: another task polling it would take the wake-up away.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.news.swap(false, Ordering::Acquire) {
            return Poll::Ready(());
        }
        self.writer.register(cx.waker());
        // News between the first look and the registration would otherwise be missed.
        if self.news.swap(false, Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// [`Outbox::poll_ready`] as a future.
    pub async fn ready(&self) {
        poll_fn(|cx| self.poll_ready(cx)).await
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding this lock cannot leave the queue inconsistent
        // (every mutation is a single push or drain), so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Moves the parked replies to the end of the queue.
fn unpark(state: &mut State) {
    if let Some(parked) = state.parked.take() {
        state
            .queue
            .extend(parked.into_iter().map(|(_, bytes)| Delivery::Bytes(bytes)));
    }
}

/// Moves the parked replies whose events have all been delivered to the queue, in order.
fn release_parked(state: &mut State) {
    let Some(parked) = state.parked.as_mut() else {
        return;
    };
    while let Some((ticket, _)) = parked.front() {
        if !reached(state.holds_done, *ticket) {
            return;
        }
        if let Some((_, bytes)) = parked.pop_front() {
            state.queue.push_back(Delivery::Bytes(bytes));
        }
    }
    state.parked = None;
}

/// Whether `done` holds (a wrapping count) have reached `ticket`, also across the wrap.
fn reached(done: u32, ticket: u32) -> bool {
    // Fewer than 2^31 holds are ever outstanding at once.
    (done.wrapping_sub(ticket) as i32) >= 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Peer};
    use crate::name::Name;
    use crate::text::Text;

    fn said(text: &str) -> Arc<Event> {
        let name = Name::parse("a", 20).unwrap();
        let kind = EventKind::Said {
            room: name.clone(),
            from: Peer::classroom(name, "rooms"),
            text: Text::new(text),
            tone: crate::event::Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        };
        Event::new(crate::MsgId::default(), None, kind)
    }

    /// A waker that counts its wake-ups.
    struct Counter(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_burst_wakes_the_writer_once_and_the_next_burst_once_more() {
        let outbox = Outbox::new(DEFAULT_OUTBOX_BYTES);
        let counter = Arc::new(Counter(0.into()));
        let waker = std::task::Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(outbox.poll_ready(&mut cx), Poll::Pending);
        for text in ["a", "b", "c"] {
            outbox.push_event(said(text)).unwrap();
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(outbox.poll_ready(&mut cx), Poll::Ready(()));
        assert_eq!(outbox.take().0.len(), 3);
        assert_eq!(outbox.poll_ready(&mut cx), Poll::Pending);
        outbox.push_event(said("d")).unwrap();
        outbox.push_event(said("e")).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
        assert_eq!(outbox.poll_ready(&mut cx), Poll::Ready(()));
    }

    #[test]
    fn a_new_queue_is_made_as_big_as_the_last_drain_and_an_idle_one_holds_nothing() {
        let outbox = Outbox::new(DEFAULT_OUTBOX_BYTES);
        for _ in 0..10 {
            outbox.push_event(said("x")).unwrap();
        }
        assert_eq!(outbox.take().0.len(), 10);
        assert_eq!(outbox.lock().queue.capacity(), 0);
        outbox.push_event(said("y")).unwrap();
        let (queue, closed) = outbox.take();
        assert!(queue.capacity() >= 10, "capacity {}", queue.capacity());
        assert_eq!((queue.len(), closed), (1, None));
    }

    #[test]
    fn overflow_closes_and_drops_the_queue() {
        let outbox = Outbox::new(400);
        outbox.push_event(said("x")).unwrap();
        assert_eq!(outbox.push_event(said(&"y".repeat(400))), Err(Overflow));
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), Some(CloseReason::Overflow));
        assert!(out.is_empty());
        assert_eq!(outbox.push_event(said("z")), Err(Overflow));
    }

    #[test]
    fn replies_that_pile_up_unread_far_past_the_limit_close_the_outbox() {
        let outbox = Outbox::new(100);
        outbox.push_reply(Bytes::from(vec![b'r'; 800]));
        assert_eq!(outbox.closed(), None);
        outbox.push_reply(Bytes::from(vec![b'r'; 1]));
        assert_eq!(outbox.closed(), Some(CloseReason::Overflow));
    }

    #[test]
    fn replies_are_never_refused_for_size() {
        let outbox = Outbox::new(10);
        outbox.push_reply(Bytes::from(vec![b'r'; 80]));
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), None);
        assert!(matches!(&out[..], [Delivery::Bytes(b)] if b.len() == 80));
    }

    #[test]
    fn a_long_reply_then_an_event_does_not_trip_the_limit() {
        let outbox = Outbox::new(400);
        outbox.push_reply(Bytes::from(vec![b'r'; 3_000]));
        outbox.push_event(said("after the reply")).unwrap();
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), None);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn drain_keeps_order_and_resets_the_count() {
        let outbox = Outbox::new(10_000);
        outbox.push_reply(Bytes::from_static(b"1"));
        outbox.push_event(said("2")).unwrap();
        outbox.push_reply(Bytes::from_static(b"3"));
        let mut out = Vec::new();
        outbox.drain(&mut out);
        assert_eq!(out.len(), 3);
        assert!(matches!(&out[0], Delivery::Bytes(b) if &b[..] == b"1"));
        assert!(matches!(&out[1], Delivery::Event(_)));
        assert_eq!(outbox.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn ready_wakes_after_a_push() {
        let outbox = Arc::new(Outbox::new(1000));
        let waiter = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.ready().await })
        };
        outbox.push_reply(Bytes::from_static(b"x"));
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
    }

    #[test]
    fn a_reply_waits_behind_events_held_for_the_client_and_follows_the_last() {
        let outbox = Outbox::new(10_000);
        outbox.hold();
        outbox.hold();
        outbox.push_reply(Bytes::from_static(b"reply"));
        let mut out = Vec::new();
        outbox.drain(&mut out);
        assert!(out.is_empty(), "the reply waits for the held events");
        outbox.release_hold();
        outbox.push_held_event(said("one")).unwrap();
        outbox.drain(&mut out);
        assert_eq!(shown(&out), ["event", "reply"], "after the last held event");
        // With nothing held, replies go straight in.
        outbox.push_reply(Bytes::from_static(b"now"));
        out.clear();
        outbox.drain(&mut out);
        assert_eq!(out.len(), 1);
    }

    fn shown(out: &[Delivery]) -> Vec<String> {
        out.iter()
            .map(|d| match d {
                Delivery::Event(_) => "event".to_string(),
                Delivery::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            })
            .collect()
    }

    #[test]
    fn a_reply_waits_only_for_events_held_before_it_not_for_traffic_after() {
        let outbox = Outbox::new(10_000);
        outbox.hold();
        outbox.push_reply(Bytes::from_static(b"first"));
        outbox.hold();
        outbox.push_reply(Bytes::from_static(b"second"));
        outbox.hold();
        // Events keep coming: each reply is let out after its own events.
        outbox.push_held_event(said("a")).unwrap();
        let mut out = Vec::new();
        outbox.drain(&mut out);
        assert_eq!(shown(&out), ["event", "first"]);
        outbox.hold();
        outbox.push_held_event(said("b")).unwrap();
        out.clear();
        outbox.drain(&mut out);
        assert_eq!(shown(&out), ["event", "second"]);
        outbox.push_held_event(said("c")).unwrap();
        outbox.push_held_event(said("d")).unwrap();
        out.clear();
        outbox.drain(&mut out);
        assert_eq!(shown(&out), ["event", "event"]);
    }

    #[test]
    fn tickets_compare_across_the_wrap() {
        assert!(reached(5, 5) && reached(6, 5) && !reached(4, 5));
        assert!(reached(2, u32::MAX) && !reached(u32::MAX, 2));
    }

    #[test]
    fn closing_lets_parked_replies_out() {
        let outbox = Outbox::new(10_000);
        outbox.hold();
        outbox.push_reply(Bytes::from_static(b"bye"));
        outbox.close(CloseReason::Shutdown);
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), Some(CloseReason::Shutdown));
        assert_eq!(out.len(), 1);
    }
}
