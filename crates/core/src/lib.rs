//! confab's chat core: names, rooms, users, the hub and its verbs, events, outboxes and the
//! slow-consumer rule, and the `Router` seam. It knows no sockets and no protocols.

pub mod event;
pub mod hub;
pub mod mask;
pub mod name;
pub mod outbox;
pub mod router;
pub mod session;
pub mod text;

pub use event::{
    mode_string, ChannelFlag, Departure, Event, EventKind, ModeChange, Peer, RenderSlot, Target,
    Tone,
};
pub use hub::{Hub, HubConfig, HubError};
pub use name::{Name, NameError};
pub use outbox::{CloseReason, Delivery, Outbox};
pub use router::{LocalRouter, Router};
pub use session::{Session, SessionId};
pub use text::{NotUtf8, Text};
