//! `PING <token>` and `PONG [<server>] <token>`: keepalive in both directions. Any line
//! counts as an answer to the server's own PING (see the adapter's timers).

use std::sync::Arc;

use confab_proto::irc::Message;

use super::super::caps::Cap;
use super::super::label::wrap;
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

/// `PING <token>` -> `:server PONG server :<token>` (the token cut to fit 512 bytes).
///
/// With history kept, events reach their recipients only once stored, so a registered
/// client's PONG waits until everything made before it is stored and routed: a client
/// that PINGs to know its last command took effect has then also seen what it caused (a
/// message to itself, a relay to a channel). Its other replies keep their order.
pub fn ping(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let server = me.out.server().to_string();
    me.out.server_line("PONG", &[&server, m.params[0]]);
    let Some(history) = cx.shared.history.clone().filter(|_| me.registered()) else {
        return Flow::Continue;
    };
    let Some(pong) = me.out.take() else {
        return Flow::Continue;
    };
    let label = me.seldom().label.take();
    let batch = me.caps.has(Cap::Batch);
    let ordered = me.seldom().ordered.get_or_insert_with(Arc::default).clone();
    let place = ordered.reserve(cx.session);
    tokio::spawn(async move {
        history.flush().await;
        place.fill(match label {
            Some(label) => wrap(&label, &server, Some(pong), batch),
            None => pong,
        });
    });
    Flow::Continue
}

/// `PONG ...`: nothing to answer; hearing it already reset the timer.
pub fn pong(_me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    Flow::Continue
}
