//! A connected client as the hub knows it: an id, the protocol it came with, its outbox.

use std::fmt;

use crate::outbox::Outbox;

/// A session's number, unique for the life of the process. A user of another node
/// (see `hub/remote.rs`) has one too, with the top bit set, so routing tells them apart
/// from this node's own sessions without a lookup.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SessionId(pub u64);

impl SessionId {
    /// The bit that marks the id of a user of another node.
    pub(crate) const REMOTE: u64 = 1 << 63;

    /// Whether the id is a user of another node, who has no connection here.
    pub fn is_remote(self) -> bool {
        self.0 & SessionId::REMOTE != 0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One client's handle: shared by the hub (to deliver) and its connection (to write).
#[derive(Debug)]
pub struct Session {
    id: SessionId,
    origin: &'static str,
    outbox: Outbox,
}

impl Session {
    pub(crate) fn new(id: SessionId, origin: &'static str, outbox_limit: usize) -> Session {
        Session {
            id,
            origin,
            outbox: Outbox::new(outbox_limit),
        }
    }

    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The protocol the client speaks, e.g. `"rooms"`.
    pub fn origin(&self) -> &'static str {
        self.origin
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }
}
