//! `CAP LS [302]`, `CAP LIST`, `CAP REQ :<caps>`, `CAP END` (IRCv3 capability negotiation).
//! `LS` or `REQ` before registration holds registration back until `END`.

use confab_proto::irc::{Message, Numeric};

use super::super::caps::{parse_request, Cap};
use super::super::IrcAdapter;
use super::register::try_register;
use crate::adapter::{Context, Flow};

pub fn cap(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let sub = m.params[0].to_ascii_uppercase();
    let client = me.out.client.clone();
    match sub.as_str() {
        "LS" => {
            if !me.registered() {
                me.cap_negotiating = true;
            }
            // CAP LS 302 implies cap-notify (IRCv3 capability negotiation).
            if m.param(1).and_then(|v| v.parse::<u32>().ok()) >= Some(302) {
                me.caps.set(Cap::CapNotify, true);
            }
            // Values (`sasl=PLAIN`) only for clients that speak CAP LS 302.
            let v302 = m.param(1).and_then(|v| v.parse::<u32>().ok()) >= Some(302);
            let early = me.settings.register_before_connect;
            let all: Vec<String> = Cap::ALL
                .iter()
                .filter(|c| offered(cx, **c))
                .map(|c| match c.value(early).filter(|_| v302) {
                    Some(value) => format!("{}={value}", c.name()),
                    None => c.name().to_string(),
                })
                .collect();
            me.out.server_line("CAP", &[&client, "LS", &all.join(" ")]);
        }
        "LIST" => {
            let enabled = me.caps.names();
            me.out.server_line("CAP", &[&client, "LIST", &enabled]);
        }
        "REQ" => {
            if !me.registered() {
                me.cap_negotiating = true;
            }
            let list = m.param(1).unwrap_or("");
            // A cap this server does not offer is refused like an unknown one.
            let request = parse_request(list)
                .filter(|changes| changes.iter().all(|(cap, _)| offered(cx, *cap)));
            match request {
                Some(changes) => {
                    // The ACK is the last line without the new caps' effects.
                    me.out.server_line("CAP", &[&client, "ACK", list]);
                    for (cap, on) in changes {
                        me.caps.set(cap, on);
                    }
                    me.out.time_tags = me.caps.has(Cap::ServerTime);
                }
                None => me.out.server_line("CAP", &[&client, "NAK", list]),
            }
        }
        "END" => {
            me.cap_negotiating = false;
            return try_register(me, cx);
        }
        _ => me.out.num_text(
            Numeric::ERR_INVALIDCAPCMD,
            &[m.params[0]],
            "Invalid CAP command",
        ),
    }
    Flow::Continue
}

/// Whether this server offers `cap`: the history caps only when it keeps history.
fn offered(cx: &Context<'_>, cap: Cap) -> bool {
    !cap.needs_history() || cx.history().is_some()
}
