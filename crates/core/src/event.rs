//! Events: what the hub tells recipients, shared by all of them behind one `Arc`.
//!
//! An event caches its rendered bytes per wire format ([`RenderSlot`]), so a room message
//! going to 500 members of one protocol is rendered once and its bytes shared.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::name::Name;
use crate::text::Text;

/// How many distinct wire formats can cache a rendering of one event.
pub const RENDER_SLOTS: usize = 8;

/// One wire format's place in an event's render cache. The server assigns the numbers; the
/// core only keeps the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderSlot(usize);

impl RenderSlot {
    /// # Panics
    /// If `index` is not below [`RENDER_SLOTS`]: slots are fixed at compile time by the server.
    pub const fn new(index: usize) -> RenderSlot {
        assert!(index < RENDER_SLOTS, "render slot out of range");
        RenderSlot(index)
    }
}

/// Who did something, as others see them: the name and the protocol they came with
/// (IRC shows classroom users as `name!name@<origin>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: Name,
    pub origin: &'static str,
}

/// How someone left a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// Left the room but stays connected (IRC PART, a rooms user switching rooms).
    Parted { reason: Option<Text> },
    /// Left the server on purpose (`bye`, `/logout`, `EXIT`, IRC QUIT).
    Quit { reason: Option<Text> },
    /// The connection was lost: reset, EOF without goodbye, timeout or a full outbox.
    Lost,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Joined {
        room: Name,
        who: Peer,
    },
    Left {
        room: Name,
        who: Peer,
        how: Departure,
    },
    Said {
        room: Name,
        from: Peer,
        text: Text,
    },
    Direct {
        from: Peer,
        to: Name,
        text: Text,
    },
    /// Sent once to everyone who shares a room with the user.
    Renamed {
        old: Name,
        new: Peer,
    },
}

/// An event with its per-format render cache.
#[derive(Debug)]
pub struct Event {
    kind: EventKind,
    rendered: [OnceLock<Bytes>; RENDER_SLOTS],
}

impl Event {
    pub fn new(kind: EventKind) -> Arc<Event> {
        Arc::new(Event {
            kind,
            rendered: Default::default(),
        })
    }

    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// The event's bytes in one wire format, rendered by the first recipient that asks
    /// and shared by every later one.
    pub fn rendered(&self, slot: RenderSlot, render: impl FnOnce(&EventKind) -> Bytes) -> Bytes {
        self.rendered[slot.0]
            .get_or_init(|| render(&self.kind))
            .clone()
    }

    /// About how many bytes this event takes in a recipient's outbox: the text plus names
    /// plus a margin for the protocol's framing. Outbox limits count this.
    pub fn cost(&self) -> usize {
        const FRAMING: usize = 48;
        FRAMING
            + match &self.kind {
                EventKind::Joined { room, who } => room.as_str().len() + who.name.as_str().len(),
                EventKind::Left { room, who, .. } => room.as_str().len() + who.name.as_str().len(),
                EventKind::Said { room, from, text } => {
                    room.as_str().len() + from.name.as_str().len() + text.len()
                }
                EventKind::Direct { from, to, text } => {
                    from.name.as_str().len() + to.as_str().len() + text.len()
                }
                EventKind::Renamed { old, new } => old.as_str().len() + new.name.as_str().len(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn renders_once_per_slot_and_shares_the_bytes() {
        let from = Peer {
            name: Name::parse("A", 20).unwrap(),
            origin: "prefixed",
        };
        let event = Event::new(EventKind::Direct {
            from,
            to: Name::parse("B", 20).unwrap(),
            text: Text::new("hi"),
        });
        let calls = Cell::new(0);
        let render = |_: &EventKind| {
            calls.set(calls.get() + 1);
            Bytes::from_static(b"A sent hi")
        };
        let first = event.rendered(RenderSlot::new(1), render);
        let second = event.rendered(RenderSlot::new(1), render);
        assert_eq!(calls.get(), 1);
        assert_eq!(first.as_ptr(), second.as_ptr());
        event.rendered(RenderSlot::new(2), render);
        assert_eq!(calls.get(), 2);
    }
}
