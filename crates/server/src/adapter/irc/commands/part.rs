//! `PART <channel>{,<channel>} [:<reason>]`: the channel hears it, the client gets its own
//! PART back.

use confab_core::{HubError, Text};
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use super::{list, room_of};
use crate::adapter::{Context, Flow};

pub fn part(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let reason = m.param(1).filter(|r| !r.is_empty());
    for chan in list(m.params[0]) {
        part_one(me, cx, chan, reason);
    }
    Flow::Continue
}

/// Leaves one channel: `403` if it does not exist, `442` if the client is not in it.
pub fn part_one(me: &mut IrcAdapter, cx: &Context<'_>, chan: &str, reason: Option<&str>) {
    let Some(room) = room_of(chan).filter(|room| cx.hub.room_exists(room)) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return;
    };
    match cx.hub.part(cx.session, room, reason.map(Text::new)) {
        Ok(()) => {
            let mask = me.mask();
            match reason {
                Some(reason) => me.out.line(&mask, "PART", &[chan, reason]),
                None => me.out.line(&mask, "PART", &[chan]),
            }
        }
        Err(HubError::NotMember(_)) => me.out.num(Numeric::ERR_NOTONCHANNEL, &[chan]),
        Err(_) => me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]),
    }
}
