//! Adapters: one per protocol, each joining that protocol's codec (crate `proto`) to the
//! hub's verbs (crate `core`). An adapter is synchronous: it turns buffered bytes into verbs
//! and replies, and renders events; the driver owns the socket and the clock.

pub mod broadcast;
pub mod classroom_login;
pub mod irc;
pub mod packet;
pub mod prefixed;
pub mod rooms;

use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use confab_core::event::RENDER_SLOTS;
use confab_core::{Departure, Event, EventKind, Hub, Name, RenderSlot, Residence, Session};
use confab_proto::Protocol;

use self::irc::modes::mode_string;
use tokio::time::Instant;

use crate::config::Limits;
use crate::history::History;
use crate::limits::Refusal;
use crate::shared::Shared;

// The core's render cache has a slot for each form the registry says an event can take.
const _: () = assert!(
    RENDER_SLOTS == Protocol::RENDER_SLOTS,
    "confab_core::RENDER_SLOTS must match the protocol registry's render slots"
);

/// The event render-cache slot of `protocol`'s `rendering`-th form (`confab_proto`'s
/// registry numbers them); in a `const`, a rendering past the protocol's count fails to
/// compile.
pub const fn render_slot(protocol: Protocol, rendering: usize) -> RenderSlot {
    RenderSlot::new(protocol.render_slot(rendering))
}

/// What the connection does after an adapter handled some input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The client ended the session on purpose, or must go: write what is queued, close.
    Close,
}

/// Why the server is closing a connection the client did not end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Farewell {
    Shutdown,
    /// The client's outbox filled up because it did not read.
    Overflow,
    /// The client took no name (IRC: did not register) within the registration timeout.
    RegistrationTimeout,
    /// The client's input waiting for flood control passed its bound.
    ExcessFlood,
    /// The connection was refused as it arrived, before the adapter heard anything.
    Refused(Refusal),
    /// Put out of the one room its protocol lives in (a `broadcast` user kicked).
    Removed,
}

impl Farewell {
    /// The reason in words, lower case, for the forms that only wrap a text.
    pub fn text(self) -> &'static str {
        match self {
            Farewell::Shutdown => "server shutting down",
            Farewell::Overflow => "too many unread messages",
            Farewell::RegistrationTimeout => "registration timed out",
            Farewell::ExcessFlood => "excess flood",
            Farewell::Refused(refusal) => refusal.text(),
            Farewell::Removed => "removed by an operator",
        }
    }
}

/// What an adapter may touch while it handles input.
pub struct Context<'a> {
    pub hub: &'a Hub,
    pub session: &'a Arc<Session>,
    pub peer: &'a SocketAddr,
    /// What every connection shares: the limits, accounts and history.
    pub shared: &'a Shared,
    /// Units (commands, lines, frames, packets) the adapter may still decode now: flood
    /// control. Adapters take each unit through [`Context::metered`], which stops at 0.
    budget: Cell<u32>,
}

impl<'a> Context<'a> {
    /// A context with an unlimited budget (the driver sets it before each call).
    pub fn new(shared: &'a Shared, session: &'a Arc<Session>, peer: &'a SocketAddr) -> Context<'a> {
        Context {
            hub: &shared.hub,
            session,
            peer,
            shared,
            budget: Cell::new(u32::MAX),
        }
    }

    /// Decodes the next unit if the budget allows one, and counts it. Every adapter's
    /// decode loop goes through this, so a flooding client's excess stays in the input
    /// buffer, unread, until the driver gives it a budget again.
    pub fn metered<T>(&self, decode: impl FnOnce() -> Option<T>) -> Option<T> {
        let left = self.budget.get();
        if left == 0 {
            return None;
        }
        let unit = decode()?;
        self.budget.set(left - 1);
        Some(unit)
    }

    pub fn limits(&self) -> &'a Limits {
        &self.shared.limits
    }

    /// The data directory's accounts and history; `None` with `--data none`.
    pub fn history(&self) -> Option<&'a History> {
        self.shared.history.as_deref()
    }

    pub fn budget(&self) -> u32 {
        self.budget.get()
    }

    pub fn set_budget(&self, budget: u32) {
        self.budget.set(budget);
    }
}

impl Context<'_> {
    /// Queues a reply for this client, after everything queued before it.
    pub fn reply(&self, bytes: impl Into<Bytes>) {
        self.session.outbox().push_reply(bytes.into());
    }

    /// Logs that this client took a name (seed 004's server log).
    /// Counts it too (`confab_registrations_total`).
    pub fn log_named(&self, protocol: Protocol, name: &Name) {
        self.shared.metrics.protocol(protocol).registrations.inc();
        tracing::info!(peer = %self.peer, protocol = protocol.name(), name = %name, "named");
    }
}

/// One protocol's side of a connection.
pub trait Adapter: Send + 'static {
    fn protocol(&self) -> Protocol;

    /// How this protocol lives in rooms (who may run one; what a kick does).
    fn residence(&self) -> Residence {
        Residence::Free
    }

    /// Registers the connection with the hub. Others see a classroom user's host as its
    /// protocol (`name!name@rooms`); IRC overrides this to show the peer's address.
    fn attach(&self, hub: &Hub, _peer: SocketAddr) -> Arc<Session> {
        let name = self.protocol().name();
        hub.attach_as(name, name, self.residence())
    }

    /// Handles every complete unit buffered in `input`, leaving a partial one there.
    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow;

    /// The client closed its side; `input` holds whatever it sent last without finishing.
    fn on_eof(&mut self, _input: &mut BytesMut, _cx: &Context<'_>) {}

    /// When the adapter wants [`Adapter::on_deadline`] called (a 500 ms silence rule).
    fn deadline(&self) -> Option<Instant> {
        None
    }

    fn on_deadline(&mut self, _input: &mut BytesMut, _cx: &Context<'_>) -> Flow {
        Flow::Continue
    }

    /// Appends `event` in this protocol's form (usually the shared cached rendering).
    fn render(&self, event: &Event, out: &mut BytesMut);

    /// The last words before the server closes a connection, where the protocol has a form.
    fn farewell(&self, _why: Farewell, _out: &mut BytesMut) {}

    /// How the rest of the chat hears of this client leaving now: `Quit` after a goodbye,
    /// `Lost` otherwise.
    fn departure(&self) -> Departure;
}

/// Channel happenings (from IRC users) in plain words, for the line protocols: `alice set
/// the topic: hello`, `bob was kicked by alice (spam)`. `None` for what such users need not
/// hear (away changes) and for the kinds each protocol renders itself.
pub fn describe_channel_event(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::TopicChanged {
            by,
            topic: Some(topic),
            ..
        } => {
            format!("{} set the topic: {topic}", by.name)
        }
        EventKind::TopicChanged {
            by, topic: None, ..
        } => format!("{} cleared the topic", by.name),
        EventKind::ModesChanged { by, changes, .. } => {
            format!("{} set mode {}", by.name, mode_string(changes))
        }
        EventKind::Kicked {
            by, target, reason, ..
        } => match reason {
            Some(reason) => format!("{} was kicked by {} ({reason})", target.name, by.name),
            None => format!("{} was kicked by {}", target.name, by.name),
        },
        EventKind::Invited { room, by, .. } => {
            format!("{} invites you to join {room}", by.name)
        }
        EventKind::Wallops { from, text } => format!("{} (to operators): {text}", from.name),
        EventKind::Killed { by, reason, .. } => match reason {
            Some(reason) => format!("disconnected by {} ({reason})", by.name),
            None => format!("disconnected by {}", by.name),
        },
        // An IRC user took back a message (REDACT): the line protocols cannot unsay it.
        EventKind::Redacted { by, reason, .. } => match reason {
            Some(reason) => format!("{} deleted a message ({reason})", by.name),
            None => format!("{} deleted a message", by.name),
        },
        EventKind::RoomRenamed {
            old,
            new,
            by,
            reason,
            ..
        } => match reason {
            Some(reason) => format!("{} renamed {old} to {new} ({reason})", by.name),
            None => format!("{} renamed {old} to {new}", by.name),
        },
        _ => return None,
    })
}

/// The action of an IRC `/me` (`\x01ACTION waves\x01`), which the line protocols show as
/// `* amy (action): waves` rather than with the raw CTCP bytes.
pub fn ctcp_action(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("\x01ACTION ")?;
    Some(inner.strip_suffix('\x01').unwrap_or(inner))
}

#[cfg(test)]
mod tests {
    use super::ctcp_action;

    #[test]
    fn ctcp_actions_are_recognised_with_or_without_the_closing_byte() {
        assert_eq!(ctcp_action("\x01ACTION waves\x01"), Some("waves"));
        assert_eq!(ctcp_action("\x01ACTION waves"), Some("waves"));
        assert_eq!(ctcp_action("\x01VERSION\x01"), None);
        assert_eq!(ctcp_action("ACTION waves"), None);
    }
}
