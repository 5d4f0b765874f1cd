//! The tags a line carries beside its command: a message's `msgid`, `bot` and client-only
//! tags, the author's account (`account-tag`), and `server-time` as the event's own time.

use std::sync::Arc;

use bytes::BytesMut;
use confab_core::{Event, EventKind, MsgId, Name};

use super::super::out::time_tag;

/// The account a logged-in author's line shows `account-tag` clients.
pub(super) fn author_account(kind: &EventKind) -> Option<&Name> {
    match kind {
        EventKind::Said { from, .. }
        | EventKind::Direct { from, .. }
        | EventKind::Tagged { from, .. } => from.account.as_ref(),
        EventKind::Joined { who, .. }
        | EventKind::Left { who, .. }
        | EventKind::Quit { who, .. }
        | EventKind::AwayChanged { who, .. }
        | EventKind::AccountChanged { who, .. }
        | EventKind::RealnameChanged { who, .. } => who.account.as_ref(),
        EventKind::Redacted { by, .. } | EventKind::RoomRenamed { by, .. } => by.account.as_ref(),
        EventKind::Renamed { new, .. } => new.account.as_ref(),
        EventKind::Presence { .. }
        | EventKind::MetadataChanged { .. }
        | EventKind::ReadMarked { .. } => None,
        EventKind::TopicChanged { by, .. }
        | EventKind::ModesChanged { by, .. }
        | EventKind::Kicked { by, .. }
        | EventKind::Killed { by, .. }
        | EventKind::Wallops { from: by, .. }
        | EventKind::Invited { by, .. } => by.account.as_ref(),
    }
}

/// What a message's tags say: its id, whether its sender is a bot, its client-only tags.
pub struct MessageTags<'a> {
    pub msgid: MsgId,
    pub bot: bool,
    pub client_tags: Option<&'a Arc<str>>,
}

impl MessageTags<'_> {
    /// `msgid=<id>[;bot][;<client tags>]`, the tags a message shows `message-tags`
    /// clients (the sender's echo too).
    pub fn tags(&self) -> String {
        let mut tags = format!("msgid={}", self.msgid);
        if self.bot {
            tags.push_str(";bot");
        }
        if let Some(client) = self.client_tags {
            tags.push(';');
            tags.push_str(client);
        }
        tags
    }
}

/// A message's tags; `None` for events that are not messages.
pub(super) fn message_tags(event: &Event) -> Option<MessageTags<'_>> {
    match event.kind() {
        EventKind::Said {
            from, client_tags, ..
        }
        | EventKind::Direct {
            from, client_tags, ..
        }
        | EventKind::Tagged {
            from, client_tags, ..
        } => Some(MessageTags {
            msgid: event.msgid(),
            bot: from.bot,
            client_tags: client_tags.as_ref(),
        }),
        _ => None,
    }
}

/// `@time=... ` for the moment the event happened.
pub(super) fn put_tag(out: &mut BytesMut, event: &Event) {
    out.extend_from_slice(b"@");
    out.extend_from_slice(time_tag(event.at()).as_bytes());
    out.extend_from_slice(b" ");
}
