//! `QUIT [:<reason>]`: the client's channels hear `QUIT :Quit: <reason>`, the client gets
//! `ERROR :Closing link` and the connection closes.

use confab_core::{Departure, Text};
use confab_proto::irc::Message;

use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub fn quit(me: &mut IrcAdapter, _cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let reason = m.param(0).filter(|r| !r.is_empty()).map(Text::new);
    let shown = match &reason {
        Some(reason) => format!("Quit: {reason}"),
        None => "Quit".to_string(),
    };
    me.out.error(&format!(
        "Closing link: ({}@{}) [{shown}]",
        me.user, me.host
    ));
    me.seldom().quit = Some(Departure::Quit { reason });
    Flow::Close
}
