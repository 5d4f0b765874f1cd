//! `WHOIS [<server>] <nick>{,<nick>}` and `USERHOST <nick>{ <nick>}`: what one user tells
//! about themself.

use confab_core::hub::UserView;
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::IrcAdapter;
use super::list;
use crate::adapter::{Context, Flow};

/// `311`, `319` (the channels the asker may see), `312`, `301` if away, `313` for an
/// operator, `335` for a bot, `330` for a logged-in user, `760` for each metadata key to
/// a `draft/metadata-3` client, then `318`; `401` for an unknown nick.
pub fn whois(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    // With two parameters the first names a server; there is only this one.
    let targets = m.params[m.params.len() - 1];
    if targets.is_empty() {
        me.out.num(Numeric::ERR_NONICKNAMEGIVEN, &[]);
        return Flow::Continue;
    }
    for nick in list(targets) {
        match cx.hub.user_view(nick) {
            Some(user) => send_whois(me, cx, &user),
            None => me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]),
        }
    }
    me.out.num(Numeric::RPL_ENDOFWHOIS, &[targets]);
    Flow::Continue
}

fn send_whois(me: &mut IrcAdapter, cx: &Context<'_>, user: &UserView) {
    let nick = user.name.as_str();
    me.out.num(
        Numeric::RPL_WHOISUSER,
        &[nick, &user.user, &user.host, "*", &user.realname],
    );
    let mine = cx.hub.rooms_of(cx.session);
    let is_self = me.nick.as_ref().is_some_and(|n| n.key() == user.name.key());
    let channels: Vec<String> = user
        .rooms
        .iter()
        .filter(|(room, _, _, secret)| {
            let shared = mine.iter().any(|r| r.key() == room.key());
            // An invisible user's channels, and secret channels, show only when shared.
            is_self || shared || !(*secret || user.invisible)
        })
        .map(|(room, op, voice, _)| {
            let prefix = if *op {
                "@"
            } else if *voice {
                "+"
            } else {
                ""
            };
            format!("{prefix}#{room}")
        })
        .collect();
    if !channels.is_empty() {
        me.out
            .num(Numeric::RPL_WHOISCHANNELS, &[nick, &channels.join(" ")]);
    }
    let server = me.settings.server.clone();
    let info = format!("{} ({})", me.settings.network, user.origin);
    me.out
        .num(Numeric::RPL_WHOISSERVER, &[nick, &server, &info]);
    if let Some(away) = &user.away {
        me.out.num_text(Numeric::RPL_AWAY, &[nick], away.as_str());
    }
    if user.oper {
        me.out.num(Numeric::RPL_WHOISOPERATOR, &[nick]);
    }
    if user.bot {
        let text = format!("is a bot on {}", me.settings.network);
        me.out.num_text(Numeric::RPL_WHOISBOT, &[nick], &text);
    }
    if let Some(account) = &user.account {
        me.out
            .num(Numeric::RPL_WHOISACCOUNT, &[nick, account.as_str()]);
    }
    if me.caps.has(Cap::Metadata) {
        // `760 <me> <nick> <key> * :<value>` for each key the user set (draft/metadata).
        let pairs = cx
            .hub
            .user_metadata(nick)
            .map(|(_, m)| m)
            .unwrap_or_default();
        for (key, value) in pairs.pairs() {
            me.out
                .num(Numeric::RPL_WHOISKEYVALUE, &[nick, key, "*", value]);
        }
    }
}

/// `302 :nick[*]=<+|->user@host ...` for up to five nicks (`*` an operator, `-` away).
pub fn userhost(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let replies: Vec<String> = m
        .params
        .iter()
        .take(5)
        .filter_map(|nick| cx.hub.user_view(nick))
        .map(|u| {
            let oper = if u.oper { "*" } else { "" };
            let away = if u.away.is_some() { '-' } else { '+' };
            format!("{}{oper}={away}{}@{}", u.name, u.user, u.host)
        })
        .collect();
    me.out.num(Numeric::RPL_USERHOST, &[&replies.join(" ")]);
    Flow::Continue
}
