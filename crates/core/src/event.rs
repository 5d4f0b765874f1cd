//! Events: what the hub tells recipients, shared by all of them behind one `Arc`.
//!
//! An event caches its rendered bytes per wire format ([`RenderSlot`]), so a room message
//! going to 500 members of one protocol is rendered once and its bytes shared.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;

use crate::name::Name;
use crate::text::Text;

/// How many distinct wire formats can cache a rendering of one event.
pub const RENDER_SLOTS: usize = 10;

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

/// Who did something, as others see them: the name, the protocol they came with, and the
/// `user@host` IRC shows (classroom users appear as `name!name@<origin>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: Name,
    pub origin: &'static str,
    /// The IRC user name; `None` means the same as the name.
    pub user: Option<Arc<str>>,
    pub host: Arc<str>,
    /// The IRC real name (USER's last parameter); `None` for classroom users. IRC's
    /// extended-join shows it on every JOIN.
    pub realname: Option<Arc<str>>,
}

impl Peer {
    /// A classroom user: `name!name@origin`.
    pub fn classroom(name: Name, origin: &'static str) -> Peer {
        Peer {
            name,
            origin,
            user: None,
            host: Arc::from(origin),
            realname: None,
        }
    }

    pub fn user(&self) -> &str {
        self.user.as_deref().unwrap_or(self.name.as_str())
    }

    /// The real name, or the name when none was given.
    pub fn realname(&self) -> &str {
        self.realname.as_deref().unwrap_or(self.name.as_str())
    }
}

/// How someone left a room or the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// Left the room but stays connected (IRC PART, a rooms user switching rooms).
    Parted { reason: Option<Text> },
    /// Left the server on purpose (`bye`, `/logout`, `EXIT`, IRC QUIT).
    Quit { reason: Option<Text> },
    /// The connection was lost: reset, EOF without goodbye, timeout or a full outbox.
    Lost,
}

/// Whether a message is ordinary talk or a notice (IRC NOTICE: never answered by bots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Chat,
    Notice,
}

/// A channel flag (IRC modes `n t m s i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelFlag {
    /// `+n`: only members may speak in the room.
    NoExternal,
    /// `+t`: only operators may set the topic.
    TopicLock,
    /// `+m`: only operators and voiced members may speak.
    Moderated,
    /// `+s`: the room is hidden from lists and from non-members' queries.
    Secret,
    /// `+i`: joining needs an invitation.
    InviteOnly,
}

/// One change to a room's modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeChange {
    Flag {
        flag: ChannelFlag,
        on: bool,
    },
    /// `+k key` / `-k`.
    Key(Option<String>),
    /// `+l n` / `-l`.
    Limit(Option<usize>),
    Op {
        on: bool,
        who: Name,
    },
    Voice {
        on: bool,
        who: Name,
    },
    Ban {
        on: bool,
        mask: String,
    },
    /// `+e mask` / `-e mask`: a ban exception (whoever matches it is not banned).
    Except {
        on: bool,
        mask: String,
    },
}

impl ChannelFlag {
    /// The IRC mode letter.
    pub fn letter(self) -> char {
        match self {
            ChannelFlag::NoExternal => 'n',
            ChannelFlag::TopicLock => 't',
            ChannelFlag::Moderated => 'm',
            ChannelFlag::Secret => 's',
            ChannelFlag::InviteOnly => 'i',
        }
    }
}

impl ModeChange {
    /// Whether the change sets (`+`) or clears (`-`) its mode.
    pub fn is_on(&self) -> bool {
        match self {
            ModeChange::Flag { on, .. }
            | ModeChange::Op { on, .. }
            | ModeChange::Voice { on, .. }
            | ModeChange::Ban { on, .. }
            | ModeChange::Except { on, .. } => *on,
            ModeChange::Key(key) => key.is_some(),
            ModeChange::Limit(limit) => limit.is_some(),
        }
    }

    /// The IRC mode letter.
    pub fn letter(&self) -> char {
        match self {
            ModeChange::Flag { flag, .. } => flag.letter(),
            ModeChange::Key(_) => 'k',
            ModeChange::Limit(_) => 'l',
            ModeChange::Op { .. } => 'o',
            ModeChange::Voice { .. } => 'v',
            ModeChange::Ban { .. } => 'b',
            ModeChange::Except { .. } => 'e',
        }
    }

    /// The parameter the change carries on the wire, if any (`-k` carries `*`).
    pub fn parameter(&self) -> Option<String> {
        match self {
            ModeChange::Flag { .. } | ModeChange::Limit(None) => None,
            ModeChange::Key(key) => Some(key.clone().unwrap_or_else(|| "*".into())),
            ModeChange::Limit(Some(n)) => Some(n.to_string()),
            ModeChange::Op { who, .. } | ModeChange::Voice { who, .. } => Some(who.to_string()),
            ModeChange::Ban { mask, .. } | ModeChange::Except { mask, .. } => Some(mask.clone()),
        }
    }
}

/// Writes changes the IRC way: `+mo-v bob carol`.
pub fn mode_string(changes: &[ModeChange]) -> String {
    let mut letters = String::new();
    let mut params = Vec::new();
    let mut sign = None;
    for change in changes {
        let on = change.is_on();
        if sign != Some(on) {
            letters.push(if on { '+' } else { '-' });
            sign = Some(on);
        }
        letters.push(change.letter());
        params.extend(change.parameter());
    }
    std::iter::once(letters)
        .chain(params)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a message goes: a room or one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Room(Name),
    User(Name),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Joined {
        room: Name,
        who: Peer,
    },
    /// Someone left one room and stays connected (in practice `Departure::Parted`).
    Left {
        room: Name,
        who: Peer,
        how: Departure,
    },
    /// Someone left the server: sent once to everyone who shared a room with them, however
    /// many rooms that was (IRC shows one QUIT per user, not one per channel).
    Quit {
        who: Peer,
        how: Departure,
    },
    /// A message in a room. `msgid` is unique among the hub's messages (IRC's `msgid`
    /// tag); `client_tags` are the sender's IRCv3 client-only tags, opaque to the core:
    /// the wire's escaped `+key=value;+key2` form, `None` when there are none.
    Said {
        room: Name,
        from: Peer,
        text: Text,
        tone: Tone,
        msgid: u64,
        client_tags: Option<Arc<str>>,
    },
    Direct {
        from: Peer,
        to: Name,
        text: Text,
        tone: Tone,
        msgid: u64,
        client_tags: Option<Arc<str>>,
    },
    /// Client-only tags without text (IRC `TAGMSG`, such as a typing notification): only
    /// recipients that take message tags show it; the others render nothing.
    Tagged {
        from: Peer,
        to: Target,
        msgid: u64,
        client_tags: Option<Arc<str>>,
    },
    /// Sent once to everyone who shares a room with the user.
    Renamed {
        old: Name,
        new: Peer,
    },
    TopicChanged {
        room: Name,
        by: Peer,
        topic: Option<Text>,
    },
    ModesChanged {
        room: Name,
        by: Peer,
        changes: Vec<ModeChange>,
    },
    /// Sent to every member, the kicked one included.
    Kicked {
        room: Name,
        by: Peer,
        target: Peer,
        reason: Option<Text>,
    },
    /// Sent to the invited user only.
    Invited {
        room: Name,
        by: Peer,
        target: Name,
    },
    /// Sent to everyone who shares a room with the user (IRC away-notify).
    AwayChanged {
        who: Peer,
        away: Option<Text>,
    },
}

/// An event with the time it happened and its per-format render cache.
#[derive(Debug)]
pub struct Event {
    kind: EventKind,
    at: SystemTime,
    rendered: [OnceLock<Bytes>; RENDER_SLOTS],
}

impl Event {
    pub fn new(kind: EventKind) -> Arc<Event> {
        Arc::new(Event {
            kind,
            at: SystemTime::now(),
            rendered: Default::default(),
        })
    }

    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// When the event happened. Every recipient sees the same time (IRC's server-time tag),
    /// whenever its writer gets to render the event.
    pub fn at(&self) -> SystemTime {
        self.at
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
        const FRAMING: usize = 64;
        let text = match &self.kind {
            EventKind::Said {
                text, client_tags, ..
            }
            | EventKind::Direct {
                text, client_tags, ..
            } => text.len() + client_tags.as_ref().map_or(0, |t| t.len()),
            EventKind::Tagged { client_tags, .. } => client_tags.as_ref().map_or(0, |t| t.len()),
            EventKind::Left { how, .. } | EventKind::Quit { how, .. } => match how {
                Departure::Parted { reason } | Departure::Quit { reason } => {
                    reason.as_ref().map_or(0, Text::len)
                }
                Departure::Lost => 0,
            },
            EventKind::TopicChanged { topic, .. } => topic.as_ref().map_or(0, Text::len),
            EventKind::Kicked { reason, .. } => reason.as_ref().map_or(0, Text::len),
            EventKind::AwayChanged { away, .. } => away.as_ref().map_or(0, Text::len),
            EventKind::ModesChanged { changes, .. } => changes.len() * 40,
            _ => 0,
        };
        // Names are at most 32 bytes each and an event carries at most three.
        FRAMING + 96 + text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn mode_strings_group_signs_and_keep_parameters_in_order() {
        let bob = Name::parse("bob", 20).unwrap();
        let changes = vec![
            ModeChange::Flag {
                flag: ChannelFlag::Moderated,
                on: true,
            },
            ModeChange::Op {
                on: true,
                who: bob.clone(),
            },
            ModeChange::Voice {
                on: false,
                who: bob,
            },
            ModeChange::Key(None),
            ModeChange::Limit(Some(5)),
        ];
        assert_eq!(mode_string(&changes), "+mo-vk+l bob bob * 5");
        let exceptions = vec![
            ModeChange::Except {
                on: true,
                mask: "bob!*@*".into(),
            },
            ModeChange::Except {
                on: false,
                mask: "*!*@h".into(),
            },
        ];
        assert_eq!(mode_string(&exceptions), "+e-e bob!*@* *!*@h");
    }

    #[test]
    fn renders_once_per_slot_and_shares_the_bytes() {
        let from = Peer::classroom(Name::parse("A", 20).unwrap(), "prefixed");
        let event = Event::new(EventKind::Direct {
            from,
            to: Name::parse("B", 20).unwrap(),
            text: Text::new("hi"),
            tone: Tone::Chat,
            msgid: 1,
            client_tags: None,
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
