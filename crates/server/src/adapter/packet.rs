//! `packet` (seed 002): binary packets login, list, sendto, logout; every client packet gets
//! exactly one LIST or RESPONSE. Layouts in docs/protocols/packet.md.

use bytes::BytesMut;
use confab_core::hub::Reach;
use confab_core::lines::shown;
use confab_core::{Departure, Event, EventKind, RenderSlot, Text};
use confab_proto::packet::{
    encode_list, encode_response, encode_sendto, ClientPacket, Decoded, Decoder, ResultCode,
    MAX_TEXT_CHARS,
};
use confab_proto::Protocol;

use tokio::time::Instant;

use super::classroom_login::{answered, Outcome, PendingLogin};
use super::{Adapter, Context, Flow};

const SLOT: RenderSlot = super::render_slot(Protocol::Packet, 0);

pub struct PacketAdapter {
    decoder: Decoder,
    /// A login `amy sesame` being checked: no further packet is read until it answers.
    login: Option<PendingLogin>,
}

impl PacketAdapter {
    pub fn new(max_body: usize) -> Self {
        PacketAdapter {
            decoder: Decoder::new(max_body),
            login: None,
        }
    }

    fn handle(&mut self, packet: ClientPacket, cx: &Context<'_>) {
        let code = match packet {
            ClientPacket::List => {
                let names = cx.hub.names();
                let mut out = BytesMut::new();
                encode_list(names.iter().map(|n| n.as_str()), &mut out);
                cx.reply(out.freeze());
                return;
            }
            ClientPacket::Login { name } if cx.hub.name_of(cx.session).is_some() => {
                login(&name, cx)
            }
            ClientPacket::Login { name } => match PendingLogin::begin(cx, &name) {
                Some(pending) => {
                    self.login = Some(pending);
                    return;
                }
                None => login(&name, cx),
            },
            ClientPacket::SendTo { to, text } => {
                send_to(&to, &text, cx);
                return;
            }
            ClientPacket::Logout => match cx
                .hub
                .release_name(cx.session, Departure::Quit { reason: None })
            {
                Some(_) => ResultCode::Ok,
                None => ResultCode::Failure,
            },
        };
        respond(code, cx);
    }
}

/// A login answered: RESPONSE `0` and what waited for the account, or RESPONSE `1`.
fn logged_in(adapter: &PacketAdapter, name: &str, outcome: Outcome, cx: &Context<'_>) {
    let Outcome::LoggedIn { waiting, .. } = outcome else {
        respond(ResultCode::Failure, cx);
        return;
    };
    respond(login(name, cx), cx);
    let mut out = BytesMut::new();
    for event in &waiting {
        adapter.render(event, &mut out);
    }
    if !out.is_empty() {
        cx.reply(out.freeze());
    }
}

fn respond(code: ResultCode, cx: &Context<'_>) {
    let mut out = BytesMut::new();
    encode_response(code, &mut out);
    cx.reply(out.freeze());
}

/// Logging in while logged in fails (docs/protocols/packet.md), unlike `prefixed`'s rename.
fn login(name: &str, cx: &Context<'_>) -> ResultCode {
    if cx.hub.name_of(cx.session).is_some() {
        return ResultCode::Failure;
    }
    let Ok(wanted) = cx.hub.config().user_name(name) else {
        return ResultCode::Failure;
    };
    match cx.hub.take_name(cx.session, wanted) {
        Ok(taken) => {
            cx.log_named(Protocol::Packet, &taken);
            ResultCode::Ok
        }
        Err(_) => ResultCode::Failure,
    }
}

/// Answers, then delivers: the reply to a command comes before anything it causes, which
/// matters when a user sends to themself.
fn send_to(to: &str, text: &str, cx: &Context<'_>) {
    let deliverable = text.chars().count() <= MAX_TEXT_CHARS
        && !cx.hub.filters(text)
        && cx.hub.name_of(cx.session).is_some()
        // A registered account that is offline counts: the message waits for its login.
        && cx.hub.reach(to) != Reach::Nobody;
    if !deliverable {
        respond(ResultCode::Failure, cx);
        return;
    }
    respond(ResultCode::Ok, cx);
    // The recipient may have left in between; the answer stands, as if it left just after.
    let _ = cx.hub.whisper(cx.session, to, Text::new(text));
}

impl Adapter for PacketAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Packet
    }

    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        while self.login.is_none() {
            let Some(decoded) = cx.metered(|| self.decoder.decode(input)) else {
                break;
            };
            match decoded {
                Decoded::TooLarge => {
                    // The stream cannot be resynchronised past a body we will not read.
                    respond(ResultCode::Malformed, cx);
                    return Flow::Close;
                }
                Decoded::Packet { kind, body } => match ClientPacket::parse(kind, &body) {
                    Ok(packet) => self.handle(packet, cx),
                    Err(_) => respond(ResultCode::Malformed, cx),
                },
            }
        }
        Flow::Continue
    }

    fn deadline(&self) -> Option<Instant> {
        self.login.as_ref().map(PendingLogin::deadline)
    }

    fn on_deadline(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        let Some((name, outcome)) = answered(&mut self.login) else {
            return Flow::Continue;
        };
        logged_in(self, &name, outcome, cx);
        self.on_input(input, cx)
    }

    fn render(&self, event: &Event, out: &mut BytesMut) {
        // Packet users are in no room, so a direct message is all that reaches them.
        let EventKind::Direct {
            from, text, lines, ..
        } = event.kind()
        else {
            return;
        };
        out.extend_from_slice(event.rendered(SLOT, |_| {
            let mut bytes = BytesMut::new();
            // A multiline message: one SENDTO per line.
            for text in shown(text, lines.as_ref()) {
                encode_sendto(from.name.as_str(), text, &mut bytes);
            }
            bytes.freeze()
        }));
    }

    fn departure(&self) -> Departure {
        // The packet protocol has no goodbye: a client leaves by closing.
        Departure::Lost
    }
}
