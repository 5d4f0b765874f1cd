//! `AWAY [:<message>]`: away with a message (`306`), or back with none (`305`). Shared
//! channels' away-notify clients hear it; PRIVMSG and WHOIS show it (`301`).

use confab_core::Text;
use confab_proto::irc::{Message, Numeric};

use super::super::settings::AWAY_LEN;
use super::super::IrcAdapter;
use super::clip;
use crate::adapter::{Context, Flow};

pub fn away(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    match m.param(0).filter(|t| !t.is_empty()) {
        Some(text) => {
            let _ = cx
                .hub
                .set_away(cx.session, Some(Text::new(clip(text, AWAY_LEN))));
            me.out.num(Numeric::RPL_NOWAWAY, &[]);
        }
        None => {
            let _ = cx.hub.set_away(cx.session, None);
            me.out.num(Numeric::RPL_UNAWAY, &[]);
        }
    }
    Flow::Continue
}
