//! The users every adapter and cluster target starts with: `bob` in `lobby` (the broadcast
//! room and IRC's `#lobby`) and `carol` in `lobby` and `chat`, so says, whispers, name
//! clashes and channel rules have someone to reach. Included with `#[path]` by the corpus
//! replays too, beside the targets that use it.

use std::sync::Arc;

use confab_core::{Hub, Name, Session};

/// Seats bob and carol in `hub`; their sessions.
pub fn bob_and_carol(hub: &Hub) -> Vec<Arc<Session>> {
    let name = |text| Name::room(text).expect("a valid name");
    let bob = hub.attach("rooms");
    hub.take_name(&bob, name("bob")).expect("bob");
    hub.join(&bob, name("lobby")).expect("bob joins lobby");
    let carol = hub.attach_from("irc", "127.0.0.2");
    hub.take_name(&carol, name("carol")).expect("carol");
    hub.join(&carol, name("lobby")).expect("carol joins lobby");
    hub.join(&carol, name("chat")).expect("carol joins chat");
    vec![bob, carol]
}
