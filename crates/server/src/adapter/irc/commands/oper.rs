//! `OPER <name> <password>`: server operator status from the `[[irc.opers]]` accounts;
//! `WALLOPS :<text>`: a server operator's message to every server operator.

use confab_core::Text;
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub fn oper(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (name, password) = (m.params[0], m.params[1]);
    let known = me
        .settings
        .answers()
        .opers
        .iter()
        .any(|o| o.name == name && o.password == password);
    if !known {
        me.out.num(Numeric::ERR_PASSWDMISMATCH, &[]);
        return Flow::Continue;
    }
    let already = cx.hub.is_oper(cx.session);
    let _ = cx.hub.set_oper(cx.session, true);
    me.out.num(Numeric::RPL_YOUREOPER, &[]);
    if !already {
        let (mask, nick) = (me.mask(), me.out.client.clone());
        me.out.line(&mask, "MODE", &[&nick, "+o"]);
    }
    Flow::Continue
}

/// `WALLOPS :<text>`: to every server operator, of any protocol, the sender too; `481`
/// for anyone else.
pub fn wallops(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if cx.hub.wallops(cx.session, Text::new(m.params[0])).is_err() {
        me.out.num(Numeric::ERR_NOPRIVILEGES, &[]);
    }
    Flow::Continue
}
