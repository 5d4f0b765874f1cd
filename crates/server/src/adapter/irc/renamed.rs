//! A channel rename as an IRC client sees it (IRCv3 `draft/channel-rename`). With the
//! cap: `:nick!user@host RENAME #old #new :reason`, rendered once and shared like any
//! line (`render/line.rs`). Without it, the spec's fallback, rendered for this client alone:
//! its own `PART` of the old channel with the reason, its own `JOIN` of the new one, then
//! the topic and the names as after a join, from the roster the event carries (taken when
//! the room was renamed, on whichever node). A change of case alone is not shown to such a
//! client: the spec says the fallback should not be used for it.

use bytes::BytesMut;
use confab_core::{Event, EventKind};
use confab_proto::irc::Numeric;

use super::caps::Cap;
use super::commands::channel;
use super::commands::join::own_join;
use super::commands::names::{entry, put_names};
use super::commands::topic::send_topic;
use super::out::Out;
use super::IrcAdapter;

/// Appends the fallback for a client without the cap; whether the event was a rename
/// that needs no other rendering for it.
pub fn fallback(me: &IrcAdapter, event: &Event, out: &mut BytesMut) -> bool {
    let EventKind::RoomRenamed {
        old,
        new,
        reason,
        roster,
        ..
    } = event.kind()
    else {
        return false;
    };
    if me.caps.has(Cap::ChannelRename) {
        return false;
    }
    if old.key() == new.key() {
        return true;
    }
    let mut lines = Out::new(me.settings.server.clone());
    lines.client.clone_from(&me.out.client);
    lines.time_tags = me.caps.has(Cap::ServerTime);
    let (from, to) = (channel(old), channel(new));
    let mask = me.mask();
    let why = reason
        .as_ref()
        .map_or_else(|| format!("Channel renamed to {to}"), ToString::to_string);
    lines.line(&mask, "PART", &[&from, &why]);
    own_join(&mut lines, me.caps, (&mask, &me.realname), &to);
    if let Some(topic) = &roster.topic {
        send_topic(&mut lines, &to, topic);
    }
    let entries = roster.members.iter().map(|m| {
        let who = (&m.who.name, m.who.user(), &*m.who.host);
        entry(me.caps, m.op, m.voice, who)
    });
    put_names(&mut lines, roster.secret, &to, entries);
    lines.num(Numeric::RPL_ENDOFNAMES, &[&to]);
    if let Some(bytes) = lines.take() {
        out.extend_from_slice(&bytes);
    }
    true
}
