//! The seam between the hub and what happens to an event after the verb that made it.
//!
//! Every event leaves the hub in the order the hub made it. Without a [`Stage`] the hub
//! routes it at once: resolves its audience to this process's sessions and pushes it into
//! their outboxes. With one (the store, later the cluster), the hub hands the events to
//! the stage, which passes them on, in order, to [`crate::Hub::route`] when it is done
//! with them: the store after its commit, so nobody receives a message that a crash
//! could lose. Events from another node enter at [`crate::Hub::route`] too.

use std::sync::Arc;

use crate::event::Event;
use crate::session::Session;

/// A step between the hub and routing, implemented outside the core (SQL, Redis).
pub trait Stage: Send + Sync + 'static {
    /// Takes events in the order the hub made them. Called under the hub's lock, so it
    /// must not block and must not call back into the hub; it hands each event on to
    /// [`crate::Hub::route`] later, in the same order.
    fn submit(&self, events: Vec<Arc<Event>>);
}

/// Pushes each event into the outboxes of its resolved recipients. A full outbox closes
/// itself; that session's writer sees it and disconnects the slow client. The sender is
/// never held up.
pub fn deliver(routes: Vec<(Vec<Arc<Session>>, Arc<Event>)>) {
    for (recipients, event) in routes {
        for session in recipients {
            let _ = session.outbox().push_event(event.clone());
        }
    }
}
