//! Replay on join for the classroom protocols (`[history] replay_on_join = N`): a `rooms`
//! or `broadcast` user who joins a room first gets its last N messages, each in the
//! protocol's ordinary form, then the live ones.
//!
//! It runs on the history writer's thread, between routing the join and routing whatever
//! came after it: everything made before the join is committed by then, and nothing made
//! after it has reached the joiner yet. The replay takes the messages before the join's
//! id; live delivery gives a member only events after it (`Seat::since`), so none is lost
//! or doubled at the boundary.

use std::sync::Arc;

use confab_core::{Event, EventKind, Hub, Session};
use confab_store::{Bound, Reader, Stored};

use super::record::{event_of, room_conversation};

/// The protocols whose users get a replay: those with rooms and no history command.
const REPLAYED_TO: [&str; 2] = ["rooms", "broadcast"];
/// How many pages of other events (joins, parts) a replay looks through for messages.
const PAGES_MAX: usize = 8;

pub struct Replay {
    reader: Reader,
    count: usize,
}

impl Replay {
    /// `None` when `count` is 0 (the default, which keeps the seeds' runs byte-exact).
    pub fn new(reader: Reader, count: usize) -> Option<Replay> {
        (count > 0).then_some(Replay { reader, count })
    }

    /// The joiner's session, if `event` is a join that gets a replay.
    pub fn joiner(&self, hub: &Hub, event: &Event) -> Option<Arc<Session>> {
        if !matches!(event.kind(), EventKind::Joined { .. }) {
            return None;
        }
        let session = hub.session(event.author()?)?;
        REPLAYED_TO.contains(&session.origin()).then_some(session)
    }

    /// Pushes the room's last messages before the join into the joiner's outbox, oldest
    /// first.
    pub fn play(&self, session: &Session, join: &Event) {
        let EventKind::Joined { room, .. } = join.kind() else {
            return;
        };
        match self.messages_before(room, join) {
            Ok(messages) => {
                for event in messages.iter().filter_map(event_of) {
                    let _ = session.outbox().push_event(event);
                }
            }
            Err(error) => tracing::warn!(%error, %room, "cannot replay history on join"),
        }
    }

    /// Up to `count` messages (not joins or parts) of `room` before `join`, oldest first.
    fn messages_before(
        &self,
        room: &confab_core::Name,
        join: &Event,
    ) -> Result<Vec<Stored>, confab_store::StoreError> {
        let conversation = room_conversation(room);
        let mut bound = Bound::MsgId(join.msgid().to_bytes());
        let mut found: Vec<Stored> = Vec::new();
        for _ in 0..PAGES_MAX {
            let page = self.reader.before(&conversation, bound, self.count)?;
            let Some(oldest) = page.first() else { break };
            bound = Bound::MsgId(oldest.msgid);
            let full = page.len() == self.count;
            let mut messages: Vec<Stored> = page.into_iter().filter(is_message).collect();
            messages.append(&mut found);
            found = messages;
            if found.len() >= self.count || !full {
                break;
            }
        }
        let surplus = found.len().saturating_sub(self.count);
        found.drain(..surplus);
        Ok(found)
    }
}

fn is_message(stored: &Stored) -> bool {
    matches!(stored.kind.as_str(), "privmsg" | "notice")
}
