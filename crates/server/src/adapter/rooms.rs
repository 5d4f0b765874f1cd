//! `rooms` (seed 003): a lobby, `/list`, `/join`, `/nick`, chat, `/who`, `/logout`, with the
//! numeric answers and `* ` notices of docs/protocols/rooms.md.
//!
//! A room is joined in the hub when the user has a nickname: the seed joins first and picks
//! a nickname second, and the hub's members always have names. Until then the chosen room
//! is remembered here.

use bytes::{Bytes, BytesMut};
use confab_core::lines::shown;
use confab_core::{Departure, Event, EventKind, HubError, Name, RenderSlot, Residence, Text};
use confab_proto::line::{Line, LineDecoder};
use confab_proto::rooms::{self, Command, Notice};
use confab_proto::Protocol;

use tokio::time::Instant;

use super::classroom_login::{answered, Outcome, PendingLogin};
use super::{ctcp_action, describe_channel_event, Adapter, Context, Farewell, Flow};

const SLOT: RenderSlot = super::render_slot(Protocol::Rooms, 0);

pub struct RoomsAdapter {
    lines: LineDecoder,
    /// The room chosen with `/join`; a hub member of it once `named`.
    room: Option<Name>,
    named: bool,
    logged_out: bool,
    /// A `/nick amy sesame` being checked: no further line is read until it answers.
    login: Option<PendingLogin>,
}

impl RoomsAdapter {
    pub fn new(max_line: usize) -> Self {
        RoomsAdapter {
            lines: LineDecoder::new(max_line),
            room: None,
            named: false,
            logged_out: false,
            login: None,
        }
    }

    fn handle(&mut self, line: &[u8], cx: &Context<'_>) -> Flow {
        let Ok(line) = std::str::from_utf8(line) else {
            notice(cx, Notice::NotUtf8);
            return Flow::Continue;
        };
        let command = rooms::parse(line);
        // A chat line learns of a kick from the refusal it gets (see `chat`): no look at
        // the hub for every line; the rarer commands look first.
        if !matches!(command, Command::Chat(_)) {
            self.follow_the_hub(cx);
        }
        match command {
            Command::List => {
                let rooms = cx.hub.rooms();
                list(cx, rooms.iter().map(|r| r.as_str()));
            }
            Command::Join(room) => self.join(room, cx),
            Command::Nick(nick) => {
                self.login = self
                    .room
                    .as_ref()
                    .and_then(|_| PendingLogin::begin(cx, nick));
                if self.login.is_none() {
                    self.nick(nick, cx);
                }
            }
            Command::Who => {
                let members = match &self.room {
                    Some(room) => cx.hub.members(room.as_str()),
                    None => Vec::new(),
                };
                list(cx, members.iter().map(|m| m.as_str()));
            }
            Command::Logout => {
                self.logged_out = true;
                return Flow::Close;
            }
            Command::Unknown(command) => notice(cx, Notice::UnknownCommand(command)),
            Command::Chat(text) => self.chat(text, cx),
        }
        Flow::Continue
    }

    /// `/join ROOM`: `0`, or `1` for a missing or bad room name. A named user moves rooms.
    fn join(&mut self, room: &str, cx: &Context<'_>) {
        let Ok(room) = Name::room(room) else {
            code(cx, 1);
            return;
        };
        let same = self.room.as_ref().is_some_and(|r| r.key() == room.key());
        if self.named && !same {
            return self.move_to(room, cx);
        }
        if !self.named {
            self.room = Some(room);
        }
        code(cx, 0);
    }

    /// A named user's `/join` of another room: into the new room before out of the old
    /// one, so that when the new room's rules (set from IRC) refuse, the user stays where
    /// they were. The `0` goes before the join, so a replay of the room's history follows.
    fn move_to(&mut self, room: Name, cx: &Context<'_>) {
        if let Err(error) = cx.hub.check_join(cx.session, &room) {
            return refused_room(cx, &room, &error);
        }
        code(cx, 0);
        match cx.hub.join(cx.session, room.clone()) {
            Ok(shown) => {
                if let Some(old) = self.room.replace(shown) {
                    let _ = cx.hub.part(cx.session, old.as_str(), None);
                }
            }
            // A rule set in the instant since the check: the `0` is out, the notice says.
            Err(error) => notice(cx, Notice::Other(&format!("cannot join {room}: {error}"))),
        }
    }

    /// `/nick NAME`: `0`, `1` for a missing or bad name, `2` when taken. The first nickname
    /// brings the user into the chosen room.
    fn nick(&mut self, nick: &str, cx: &Context<'_>) {
        let Some(room) = self.room.clone() else {
            notice(cx, Notice::JoinFirst);
            return;
        };
        let Ok(wanted) = cx.hub.config().user_name(nick) else {
            return code(cx, 1);
        };
        match cx.hub.take_name(cx.session, wanted) {
            Ok(name) => {
                if self.named {
                    cx.log_named(Protocol::Rooms, &name);
                    return code(cx, 0);
                }
                // The room's rules (set from IRC) can refuse: a key, a ban, a limit.
                // Then the name goes back and the user is in the lobby again.
                if let Err(error) = cx.hub.check_join(cx.session, &room) {
                    cx.hub.release_name(cx.session, Departure::Lost);
                    self.room = None;
                    return refused_room(cx, &room, &error);
                }
                // The `0` goes before the join, so a replay of the room's history follows.
                cx.log_named(Protocol::Rooms, &name);
                code(cx, 0);
                self.enter(room, cx);
            }
            // A registered account's name is as taken as one in use.
            Err(HubError::NameTaken(_) | HubError::NameReserved(_)) => code(cx, 2),
            Err(banned @ HubError::ServerBanned(_)) => {
                notice(cx, Notice::Other(&banned.to_string()));
                code(cx, 1);
            }
            Err(_) => code(cx, 1),
        }
    }

    /// Joins the chosen room with the nickname just taken. Only a rule set in the instant
    /// since [`Hub::check_join`](confab_core::Hub::check_join) can refuse now: then the
    /// `0` is out already, and the notice says why the user is back in the lobby.
    fn enter(&mut self, room: Name, cx: &Context<'_>) {
        match cx.hub.join(cx.session, room.clone()) {
            Ok(shown) => {
                self.room = Some(shown);
                self.named = true;
            }
            Err(error) => {
                cx.hub.release_name(cx.session, Departure::Lost);
                self.room = None;
                notice(cx, Notice::Other(&format!("cannot join {room}: {error}")));
            }
        }
    }

    /// Put out of the room by someone else (a kick), the user lost the name with it (the
    /// hub took it back at once): they are in the lobby again. Their room renamed (IRC
    /// `RENAME`), they are in it under its new name: a named user is in exactly one room.
    /// Asked only when a command needs to know, or a chat line is refused.
    fn follow_the_hub(&mut self, cx: &Context<'_>) {
        if !self.named {
            return;
        }
        if cx.hub.name_of(cx.session).is_none() {
            self.named = false;
            self.room = None;
        } else if let Some(room) = cx.hub.rooms_of(cx.session).into_iter().next() {
            self.room = Some(room);
        }
    }

    /// A login answered: the nickname and what waited for the account, or `2`.
    fn logged_in(&mut self, nick: &str, outcome: Outcome, cx: &Context<'_>) {
        let Outcome::LoggedIn { waiting, .. } = outcome else {
            code(cx, 2);
            return;
        };
        self.nick(nick, cx);
        let mut out = BytesMut::new();
        for event in &waiting {
            self.render(event, &mut out);
        }
        if !out.is_empty() {
            cx.reply(out.freeze());
        }
    }

    fn on_line(&mut self, line: Line, cx: &Context<'_>) -> Flow {
        match line {
            Line::TooLong => {
                notice(cx, Notice::LineTooLong(self.lines.max()));
                Flow::Continue
            }
            Line::Complete(line) => self.handle(&line, cx),
        }
    }

    fn chat(&mut self, text: &str, cx: &Context<'_>) {
        let Some(room) = &self.room else {
            notice(cx, Notice::JoinFirst);
            return;
        };
        if !self.named {
            notice(cx, Notice::NickFirst);
            return;
        }
        if text.is_empty() {
            return;
        }
        match cx.hub.say(cx.session, room.as_str(), Text::new(text)) {
            Ok(()) => {}
            Err(HubError::NotMember(_) | HubError::NoSuchRoom(_) | HubError::NoName) => {
                self.moved(text, cx);
            }
            Err(error) => not_sent(cx, &error),
        }
    }

    /// A chat line refused because the user is not where this adapter thought: their room
    /// was renamed since (the line is said there), or they were kicked out of it (back to
    /// the lobby, without the name).
    fn moved(&mut self, text: &str, cx: &Context<'_>) {
        let was = self.room.clone();
        self.follow_the_hub(cx);
        match &self.room {
            Some(room) if self.named && self.room != was => {
                if let Err(error) = cx.hub.say(cx.session, room.as_str(), Text::new(text)) {
                    not_sent(cx, &error);
                }
            }
            _ => {
                self.room = None;
                notice(cx, Notice::JoinFirst);
            }
        }
    }
}

/// A chat line the room's rules refused: why.
fn not_sent(cx: &Context<'_>, error: &HubError) {
    notice(cx, Notice::Other(&format!("message not sent: {error}")));
}

/// A join the room's rules refused: why, then `1`.
fn refused_room(cx: &Context<'_>, room: &Name, error: &HubError) {
    notice(cx, Notice::Other(&format!("cannot join {room}: {error}")));
    code(cx, 1);
}

fn bytes_of(render: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut out = BytesMut::new();
    render(&mut out);
    out.freeze()
}

fn notice(cx: &Context<'_>, notice: Notice<'_>) {
    cx.reply(bytes_of(|out| notice.render(out)));
}

fn code(cx: &Context<'_>, code: u8) {
    cx.reply(bytes_of(|out| rooms::render_code(code, out)));
}

fn list<'a>(cx: &Context<'_>, items: impl ExactSizeIterator<Item = &'a str>) {
    cx.reply(bytes_of(|out| rooms::render_list(items, out)));
}

impl Adapter for RoomsAdapter {
    fn protocol(&self) -> Protocol {
        Protocol::Rooms
    }

    /// Put out of the room, a user is back in the lobby without a nickname.
    fn residence(&self) -> Residence {
        Residence::Lobby
    }

    fn on_input(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        while self.login.is_none() {
            let Some(line) = cx.metered(|| self.lines.decode(input)) else {
                break;
            };
            if self.on_line(line, cx) == Flow::Close {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    fn deadline(&self) -> Option<Instant> {
        self.login.as_ref().map(PendingLogin::deadline)
    }

    fn on_deadline(&mut self, input: &mut BytesMut, cx: &Context<'_>) -> Flow {
        let Some((nick, outcome)) = answered(&mut self.login) else {
            return Flow::Continue;
        };
        self.logged_in(&nick, outcome, cx);
        self.on_input(input, cx)
    }

    /// A last line without a newline (`printf '/join a\n/nick b\nhi' | nc`) still counts.
    fn on_eof(&mut self, input: &mut BytesMut, cx: &Context<'_>) {
        while self.login.is_none() {
            let Some(line) = self.lines.decode_eof(input) else {
                break;
            };
            if self.on_line(line, cx) == Flow::Close {
                return;
            }
        }
    }

    fn render(&self, event: &Event, out: &mut BytesMut) {
        out.extend_from_slice(event.rendered(SLOT, |kind| {
            bytes_of(|out| match kind {
                EventKind::Joined { who, .. } => Notice::Joined(who.name.as_str()).render(out),
                EventKind::Left { who, .. } | EventKind::Quit { who, .. } => {
                    Notice::Left(who.name.as_str()).render(out)
                }
                // A multiline message: each line in its own words.
                EventKind::Said {
                    from, text, lines, ..
                } => {
                    for text in shown(text, lines.as_ref()) {
                        match ctcp_action(text) {
                            Some(action) => Notice::Action {
                                from: from.name.as_str(),
                                text: action,
                            }
                            .render(out),
                            None => rooms::render_chat(from.name.as_str(), text, out),
                        }
                    }
                }
                EventKind::Direct {
                    from, text, lines, ..
                } => {
                    for text in shown(text, lines.as_ref()) {
                        let from = from.name.as_str();
                        Notice::Private { from, text }.render(out);
                    }
                }
                EventKind::Renamed { old, new, .. } => Notice::Renamed {
                    old: old.as_str(),
                    new: new.name.as_str(),
                }
                .render(out),
                other => {
                    if let Some(text) = describe_channel_event(other) {
                        Notice::Other(&text).render(out);
                    }
                }
            })
        }));
    }

    fn farewell(&self, why: Farewell, out: &mut BytesMut) {
        let text = match why {
            Farewell::Overflow => "disconnected: too many unread messages",
            other => other.text(),
        };
        Notice::Other(text).render(out);
    }

    fn departure(&self) -> Departure {
        if self.logged_out {
            Departure::Quit { reason: None }
        } else {
            Departure::Lost
        }
    }
}
