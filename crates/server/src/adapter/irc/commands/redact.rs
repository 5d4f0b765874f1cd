//! `REDACT <target> <msgid> [:reason]` (IRCv3 `draft/message-redaction`): takes back a
//! message among the hub's latest ([`confab_core::hub::RECENT_MAX`]) in a channel (one's
//! own, or anyone's as a channel operator) or in a direct conversation (one's own). Those
//! with the cap who got the message, and the client itself, see
//! `:nick!user@host REDACT <target> <msgid> [:reason]`; history forgets the message.
//! Refusals: `FAIL REDACT INVALID_TARGET <target>`, `FAIL REDACT UNKNOWN_MSGID <target>
//! <msgid>`, `FAIL REDACT REDACT_FORBIDDEN <target> <msgid>`.

use confab_core::hub::{RedactError, RedactIn};
use confab_core::{MsgId, Text};
use confab_proto::irc::Message;

use super::super::caps::Cap;
use super::super::IrcAdapter;
use super::clip;
use crate::adapter::{Context, Flow};

/// The longest reason kept, in bytes (as for a kick's).
const REASON_MAX: usize = 300;

pub fn redact(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (target, msgid_text) = (m.params[0], m.params[1]);
    let place = match target.strip_prefix('#') {
        Some(room) => RedactIn::Room(room),
        None => RedactIn::User(target),
    };
    let reason = m
        .param(2)
        .filter(|r| !r.is_empty())
        .map(|r| Text::new(clip(r, REASON_MAX)));
    let msgid = msgid_text.parse::<MsgId>().ok();
    let result = cx.hub.redact(cx.session, place, msgid, reason.clone());
    let (code, text) = match result {
        Ok(()) => {
            if me.caps.has(Cap::MessageRedaction) {
                let mask = me.mask();
                match &reason {
                    Some(r) => me
                        .out
                        .line(&mask, "REDACT", &[target, msgid_text, r.as_str()]),
                    None => me.out.line(&mask, "REDACT", &[target, msgid_text]),
                }
            }
            return Flow::Continue;
        }
        Err(RedactError::InvalidTarget) => {
            let text = "You cannot redact messages there";
            me.out
                .server_line("FAIL", &["REDACT", "INVALID_TARGET", target, text]);
            return Flow::Continue;
        }
        Err(RedactError::UnknownMsgid) => ("UNKNOWN_MSGID", "No such message to redact"),
        Err(RedactError::Forbidden) => ("REDACT_FORBIDDEN", "You may not redact that message"),
    };
    me.out
        .server_line("FAIL", &["REDACT", code, target, msgid_text, text]);
    Flow::Continue
}
