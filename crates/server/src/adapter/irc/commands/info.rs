//! `LUSERS`, `MOTD` and `TIME`: the server describing itself on request.

use std::time::SystemTime;

use confab_proto::irc::{Message, Numeric};

use super::super::out::{iso8601, unix_secs};
use super::super::{welcome, IrcAdapter};
use crate::adapter::{Context, Flow};

pub fn lusers(me: &mut IrcAdapter, cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    welcome::lusers(&mut me.out, cx.hub);
    Flow::Continue
}

pub fn motd(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let settings = me.settings.clone();
    welcome::motd(&mut me.out, &settings);
    Flow::Continue
}

/// `391 RPL_TIME <server> <unix time> :<readable time>`.
pub fn time(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let now = SystemTime::now();
    let server = me.settings.server.clone();
    me.out.num(
        Numeric::RPL_TIME,
        &[&server, &unix_secs(now), &iso8601(now)],
    );
    Flow::Continue
}
