//! `broadcast` (seed 004): the first line is the name, then every line is said to everyone
//! else in the room `lobby`; `bye` leaves. Lines of docs/protocols/broadcast.md.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use confab_core::lines::shown;
use confab_core::{Departure, Event, EventKind, HubError, Name, RenderSlot, Residence, Text};
use confab_proto::broadcast::{self, Input, ServerLine};
use confab_proto::line::{Line, LineDecoder};
use confab_proto::Protocol;
use tokio::time::Instant;

use super::classroom_login::{answered, Outcome, PendingLogin};
use super::{ctcp_action, describe_channel_event, Adapter, Context, Farewell, Flow};

const SLOT: RenderSlot = super::render_slot(Protocol::Broadcast, 0);
/// The one conversation, shared with `rooms` and IRC's `#lobby`.
pub const LOBBY: &str = "lobby";

/// [`LOBBY`] as the validated name the hub takes.
pub fn lobby() -> Name {
    Name::room(LOBBY).expect("the lobby's name follows the rules")
}
/// The classic client sends its name with no newline: take it after this much silence.
const NAME_SILENCE: Duration = Duration::from_millis(500);

pub struct BroadcastAdapter {
    lines: LineDecoder,
    name: Option<Name>,
    /// When the first bytes of the name arrived (starts the 500 ms rule).
    name_started: Option<Instant>,
    said_bye: bool,
    /// A first line `amy sesame` being checked: no further line is read until it answers.
    login: Option<PendingLogin>,
}

impl BroadcastAdapter {
    pub fn new(max_line: usize) -> Self {
        BroadcastAdapter {
            lines: LineDecoder::new(max_line),
            name: None,
            name_started: None,
            said_bye: false,
            login: None,
        }
    }

    /// The name line: welcome and join the lobby, or refuse and close.
    fn take_name(&mut self, raw: &[u8], cx: &Context<'_>) -> Flow {
        let typed = std::str::from_utf8(raw).map(str::trim).unwrap_or("");
        if let Some(login) = PendingLogin::begin(cx, typed) {
            self.login = Some(login);
            return Flow::Continue;
        }
        let Ok(wanted) = cx.hub.config().user_name(typed) else {
            line(cx, ServerLine::NotAllowed);
            return Flow::Close;
        };
        match cx.hub.take_name(cx.session, wanted) {
            Ok(name) => {
                // The lobby's rules (set from IRC) can refuse: a ban, a key, a limit. Then
                // there is no conversation to welcome the user to. The welcome goes
                // before the join, so a replay of the lobby's history follows it.
                let refused = cx.hub.check_join(cx.session, &lobby()).err().or_else(|| {
                    line(cx, ServerLine::Welcome);
                    cx.hub.join(cx.session, lobby()).err()
                });
                if let Some(error) = refused {
                    let why = format!("Cannot join the conversation: {error}.");
                    line(cx, ServerLine::Notice(&why));
                    return Flow::Close;
                }
                cx.log_named(Protocol::Broadcast, &name);
                self.name = Some(name);
                Flow::Continue
            }
            // A registered account's name is as taken as one in use.
            Err(HubError::NameTaken(_) | HubError::NameReserved(_)) => {
                line(cx, ServerLine::Taken);
                Flow::Close
            }
            Err(banned @ HubError::ServerBanned(_)) => {
                let why = capitalised(&format!("{banned}."));
                line(cx, ServerLine::Notice(&why));
                Flow::Close
            }
            Err(_) => {
                line(cx, ServerLine::NotAllowed);
                Flow::Close
            }
        }
    }

    /// A login answered: the welcome and what waited for the account, or "taken".
    fn logged_in(&mut self, name: &str, outcome: Outcome, cx: &Context<'_>) -> Flow {
        let Outcome::LoggedIn { waiting, .. } = outcome else {
            line(cx, ServerLine::Taken);
            return Flow::Close;
        };
        if self.take_name(name.as_bytes(), cx) == Flow::Close {
            return Flow::Close;
        }
        let mut out = BytesMut::new();
        for event in &waiting {
            self.render(event, &mut out);
        }
        if !out.is_empty() {
            cx.reply(out.freeze());
        }
        Flow::Continue
    }

    fn handle(&mut self, raw: &[u8], cx: &Context<'_>) -> Flow {
        let Ok(text) = std::str::from_utf8(raw) else {
            line(cx, ServerLine::NotUtf8);
            return Flow::Continue;
        };
        match broadcast::parse(text) {
            Input::Bye => {
                self.said_bye = true;
                Flow::Close
            }
            // An empty Enter is not a message.
            Input::Text("") => Flow::Continue,
            Input::Text(text) => {
                // The lobby's rules (set from IRC) can refuse: moderated, banned, kicked.
                if let Err(error) = cx.hub.say(cx.session, LOBBY, Text::new(text)) {
                    line(
                        cx,
                        ServerLine::Notice(&format!("Message not sent: {error}.")),
                    );
                }
                Flow::Continue
            }
        }
    }
}

/// `too many connections` -> `Too many connections`, the form of the seed's lines.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

fn line(cx: &Context<'_>, line: ServerLine<'_>) {
    let mut out = BytesMut::new();
    line.render(&mut out);
    cx.reply(out.freeze());
}

impl Adapter for BroadcastAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Broadcast
    }

    /// The lobby is the whole conversation: a user put out of it is disconnected.
    fn residence(&self) -> Residence {
        Residence::Fixed
    }

    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        while self.login.is_none() {
            let Some(next) = cx.metered(|| self.lines.decode(input)) else {
                break;
            };
            let flow = match (next, self.name.is_some()) {
                (Line::Complete(raw), false) => self.take_name(&raw, cx),
                (Line::TooLong, false) => {
                    line(cx, ServerLine::NotAllowed);
                    Flow::Close
                }
                (Line::Complete(raw), true) => self.handle(&raw, cx),
                (Line::TooLong, true) => {
                    line(cx, ServerLine::TooLong(self.lines.max()));
                    Flow::Continue
                }
            };
            if flow == Flow::Close {
                return Flow::Close;
            }
        }
        if self.name.is_none() && self.login.is_none() && !input.is_empty() {
            self.name_started.get_or_insert_with(Instant::now);
        }
        Flow::Continue
    }

    /// A last line without a newline is still said; a name that never finished is not
    /// taken (its owner is already gone).
    fn on_eof(&mut self, input: &mut BytesMut, cx: &Context<'_>) {
        if self.name.is_none() {
            return;
        }
        while let Some(next) = self.lines.decode_eof(input) {
            if let Line::Complete(raw) = next {
                if self.handle(&raw, cx) == Flow::Close {
                    return;
                }
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        if let Some(login) = &self.login {
            return Some(login.deadline());
        }
        match self.name {
            None => self.name_started.map(|t| t + NAME_SILENCE),
            Some(_) => None,
        }
    }

    /// A login answered; or no newline came after the name: take what arrived as the name
    /// (the classic client).
    fn on_deadline(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        if self.login.is_some() {
            let Some((name, outcome)) = answered(&mut self.login) else {
                return Flow::Continue;
            };
            if self.logged_in(&name, outcome, cx) == Flow::Close {
                return Flow::Close;
            }
            return self.on_input(input, cx);
        }
        self.name_started = None;
        let raw = input.split();
        if self.take_name(&raw, cx) == Flow::Close {
            return Flow::Close;
        }
        self.on_input(input, cx)
    }

    fn render(&self, event: &Event, out: &mut BytesMut) {
        out.extend_from_slice(event.rendered(SLOT, |kind| {
            let mut bytes = BytesMut::new();
            let line = match kind {
                EventKind::Joined { who, .. } => ServerLine::Joined(who.name.as_str()),
                EventKind::Left {
                    who,
                    how: Departure::Lost,
                    ..
                }
                | EventKind::Quit {
                    who,
                    how: Departure::Lost,
                    ..
                } => ServerLine::LeftUnexpectedly(who.name.as_str()),
                EventKind::Left { who, .. } | EventKind::Quit { who, .. } => {
                    ServerLine::Left(who.name.as_str())
                }
                // A multiline message: each line in its own words.
                EventKind::Said {
                    from, text, lines, ..
                }
                | EventKind::Direct {
                    from, text, lines, ..
                } => {
                    let direct = matches!(kind, EventKind::Direct { .. });
                    for text in shown(text, lines.as_ref()) {
                        said(from.name.as_str(), text, direct).render(&mut bytes);
                    }
                    return bytes.freeze();
                }
                EventKind::Renamed { old, new, .. } => ServerLine::Renamed {
                    old: old.as_str(),
                    new: new.name.as_str(),
                },
                other => {
                    if let Some(text) = describe_channel_event(other) {
                        // `Disconnected by teach`: about no one else, so a sentence.
                        let text = match other {
                            EventKind::Killed { .. } => capitalised(&text),
                            _ => text,
                        };
                        ServerLine::Notice(&text).render(&mut bytes);
                    }
                    return bytes.freeze();
                }
            };
            line.render(&mut bytes);
            Bytes::from(bytes)
        }));
    }

    fn farewell(&self, why: Farewell, out: &mut BytesMut) {
        let text = match why {
            Farewell::Shutdown => "Server shutting down".to_string(),
            Farewell::Overflow => "Disconnected: too many unread messages".to_string(),
            Farewell::Removed => "Removed from the conversation".to_string(),
            other => capitalised(other.text()),
        };
        ServerLine::Notice(&text).render(out);
    }

    fn departure(&self) -> Departure {
        if self.said_bye {
            Departure::Quit { reason: None }
        } else {
            Departure::Lost
        }
    }
}

/// One line of a message: said in the conversation (an action when it is one), or
/// privately.
fn said<'a>(from: &'a str, text: &'a str, direct: bool) -> ServerLine<'a> {
    match ctcp_action(text) {
        _ if direct => ServerLine::Private { from, text },
        Some(action) => ServerLine::Action { from, text: action },
        None => ServerLine::Said { from, text },
    }
}
