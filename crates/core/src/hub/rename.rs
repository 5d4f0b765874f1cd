//! Renaming a room (IRC `RENAME`, IRCv3 `draft/channel-rename`): the room keeps its
//! members, modes, topic, lists, invitations and metadata under the new name; the read
//! marks and the redaction index follow it. A change of case alone is a rename too.
//!
//! The server's own rooms (`lobby`, `broadcast`'s one conversation) cannot be renamed,
//! nor can a room take such a name: a `broadcast` user has nowhere else to be, and a
//! renamed room would bring its operators into a room nobody runs.

use std::sync::Arc;

use super::state::State;
use super::{Hub, Outgoing};
use crate::event::{Event, EventKind};
use crate::name::{Name, NameKey};
use crate::roster::{Roster, Seated};
use crate::session::Session;
use crate::text::Text;

/// Why a rename was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("no room named {0}")]
    NoSuchRoom(String),
    #[error("not in room {0}")]
    NotMember(String),
    #[error("only operators of {0} may rename it")]
    ChanOpNeeded(String),
    /// Another room has the new name (IRC `FAIL RENAME CHANNEL_NAME_IN_USE`).
    #[error("a room named {0} exists already")]
    NameInUse(String),
    /// The room, or the new name, is one of the server's (IRC `FAIL RENAME
    /// CANNOT_RENAME`).
    #[error("{0} belongs to the server and cannot be renamed")]
    ServerRoom(String),
}

impl Hub {
    /// Renames `room` (any case) to `new`, for one of its operators or a server operator
    /// who is in it. Its members hear the event, which is returned for the renamer's own
    /// echo (their adapter answers them); `None` when `new` is the name exactly as it is.
    pub fn rename_room(
        &self,
        session: &Session,
        room: &str,
        new: Name,
        reason: Option<Text>,
    ) -> Result<Option<Arc<Event>>, RenameError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let entry = state
            .room(room)
            .map_err(|_| RenameError::NoSuchRoom(room.to_string()))?;
        let old = entry.name.clone();
        if !entry.members.contains_key(&id) {
            return Err(RenameError::NotMember(old.to_string()));
        }
        if !state.may_run(entry, id) {
            return Err(RenameError::ChanOpNeeded(old.to_string()));
        }
        if let Some(server_room) = [&old, &new]
            .into_iter()
            .find(|r| self.config.is_server_room(r))
        {
            return Err(RenameError::ServerRoom(server_room.to_string()));
        }
        if old == new {
            return Ok(None);
        }
        if old.key() != new.key() && state.rooms.contains_key(new.folded()) {
            return Err(RenameError::NameInUse(new.to_string()));
        }
        let by = state
            .peer(id)
            .map_err(|_| RenameError::NotMember(old.to_string()))?;
        let roster = Arc::new(state.roster(&old.key()));
        state.move_room(&old, &new);
        let kind = EventKind::RoomRenamed {
            old,
            new,
            by,
            reason,
            roster,
        };
        let event = state.event(Some(id), kind);
        out.push(event.clone());
        self.send(state, out);
        Ok(Some(event))
    }
}

impl State {
    /// The room as someone entering it is shown it (empty for no such room).
    pub(crate) fn roster(&self, key: &NameKey) -> Roster {
        let Some(room) = self.rooms.get(key) else {
            return Roster::default();
        };
        let members = room
            .members
            .iter()
            .filter_map(|(id, seat)| {
                let who = self.peer(*id).ok()?;
                let (op, voice) = (seat.op, seat.voice);
                Some(Seated { who, op, voice })
            })
            .collect();
        Roster {
            topic: room.topic.clone(),
            secret: room.modes.secret,
            members,
        }
    }

    /// Moves the room `old` and everything kept under its name to `new`. A room already
    /// named `new` (only ever one made on another node in the same instant: this node
    /// refuses a rename to a name in use) takes in `old`'s members and keeps its own
    /// rules, so every node ends with one room of that name.
    pub(crate) fn move_room(&mut self, old: &Name, new: &Name) {
        let (old_key, new_key) = (old.key(), new.key());
        let Some(mut room) = self.rooms.remove(&old_key) else {
            return;
        };
        let ids: Vec<_> = room.members.keys().copied().collect();
        // A case change keeps the key equal: a map keeps the key it has on insert, so
        // the room is taken out and put back under the new spelling.
        match self.rooms.remove(&new_key) {
            Some(mut there) if old_key != new_key => {
                for (id, seat) in room.members.drain(..) {
                    there.members.entry(id).or_insert(seat);
                }
                self.rooms.insert(new_key.clone(), there);
            }
            _ => {
                room.name = new.clone();
                self.rooms.insert(new_key.clone(), room);
            }
        }
        for id in ids {
            if let Some(member) = self.sessions.get_mut(&id) {
                member.room_renamed(&old_key, &new_key);
            }
        }
        self.read_marks.move_room(old, new);
        self.recent.move_room(old, new);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{events, n, named, room_with_op};
    use super::*;
    use crate::event::{ModeChange, Peer, Target, Tone};
    use crate::hub::HubConfig;

    /// What bob heard of a rename: old, new, reason, and the roster's names with status.
    fn heard(kind: &EventKind) -> (String, String, Option<String>, Vec<(String, bool)>) {
        let EventKind::RoomRenamed {
            old,
            new,
            reason,
            roster,
            ..
        } = kind
        else {
            panic!("not a rename: {kind:?}");
        };
        let members = roster.members.iter();
        (
            old.to_string(),
            new.to_string(),
            reason.as_ref().map(ToString::to_string),
            members.map(|m| (m.who.name.to_string(), m.op)).collect(),
        )
    }

    #[test]
    fn an_operator_renames_and_the_room_keeps_everything_under_the_new_name() {
        let (hub, alice, bob) = room_with_op();
        hub.set_topic(&alice, "r", Some(Text::new("hi"))).unwrap();
        let voice = ModeChange::Voice {
            on: true,
            who: n("bob"),
        };
        hub.change_modes(&alice, "r", vec![voice]).unwrap();
        events(&bob);
        let echo = hub.rename_room(&alice, "R", n("Games"), Some(Text::new("tidy")));
        let echo = echo.unwrap().unwrap();
        // bob hears it once; alice's own adapter answers her from the returned event.
        let told = events(&bob);
        assert_eq!(told, vec![echo.kind().clone()]);
        let expected = vec![("alice".into(), true), ("bob".into(), false)];
        let tidy = Some("tidy".to_string());
        assert_eq!(
            heard(&told[0]),
            ("r".into(), "Games".into(), tidy, expected)
        );
        assert!(events(&alice).is_empty());
        assert!(hub.room_view("r").is_none());
        let view = hub.room_view("games").unwrap();
        assert_eq!(view.name, n("Games"));
        assert_eq!(view.topic.unwrap().text.as_str(), "hi");
        let status: Vec<_> = view.members.iter().map(|m| (m.op, m.voice)).collect();
        assert_eq!(status, vec![(true, false), (false, true)]);
        assert_eq!(hub.rooms_of(&bob), vec![n("Games")]);
        // Life goes on under the new name.
        hub.say(&bob, "games", Text::new("hello")).unwrap();
        assert!(
            matches!(&events(&alice)[..], [EventKind::Said { room, .. }] if *room == n("Games"))
        );
        assert!(hub.say(&bob, "r", Text::new("x")).is_err());
    }

    #[test]
    fn only_a_member_who_runs_the_room_may_rename_it_and_not_to_a_name_in_use() {
        let (hub, alice, bob) = room_with_op();
        let carol = named(&hub, "irc", "carol");
        hub.join(&carol, n("taken")).unwrap();
        let err = |who, room: &str, new: &str| {
            let renamed = hub.rename_room(who, room, n(new), None);
            renamed.map(|event| event.is_some())
        };
        assert_eq!(
            err(&bob, "r", "x"),
            Err(RenameError::ChanOpNeeded("r".into()))
        );
        assert_eq!(
            err(&carol, "r", "x"),
            Err(RenameError::NotMember("r".into()))
        );
        assert_eq!(
            err(&alice, "nope", "x"),
            Err(RenameError::NoSuchRoom("nope".into()))
        );
        assert_eq!(
            err(&alice, "r", "TAKEN"),
            Err(RenameError::NameInUse("TAKEN".into()))
        );
        // A server operator in the room runs it.
        hub.set_oper(&carol, true).unwrap();
        hub.join(&carol, n("r")).unwrap();
        events(&bob);
        assert_eq!(err(&carol, "r", "x"), Ok(true));
        assert!(matches!(&events(&bob)[..], [EventKind::RoomRenamed { .. }]));
    }

    #[test]
    fn a_change_of_case_is_a_rename_and_the_very_same_name_changes_nothing() {
        let (hub, alice, bob) = room_with_op();
        let same = hub.rename_room(&alice, "r", n("r"), None);
        assert!(matches!(same, Ok(None)));
        assert!(events(&bob).is_empty());
        assert!(hub
            .rename_room(&alice, "r", n("R"), None)
            .unwrap()
            .is_some());
        assert_eq!(heard(&events(&bob)[0]).1, "R");
        assert_eq!(hub.room_view("r").unwrap().name, n("R"));
        assert_eq!(hub.rooms_of(&bob), vec![n("R")]);
    }

    #[test]
    fn the_servers_rooms_cannot_be_renamed_nor_named() {
        let hub = Hub::new(HubConfig {
            server_rooms: vec![n("lobby")],
            ..HubConfig::default()
        });
        let alice = named(&hub, "irc", "alice");
        hub.set_oper(&alice, true).unwrap();
        hub.join(&alice, n("lobby")).unwrap();
        hub.join(&alice, n("r")).unwrap();
        let refused = |room: &str, new: &str| hub.rename_room(&alice, room, n(new), None).err();
        let server_room = |name: &str| Some(RenameError::ServerRoom(name.into()));
        assert_eq!(refused("lobby", "x"), server_room("lobby"));
        assert_eq!(refused("r", "Lobby"), server_room("Lobby"));
    }

    #[test]
    fn read_marks_and_redactions_follow_the_room() {
        let (hub, alice, bob) = room_with_op();
        let said = EventKind::Said {
            room: n("r"),
            from: Peer::classroom(n("bob"), "rooms"),
            text: Text::new("oops"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        };
        let id = crate::msgid::MsgId::new(1, 0, 0);
        let mut state = hub.lock();
        state.recent.note(id, bob.id(), &said);
        state
            .read_marks
            .advance(&n("amy"), &Target::Room(n("r")), 10);
        state
            .read_marks
            .advance(&n("amy"), &Target::Room(n("new")), 5);
        drop(state);
        assert!(hub.rename_room(&alice, "r", n("new"), None).is_ok());
        let state = hub.lock();
        assert_eq!(
            state.read_marks.get(&n("amy"), &Target::Room(n("NEW"))),
            Some(10)
        );
        assert_eq!(state.read_marks.get(&n("amy"), &Target::Room(n("r"))), None);
        drop(state);
        let place = super::super::RedactIn::Room("new");
        assert_eq!(hub.redact(&alice, place, Some(id), None), Ok(()));
    }
}
