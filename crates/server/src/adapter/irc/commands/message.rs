//! `PRIVMSG <target>{,<target>} :<text>` and `NOTICE` (the same, but never answered with
//! an error): to a channel (the hub room) or a nick (a direct message, whatever protocol
//! its owner speaks).

use confab_core::{HubError, Text, Tone};
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::settings::MAX_TARGETS;
use super::super::IrcAdapter;
use super::{list, room_of};
use crate::adapter::{Context, Flow};

pub fn privmsg(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    send(me, cx, m, Tone::Chat)
}

pub fn notice(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    send(me, cx, m, Tone::Notice)
}

fn send(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>, tone: Tone) -> Flow {
    let command = if tone == Tone::Chat {
        "PRIVMSG"
    } else {
        "NOTICE"
    };
    let errors = tone == Tone::Chat;
    let Some(targets) = m.param(0).filter(|t| !t.is_empty()) else {
        if errors {
            let text = format!("No recipient given ({command})");
            me.out.num_text(Numeric::ERR_NORECIPIENT, &[], &text);
        }
        return Flow::Continue;
    };
    let text = m.param(1).unwrap_or("");
    if text.is_empty() {
        if errors {
            me.out.num(Numeric::ERR_NOTEXTTOSEND, &[]);
        }
        return Flow::Continue;
    }
    for (i, target) in list(targets).enumerate() {
        if i == MAX_TARGETS {
            if errors {
                me.out.num(Numeric::ERR_TOOMANYTARGETS, &[target]);
            }
            break;
        }
        let refusal = if target.starts_with('#') {
            to_channel(cx, target, text, tone)
        } else {
            to_nick(me, cx, target, text, tone)
        };
        match refusal {
            None if me.caps.has(Cap::EchoMessage) => {
                let mask = me.mask();
                me.out.line(&mask, command, &[target, text]);
            }
            None => {}
            Some(numeric) if errors => me.out.num(numeric, &[target]),
            Some(_) => {}
        }
    }
    Flow::Continue
}

/// Says `text` in a channel; the numeric that refuses it, if any.
fn to_channel(cx: &Context<'_>, chan: &str, text: &str, tone: Tone) -> Option<Numeric> {
    let Some(room) = room_of(chan).filter(|room| cx.hub.room_exists(room)) else {
        return Some(Numeric::ERR_NOSUCHCHANNEL);
    };
    match cx.hub.say_as(cx.session, room, Text::new(text), tone) {
        Ok(()) => None,
        // The room is +n and the sender is outside it, or +m, or the sender is banned.
        Err(HubError::NotMember(_) | HubError::CannotSend(_)) => {
            Some(Numeric::ERR_CANNOTSENDTOCHAN)
        }
        Err(_) => Some(Numeric::ERR_NOSUCHCHANNEL),
    }
}

/// Sends `text` to one user; a PRIVMSG to someone away also answers `301 RPL_AWAY`.
fn to_nick(
    me: &mut IrcAdapter,
    cx: &Context<'_>,
    nick: &str,
    text: &str,
    tone: Tone,
) -> Option<Numeric> {
    match cx.hub.whisper_as(cx.session, nick, Text::new(text), tone) {
        Ok(()) => {
            if tone == Tone::Chat {
                if let Some(away) = cx.hub.away_of(nick) {
                    me.out.num_text(Numeric::RPL_AWAY, &[nick], away.as_str());
                }
            }
            None
        }
        Err(_) => Some(Numeric::ERR_NOSUCHNICK),
    }
}
