//! `MONITOR` (IRCv3): a list of nicks whose coming and going the client hears, on any
//! protocol. `+ a,b` adds them and answers `730 :nick!user@host,...` for those online and
//! `731 :nick,...` for the others (`734` for what passes the limit); `- a,b` removes; `C`
//! clears; `L` lists (`732`…, `733`); `S` tells each one's status. A target that is not a
//! valid nick (a mask) gets `432`: only nicks can be watched.

use confab_core::hub::{Watched, MONITOR_MAX};
use confab_core::name::NAME_MAX_CEILING;
use confab_core::Name;
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use super::list;
use crate::adapter::{Context, Flow};

pub fn monitor(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let targets = m.param(1).unwrap_or("");
    match m.params[0] {
        "+" => add(me, cx, targets),
        "-" => {
            let names: Vec<Name> = valid(me, targets, false);
            cx.hub.monitor_remove(cx.session, &names);
        }
        "C" | "c" => cx.hub.monitor_clear(cx.session),
        "L" | "l" => {
            let names: Vec<String> = cx
                .hub
                .monitor_list(cx.session)
                .into_iter()
                .map(|w| w.name.to_string())
                .collect();
            for chunk in names.chunks(20) {
                me.out.num_text(Numeric::RPL_MONLIST, &[], &chunk.join(","));
            }
            me.out.num(Numeric::RPL_ENDOFMONLIST, &[]);
        }
        "S" | "s" => statuses(me, &cx.hub.monitor_list(cx.session)),
        _ => me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["MONITOR"]),
    }
    Flow::Continue
}

fn add(me: &mut IrcAdapter, cx: &Context<'_>, targets: &str) {
    let names = valid(me, targets, true);
    match cx.hub.monitor_add(cx.session, names) {
        Ok(watched) => statuses(me, &watched),
        Err((watched, refused)) => {
            statuses(me, &watched);
            let refused: Vec<&str> = refused.iter().map(Name::as_str).collect();
            let limit = MONITOR_MAX.to_string();
            me.out
                .num(Numeric::ERR_MONLISTFULL, &[&limit, &refused.join(",")]);
        }
    }
}

/// The targets that are valid nicks; the others answered `432` when `tell`.
fn valid(me: &mut IrcAdapter, targets: &str, tell: bool) -> Vec<Name> {
    let mut names = Vec::new();
    for target in list(targets).filter(|t| !t.is_empty()) {
        match Name::parse(target, NAME_MAX_CEILING) {
            Ok(name) => names.push(name),
            Err(_) if tell => me.out.num(Numeric::ERR_ERRONEUSNICKNAME, &[target]),
            Err(_) => {}
        }
    }
    names
}

/// `730` for the watched names online (as `nick!user@host`), `731` for the others.
fn statuses(me: &mut IrcAdapter, watched: &[Watched]) {
    let (mut online, mut offline) = (Vec::new(), Vec::new());
    for w in watched {
        match &w.online {
            Some(peer) => online.push(format!("{}!{}@{}", peer.name, peer.user(), peer.host)),
            None => offline.push(w.name.to_string()),
        }
    }
    for chunk in online.chunks(10) {
        me.out
            .num_text(Numeric::RPL_MONONLINE, &[], &chunk.join(","));
    }
    for chunk in offline.chunks(20) {
        me.out
            .num_text(Numeric::RPL_MONOFFLINE, &[], &chunk.join(","));
    }
}
