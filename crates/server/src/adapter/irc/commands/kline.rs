//! Server-wide bans, for server operators: `KLINE [minutes] <mask> [:<reason>]` bans a
//! `nick!user@host` mask (`zed` means `zed!*@*`) or an account (`$a:amy`) and puts out
//! everyone it matches now; `DLINE [minutes] <address>[/<bits>] [:<reason>]` refuses new
//! connections from an address or network; `UNKLINE <mask>` and `UNDLINE <address>` lift
//! them. Minutes 0 or none: for ever. Bans are kept in the data directory.

use confab_core::{HubError, ServerBan};
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};
use crate::bans::{self, AddressBan};

/// What a ban command was given: its minutes, target and reason.
struct Given<'a> {
    minutes: u64,
    target: &'a str,
    reason: &'a str,
}

/// `[minutes] <target> [:<reason>]`; `None` when the target is missing.
fn given<'a>(m: &Message<'a>) -> Option<Given<'a>> {
    let (minutes, rest) = match m.params.first()?.parse::<u64>() {
        Ok(minutes) if m.params.len() > 1 => (minutes, &m.params[1..]),
        _ => (0, &m.params[..]),
    };
    let target = *rest.first()?;
    let reason = rest.get(1).copied().filter(|r| !r.is_empty());
    Some(Given {
        minutes,
        target,
        reason: reason.unwrap_or("no reason given"),
    })
}

pub fn kline(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let Some(ban) = given(m) else {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["KLINE"]);
        return Flow::Continue;
    };
    let Some(mask) = bans::full_mask(ban.target) else {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["KLINE"]);
        return Flow::Continue;
    };
    let expires = bans::expiry(ban.minutes);
    let set = ServerBan::new(&mask, ban.reason, expires);
    match cx.hub.ban_server_wide(cx.session, set) {
        Ok(put_out) => {
            let by = me.out.client.clone();
            crate::audit::record(&by, "kline", &mask, ban.reason);
            let row = bans::row(bans::MASK, &mask, ban.reason, &by, expires);
            tokio::spawn(bans::keep(cx.shared.history.clone(), row));
            let names: Vec<String> = put_out.iter().map(ToString::to_string).collect();
            let text = match names.is_empty() {
                true => format!("{mask} is banned ({})", ban.reason),
                false => format!(
                    "{mask} is banned ({}); put out: {}",
                    ban.reason,
                    names.join(" ")
                ),
            };
            notice(me, &text);
        }
        Err(HubError::NotOper) => me.out.num(Numeric::ERR_NOPRIVILEGES, &[]),
        Err(_) => {}
    }
    Flow::Continue
}

pub fn unkline(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let Some(mask) = bans::full_mask(m.params[0]) else {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["UNKLINE"]);
        return Flow::Continue;
    };
    match cx.hub.lift_server_ban(cx.session, &mask) {
        Ok(true) => {
            crate::audit::record(&me.out.client, "unkline", &mask, "");
            tokio::spawn(bans::forget(cx.shared.history.clone(), mask.clone()));
            notice(me, &format!("{mask} is no longer banned"));
        }
        Ok(false) => notice(me, &format!("{mask} is not banned")),
        Err(_) => me.out.num(Numeric::ERR_NOPRIVILEGES, &[]),
    }
    Flow::Continue
}

pub fn dline(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if !cx.hub.is_oper(cx.session) {
        me.out.num(Numeric::ERR_NOPRIVILEGES, &[]);
        return Flow::Continue;
    }
    let Some(ban) = given(m) else {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["DLINE"]);
        return Flow::Continue;
    };
    let Some(net) = bans::parse_address(ban.target) else {
        notice(me, &format!("{} is not an address or network", ban.target));
        return Flow::Continue;
    };
    let expires = bans::expiry(ban.minutes);
    let target = net.to_string();
    cx.shared.admission.put_address_ban(AddressBan {
        net,
        reason: ban.reason.to_string(),
        expires,
    });
    let by = me.out.client.clone();
    crate::audit::record(&by, "dline", &target, ban.reason);
    let row = bans::row(bans::ADDRESS, &target, ban.reason, &by, expires);
    tokio::spawn(bans::keep(cx.shared.history.clone(), row));
    notice(me, &format!("{target} is banned ({})", ban.reason));
    Flow::Continue
}

pub fn undline(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if !cx.hub.is_oper(cx.session) {
        me.out.num(Numeric::ERR_NOPRIVILEGES, &[]);
        return Flow::Continue;
    }
    let Some(net) = bans::parse_address(m.params[0]) else {
        notice(me, &format!("{} is not an address or network", m.params[0]));
        return Flow::Continue;
    };
    let lifted = cx.shared.admission.lift_address_ban(net);
    let target = net.to_string();
    if lifted {
        crate::audit::record(&me.out.client, "undline", &target, "");
        tokio::spawn(bans::forget(cx.shared.history.clone(), target.clone()));
        notice(me, &format!("{target} is no longer banned"));
    } else {
        notice(me, &format!("{target} is not banned"));
    }
    Flow::Continue
}

/// `STATS K` (bans by mask) or `STATS D` (by address), for server operators.
pub fn stats(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let letter = m.params[0].to_ascii_uppercase();
    if !cx.hub.is_oper(cx.session) {
        me.out.num(Numeric::ERR_NOPRIVILEGES, &[]);
        return Flow::Continue;
    }
    match letter.as_str() {
        "K" => {
            for ban in cx.hub.server_bans() {
                me.out
                    .num_text(Numeric::RPL_STATSKLINE, &["K", &ban.mask], &ban.reason);
            }
        }
        "D" => {
            let banned = cx.shared.admission.address_bans().clone();
            for ban in banned {
                let net = ban.net.to_string();
                me.out
                    .num_text(Numeric::RPL_STATSDLINE, &["D", &net], &ban.reason);
            }
        }
        _ => {}
    }
    me.out.num(Numeric::RPL_ENDOFSTATS, &[&letter]);
    Flow::Continue
}

fn notice(me: &mut IrcAdapter, text: &str) {
    let client = me.out.client.clone();
    me.out.server_line("NOTICE", &[&client, text]);
}
