//! `prefixed` (seeds 000 and 001): length-prefixed commands NAME, GET_NAMES, MSG, EXIT.
//! The reply table is docs/protocols/prefixed.md.

use std::time::Duration;

use bytes::BytesMut;
use confab_core::lines::shown;
use confab_core::{Departure, Event, EventKind, HubError, RenderSlot, Text};
use confab_proto::prefixed::{Command, CommandError, Decoder, Frame, Reply, Width};
use confab_proto::Protocol;
use tokio::time::Instant;

use super::classroom_login::{answered, Outcome, PendingLogin};
use super::{describe_channel_event, Adapter, Context, Farewell, Flow};

/// How long the server waits for a 4th byte before it settles on 2-digit lengths.
const WIDTH_SILENCE: Duration = Duration::from_millis(500);
const SLOT_TWO: RenderSlot = super::render_slot(Protocol::Prefixed, 0);
const SLOT_FOUR: RenderSlot = super::render_slot(Protocol::Prefixed, 1);

#[derive(Default)]
pub struct PrefixedAdapter {
    decoder: Decoder,
    /// When the last bytes arrived while the width is undecided (the 500 ms rule).
    undecided_since: Option<Instant>,
    exited: bool,
    /// A `NAME amy sesame` being checked: no further input is read until it answers.
    login: Option<PendingLogin>,
}

impl PrefixedAdapter {
    pub fn new() -> Self {
        Self::default()
    }

    fn width(&self) -> Width {
        self.decoder.width().unwrap_or(Width::Two)
    }

    fn reply(&self, cx: &Context<'_>, reply: Reply<'_>) {
        let mut out = BytesMut::new();
        reply.encode(self.width(), &mut out);
        cx.reply(out.freeze());
    }

    fn handle(&mut self, payload: &[u8], cx: &Context<'_>) -> Flow {
        match Command::parse(payload) {
            Ok(Command::Name(name)) => match PendingLogin::begin(cx, name.trim()) {
                Some(login) => self.login = Some(login),
                None => self.name(name.trim(), cx),
            },
            Ok(Command::GetNames) => {
                let names = cx.hub.names();
                let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
                self.reply(cx, Reply::Names(&names));
            }
            Ok(Command::Msg { to, text }) => {
                match cx.hub.whisper(cx.session, to, Text::new(text)) {
                    Ok(()) => {}
                    Err(HubError::NoName) => self.reply(cx, Reply::NameFirst),
                    Err(filtered @ HubError::Filtered) => {
                        let text = format!("Error: message not sent: {filtered}");
                        self.reply(cx, Reply::Notice(&text))
                    }
                    Err(_) => self.reply(cx, Reply::NoSuchUser(to)),
                }
            }
            Ok(Command::Exit) => {
                self.exited = true;
                return Flow::Close;
            }
            Err(CommandError::NotUtf8) => self.reply(cx, Reply::NotUtf8),
            Err(CommandError::MsgUsage) => self.reply(cx, Reply::MsgUsage),
            Err(CommandError::Empty) => self.reply(cx, Reply::Empty),
            Err(CommandError::Unknown(word)) => self.reply(cx, Reply::Unknown(word)),
        }
        Flow::Continue
    }

    /// A login answered: the name and what waited for the account, or "taken".
    fn logged_in(&mut self, name: &str, outcome: Outcome, cx: &Context<'_>) {
        match outcome {
            Outcome::LoggedIn { waiting, .. } => {
                self.name(name, cx);
                let mut out = BytesMut::new();
                for event in &waiting {
                    self.render(event, &mut out);
                }
                if !out.is_empty() {
                    cx.reply(out.freeze());
                }
            }
            Outcome::Refused => self.reply(cx, Reply::Taken(name)),
        }
    }

    /// `NAME x`: take it (releasing an old name) or say why not.
    fn name(&self, name: &str, cx: &Context<'_>) {
        let Ok(wanted) = cx.hub.config().user_name(name) else {
            return self.reply(cx, Reply::BadName);
        };
        match cx.hub.take_name(cx.session, wanted) {
            Ok(taken) => {
                cx.log_named(Protocol::Prefixed, &taken);
                self.reply(cx, Reply::Hello(taken.as_str()));
            }
            // A registered account's name is as taken as one in use.
            Err(HubError::NameTaken(_) | HubError::NameReserved(_)) => {
                self.reply(cx, Reply::Taken(name))
            }
            Err(banned @ HubError::ServerBanned(_)) => {
                self.reply(cx, Reply::Notice(&format!("Error: {banned}")))
            }
            Err(_) => self.reply(cx, Reply::BadName),
        }
    }
}

impl Adapter for PrefixedAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Prefixed
    }

    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        // The 500 ms rule counts from the last bytes that arrived, not the first.
        if self.decoder.width().is_none() && !input.is_empty() {
            self.undecided_since = Some(Instant::now());
        }
        while self.login.is_none() {
            let Some(frame) = cx.metered(|| self.decoder.decode(input)) else {
                break;
            };
            match frame {
                Frame::BadLength => self.reply(cx, Reply::BadLength),
                Frame::Payload(payload) => {
                    if self.handle(&payload, cx) == Flow::Close {
                        return Flow::Close;
                    }
                }
            }
        }
        Flow::Continue
    }

    fn deadline(&self) -> Option<Instant> {
        if let Some(login) = &self.login {
            return Some(login.deadline());
        }
        match self.decoder.width() {
            None => self.undecided_since.map(|t| t + WIDTH_SILENCE),
            Some(_) => None,
        }
    }

    fn on_deadline(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        if self.login.is_some() {
            let Some((name, outcome)) = answered(&mut self.login) else {
                return Flow::Continue;
            };
            self.logged_in(&name, outcome, cx);
        } else {
            self.decoder.settle_width();
        }
        self.on_input(input, cx)
    }

    fn render(&self, event: &Event, out: &mut BytesMut) {
        // Prefixed users are in no room: a direct message, or an operator's KILL, is all
        // that reaches them.
        let (from, text, lines) = match event.kind() {
            EventKind::Direct {
                from, text, lines, ..
            } => (from, text, lines),
            killed @ EventKind::Killed { .. } => {
                if let Some(why) = describe_channel_event(killed) {
                    Reply::Notice(&format!("Error: {why}")).encode(self.width(), out);
                }
                return;
            }
            // A direct message taken back by its IRC author.
            redacted @ EventKind::Redacted { .. } => {
                if let Some(what) = describe_channel_event(redacted) {
                    Reply::Notice(&what).encode(self.width(), out);
                }
                return;
            }
            _ => return,
        };
        let width = self.width();
        let slot = if width == Width::Two {
            SLOT_TWO
        } else {
            SLOT_FOUR
        };
        out.extend_from_slice(event.rendered(slot, |_| {
            let mut bytes = BytesMut::new();
            // A multiline message: one delivery per line.
            for text in shown(text, lines.as_ref()) {
                let from = from.name.as_str();
                Reply::Delivered { from, text }.encode(width, &mut bytes);
            }
            bytes.freeze()
        }));
    }

    fn farewell(&self, why: Farewell, out: &mut BytesMut) {
        let text = match why {
            Farewell::Shutdown => "Server shutting down".to_string(),
            Farewell::Overflow => "Disconnected: too many unread messages".to_string(),
            other => format!("Error: {}", other.text()),
        };
        Reply::Notice(&text).encode(self.width(), out);
    }

    fn departure(&self) -> Departure {
        if self.exited {
            Departure::Quit { reason: None }
        } else {
            Departure::Lost
        }
    }
}
