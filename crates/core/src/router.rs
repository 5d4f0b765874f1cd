//! The seam between the hub and what happens to an event after the verb that made it.
//!
//! Every event leaves the hub in the order the hub made it, with the sessions of this
//! process it reaches, resolved under the hub's lock by the verb that made it (so who
//! hears of something is decided at the moment it happens, however late it is pushed).
//! Without a [`Stage`] the hub pushes them into those outboxes at once, after releasing
//! its lock. With one (the cluster, the store), the hub hands them to the stage,
//! which delivers them, in order, when it is done with them: the store after its commit,
//! so nobody receives a message that a crash could lose. Events from another node are
//! applied and resolved by [`crate::Hub::apply_remote`].

use std::sync::Arc;

use crate::event::Event;
use crate::outbox::CloseReason;
use crate::session::Session;

/// An event and the local sessions it reaches (none, for an event only history keeps).
pub struct Routed {
    pub event: Arc<Event>,
    recipients: Vec<Arc<Session>>,
    /// Each recipient's outbox holds this event's place ([`crate::Outbox::hold`]), so
    /// their replies made before it is delivered wait behind it.
    held: bool,
    /// A session this event puts out for good (a `broadcast` user kicked from its one
    /// room): its outbox closes right after the event is in it, so the user reads why.
    close_after: Option<Arc<Session>>,
}

impl Routed {
    /// An event delivered at once.
    pub fn new(event: Arc<Event>, recipients: Vec<Arc<Session>>) -> Routed {
        Routed {
            event,
            recipients,
            held: false,
            close_after: None,
        }
    }

    /// An event delivered later (past a stage): its place in each recipient's outbox is
    /// held now, in the hub's order.
    pub fn held(event: Arc<Event>, recipients: Vec<Arc<Session>>) -> Routed {
        for session in &recipients {
            session.outbox().hold();
        }
        Routed {
            event,
            recipients,
            held: true,
            close_after: None,
        }
    }

    pub fn recipients(&self) -> &[Arc<Session>] {
        &self.recipients
    }

    /// Pushes the event into each recipient's outbox. A full outbox closes itself; that
    /// session's writer sees it and disconnects the slow client. The sender is never held
    /// up.
    pub fn deliver(mut self) {
        for session in std::mem::take(&mut self.recipients) {
            let outbox = session.outbox();
            let _ = if self.held {
                outbox.push_held_event(self.event.clone())
            } else {
                outbox.push_event(self.event.clone())
            };
        }
        self.close_removed();
    }

    /// Closes `session`'s outbox with [`CloseReason::Removed`] once this event is in it.
    pub(crate) fn close_after(&mut self, session: Arc<Session>) {
        self.close_after = Some(session);
    }

    fn close_removed(&mut self) {
        if let Some(session) = self.close_after.take() {
            session.outbox().close(CloseReason::Removed);
        }
    }
}

/// An event dropped undelivered (its stage stopped) gives its held places back, so no
/// reply waits for it for ever.
impl Drop for Routed {
    fn drop(&mut self) {
        if self.held {
            for session in self.recipients.drain(..) {
                session.outbox().release_hold();
            }
        }
        self.close_removed();
    }
}

/// A step between the hub and delivery, implemented outside the core (SQL, Redis).
pub trait Stage: Send + Sync + 'static {
    /// Takes events in the order the hub made them. Called under the hub's lock, so it
    /// must not block and must not call back into the hub; it delivers each one
    /// ([`Routed::deliver`]) later, in the same order.
    fn submit(&self, events: Vec<Routed>);
}
