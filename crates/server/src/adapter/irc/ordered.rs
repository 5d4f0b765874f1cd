//! Replies that keep the order of the commands they answer even when one of them is
//! computed off the async threads (a `CHATHISTORY` answer is read from SQLite on a
//! blocking thread): while such a reply is pending, later replies wait behind it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use confab_core::Session;

/// One connection's replies waiting behind a pending one. Made at the first reply that
/// may be pending, so a connection that never asks for one holds nothing of it.
#[derive(Default)]
pub struct Ordered {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The id the next reserved place gets.
    next: u64,
    /// From the oldest pending place on: places still waiting and replies behind them.
    queue: VecDeque<Slot>,
}

enum Slot {
    Waiting(u64),
    Ready(Bytes),
}

/// A reserved place in the reply order. Dropping it unfilled (a query that panicked)
/// frees the place, so the replies behind it are not held for ever.
pub struct Place {
    ordered: Arc<Ordered>,
    session: Arc<Session>,
    id: u64,
    filled: bool,
}

impl Ordered {
    /// Sends `bytes` now, or queues them behind the pending replies if there are any.
    pub fn reply(&self, session: &Session, bytes: Bytes) {
        let mut state = self.lock();
        if state.queue.is_empty() {
            session.outbox().push_reply(bytes);
        } else {
            state.queue.push_back(Slot::Ready(bytes));
        }
    }

    /// Reserves the place of a reply that will come later, after everything sent so far.
    pub fn reserve(self: &Arc<Self>, session: &Arc<Session>) -> Place {
        let mut state = self.lock();
        let id = state.next;
        state.next += 1;
        state.queue.push_back(Slot::Waiting(id));
        Place {
            ordered: self.clone(),
            session: session.clone(),
            id,
            filled: false,
        }
    }

    /// Puts `bytes` in place `id`, then sends every reply no longer waiting. The outbox's
    /// lock is taken under this one, never the reverse.
    fn fill(&self, session: &Session, id: u64, bytes: Bytes) {
        let mut state = self.lock();
        if let Some(slot) = state
            .queue
            .iter_mut()
            .find(|slot| matches!(slot, Slot::Waiting(w) if *w == id))
        {
            *slot = Slot::Ready(bytes);
        }
        while let Some(Slot::Ready(_)) = state.queue.front() {
            if let Some(Slot::Ready(bytes)) = state.queue.pop_front() {
                if !bytes.is_empty() {
                    session.outbox().push_reply(bytes);
                }
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is only ever a queue of whole entries: keep using it if poisoned.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Place {
    /// Sends the reply in its place (and whatever waited behind it).
    pub fn fill(mut self, bytes: Bytes) {
        self.filled = true;
        self.ordered.fill(&self.session, self.id, bytes);
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if !self.filled {
            self.ordered.fill(&self.session, self.id, Bytes::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{Delivery, Hub, HubConfig};

    fn drained(session: &Session) -> Vec<u8> {
        let mut deliveries = Vec::new();
        session.outbox().drain(&mut deliveries);
        let mut out = Vec::new();
        for delivery in deliveries {
            if let Delivery::Bytes(bytes) = delivery {
                out.extend_from_slice(&bytes);
            }
        }
        out
    }

    #[test]
    fn replies_wait_behind_a_pending_one_and_keep_their_order() {
        let hub = Hub::new(HubConfig::default());
        let session = hub.attach("irc");
        let ordered = Arc::new(Ordered::default());
        ordered.reply(&session, Bytes::from_static(b"a "));
        let first = ordered.reserve(&session);
        ordered.reply(&session, Bytes::from_static(b"c "));
        let second = ordered.reserve(&session);
        ordered.reply(&session, Bytes::from_static(b"e"));
        assert_eq!(drained(&session), b"a ");
        second.fill(Bytes::from_static(b"d "));
        assert_eq!(drained(&session), b"");
        first.fill(Bytes::from_static(b"b "));
        assert_eq!(drained(&session), b"b c d e");
        drop(ordered.reserve(&session));
        ordered.reply(&session, Bytes::from_static(b"f"));
        assert_eq!(
            drained(&session),
            b"f",
            "a dropped place holds nothing back"
        );
    }
}
