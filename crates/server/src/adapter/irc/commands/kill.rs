//! `KILL <nick> [:<reason>]`: a server operator disconnects a user of any protocol. The
//! user is told why in their protocol's words; those who shared a room with them see
//! `QUIT :Killed (oper (reason))`; the operator gets a notice that it is done.

use confab_core::{HubError, Text};
use confab_proto::irc::{Message, Numeric};

use super::super::settings::KICK_LEN;
use super::super::IrcAdapter;
use super::clip;
use crate::adapter::{Context, Flow};

pub fn kill(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let nick = m.params[0];
    let reason = m
        .param(1)
        .filter(|r| !r.is_empty())
        .map(|r| Text::new(clip(r, KICK_LEN)));
    match cx.hub.kill(cx.session, nick, reason) {
        Ok(name) => {
            let client = me.out.client.clone();
            crate::audit::record(&client, "kill", name.as_str(), m.param(1).unwrap_or(""));
            let done = format!("{name} was disconnected");
            me.out.server_line("NOTICE", &[&client, &done]);
        }
        Err(HubError::NotOper) => me.out.num(Numeric::ERR_NOPRIVILEGES, &[]),
        Err(_) => me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]),
    }
    Flow::Continue
}
