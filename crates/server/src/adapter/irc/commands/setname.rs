//! `SETNAME :<real name>` (IRCv3 `setname`): changes the real name WHOIS and extended-join
//! show. The client (with the cap) and everyone sharing a room with it who has the cap
//! see `:nick!user@host SETNAME :<real name>`; an empty or over-long name is refused
//! with `FAIL SETNAME INVALID_REALNAME`.

use std::sync::Arc;

use confab_proto::irc::Message;

use super::super::caps::Cap;
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

/// The longest real name accepted, in bytes (ISUPPORT has no token for it; ergo's).
pub const REALNAME_MAX: usize = 150;

pub fn setname(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let realname = m.params[0];
    if realname.is_empty() || realname.len() > REALNAME_MAX {
        let text = format!("Real names are 1 to {REALNAME_MAX} bytes");
        me.out
            .server_line("FAIL", &["SETNAME", "INVALID_REALNAME", &text]);
        return Flow::Continue;
    }
    me.realname = Arc::from(realname);
    let _ = cx.hub.set_realname(cx.session, me.realname.clone());
    if me.caps.has(Cap::Setname) {
        let mask = me.mask();
        me.out.line(&mask, "SETNAME", &[realname]);
    }
    Flow::Continue
}
