//! `WHO <mask> [%<fields>[,<token>]]`: `352 RPL_WHOREPLY` per user (or WHOX's `354
//! RPL_WHOSPCRPL` with the requested fields), then `315 RPL_ENDOFWHO`. The mask is a
//! channel (its members) or a nick mask with `*` and `?` (invisible users show only to
//! those sharing a channel with them, unless named exactly).

use confab_core::mask::mask_matches;
use confab_core::Name;
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::settings::BOT_MODE;
use super::super::IrcAdapter;
use super::names::prefix;
use super::{channel, room_of};
use crate::adapter::{Context, Flow};

/// One user as WHO shows them.
struct Row {
    channel: String,
    user: String,
    host: String,
    nick: String,
    /// `H` or `G` (away), `*` for operators, the channel prefix, then `B` for a bot.
    flags: String,
    realname: String,
    /// WHOX's `a`: the account, or `0` when not logged in.
    account: String,
}

pub fn who(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let mask = m.param(0).filter(|p| !p.is_empty()).unwrap_or("*");
    let whox = m.param(1).and_then(|p| p.strip_prefix('%'));
    let rows = if mask.starts_with('#') {
        channel_rows(me, cx, mask)
    } else {
        user_rows(me, cx, mask)
    };
    for row in rows {
        match whox {
            Some(spec) => send_whox(me, &row, spec),
            None => {
                let hop_real = format!("0 {}", row.realname);
                me.out.num(
                    Numeric::RPL_WHOREPLY,
                    &[
                        &row.channel,
                        &row.user,
                        &row.host,
                        &me.settings.server.clone(),
                        &row.nick,
                        &row.flags,
                        &hop_real,
                    ],
                );
            }
        }
    }
    me.out.num(Numeric::RPL_ENDOFWHO, &[mask]);
    Flow::Continue
}

fn channel_rows(me: &IrcAdapter, cx: &Context<'_>, chan: &str) -> Vec<Row> {
    let Some(view) = room_of(chan).and_then(|room| cx.hub.room_view(room)) else {
        return Vec::new();
    };
    let member = cx.hub.is_member(cx.session, view.name.as_str());
    if view.modes.secret && !member {
        return Vec::new();
    }
    let multi = me.caps.has(Cap::MultiPrefix);
    let chan = channel(&view.name);
    view.members
        .iter()
        .filter(|m| member || !m.invisible)
        .map(|m| Row {
            channel: chan.clone(),
            user: m.user.to_string(),
            host: m.host.to_string(),
            nick: m.name.to_string(),
            flags: flags(m.away, m.oper, &prefix(m.op, m.voice, multi), m.bot),
            realname: m.realname.to_string(),
            account: account_field(m.account.as_ref()),
        })
        .collect()
}

fn user_rows(me: &IrcAdapter, cx: &Context<'_>, mask: &str) -> Vec<Row> {
    let wildcard = mask.contains(['*', '?']) || mask == "0";
    let mine: Vec<Name> = cx.hub.rooms_of(cx.session);
    let own = me.nick.as_ref();
    let users = if wildcard {
        cx.hub.user_views()
    } else {
        cx.hub.user_view(mask).into_iter().collect()
    };
    users
        .into_iter()
        .filter(|u| {
            let hostmask = format!("{}!{}@{}", u.name, u.user, u.host);
            let matches = mask == "0"
                || mask_matches(mask, u.name.as_str())
                || (mask.contains(['!', '@']) && mask_matches(mask, &hostmask));
            let is_self = own.is_some_and(|n| n.key() == u.name.key());
            let shares = u
                .rooms
                .iter()
                .any(|(room, ..)| mine.iter().any(|r| r.key() == room.key()));
            matches && (!wildcard || !u.invisible || is_self || shares)
        })
        .map(|u| Row {
            channel: "*".into(),
            user: u.user.to_string(),
            host: u.host.to_string(),
            nick: u.name.to_string(),
            flags: flags(u.away.is_some(), u.oper, "", u.bot),
            realname: u.realname.to_string(),
            account: account_field(u.account.as_ref()),
        })
        .collect()
}

fn account_field(account: Option<&Name>) -> String {
    account.map_or_else(|| "0".to_string(), Name::to_string)
}

fn flags(away: bool, oper: bool, prefix: &str, bot: bool) -> String {
    let mut flags = String::from(if away { "G" } else { "H" });
    if oper {
        flags.push('*');
    }
    flags.push_str(prefix);
    if bot {
        flags.push(BOT_MODE);
    }
    flags
}

/// WHOX: the requested fields in the spec's fixed order `tcuihsnfdlaor`, whatever order
/// they were asked in; `t` is the token after the comma.
fn send_whox(me: &mut IrcAdapter, row: &Row, spec: &str) {
    let (fields, token) = spec.split_once(',').unwrap_or((spec, ""));
    let server = me.settings.server.to_string();
    let mut params: Vec<&str> = Vec::new();
    for field in "tcuihsnfdlaor".chars().filter(|f| fields.contains(*f)) {
        params.push(match field {
            't' => token,
            'c' => &row.channel,
            'u' => &row.user,
            'i' => "255.255.255.255",
            'h' => &row.host,
            's' => &server,
            'n' => &row.nick,
            'f' => &row.flags,
            'd' => "0",
            'l' => "0",
            'a' => &row.account,
            'o' => "n/a",
            _ => &row.realname,
        });
    }
    if params.is_empty() {
        return;
    }
    me.out.num(Numeric::RPL_WHOSPCRPL, &params);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_show_away_oper_and_prefix() {
        assert_eq!(flags(false, false, "", false), "H");
        assert_eq!(flags(true, true, "@", false), "G*@");
        assert_eq!(flags(false, false, "+", true), "H+B");
    }
}
