//! Taking back a message (IRC `REDACT`): the hub remembers who said each of the latest
//! [`RECENT_MAX`] messages and where, and lets their author, or whoever runs the room
//! (its operator, a server operator), redact them. Older messages cannot be redacted:
//! the bound keeps the index small, and holds for `--data none` as for a data directory.

use std::collections::{HashMap, VecDeque};

use super::{Hub, Outgoing};
use crate::event::{EventKind, Target};
use crate::msgid::MsgId;
use crate::name::{Folded, Name};
use crate::session::{Session, SessionId};
use crate::text::Text;

/// How many of the latest messages can be redacted.
pub const RECENT_MAX: usize = 16_384;

/// Why a redaction was refused (IRC `FAIL REDACT <code>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedactError {
    /// Not a room the user is in, nor a user (`INVALID_TARGET`).
    #[error("not a target you can redact in")]
    InvalidTarget,
    /// No message of that id among the latest in that target (`UNKNOWN_MSGID`).
    #[error("no such message")]
    UnknownMsgid,
    /// Someone else's message, and not an operator of the room (`REDACT_FORBIDDEN`).
    #[error("you may not redact that message")]
    Forbidden,
}

/// Where a redaction is asked for, as the adapter named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactIn<'a> {
    Room(&'a str),
    User(&'a str),
}

/// Who said a message, where.
#[derive(Debug, Clone)]
struct Said {
    target: Target,
    author: SessionId,
    /// The author's name when they said it: a direct message is between it and `target`.
    name: Name,
    account: Option<Name>,
}

/// The latest messages' authors, oldest first, at most [`RECENT_MAX`].
#[derive(Default)]
pub(crate) struct Recent {
    order: VecDeque<MsgId>,
    said: HashMap<MsgId, Said>,
}

impl Recent {
    /// Remembers the message `event` if it is one (said in a room, or to a user).
    pub fn note(&mut self, msgid: MsgId, author: SessionId, kind: &EventKind) {
        let (target, from) = match kind {
            EventKind::Said { room, from, .. } => (Target::Room(room.clone()), from),
            EventKind::Direct { to, from, .. } => (Target::User(to.clone()), from),
            EventKind::Tagged { to, from, .. } => (to.clone(), from),
            _ => return,
        };
        if self.order.len() >= RECENT_MAX {
            if let Some(oldest) = self.order.pop_front() {
                self.said.remove(&oldest);
            }
        }
        self.order.push_back(msgid);
        let said = Said {
            target,
            author,
            name: from.name.clone(),
            account: from.account.clone(),
        };
        self.said.insert(msgid, said);
    }
}

impl Recent {
    /// Files the messages said in the room `from` under `to` (renamed), so they can be
    /// redacted there.
    pub fn move_room(&mut self, from: &Name, to: &Name) {
        for said in self.said.values_mut() {
            if matches!(&said.target, Target::Room(room) if room.key() == from.key()) {
                said.target = Target::Room(to.clone());
            }
        }
    }
}

impl Said {
    /// Whether `id` (logged in to `account`) said it: the same session, or the same account.
    fn by(&self, id: SessionId, account: Option<&Name>) -> bool {
        self.author == id || (account.is_some() && self.account.as_ref() == account)
    }
}

impl Hub {
    /// Redacts the message `msgid` in a room the session is in (its own message, or any
    /// as the room's operator) or in its direct conversation with a user (its own
    /// message). The room's members, or the other party, hear of it; the session's own
    /// adapter answers it. A `msgid` that is no id (`None`) is unknown once the place
    /// is known to be valid.
    pub fn redact(
        &self,
        session: &Session,
        place: RedactIn<'_>,
        msgid: Option<MsgId>,
        reason: Option<Text>,
    ) -> Result<(), RedactError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let by = state.peer(id).map_err(|_| RedactError::InvalidTarget)?;
        if let RedactIn::Room(room) = place {
            state
                .joined_room(room, id)
                .map_err(|_| RedactError::InvalidTarget)?;
        }
        let msgid = msgid.ok_or(RedactError::UnknownMsgid)?;
        let said = state
            .recent
            .said
            .get(&msgid)
            .cloned()
            .ok_or(RedactError::UnknownMsgid)?;
        let mine = said.by(id, by.account.as_ref());
        let target = match (place, &said.target) {
            (RedactIn::Room(room), Target::Room(said_in)) => {
                let joined = state
                    .joined_room(room, id)
                    .map_err(|_| RedactError::InvalidTarget)?;
                if joined.name.folded() != said_in.folded() {
                    return Err(RedactError::UnknownMsgid);
                }
                if !mine && !state.may_run(joined, id) {
                    return Err(RedactError::Forbidden);
                }
                said.target.clone()
            }
            // A direct message is redacted in the conversation with the other party.
            (RedactIn::User(user), Target::User(to)) => {
                let other = if mine { to } else { &said.name };
                if other.folded() != Folded::new(user) {
                    return Err(RedactError::UnknownMsgid);
                }
                if !mine {
                    return Err(RedactError::Forbidden);
                }
                said.target.clone()
            }
            _ => return Err(RedactError::UnknownMsgid),
        };
        state.recent.said.remove(&msgid);
        let kind = EventKind::Redacted {
            target,
            by,
            msgid,
            reason,
        };
        out.push(state.event(Some(id), kind));
        self.send(state, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Peer, Tone};

    fn said_in(room: &str) -> EventKind {
        EventKind::Said {
            room: Name::room(room).unwrap(),
            from: Peer::classroom(Name::parse("amy", 20).unwrap(), "irc"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        }
    }

    #[test]
    fn only_the_latest_messages_are_remembered() {
        let mut recent = Recent::default();
        let id = |n: usize| MsgId::new(n as u64, 0, 0);
        for n in 0..=RECENT_MAX {
            recent.note(id(n), SessionId(1), &said_in("r"));
        }
        // Not a message: not remembered.
        recent.note(
            id(RECENT_MAX + 1),
            SessionId(1),
            &EventKind::Wallops {
                from: Peer::classroom(Name::parse("amy", 20).unwrap(), "irc"),
                text: Text::new("x"),
            },
        );
        assert_eq!(recent.said.len(), RECENT_MAX);
        assert!(!recent.said.contains_key(&id(0)));
        assert!(recent.said[&id(RECENT_MAX)].by(SessionId(1), None));
        assert!(!recent.said[&id(1)].by(SessionId(2), None));
    }
}
