//! `INVITE <nick> <channel>`: lets the nick past `+i`, `+l` and bans once. Members may
//! invite, only operators under `+i`; the inviter gets `341`, the invited an INVITE.
//! `INVITE` alone lists one's unused invitations (`336`s, then `337`).

use confab_core::HubError;
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use super::{channel, room_of};
use crate::adapter::{Context, Flow};

pub fn invite(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (nick, chan) = match m.params[..] {
        [] => return list(me, cx),
        [nick, chan, ..] => (nick, chan),
        [_] => {
            me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["INVITE"]);
            return Flow::Continue;
        }
    };
    let Some(target) = cx.hub.lookup(nick) else {
        me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]);
        return Flow::Continue;
    };
    let Some(room) = room_of(chan).filter(|room| cx.hub.room_exists(room)) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return Flow::Continue;
    };
    let shown_nick = target.name.to_string();
    match cx.hub.invite(cx.session, nick, room) {
        Ok(()) => {
            let chan = cx
                .hub
                .room_view(room)
                .map_or(chan.to_string(), |v| channel(&v.name));
            me.out.num(Numeric::RPL_INVITING, &[&shown_nick, &chan]);
            if let Some(away) = cx.hub.away_of(nick) {
                me.out
                    .num_text(Numeric::RPL_AWAY, &[&shown_nick], away.as_str());
            }
        }
        Err(HubError::NotMember(_)) => me.out.num(Numeric::ERR_NOTONCHANNEL, &[chan]),
        Err(HubError::ChanOpNeeded(_)) => me.out.num(Numeric::ERR_CHANOPRIVSNEEDED, &[chan]),
        Err(HubError::UserInRoom { .. }) => {
            me.out.num(Numeric::ERR_USERONCHANNEL, &[&shown_nick, chan])
        }
        Err(HubError::NoSuchUser(_)) => me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]),
        Err(_) => me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]),
    }
    Flow::Continue
}

/// `336 RPL_INVITELIST` per channel one may join by invitation, then `337`.
fn list(me: &mut IrcAdapter, cx: &Context<'_>) -> Flow {
    for room in cx.hub.invitations(cx.session) {
        me.out.num(Numeric::RPL_INVITELIST, &[&channel(&room)]);
    }
    me.out.num(Numeric::RPL_ENDOFINVITELIST, &[]);
    Flow::Continue
}
