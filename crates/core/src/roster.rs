//! A room as someone entering it is shown it: its topic, whether it is secret and its
//! members with their status. A channel rename carries one, taken when it happened, so
//! a protocol that shows a rename as leaving one room and joining another (IRC's fallback
//! for clients without `draft/channel-rename`) can list the room as a join does, on any
//! node, without asking the hub from a writer.

use serde::{Deserialize, Serialize};

use crate::event::Peer;
use crate::hub::Topic;

/// The room's topic and members, in the order they joined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub topic: Option<Topic>,
    /// IRC `+s`: NAMES shows the room with `@` rather than `=`.
    pub secret: bool,
    pub members: Vec<Seated>,
}

/// One member and their status in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seated {
    pub who: Peer,
    pub op: bool,
    pub voice: bool,
}

impl Roster {
    /// About how many bytes it adds to an event in an outbox (a name, a user and a host
    /// per member, and the topic).
    pub fn cost(&self) -> usize {
        let topic = self
            .topic
            .as_ref()
            .map_or(0, |t| t.text.len() + t.set_by.len());
        topic + self.members.len() * 48
    }
}
