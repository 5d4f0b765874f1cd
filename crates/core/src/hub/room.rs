//! A room as the hub keeps it: its members' seats, topic, modes, lists and metadata.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use indexmap::IndexMap;

use crate::event::ChannelFlag;
use crate::mask::{Identity, Mask};
use crate::metadata::Metadata;
use crate::msgid::MsgId;
use crate::name::Name;
use crate::session::{Session, SessionId};
use crate::text::Text;
use std::sync::Arc;

/// A room's topic and who set it when (serialisable: a rename carries it in its
/// [`crate::roster::Roster`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Topic {
    pub text: Text,
    pub set_by: String,
    pub set_at: SystemTime,
}

/// A ban (or ban exception) mask and who set it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub mask: Mask,
    pub set_by: String,
    pub set_at: SystemTime,
}

/// A room's modes. New rooms are `+nt`, as on most IRC networks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelModes {
    pub no_external: bool,
    pub topic_lock: bool,
    pub moderated: bool,
    pub secret: bool,
    pub invite_only: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
    /// Slow mode (`+f N`): a member may say one message per N seconds.
    pub slow: Option<u32>,
    /// No client-to-client queries but actions (`+C`). Defaulted when read from a node
    /// that does not know it.
    #[serde(default)]
    pub no_ctcp: bool,
}

impl Default for ChannelModes {
    fn default() -> Self {
        ChannelModes {
            no_external: true,
            topic_lock: true,
            moderated: false,
            secret: false,
            invite_only: false,
            key: None,
            limit: None,
            slow: None,
            no_ctcp: false,
        }
    }
}

impl ChannelModes {
    pub fn flag(&self, flag: ChannelFlag) -> bool {
        match flag {
            ChannelFlag::NoExternal => self.no_external,
            ChannelFlag::TopicLock => self.topic_lock,
            ChannelFlag::Moderated => self.moderated,
            ChannelFlag::Secret => self.secret,
            ChannelFlag::InviteOnly => self.invite_only,
            ChannelFlag::NoCtcp => self.no_ctcp,
        }
    }

    pub(crate) fn flag_mut(&mut self, flag: ChannelFlag) -> &mut bool {
        match flag {
            ChannelFlag::NoExternal => &mut self.no_external,
            ChannelFlag::TopicLock => &mut self.topic_lock,
            ChannelFlag::Moderated => &mut self.moderated,
            ChannelFlag::Secret => &mut self.secret,
            ChannelFlag::InviteOnly => &mut self.invite_only,
            ChannelFlag::NoCtcp => &mut self.no_ctcp,
        }
    }
}

/// A member's place in a room.
pub(crate) struct Seat {
    pub session: Arc<Session>,
    pub op: bool,
    pub voice: bool,
    /// The id of the member's join: routing gives them only the room's later events, so
    /// an event made before they joined, but routed after (past the store's commit), is
    /// not theirs.
    pub since: MsgId,
}

pub(crate) struct Room {
    pub name: Name,
    /// Members in the order they joined.
    pub members: IndexMap<SessionId, Seat>,
    /// Creation order, for listing.
    pub created: u64,
    pub created_at: SystemTime,
    pub topic: Option<Topic>,
    pub modes: ChannelModes,
    pub bans: Vec<Ban>,
    /// Ban exceptions (`+e`): a user matching one is not banned.
    pub exceptions: Vec<Ban>,
    /// Mutes (`+q`): a member matching one may not speak, unless voiced or an operator.
    pub quiets: Vec<Ban>,
    /// Exceptions from mutes: a member matching one is not muted.
    pub quiet_exceptions: Vec<Ban>,
    /// Invite exceptions (`+I`): a user matching one needs no invitation.
    pub invite_exceptions: Vec<Ban>,
    /// When each member last spoke, kept only while the room is in slow mode (`+f`): here
    /// rather than in every seat, so rooms without it pay nothing per member.
    pub last_said: HashMap<SessionId, std::time::Instant>,
    pub invited: HashSet<SessionId>,
    /// The room's metadata (IRCv3 `draft/metadata`), set by its operators.
    pub metadata: Metadata,
}

impl Room {
    pub fn new(name: Name, created: u64) -> Room {
        Room {
            name,
            members: IndexMap::new(),
            created,
            created_at: SystemTime::now(),
            topic: None,
            modes: ChannelModes::default(),
            bans: Vec::new(),
            exceptions: Vec::new(),
            quiets: Vec::new(),
            quiet_exceptions: Vec::new(),
            invite_exceptions: Vec::new(),
            last_said: HashMap::new(),
            invited: HashSet::new(),
            metadata: Metadata::default(),
        }
    }

    pub fn is_op(&self, id: SessionId) -> bool {
        self.members.get(&id).is_some_and(|s| s.op)
    }

    pub fn has_bans(&self) -> bool {
        !self.bans.is_empty()
    }

    /// Whether a ban matches `who` and no exception does.
    pub fn is_banned(&self, who: &Identity) -> bool {
        listed(&self.bans, who) && !listed(&self.exceptions, who)
    }
}

/// Whether an entry of `list` matches `who`.
pub(crate) fn listed(list: &[Ban], who: &Identity) -> bool {
    list.iter().any(|entry| entry.mask.matches(who))
}
