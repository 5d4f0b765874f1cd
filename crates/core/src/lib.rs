//! confab's chat core: names, rooms, users, the hub and its verbs, addressed events and
//! their ids, outboxes and the slow-consumer rule, and the `Stage` seam where storage and
//! other nodes join. It knows no sockets, no protocols, no SQL and no Redis.

pub mod event;
pub mod hub;
pub mod lines;
pub mod mask;
pub mod metadata;
pub mod msgid;
pub mod name;
pub mod outbox;
pub mod roster;
pub mod router;
pub mod session;
pub mod text;

pub use event::{
    Audience, ChannelFlag, Departure, Event, EventKind, ModeChange, Peer, Rank, RenderSlot, Target,
    Tone,
};
pub use hub::{Hub, HubConfig, HubError, LiveRules, Residence, ServerBan};
pub use lines::{Line, Lines};
pub use msgid::{MsgId, MsgIds};
pub use name::{Name, NameError};
pub use outbox::{CloseReason, Delivery, Outbox};
pub use router::{Routed, Stage};
pub use session::{Session, SessionId};
pub use text::{NotUtf8, Text};
