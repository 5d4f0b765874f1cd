//! The table of IRC lines: each hub event kind as its one line (command, source and
//! parameters), with or without a tags section, and how IRC names a target, a source and a
//! channel in it.

use bytes::{Bytes, BytesMut};
use confab_core::{Departure, EventKind, Name, Peer, Target, Tone};
use confab_proto::irc::render_truncated;

use super::super::modes::mode_string;
use super::super::statusmsg;

/// A target as IRC names it: `#room` or the nick.
pub fn target_param(target: &Target) -> String {
    match target {
        Target::Room(room) => channel(room),
        Target::User(nick) => nick.to_string(),
    }
}

/// `nick!user@host`: classroom users appear as `name!name@<protocol>`.
fn source(peer: &Peer) -> String {
    format!("{}!{}@{}", peer.name, peer.user(), peer.host)
}

fn channel(room: &confab_core::Name) -> String {
    format!("#{room}")
}

/// Why someone left the server, as their QUIT shows it.
fn quit_reason(how: &Departure) -> String {
    match how {
        Departure::Quit {
            reason: Some(reason),
        } => format!("Quit: {reason}"),
        Departure::Quit { reason: None } => "Quit".into(),
        Departure::Lost => "Connection lost".into(),
        Departure::Removed { reason } => reason.to_string(),
        Departure::Parted { .. } => "Left".into(),
    }
}

/// The event's one line, without tags.
pub(super) fn line(kind: &EventKind, extended_join: bool) -> Bytes {
    put_line(kind, None, extended_join)
}

/// The event's one line with a tags section (without its `@`).
pub(super) fn tagged_line(kind: &EventKind, tags: &str) -> Bytes {
    put_line(kind, Some(tags), false)
}

#[allow(
    clippy::too_many_lines,
    reason = "table: one arm per EventKind, its IRC command and parameters"
)]
pub(super) fn put_line(kind: &EventKind, tags: Option<&str>, extended_join: bool) -> Bytes {
    let mut out = BytesMut::new();
    let mut put = |source: &str, command: &str, params: &[&str]| {
        render_truncated(&mut out, tags, Some(source), command, params);
    };
    match kind {
        EventKind::Joined { room, who, .. } if extended_join => {
            let account = who.account.as_ref().map_or("*", Name::as_str);
            put(
                &source(who),
                "JOIN",
                &[&channel(room), account, who.realname()],
            );
        }
        EventKind::Joined { room, who, .. } => put(&source(who), "JOIN", &[&channel(room)]),
        EventKind::Left { room, who, how } => match how {
            Departure::Parted {
                reason: Some(reason),
            } => put(&source(who), "PART", &[&channel(room), reason.as_str()]),
            _ => put(&source(who), "PART", &[&channel(room)]),
        },
        EventKind::Quit { who, how, .. } => put(&source(who), "QUIT", &[&quit_reason(how)]),
        EventKind::Said {
            room,
            from,
            text,
            tone,
            rank,
            ..
        } => put(
            &source(from),
            command(*tone),
            &[&statusmsg::channel(room, *rank), text.as_str()],
        ),
        EventKind::Direct {
            from,
            to,
            text,
            tone,
            ..
        } => put(&source(from), command(*tone), &[to.as_str(), text.as_str()]),
        EventKind::Tagged { from, to, rank, .. } => match to {
            Target::Room(room) => put(&source(from), "TAGMSG", &[&statusmsg::channel(room, *rank)]),
            Target::User(nick) => put(&source(from), "TAGMSG", &[nick.as_str()]),
        },
        EventKind::Renamed { old, new, .. } => {
            // A classroom user's user name is their name: the old mask shows the old one.
            let user = new.user.as_deref().unwrap_or(old.as_str());
            let old_mask = format!("{old}!{user}@{}", new.host);
            put(&old_mask, "NICK", &[new.name.as_str()]);
        }
        EventKind::TopicChanged { room, by, topic } => {
            let text = topic.as_ref().map_or("", |t| t.as_str());
            put(&source(by), "TOPIC", &[&channel(room), text]);
        }
        EventKind::ModesChanged { room, by, changes } => {
            let modes = mode_string(changes);
            let chan = channel(room);
            let mut params = vec![chan.as_str()];
            params.extend(modes.split(' '));
            put(&source(by), "MODE", &params);
        }
        EventKind::Kicked {
            room,
            by,
            target,
            reason,
        } => {
            // RFC 2812: without a comment, the kicker's nick.
            let reason = reason.as_ref().map_or(by.name.as_str(), |r| r.as_str());
            let target = target.name.as_str();
            put(&source(by), "KICK", &[&channel(room), target, reason]);
        }
        EventKind::Invited { room, by, target } => {
            put(&source(by), "INVITE", &[target.as_str(), &channel(room)]);
        }
        // Numerics for one recipient: rendered by the adapter itself (`monitor_line`).
        EventKind::Presence { .. } => {}
        EventKind::Wallops { from, text } => {
            put(&source(from), "WALLOPS", &[text.as_str()]);
        }
        EventKind::Killed { by, target, reason } => {
            let reason = reason.as_ref().map_or(by.name.as_str(), |r| r.as_str());
            put(&source(by), "KILL", &[target.as_str(), reason]);
        }
        EventKind::AwayChanged { who, away, .. } => match away {
            Some(text) => put(&source(who), "AWAY", &[text.as_str()]),
            None => put(&source(who), "AWAY", &[]),
        },
        EventKind::RealnameChanged { who, .. } => {
            put(&source(who), "SETNAME", &[who.realname()]);
        }
        EventKind::Redacted {
            target,
            by,
            msgid,
            reason,
        } => {
            let (target, msgid) = (target_param(target), msgid.to_string());
            match reason {
                Some(reason) => put(&source(by), "REDACT", &[&target, &msgid, reason.as_str()]),
                None => put(&source(by), "REDACT", &[&target, &msgid]),
            }
        }
        // For `draft/channel-rename` clients: the others get the fallback (`renamed.rs`).
        EventKind::RoomRenamed {
            old,
            new,
            by,
            reason,
            ..
        } => {
            // The spec: the reason is always sent, empty when none was given.
            let reason = reason.as_ref().map_or("", |r| r.as_str());
            put(
                &source(by),
                "RENAME",
                &[&channel(old), &channel(new), reason],
            );
        }
        // Rendered per recipient (`read_marker_line`), never here.
        EventKind::ReadMarked { .. } => {}
        EventKind::AccountChanged { who, .. } => {
            let account = who.account.as_ref().map_or("*", Name::as_str);
            put(&source(who), "ACCOUNT", &[account]);
        }
        // Told per recipient, to its subscribers only (`metadata.rs`).
        EventKind::MetadataChanged { .. } => {}
    }
    out.freeze()
}

fn command(tone: Tone) -> &'static str {
    match tone {
        Tone::Chat => "PRIVMSG",
        Tone::Notice => "NOTICE",
    }
}
