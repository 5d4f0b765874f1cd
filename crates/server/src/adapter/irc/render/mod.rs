//! Hub events as IRC lines. A channel message is rendered once per wire variant, each in a
//! render slot of its own, and the bytes shared by every recipient: the plain line
//! (`PLAIN`), the same line with the `server-time` tag (`TAGGED`: the event's own time,
//! so every recipient sees the same), JOIN as `extended-join` shows it. Messages (PRIVMSG,
//! NOTICE, TAGMSG) to `message-tags` clients carry `msgid`, `bot` when the sender is a
//! bot, and the sender's client-only tags, without the time or with it; clients without
//! `message-tags` never see a TAGMSG. Nothing here depends on the recipient but its caps.
//!
//! This file chooses what a recipient's caps get and which cached slot holds it; the
//! table of lines is `line.rs`, the tags `tags.rs`, the lines rendered for one recipient
//! alone (MONITOR, read markers) `recipient.rs`.

mod line;
mod recipient;
mod tags;

use bytes::{Bytes, BytesMut};
use confab_core::{Event, EventKind, Name, RenderSlot};
use confab_proto::Protocol;

use super::caps::{Cap, Caps};
use super::out::time_tag;
use line::{line, put_line, tagged_line};
use tags::{author_account, message_tags, put_tag};

pub use line::target_param;
pub use recipient::{monitor_line, read_marker_line};
pub use tags::MessageTags;

// One slot per capability set the renderer distinguishes (the registry counts five).
use crate::adapter::render_slot;

const PLAIN: RenderSlot = render_slot(Protocol::Irc, 0);
const TAGGED: RenderSlot = render_slot(Protocol::Irc, 1);
const EXTENDED_JOIN: RenderSlot = render_slot(Protocol::Irc, 2);
const MESSAGE_TAGS: RenderSlot = render_slot(Protocol::Irc, 3);
const MESSAGE_TAGS_TIMED: RenderSlot = render_slot(Protocol::Irc, 4);

/// Appends `event` as a client with `caps` should see it (nothing for an away change
/// without away-notify).
pub fn event(event: &Event, caps: Caps, out: &mut BytesMut) {
    let kind = event.kind();
    if hidden(kind, caps) {
        return;
    }
    if let Some(account) = author_account(kind).filter(|_| caps.has(Cap::AccountTag)) {
        with_account(event, caps, account, out);
        return;
    }
    let time = caps.has(Cap::ServerTime);
    if let Some(message) = message_tags(event) {
        if caps.has(Cap::MessageTags) {
            let slot = if time {
                MESSAGE_TAGS_TIMED
            } else {
                MESSAGE_TAGS
            };
            out.extend_from_slice(event.rendered(slot, |k| {
                let mut tags = String::new();
                if time {
                    tags.push_str(&time_tag(event.at()));
                    tags.push(';');
                }
                tags.push_str(&message.tags());
                tagged_line(k, &tags)
            }));
            return;
        }
        if matches!(kind, EventKind::Tagged { .. }) {
            return;
        }
    }
    if caps.has(Cap::ExtendedJoin) && matches!(kind, EventKind::Joined { .. }) {
        // Joins are rare next to messages: the tag is added per recipient here.
        if time {
            put_tag(out, event);
        }
        out.extend_from_slice(event.rendered(EXTENDED_JOIN, |k| line(k, true)));
        return;
    }
    let bytes = if time {
        event.rendered(TAGGED, |_| {
            let mut tagged = BytesMut::new();
            put_tag(&mut tagged, event);
            tagged.extend_from_slice(event.rendered(PLAIN, |k| line(k, false)));
            tagged.freeze()
        })
    } else {
        event.rendered(PLAIN, |k| line(k, false))
    };
    out.extend_from_slice(bytes);
}

/// Whether a client with `caps` is not shown `kind` at all: each optional kind needs its
/// cap (away-notify, account-notify, setname, message-redaction; a watcher's copy
/// extended-monitor). A read mark is rendered per recipient (`read_marker_line`), and
/// clients without message-redaction are not told of a redaction: the spec leaves the
/// message shown to them.
fn hidden(kind: &EventKind, caps: Caps) -> bool {
    let needs = match kind {
        _ if is_watchers_copy(kind) && !caps.has(Cap::ExtendedMonitor) => return true,
        EventKind::AwayChanged { .. } => Cap::AwayNotify,
        EventKind::AccountChanged { .. } => Cap::AccountNotify,
        EventKind::RealnameChanged { .. } => Cap::Setname,
        EventKind::Redacted { .. } => Cap::MessageRedaction,
        EventKind::ReadMarked { .. } => return true,
        _ => return false,
    };
    !caps.has(needs)
}

/// Whether the event is the copy of a change for a name's watchers who share no room
/// with its owner: only `extended-monitor` clients show it (and only with the cap of
/// the change itself: away-notify, account-notify, setname).
fn is_watchers_copy(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::AwayChanged {
            to_watchers: true,
            ..
        } | EventKind::AccountChanged {
            to_watchers: true,
            ..
        } | EventKind::RealnameChanged {
            to_watchers: true,
            ..
        }
    )
}

/// An event by a logged-in author to an `account-tag` client: the `account=` tag joins
/// whatever else its caps show. Rendered for this recipient alone, not cached: the
/// cache's slots are one per common variant, and a slot per combination with this tag
/// would double them for every event.
fn with_account(event: &Event, caps: Caps, account: &Name, out: &mut BytesMut) {
    let kind = event.kind();
    let mut tags = Vec::new();
    if caps.has(Cap::ServerTime) {
        tags.push(time_tag(event.at()));
    }
    match message_tags(event) {
        Some(message) if caps.has(Cap::MessageTags) => tags.push(message.tags()),
        _ if matches!(kind, EventKind::Tagged { .. }) => return,
        _ => {}
    }
    tags.push(format!("account={account}"));
    let extended_join = caps.has(Cap::ExtendedJoin);
    out.extend_from_slice(&put_line(kind, Some(&tags.join(";")), extended_join));
}

/// The event as CHATHISTORY plays it back: its one line tagged with the batch (if any),
/// its own time and msgid, and for `message-tags` clients the sender's client-only tags.
/// Not cached: each batch has its own tag.
pub fn replayed(event: &Event, caps: Caps, batch: Option<&str>) -> Bytes {
    let mut tags = batch.map_or(String::new(), |id| format!("batch={id};"));
    tags.push_str(&time_tag(event.at()));
    match message_tags(event) {
        Some(message) if caps.has(Cap::MessageTags) => {
            tags.push(';');
            tags.push_str(&message.tags());
        }
        _ => tags.push_str(&format!(";msgid={}", event.msgid())),
    }
    let extended = caps.has(Cap::ExtendedJoin) && matches!(event.kind(), EventKind::Joined { .. });
    put_line(event.kind(), Some(&tags), extended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{Departure, MsgId, Name, Peer, Target, Text, Tone};
    use std::sync::Arc;

    fn n(s: &str) -> Name {
        Name::parse(s, 32).unwrap()
    }

    /// A message id, written `01HF7YAT3V003G00000000001A`.
    const ID: MsgId = MsgId::new(1_700_000_000_123, 7, 42);

    fn made(kind: EventKind) -> Arc<Event> {
        Event::new(ID, None, kind)
    }

    fn rendered(kind: EventKind, caps: Caps) -> String {
        let mut out = BytesMut::new();
        event(&made(kind), caps, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn irc_peer(nick: &str) -> Peer {
        Peer {
            name: n(nick),
            origin: "irc",
            user: Some(Arc::from("u")),
            host: Arc::from("127.0.0.1"),
            realname: Some(Arc::from("Real Name")),
            account: None,
            bot: false,
        }
    }

    #[test]
    fn classroom_users_appear_as_name_name_at_protocol() {
        let said = EventKind::Said {
            room: n("lobby"),
            from: Peer::classroom(n("carol"), "rooms"),
            text: Text::new("hi\r\nQUIT :x"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        };
        assert_eq!(
            rendered(said, Caps::default()),
            ":carol!carol@rooms PRIVMSG #lobby :hi  QUIT :x\r\n"
        );
        let quit = EventKind::Quit {
            who: Peer::classroom(n("dave"), "broadcast"),
            how: Departure::Lost,
            rooms: Arc::from([n("r")]),
        };
        assert_eq!(
            rendered(quit, Caps::default()),
            ":dave!dave@broadcast QUIT :Connection lost\r\n"
        );
        let renamed = EventKind::Renamed {
            old: n("carol"),
            new: Peer::classroom(n("caro"), "rooms"),
            rooms: Arc::from([n("r")]),
        };
        assert_eq!(
            rendered(renamed, Caps::default()),
            ":carol!carol@rooms NICK caro\r\n"
        );
    }

    #[test]
    fn caps_choose_the_variant_and_one_rendering_is_shared() {
        let join = made(EventKind::Joined {
            room: n("c"),
            who: irc_peer("al"),
            op: false,
        });
        let mut caps = Caps::default();
        let mut out = BytesMut::new();
        event(&join, caps, &mut out);
        assert_eq!(&out[..], b":al!u@127.0.0.1 JOIN #c\r\n");
        caps.set(Cap::ExtendedJoin, true);
        out.clear();
        event(&join, caps, &mut out);
        assert_eq!(&out[..], b":al!u@127.0.0.1 JOIN #c * :Real Name\r\n");
        caps.set(Cap::ServerTime, true);
        out.clear();
        event(&join, caps, &mut out);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(
            text.starts_with("@time=")
                && text.ends_with(" :al!u@127.0.0.1 JOIN #c * :Real Name\r\n")
        );
        let mut first = BytesMut::new();
        let mut second = BytesMut::new();
        let said = made(EventKind::Said {
            room: n("c"),
            from: irc_peer("al"),
            text: Text::new("hello"),
            tone: Tone::Notice,
            client_tags: None,
            lines: None,
            rank: None,
        });
        let mut timed = Caps::default();
        timed.set(Cap::ServerTime, true);
        event(&said, timed, &mut first);
        event(&said, timed, &mut second);
        assert_eq!(first, second, "the same time for every recipient");
        assert!(first.ends_with(b" :al!u@127.0.0.1 NOTICE #c hello\r\n"));
    }

    #[test]
    fn message_tags_clients_get_the_msgid_and_client_tags() {
        let said = made(EventKind::Said {
            room: n("c"),
            from: irc_peer("al"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: Some(Arc::from(r"+draft/react=\so/")),
            lines: None,
            rank: None,
        });
        let mut out = BytesMut::new();
        event(&said, Caps::default(), &mut out);
        assert_eq!(&out[..], b":al!u@127.0.0.1 PRIVMSG #c hi\r\n");
        let mut caps = Caps::default();
        caps.set(Cap::MessageTags, true);
        out.clear();
        event(&said, caps, &mut out);
        assert_eq!(
            &out[..],
            &b"@msgid=01HF7YAT3V003G00000000001A;+draft/react=\\so/ :al!u@127.0.0.1 PRIVMSG #c hi\r\n"[..]
        );
        caps.set(Cap::ServerTime, true);
        out.clear();
        event(&said, caps, &mut out);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("@time=2"), "{text}");
        assert!(text.ends_with(";msgid=01HF7YAT3V003G00000000001A;+draft/react=\\so/ :al!u@127.0.0.1 PRIVMSG #c hi\r\n"));

        let tagged = made(EventKind::Tagged {
            from: irc_peer("al"),
            to: Target::User(n("bob")),
            client_tags: Some(Arc::from("+typing=active")),
            to_account: None,
            rank: None,
        });
        let mut timed = Caps::default();
        timed.set(Cap::ServerTime, true);
        out.clear();
        event(&tagged, timed, &mut out);
        assert!(out.is_empty(), "TAGMSG needs message-tags");
        let mut caps = Caps::default();
        caps.set(Cap::MessageTags, true);
        event(&tagged, caps, &mut out);
        assert_eq!(
            &out[..],
            b"@msgid=01HF7YAT3V003G00000000001A;+typing=active :al!u@127.0.0.1 TAGMSG bob\r\n"
        );
    }

    #[test]
    fn a_bots_messages_carry_the_bot_tag_for_message_tags_clients_only() {
        let said = EventKind::Said {
            room: n("c"),
            from: Peer {
                bot: true,
                ..irc_peer("robo")
            },
            text: Text::new("beep"),
            tone: Tone::Chat,
            client_tags: Some(Arc::from("+x=1")),
            lines: None,
            rank: None,
        };
        assert_eq!(
            rendered(said.clone(), Caps::default()),
            ":robo!u@127.0.0.1 PRIVMSG #c beep\r\n"
        );
        let mut caps = Caps::default();
        caps.set(Cap::MessageTags, true);
        assert_eq!(
            rendered(said, caps),
            "@msgid=01HF7YAT3V003G00000000001A;bot;+x=1 :robo!u@127.0.0.1 PRIVMSG #c beep\r\n"
        );
    }

    #[test]
    fn a_logged_in_authors_account_shows_where_the_caps_ask() {
        let amy = Peer {
            account: Some(n("Amy")),
            ..irc_peer("amy")
        };
        let join = EventKind::Joined {
            room: n("c"),
            who: amy.clone(),
            op: false,
        };
        let mut caps = Caps::default();
        caps.set(Cap::ExtendedJoin, true);
        assert_eq!(
            rendered(join.clone(), caps),
            ":amy!u@127.0.0.1 JOIN #c Amy :Real Name\r\n"
        );
        caps.set(Cap::AccountTag, true);
        assert_eq!(
            rendered(join, caps),
            "@account=Amy :amy!u@127.0.0.1 JOIN #c Amy :Real Name\r\n"
        );
        let said = EventKind::Said {
            room: n("c"),
            from: amy.clone(),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        };
        caps.set(Cap::MessageTags, true);
        assert_eq!(
            rendered(said.clone(), caps),
            "@msgid=01HF7YAT3V003G00000000001A;account=Amy :amy!u@127.0.0.1 PRIVMSG #c hi\r\n"
        );
        assert_eq!(
            rendered(said, Caps::default()),
            ":amy!u@127.0.0.1 PRIVMSG #c hi\r\n"
        );
        let login = EventKind::AccountChanged {
            who: amy,
            rooms: Arc::from([n("c")]),
            to_watchers: false,
        };
        assert_eq!(rendered(login.clone(), Caps::default()), "");
        let mut notify = Caps::default();
        notify.set(Cap::AccountNotify, true);
        assert_eq!(rendered(login, notify), ":amy!u@127.0.0.1 ACCOUNT Amy\r\n");
    }

    #[test]
    fn away_changes_need_away_notify() {
        let away = EventKind::AwayChanged {
            who: irc_peer("al"),
            away: Some(Text::new("lunch")),
            rooms: Arc::from([n("r")]),
            to_watchers: false,
        };
        assert_eq!(rendered(away.clone(), Caps::default()), "");
        let mut caps = Caps::default();
        caps.set(Cap::AwayNotify, true);
        assert_eq!(rendered(away, caps), ":al!u@127.0.0.1 AWAY lunch\r\n");
    }

    #[test]
    fn kicks_default_to_the_kickers_nick_and_modes_split_their_parameters() {
        let kick = EventKind::Kicked {
            room: n("c"),
            by: irc_peer("al"),
            target: Peer::classroom(n("bob"), "rooms"),
            reason: None,
        };
        assert_eq!(
            rendered(kick, Caps::default()),
            ":al!u@127.0.0.1 KICK #c bob al\r\n"
        );
        let modes = EventKind::ModesChanged {
            room: n("c"),
            by: irc_peer("al"),
            changes: vec![confab_core::ModeChange::Op {
                on: true,
                who: n("bob"),
            }],
        };
        assert_eq!(
            rendered(modes, Caps::default()),
            ":al!u@127.0.0.1 MODE #c +o bob\r\n"
        );
    }
}
