//! Metadata verbs (IRCv3 `draft/metadata`): a user sets keys on themself, a room's
//! operators on the room; those who share a room with the user, or the room's members,
//! hear each change. Reading a room's metadata follows the room's visibility: a secret
//! room is unknown to outsiders, an invitation-only room's metadata is closed to them.

use std::sync::Arc;

use super::state::State;
use super::{Hub, HubError, Outgoing};
use crate::event::EventKind;
use crate::metadata::{Metadata, Refused};
use crate::name::Name;
use crate::session::{Session, SessionId};

/// Whose metadata a verb changes: the session's own, or a room's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaTarget<'a> {
    Own,
    Room(&'a str),
}

/// One target's metadata as a joining member is told it: the target, whether it is a
/// room, and its pairs.
pub type MetaOf = (Name, bool, Metadata);

impl Hub {
    /// Sets `key` (checked by [`crate::metadata::key`]) to `value`, or removes it with
    /// `None`; only a room's operators may change the room's. Whether the key was set
    /// before (removing an unset key changes nothing and tells no one).
    pub fn set_metadata(
        &self,
        session: &Session,
        target: MetaTarget<'_>,
        key: &Arc<str>,
        value: Option<Arc<str>>,
    ) -> Result<bool, HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let (name, rooms) = state.metadata_target(id, target)?;
        let changed = match target {
            MetaTarget::Own => {
                let member = state.sessions.get_mut(&id).ok_or(HubError::Detached)?;
                member.change_metadata(|m| m.set(key, value.clone()))
            }
            MetaTarget::Room(room) => state.room_mut(room)?.metadata.set(key, value.clone()),
        }
        .map_err(|Refused::Full| HubError::MetadataFull)?;
        if changed {
            state.tell_metadata(id, (name, target, rooms), key, value, &mut out);
        }
        self.send(state, out);
        Ok(changed)
    }

    /// Removes every key of the target (the same rights as [`Hub::set_metadata`]): the
    /// keys removed, each change told as one removal.
    pub fn clear_metadata(
        &self,
        session: &Session,
        target: MetaTarget<'_>,
    ) -> Result<Vec<Arc<str>>, HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let (name, rooms) = state.metadata_target(id, target)?;
        let keys = match target {
            MetaTarget::Own => {
                let member = state.sessions.get_mut(&id).ok_or(HubError::Detached)?;
                member.change_metadata(Metadata::clear)
            }
            MetaTarget::Room(room) => state.room_mut(room)?.metadata.clear(),
        };
        for key in &keys {
            let about = (name.clone(), target, rooms.clone());
            state.tell_metadata(id, about, key, None, &mut out);
        }
        self.send(state, out);
        Ok(keys)
    }

    /// The session's own metadata (also before it has a name).
    pub fn own_metadata(&self, session: &Session) -> Metadata {
        let state = self.lock();
        let member = state.sessions.get(&session.id());
        member
            .and_then(|m| m.metadata().cloned())
            .unwrap_or_default()
    }

    /// A user's metadata, by name.
    pub fn user_metadata(&self, name: &str) -> Result<(Name, Metadata), HubError> {
        let state = self.lock();
        let id = state.session_named(name)?;
        let member = state.member(id)?;
        let (name, _) = member.name.clone().ok_or(HubError::NoName)?;
        Ok((name, member.metadata().cloned().unwrap_or_default()))
    }

    /// A room's metadata as `session` may read it: a secret room it is not in is
    /// `NoSuchRoom`, an invitation-only one `InviteOnly`.
    pub fn room_metadata(
        &self,
        session: &Session,
        room: &str,
    ) -> Result<(Name, Metadata), HubError> {
        let state = self.lock();
        let entry = state.room(room)?;
        if !entry.members.contains_key(&session.id()) && !state.is_oper(session.id()) {
            if entry.modes.secret {
                return Err(HubError::NoSuchRoom(room.to_string()));
            }
            if entry.modes.invite_only {
                return Err(HubError::InviteOnly(entry.name.to_string()));
            }
        }
        Ok((entry.name.clone(), entry.metadata.clone()))
    }

    /// What a member of `room` is told of it on joining: the room's metadata, then each
    /// other member's, leaving out those with none.
    pub fn metadata_in_room(&self, session: &Session, room: &str) -> Vec<MetaOf> {
        let state = self.lock();
        let Ok(entry) = state.joined_room(room, session.id()) else {
            return Vec::new();
        };
        let mut all = vec![(entry.name.clone(), true, entry.metadata.clone())];
        for id in entry.members.keys().filter(|id| **id != session.id()) {
            let Some(member) = state.sessions.get(id) else {
                continue;
            };
            if let (Some((name, _)), Some(meta)) = (&member.name, member.metadata()) {
                all.push((name.clone(), false, meta.clone()));
            }
        }
        all.retain(|(_, _, meta)| !meta.is_empty());
        all
    }
}

impl State {
    /// Checks that `id` may change `target`: the target's name (none for a user without
    /// one yet, who tells no one) and the rooms that hear of it.
    fn metadata_target(
        &self,
        id: SessionId,
        target: MetaTarget<'_>,
    ) -> Result<(Option<Name>, Arc<[Name]>), HubError> {
        match target {
            MetaTarget::Own => {
                self.member(id)?;
                Ok((self.name_of(id), self.rooms_named(id)))
            }
            MetaTarget::Room(room) => {
                let entry = self.room(room)?;
                if !self.may_run(entry, id) {
                    return Err(HubError::ChanOpNeeded(entry.name.to_string()));
                }
                Ok((Some(entry.name.clone()), Arc::from([entry.name.clone()])))
            }
        }
    }

    /// Tells the change of one key to those who hear of the target.
    fn tell_metadata(
        &mut self,
        id: SessionId,
        (name, target, rooms): (Option<Name>, MetaTarget<'_>, Arc<[Name]>),
        key: &Arc<str>,
        value: Option<Arc<str>>,
        out: &mut Outgoing,
    ) {
        let Some(name) = name.filter(|_| !rooms.is_empty()) else {
            return;
        };
        let kind = EventKind::MetadataChanged {
            target: name,
            of_room: matches!(target, MetaTarget::Room(_)),
            key: key.clone(),
            value,
            rooms,
        };
        out.push(self.event(Some(id), kind));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{events, hub, n, named};
    use super::*;
    use crate::metadata::MAX_KEYS;

    fn k(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn changes_reach_room_mates_and_a_rooms_pairs_are_its_operators() {
        let hub = hub();
        let a = named(&hub, "irc", "alice");
        let b = named(&hub, "irc", "bob");
        hub.join(&a, n("lobby")).unwrap();
        hub.join(&b, n("lobby")).unwrap();
        events(&a);
        let name = k("display-name");
        assert_eq!(
            hub.set_metadata(&a, MetaTarget::Own, &name, Some(k("Alice"))),
            Ok(true)
        );
        let told = EventKind::MetadataChanged {
            target: n("alice"),
            of_room: false,
            key: name.clone(),
            value: Some(k("Alice")),
            rooms: Arc::from([n("lobby")]),
        };
        assert_eq!(events(&b), vec![told]);
        assert!(
            events(&a).is_empty(),
            "the author is answered by its adapter"
        );
        // Removing an unset key changes nothing and tells no one.
        assert_eq!(
            hub.set_metadata(&a, MetaTarget::Own, &k("x"), None),
            Ok(false)
        );
        assert!(events(&b).is_empty());
        // bob is no operator of the room; alice, its first member, is.
        assert_eq!(
            hub.set_metadata(&b, MetaTarget::Room("lobby"), &name, Some(k("L"))),
            Err(HubError::ChanOpNeeded("lobby".into()))
        );
        hub.set_metadata(&a, MetaTarget::Room("lobby"), &name, Some(k("L")))
            .unwrap();
        assert_eq!(
            hub.room_metadata(&b, "lobby").unwrap().1.get(&name),
            Some(&k("L"))
        );
        assert_eq!(
            hub.clear_metadata(&a, MetaTarget::Own),
            Ok(vec![name.clone()])
        );
        assert_eq!(hub.user_metadata("ALICE").unwrap().1, Metadata::default());
    }

    #[test]
    fn keys_before_a_name_are_kept_and_bounded() {
        let hub = hub();
        let c = hub.attach("irc");
        for i in 0..MAX_KEYS {
            let key = k(&format!("k{i}"));
            assert_eq!(
                hub.set_metadata(&c, MetaTarget::Own, &key, Some(k("v"))),
                Ok(true)
            );
        }
        assert_eq!(
            hub.set_metadata(&c, MetaTarget::Own, &k("one-more"), Some(k("v"))),
            Err(HubError::MetadataFull)
        );
        assert_eq!(hub.own_metadata(&c).pairs().len(), MAX_KEYS);
    }
}
