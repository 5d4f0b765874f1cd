//! The seam where the hub hands an event to its recipients.
//!
//! The hub decides who receives an event; a [`Router`] gets it to them. [`LocalRouter`]
//! pushes into the outboxes of this process's sessions; a cluster router can later forward
//! to other nodes without touching any verb.

use std::sync::Arc;

use crate::event::Event;
use crate::session::Session;

pub trait Router: Send + Sync + 'static {
    /// Delivers `event` to every session in `recipients`. Must not block.
    fn deliver(&self, recipients: &[Arc<Session>], event: &Arc<Event>);
}

/// Delivery to sessions connected to this process.
#[derive(Debug, Default)]
pub struct LocalRouter;

impl Router for LocalRouter {
    fn deliver(&self, recipients: &[Arc<Session>], event: &Arc<Event>) {
        for session in recipients {
            // A full outbox closes itself; the session's writer sees that and disconnects
            // the slow client. The sender is never held up.
            let _ = session.outbox().push_event(event.clone());
        }
    }
}
