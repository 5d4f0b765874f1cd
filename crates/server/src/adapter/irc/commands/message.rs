//! `PRIVMSG <target>{,<target>} :<text>` and `NOTICE` (the same, but never answered with
//! an error): to a channel (the hub room), its operators (`@#room`) or voiced members
//! (`+#room`, STATUSMSG), or a nick (a direct message, whatever protocol its owner
//! speaks). `TAGMSG <target>{,<target>}` (IRCv3 message-tags) sends only the
//! client-only tags; it reaches `message-tags` clients alone.
//!
//! Client-only tags (`+key[=value]`) go along with the message, still escaped as sent;
//! other tags a client sends are dropped. Every message gets a `msgid` from the hub.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use confab_core::hub::Reach;
use confab_core::{HubError, MsgId, Rank, Text, Tone};
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::render::MessageTags;
use super::super::settings::MAX_TARGETS;
use super::super::statusmsg;
use super::super::IrcAdapter;
use super::{list, nickserv, room_of};
use crate::adapter::{Context, Flow};

pub fn privmsg(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    send(me, cx, m, Some(Tone::Chat))
}

pub fn notice(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    send(me, cx, m, Some(Tone::Notice))
}

pub fn tagmsg(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    send(me, cx, m, None)
}

/// Sends a PRIVMSG (`Tone::Chat`), NOTICE (`Tone::Notice`) or TAGMSG (`None`). Only NOTICE
/// is never answered with an error.
fn send(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>, tone: Option<Tone>) -> Flow {
    let command = match tone {
        Some(Tone::Chat) => "PRIVMSG",
        Some(Tone::Notice) => "NOTICE",
        None => "TAGMSG",
    };
    let errors = tone != Some(Tone::Notice);
    let Some(targets) = m.param(0).filter(|t| !t.is_empty()) else {
        if errors {
            let text = format!("No recipient given ({command})");
            me.out.num_text(Numeric::ERR_NORECIPIENT, &[], &text);
        }
        return Flow::Continue;
    };
    let text = match tone {
        Some(_) => {
            let text = m.param(1).unwrap_or("");
            if text.is_empty() {
                if errors {
                    me.out.num(Numeric::ERR_NOTEXTTOSEND, &[]);
                }
                return Flow::Continue;
            }
            Some(text)
        }
        None => None,
    };
    let tags = m.tags.and_then(client_tags);
    for (i, target) in list(targets).enumerate() {
        if i == MAX_TARGETS {
            if errors {
                me.out.num(Numeric::ERR_TOOMANYTARGETS, &[target]);
            }
            break;
        }
        let (rank, bare) = statusmsg::split(target);
        let sent = if bare.starts_with('#') {
            to_channel(cx, (bare, rank), text, tone, tags.clone())
        } else if nickserv::is_nickserv(target) {
            // The services answer PRIVMSG; notices and tags to them are dropped.
            if let (Some(text), Some(Tone::Chat)) = (text, tone) {
                nickserv::said(me, cx, text);
            }
            continue;
        } else {
            to_nick(me, cx, target, text, tone, tags.clone())
        };
        match sent {
            Ok(msgid) if me.caps.has(Cap::EchoMessage) => {
                echo(me, msgid, command, target, text, tags.as_ref());
            }
            Ok(_) => {}
            Err(refused) if errors => refused.answer(me, target),
            Err(_) => {}
        }
    }
    Flow::Continue
}

/// echo-message: the message sent, back to its sender at the message's own time, with
/// its tags for a `message-tags` client (a TAGMSG only to one of those).
fn echo(
    me: &mut IrcAdapter,
    msgid: MsgId,
    command: &str,
    target: &str,
    text: Option<&str>,
    tags: Option<&Arc<str>>,
) {
    let mask = me.mask();
    let mut params = vec![target];
    params.extend(text);
    // The message's own time: its id's millisecond, all `time` shows.
    let at = UNIX_EPOCH + Duration::from_millis(msgid.millis());
    if me.caps.has(Cap::MessageTags) {
        let bot = me.bot;
        let client_tags = tags;
        let tags = MessageTags {
            msgid,
            bot,
            client_tags,
        }
        .tags();
        me.out
            .line_tagged_at(at, Some(&tags), &mask, command, &params);
    } else if text.is_some() {
        me.out.line_tagged_at(at, None, &mask, command, &params);
    }
}

/// The client-only tags of a raw tags section (`+key` or `+key=value`, kept escaped as
/// sent, an empty value dropped), joined with `;`; `None` when there are none.
pub fn client_tags(raw: &str) -> Option<Arc<str>> {
    let is_key = |key: &str| {
        key.strip_prefix('+').is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.'))
        })
    };
    let kept: Vec<&str> = raw
        .split(';')
        .filter_map(|item| {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            is_key(key).then_some(if value.is_empty() { key } else { item })
        })
        .collect();
    (!kept.is_empty()).then(|| Arc::from(kept.join(";")))
}

/// Why a message was not sent: the numeric, and the rule that refused it where the
/// numeric's own text does not say (a mute, slow mode, the word filter).
pub struct Refused(Numeric, Option<String>);

impl Refused {
    /// The numeric for `target`, with the rule that refused the message if any.
    pub fn answer(self, me: &mut IrcAdapter, target: &str) {
        match self {
            Refused(numeric, None) => me.out.num(numeric, &[target]),
            Refused(numeric, Some(why)) => {
                let text = format!("{}: {why}", numeric.default_text().unwrap_or(""));
                me.out.num_text(numeric, &[target], &text)
            }
        }
    }
}

impl From<Numeric> for Refused {
    fn from(numeric: Numeric) -> Refused {
        Refused(numeric, None)
    }
}

/// Says `text` (or only the tags) in a channel, to the members of a rank alone when one
/// is given: the message's id, or the numeric that refuses it.
fn to_channel(
    cx: &Context<'_>,
    (chan, rank): (&str, Option<Rank>),
    text: Option<&str>,
    tone: Option<Tone>,
    tags: Option<Arc<str>>,
) -> Result<MsgId, Refused> {
    // The hub's one lookup tells a channel that does not exist (403) from one that
    // refuses the message (404).
    let Some(room) = room_of(chan) else {
        return Err(Numeric::ERR_NOSUCHCHANNEL.into());
    };
    let tone = tone.unwrap_or_default();
    let text = text.map(Text::new);
    cx.hub
        .say_ranked(cx.session, room, rank, text, tone, tags)
        .map_err(refusal_of_channel)
}

/// Why the hub refused a message to a channel, as IRC says it.
pub fn refusal_of_channel(error: HubError) -> Refused {
    match error {
        // The room is +n and the sender is outside it, or +m, or the sender is banned.
        HubError::NotMember(_) | HubError::CannotSend(_) => Numeric::ERR_CANNOTSENDTOCHAN.into(),
        why @ (HubError::Muted(_)
        | HubError::NoCtcp(_)
        | HubError::SlowMode { .. }
        | HubError::Filtered) => Refused(Numeric::ERR_CANNOTSENDTOCHAN, Some(why.to_string())),
        _ => Numeric::ERR_NOSUCHCHANNEL.into(),
    }
}

/// Why the hub refused a message to a nick, as IRC says it.
pub fn refusal_of_nick(error: HubError) -> Refused {
    match error {
        HubError::Filtered => Refused(Numeric::ERR_CANNOTSENDTOCHAN, Some(error.to_string())),
        _ => Numeric::ERR_NOSUCHNICK.into(),
    }
}

/// Sends `text` (or only the tags) to one user; a PRIVMSG to someone away also answers
/// `301 RPL_AWAY`.
fn to_nick(
    me: &mut IrcAdapter,
    cx: &Context<'_>,
    nick: &str,
    text: Option<&str>,
    tone: Option<Tone>,
    tags: Option<Arc<str>>,
) -> Result<MsgId, Refused> {
    let msgid = cx
        .hub
        .whisper_tagged(
            cx.session,
            nick,
            text.map(Text::new),
            tone.unwrap_or_default(),
            tags,
        )
        .map_err(refusal_of_nick)?;
    if tone == Some(Tone::Chat) {
        if let Some(away) = cx.hub.away_of(nick) {
            me.out.num_text(Numeric::RPL_AWAY, &[nick], away.as_str());
        } else if cx.hub.reach(nick) == Reach::Waiting {
            let text =
                format!("{nick} is not online; your message will be delivered when they log in");
            let client = me.out.client.clone();
            me.out.server_line("NOTICE", &[&client, &text]);
        }
    }
    Ok(msgid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_tags_are_kept_as_sent() {
        assert_eq!(client_tags("fizz=buzz"), None);
        assert_eq!(
            client_tags(r"+baz=bat;fizz=buzz;+a\:b;+buzz=fizz\:buzz;+empty=;+;+bad key=1")
                .as_deref(),
            Some(r"+baz=bat;+buzz=fizz\:buzz;+empty")
        );
        assert_eq!(
            client_tags("+draft/react=x;+example.com/x").as_deref(),
            Some("+draft/react=x;+example.com/x")
        );
    }
}
