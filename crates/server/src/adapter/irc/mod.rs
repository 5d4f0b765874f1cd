//! IRC: the client protocol of RFC 1459/2812 as Modern IRC describes it, with the IRCv3
//! capabilities of `caps.rs`. This file owns one connection's state, its framing and the
//! timers; `table.rs` routes each command to its handler in `commands/`, and `render/`
//! turns hub events into IRC lines (cached per capability set, shared by all recipients).
//!
//! IRC nicks are the hub's names and channel `#x` is the hub's room `x`, so IRC users
//! share one namespace and one set of rooms with the classroom protocols.

mod caps;
mod commands;
pub mod extban;
mod help;
mod label;
mod login;
mod metadata;
pub mod modes;
mod multiline;
mod ordered;
mod out;
mod renamed;
mod render;
mod render_lines;
mod settings;
mod statusmsg;
mod table;
mod welcome;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use confab_core::{Departure, Event, EventKind, Hub, Name, Session};
use confab_proto::irc::{is_input_too_long, split_tags_len, Decoder, Message, Numeric, ParseError};
use confab_proto::line::Line;
use confab_proto::Protocol;
use tokio::time::Instant;

use super::{Adapter, Context, Farewell, Flow};
use caps::Caps;
pub use login::{nickserv, NICKSERV};
use out::Out;
pub use settings::Settings;

/// The longest tags section a client may send, `@` and space included (IRCv3
/// message-tags: client tags are limited to 4094 bytes; the 8191 is the server's).
const MAX_CLIENT_TAGS: usize = 4096;

/// Every command of the command table: its name, the parameters it needs and whether it
/// may come before registration. For tests that must cover every command (a missing
/// parameter answered, never a crash).
pub fn command_table() -> impl Iterator<Item = (&'static str, usize, bool)> {
    table::COMMANDS
        .iter()
        .map(|c| (c.name, c.min_params, c.before_registration))
}

/// What a client sent towards registration before it completed.
#[derive(Default)]
struct Pending {
    pass: Option<String>,
    nick: Option<Name>,
    /// The last nick refused as in use: `REGISTER *` then names it, to be told the
    /// account exists rather than that no nick was given.
    refused_nick: Option<Name>,
    /// USER's user name and real name.
    user: Option<(String, String)>,
    /// A SASL exchange under way: the base64 received so far (kept after registration
    /// too, only while an exchange lasts).
    sasl: Option<String>,
}

pub struct IrcAdapter {
    settings: Arc<Settings>,
    decoder: Decoder,
    out: Out,
    caps: Caps,
    /// `CAP LS` or `CAP REQ` before registration holds it back until `CAP END`.
    cap_negotiating: bool,
    /// Boxed, and dropped once registered: a registered connection keeps none of it.
    pending: Option<Box<Pending>>,
    /// The nick, once registered: registration is complete exactly when this is set.
    nick: Option<Name>,
    /// The user name and host others see in `nick!user@host`.
    user: Arc<str>,
    host: Arc<str>,
    /// USER's real name (extended-join shows it on the client's own JOIN).
    realname: Arc<str>,
    /// User mode `+i`, mirrored here to answer `MODE nick`. `+o` is the hub's to know:
    /// an operator account's login grants it off this task.
    invisible: bool,
    /// User mode `+B` (bot), mirrored here for `MODE nick` and for the `bot` tag on this
    /// client's own echoes; the hub's copy is what others see.
    bot: bool,
    last_heard: Instant,
    /// When the server's PING went out unanswered.
    ping_sent: Option<Instant>,
    /// What few connections need (a QUIT, a CHATHISTORY answer): boxed, it takes no
    /// room in every connection's task.
    seldom: Option<Box<Seldom>>,
}

/// The rarely needed part of a connection's state.
#[derive(Default)]
struct Seldom {
    /// Set by QUIT: how the others hear of this client leaving.
    quit: Option<Departure>,
    /// Made at the first reply read off the async threads (CHATHISTORY): later replies
    /// wait behind a pending one.
    ordered: Option<Arc<ordered::Ordered>>,
    /// The `labeled-response` label of the line being handled, until its response takes
    /// it (a CHATHISTORY answer takes it along to its blocking thread).
    label: Option<String>,
    /// A `draft/multiline` batch being gathered.
    multiline: Option<Box<multiline::Gathering>>,
    /// The metadata keys subscribed to (`METADATA * SUB`).
    metadata_subs: metadata::Subs,
    /// Read marks while not logged in (a logged-in client's are its account's, in the hub).
    read_marks: commands::markread::SessionMarks,
}

impl IrcAdapter {
    pub fn new(settings: Arc<Settings>, peer: SocketAddr) -> Self {
        let out = Out::new(settings.server.clone());
        let decoder = Decoder::with_max(settings.read_max);
        IrcAdapter {
            settings,
            decoder,
            out,
            caps: Caps::default(),
            cap_negotiating: false,
            pending: None,
            nick: None,
            user: Arc::from("*"),
            host: Arc::from(host_of(peer)),
            realname: Arc::from(""),
            invisible: false,
            bot: false,
            last_heard: Instant::now(),
            ping_sent: None,
            seldom: None,
        }
    }

    fn seldom(&mut self) -> &mut Seldom {
        self.seldom.get_or_insert_with(Box::default)
    }

    /// Whether the client subscribed to the metadata key.
    fn subscribed(&self, key: &str) -> bool {
        self.seldom
            .as_ref()
            .is_some_and(|s| s.metadata_subs.has(key))
    }

    /// What was sent towards registration so far.
    fn pending(&mut self) -> &mut Pending {
        self.pending.get_or_insert_with(Box::default)
    }

    fn registered(&self) -> bool {
        self.nick.is_some()
    }

    /// `nick!user@host`, the source of this client's own lines.
    fn mask(&self) -> String {
        let nick = self.nick.as_ref().map_or("*", |n| n.as_str());
        format!("{nick}!{}@{}", self.user, self.host)
    }

    fn on_line(&mut self, line: &[u8], cx: &Context<'_>) -> Flow {
        // Any line proves the client alive.
        self.last_heard = Instant::now();
        self.ping_sent = None;
        if let Some(found) = label::of(line).filter(|_| self.caps.has(caps::Cap::LabeledResponse)) {
            self.seldom().label = Some(found);
        }
        let flow = self.handle(line, cx);
        let mut reply = self.out.take();
        if let Some(label) = self.seldom.as_mut().and_then(|s| s.label.take()) {
            let batch = self.caps.has(caps::Cap::Batch);
            reply = Some(label::wrap(&label, &self.settings.server, reply, batch));
        }
        if let Some(bytes) = reply {
            match self.seldom.as_ref().and_then(|s| s.ordered.as_ref()) {
                Some(ordered) => ordered.reply(cx.session, bytes),
                None => cx.reply(bytes),
            }
        }
        flow
    }

    fn handle(&mut self, line: &[u8], cx: &Context<'_>) -> Flow {
        if is_input_too_long(line) || split_tags_len(line).0 > MAX_CLIENT_TAGS {
            self.out.num(Numeric::ERR_INPUTTOOLONG, &[]);
            return Flow::Continue;
        }
        match Message::parse(line) {
            Ok(message) => match message.tag("batch").flatten() {
                // A line of a client's multiline batch, gathered rather than run.
                Some(reference) if self.registered() => {
                    commands::batch::line(self, &message, &reference);
                    Flow::Continue
                }
                _ => table::dispatch(self, cx, &message),
            },
            Err(ParseError::NotUtf8) => {
                // UTF8ONLY: refuse and say so (IRCv3 standard replies), never relay.
                let text = "Message rejected, your message contained invalid UTF-8";
                self.refuse(line, "INVALID_UTF8", text);
                Flow::Continue
            }
            Err(ParseError::ForbiddenByte) => {
                // A NUL or a lone CR: refused whole rather than guessed at, and said so,
                // as the classroom protocols answer a line they cannot take.
                let text = "Message rejected, your message contained a NUL or CR byte";
                self.refuse(line, "INVALID_BYTE", text);
                Flow::Continue
            }
            Err(ParseError::TagsTooLong) => {
                self.out.num(Numeric::ERR_INPUTTOOLONG, &[]);
                Flow::Continue
            }
            // Empty lines are ignored (Modern IRC); lines with no command are dropped
            // like ergo does.
            Err(_) => Flow::Continue,
        }
    }

    /// `FAIL <command> <code> :<text>` for a line that is not handled; the command is
    /// read from the line with its bad bytes made harmless (`*` if there is none).
    fn refuse(&mut self, line: &[u8], code: &str, text: &str) {
        let lossy = String::from_utf8_lossy(line).replace(['\0', '\r'], " ");
        let command = Message::parse(lossy.as_bytes())
            .map(|m| m.command_upper().into_owned())
            .unwrap_or_else(|_| "*".into());
        self.out.server_line("FAIL", &[&command, code, text]);
    }
}

/// The host others see: the peer's address (`0::1` rather than `::1`, since a word
/// starting with `:` would end an IRC line's parameters early).
fn host_of(peer: SocketAddr) -> String {
    let ip = peer.ip().to_canonical().to_string();
    if ip.starts_with(':') {
        format!("0{ip}")
    } else {
        ip
    }
}

impl Adapter for IrcAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Irc
    }

    fn attach(&self, hub: &Hub, _peer: SocketAddr) -> Arc<Session> {
        hub.attach_from(Protocol::Irc.name(), self.host.clone())
    }

    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        while let Some(line) = cx.metered(|| self.decoder.decode(input)) {
            let flow = match line {
                Line::Complete(line) => self.on_line(&line, cx),
                // Past the read limit (tags and a line together): ergo's rule, the client
                // is broken or hostile.
                Line::TooLong => {
                    self.out.error("Closing link: input line too long");
                    if let Some(bytes) = self.out.take() {
                        cx.reply(bytes);
                    }
                    Flow::Close
                }
            };
            if flow == Flow::Close {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    /// A last line without CRLF still counts (a QUIT from `printf | nc`).
    fn on_eof(&mut self, input: &mut BytesMut, cx: &Context<'_>) {
        while let Some(line) = self.decoder.decode_eof(input) {
            let Line::Complete(line) = line else { continue };
            if self.on_line(&line, cx) == Flow::Close {
                return;
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        Some(match self.ping_sent {
            Some(sent) => sent + self.settings.ping_timeout,
            None => self.last_heard + self.settings.ping_interval,
        })
    }

    /// Silence: PING the client, or drop it if it never answered the last PING.
    fn on_deadline(&mut self, _input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        let flow = if self.ping_sent.is_some() {
            let secs = self.settings.ping_timeout.as_secs();
            self.out
                .error(&format!("Closing link: Ping timeout: {secs} seconds"));
            Flow::Close
        } else {
            self.ping_sent = Some(Instant::now());
            let server = self.settings.server.clone();
            self.out.bare("PING", &[&server]);
            Flow::Continue
        };
        if let Some(bytes) = self.out.take() {
            cx.reply(bytes);
        }
        flow
    }

    fn render(&self, event: &Event, out: &mut BytesMut) {
        if matches!(event.kind(), EventKind::MetadataChanged { .. }) {
            metadata::notification(self, event.kind(), out);
            return;
        }
        if !render::monitor_line(event.kind(), &self.settings.server, &self.out.client, out)
            && !render::read_marker_line(event.kind(), self.caps, &self.settings.server, out)
            && !renamed::fallback(self, event, out)
            && !render_lines::event(event, self.caps, out)
        {
            render::event(event, self.caps, out);
        }
    }

    fn farewell(&self, why: Farewell, out: &mut BytesMut) {
        let text = match why {
            Farewell::Shutdown => "Closing link: server shutting down".to_string(),
            Farewell::Overflow => "Closing link: SendQ exceeded".to_string(),
            Farewell::RegistrationTimeout => "Closing link: Registration timed out".to_string(),
            Farewell::ExcessFlood => format!("Closing link: {} (Excess Flood)", self.host),
            Farewell::Refused(refusal) => format!("Closing link: ({})", refusal.text()),
            Farewell::Removed => "Closing link: removed by an operator".to_string(),
        };
        confab_proto::irc::render(out, None, None, "ERROR", &[&text]);
    }

    fn departure(&self) -> Departure {
        let quit = self.seldom.as_ref().and_then(|s| s.quit.clone());
        quit.unwrap_or(Departure::Lost)
    }
}
