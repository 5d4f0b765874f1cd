//! `KICK <channel>{,<channel>} <nick>{,<nick>} [:<reason>]`: one channel for every nick,
//! or channels and nicks in pairs. Operators only; the reason defaults to the kicker's
//! nick (RFC 2812).

use confab_core::{HubError, Text};
use confab_proto::irc::{Message, Numeric};

use super::super::settings::KICK_LEN;
use super::super::IrcAdapter;
use super::{channel, clip, list, room_of};
use crate::adapter::{Context, Flow};

pub fn kick(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let chans: Vec<&str> = list(m.params[0]).collect();
    let nicks: Vec<&str> = list(m.params[1]).collect();
    let reason = m
        .param(2)
        .filter(|r| !r.is_empty())
        .map(|r| clip(r, KICK_LEN));
    let pairs: Vec<(&str, &str)> = match chans[..] {
        [chan] => nicks.iter().map(|n| (chan, *n)).collect(),
        _ if chans.len() == nicks.len() => chans.into_iter().zip(nicks).collect(),
        _ => {
            me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["KICK"]);
            return Flow::Continue;
        }
    };
    for (chan, nick) in pairs {
        kick_one(me, cx, chan, nick, reason);
    }
    Flow::Continue
}

fn kick_one(me: &mut IrcAdapter, cx: &Context<'_>, chan: &str, nick: &str, reason: Option<&str>) {
    let Some(view) = room_of(chan).and_then(|room| cx.hub.room_view(room)) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return;
    };
    let chan = channel(&view.name);
    match cx
        .hub
        .kick(cx.session, view.name.as_str(), nick, reason.map(Text::new))
    {
        Ok(()) => {
            crate::audit::record(
                &me.out.client,
                "kick",
                &format!("{chan} {nick}"),
                reason.unwrap_or(""),
            );
            let mask = me.mask();
            let own = me.out.client.clone();
            let target = view
                .members
                .iter()
                .find(|m| m.name.as_str().eq_ignore_ascii_case(nick))
                .map_or(nick.to_string(), |m| m.name.to_string());
            me.out
                .line(&mask, "KICK", &[&chan, &target, reason.unwrap_or(&own)]);
        }
        Err(HubError::NotMember(_)) => me.out.num(Numeric::ERR_NOTONCHANNEL, &[&chan]),
        Err(HubError::ChanOpNeeded(_)) => me.out.num(Numeric::ERR_CHANOPRIVSNEEDED, &[&chan]),
        Err(HubError::NoSuchUser(_)) => me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]),
        Err(HubError::UserNotInRoom { .. }) => {
            me.out.num(Numeric::ERR_USERNOTINCHANNEL, &[nick, &chan])
        }
        Err(_) => me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[&chan]),
    }
}
