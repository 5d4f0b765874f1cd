//! `PING <token>` and `PONG [<server>] <token>`: keepalive in both directions. Any line
//! counts as an answer to the server's own PING (see the adapter's timers).

use confab_proto::irc::Message;

use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

/// `PING <token>` -> `:server PONG server :<token>` (the token cut to fit 512 bytes).
pub fn ping(me: &mut IrcAdapter, _cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let server = me.out.server().to_string();
    me.out.server_line("PONG", &[&server, m.params[0]]);
    Flow::Continue
}

/// `PONG ...`: nothing to answer; hearing it already reset the timer.
pub fn pong(_me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    Flow::Continue
}
