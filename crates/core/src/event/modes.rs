//! A room's modes as events carry them: flags, one change to the modes ([`ModeChange`]),
//! and the ranks of members a message may be for ([`Rank`]).

use serde::{Deserialize, Serialize};

use crate::mask::Mask;
use crate::name::Name;

/// A channel flag (IRC modes `n t m s i C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// `+C`: client-to-client queries (CTCP) other than actions may not be said in the
    /// room, except by its operators and voiced members.
    NoCtcp,
}

/// One change to a room's modes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        mask: Mask,
    },
    /// `+e mask` / `-e mask`: a ban exception (whoever matches it is not banned).
    Except {
        on: bool,
        mask: Mask,
    },
    /// `+I mask` / `-I mask`: an invite exception (whoever matches it joins an
    /// invitation-only room uninvited).
    InviteExcept {
        on: bool,
        mask: Mask,
    },
    /// `+q mask` / `-q mask`: a mute (whoever matches it may not speak).
    Quiet {
        on: bool,
        mask: Mask,
    },
    /// An exception from mutes (IRC `+e m:mask`): whoever matches it may speak though a
    /// mute matches them too.
    QuietExcept {
        on: bool,
        mask: Mask,
    },
    /// `+f seconds` / `-f`: slow mode, one message per member per that many seconds.
    Slow(Option<u32>),
}

impl ModeChange {
    /// Whether the change sets (`+`) or clears (`-`) its mode.
    pub fn is_on(&self) -> bool {
        match self {
            ModeChange::Flag { on, .. }
            | ModeChange::Op { on, .. }
            | ModeChange::Voice { on, .. }
            | ModeChange::Ban { on, .. }
            | ModeChange::Except { on, .. }
            | ModeChange::InviteExcept { on, .. }
            | ModeChange::Quiet { on, .. }
            | ModeChange::QuietExcept { on, .. } => *on,
            ModeChange::Key(key) => key.is_some(),
            ModeChange::Limit(limit) => limit.is_some(),
            ModeChange::Slow(seconds) => seconds.is_some(),
        }
    }
}

/// The members of a room a message is for when it is not for all of them (IRC
/// `STATUSMSG`: `@#room` for its operators, `+#room` for its voiced members and
/// operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rank {
    Op,
    Voice,
}

impl Rank {
    /// Whether a member with this status hears a message for the rank.
    pub fn admits(self, op: bool, voice: bool) -> bool {
        match self {
            Rank::Op => op,
            Rank::Voice => op || voice,
        }
    }
}
