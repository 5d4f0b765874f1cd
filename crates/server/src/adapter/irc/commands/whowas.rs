//! `WHOWAS <nick|mask> [<count>]`: who had a name, newest first: `314` (nick, user, host,
//! real name) and `312` (the server, and when the name was given up) for each, or `406`;
//! then `369`. A count of 0 or less means all that are remembered.

use confab_proto::irc::{Message, Numeric};

use super::super::out::iso8601;
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub fn whowas(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let Some(mask) = m.param(0).filter(|n| !n.is_empty()) else {
        me.out.num(Numeric::ERR_NONICKNAMEGIVEN, &[]);
        return Flow::Continue;
    };
    let count = m
        .param(1)
        .and_then(|c| c.parse::<i64>().ok())
        .map_or(0, |c| usize::try_from(c).unwrap_or(0));
    let gone = cx.hub.whowas(mask, count);
    if gone.is_empty() {
        me.out.num(Numeric::ERR_WASNOSUCHNICK, &[mask]);
    }
    let server = me.settings.server.clone();
    for was in &gone {
        let name = was.name.as_str();
        me.out.num_text(
            Numeric::RPL_WHOWASUSER,
            &[name, &was.user, &was.host, "*"],
            &was.realname,
        );
        me.out
            .num_text(Numeric::RPL_WHOISSERVER, &[name, &server], &iso8601(was.at));
    }
    me.out.num(Numeric::RPL_ENDOFWHOWAS, &[mask]);
    Flow::Continue
}
