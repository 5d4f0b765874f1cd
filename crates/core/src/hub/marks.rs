//! Read marks (IRC `draft/read-marker`): per account and target, the time up to which the
//! account has read, which only ever moves forward and is shared by all its sessions.
//! The server loads the stored marks at start and stores each new one (the store stage
//! sees the `ReadMarked` event); the core only keeps them, at most [`READ_MARKS_MAX`] per
//! account (past that, the oldest mark is forgotten).

use std::collections::HashMap;

use super::{Hub, Outgoing};
use crate::event::{EventKind, Target};
use crate::name::{Name, NameKey};
use crate::session::Session;

/// The most targets one account keeps a read mark for.
pub const READ_MARKS_MAX: usize = 1024;

/// A target as a key: whether it is a room, and its folded name.
type TargetKey = (bool, NameKey);

fn key_of(target: &Target) -> TargetKey {
    match target {
        Target::Room(room) => (true, room.key()),
        Target::User(user) => (false, user.key()),
    }
}

/// Every account's marks: target to Unix milliseconds.
#[derive(Default)]
pub(crate) struct ReadMarks(HashMap<NameKey, HashMap<TargetKey, u64>>);

impl ReadMarks {
    /// Moves the mark forward to `at_ms` (never back); the mark now, and whether it moved.
    pub(crate) fn advance(&mut self, account: &Name, target: &Target, at_ms: u64) -> (u64, bool) {
        let marks = self.0.entry(account.key()).or_default();
        let key = key_of(target);
        if let Some(mark) = marks.get_mut(&key) {
            let moved = at_ms > *mark;
            *mark = (*mark).max(at_ms);
            return (*mark, moved);
        }
        if marks.len() >= READ_MARKS_MAX {
            let oldest = marks
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                marks.remove(&oldest);
            }
        }
        marks.insert(key, at_ms);
        (at_ms, true)
    }

    /// Moves every account's mark on the room `from` to the room `to` (renamed), keeping
    /// the later of the two should an account have one on each.
    pub(crate) fn move_room(&mut self, from: &Name, to: &Name) {
        let (from, to) = ((true, from.key()), (true, to.key()));
        for marks in self.0.values_mut() {
            if let Some(at) = marks.remove(&from) {
                let mark = marks.entry(to.clone()).or_insert(at);
                *mark = (*mark).max(at);
            }
        }
    }

    pub(crate) fn get(&self, account: &Name, target: &Target) -> Option<u64> {
        self.0.get(account.folded())?.get(&key_of(target)).copied()
    }
}

impl Hub {
    /// Takes the marks the store kept, `(account, target, Unix milliseconds)`.
    pub fn load_read_marks(&self, marks: impl IntoIterator<Item = (Name, Target, u64)>) {
        let mut state = self.lock();
        for (account, target, at_ms) in marks {
            state.read_marks.advance(&account, &target, at_ms);
        }
    }

    /// Marks `target` read up to `at_ms` for the session's account: the account's other
    /// sessions hear of it when the mark moves. The mark now; `None` when the session is
    /// not logged in (its adapter keeps its own marks).
    pub fn mark_read(&self, session: &Session, target: Target, at_ms: u64) -> Option<u64> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let account = state.member(id).ok()?.account()?.clone();
        let (mark, moved) = state.read_marks.advance(&account, &target, at_ms);
        if moved {
            let kind = EventKind::ReadMarked {
                account,
                target,
                at_ms: mark,
            };
            out.push(state.event(Some(id), kind));
        }
        self.send(state, out);
        Some(mark)
    }

    /// The session's account's mark for `target`: `None` when not logged in, `Some(None)`
    /// when the account has none.
    pub fn read_mark(&self, session: &Session, target: &Target) -> Option<Option<u64>> {
        let state = self.lock();
        let account = state.member(session.id()).ok()?.account()?;
        Some(state.read_marks.get(account, target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_only_moves_forward_and_the_oldest_goes_when_full() {
        let mut marks = ReadMarks::default();
        let amy = Name::parse("Amy", 20).unwrap();
        let room = |n: usize| Target::Room(Name::room(&format!("r{n}")).unwrap());
        assert_eq!(marks.advance(&amy, &room(0), 50), (50, true));
        assert_eq!(marks.advance(&amy, &room(0), 40), (50, false));
        assert_eq!(
            marks.get(&Name::parse("amy", 20).unwrap(), &room(0)),
            Some(50)
        );
        for n in 1..=READ_MARKS_MAX {
            marks.advance(&amy, &room(n), 100 + n as u64);
        }
        assert_eq!(marks.get(&amy, &room(0)), None);
        assert_eq!(marks.get(&amy, &room(1)), Some(101));
    }
}
