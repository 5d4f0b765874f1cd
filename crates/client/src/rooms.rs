//! The `rooms` client (seed 003): guides the user from the lobby into a room (list the
//! rooms or join one, asked again while the server refuses), then to a nickname (asked
//! again while it is refused or taken), then chat. The server's numeric answers are
//! turned into sentences and never shown raw.

use std::collections::VecDeque;

use bytes::BytesMut;

use crate::server_lines::{LineSession, ServerLines};
use crate::session::{Effects, End, Roster, Session, Settle, QUIET};

pub const WELCOME: &str = "Connected. You are in the lobby.";
pub const ASK_ROOM: &str =
    "Type a room name to join it (a new name creates the room), or /list to see the rooms.";
pub const NO_ROOMS: &str = "There are no rooms yet.";
pub const ROOM_REFUSED: &str = "That room name is not allowed: use letters, digits and \
     _-[]\\^{}|` (up to 32), not starting with a digit or -.";
pub const ASK_NICK: &str = "Choose a nickname:";
pub const NICK_REFUSED: &str = "That nickname is not allowed: use letters, digits and \
     _-[]\\^{}|`, not starting with a digit or -.";
pub const NICK_TAKEN: &str = "That nickname is taken.";
pub const JOIN_FIRST: &str = "Join a room first.";
/// The server's farewell to a connection that took no nickname in time
/// (docs/security.md, registration timeout).
const TIMED_OUT: &str = "* registration timed out";

/// Where the user is in the seed's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Connected, no room yet.
    Lobby,
    /// Room chosen, no nickname yet.
    Nick { room: String },
    /// In the room with a nickname.
    Chat { room: String, nick: String },
}

/// A request whose answer is still due; answers come in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Due {
    Join(String),
    /// The room chosen before the server dropped an unnamed connection, chosen again on
    /// the new one; the answer is not shown unless it refuses.
    Rejoin(String),
    Nick(String),
    /// `quiet`: asked by the client itself for the side pane; the answer is not shown.
    Rooms {
        quiet: bool,
    },
    Who {
        quiet: bool,
    },
}

/// A list answer being read: its request, how many lines are still to come, and those
/// read so far.
struct Listing {
    due: Due,
    left: usize,
    items: Vec<String>,
}

pub struct RoomsSession {
    lines: ServerLines,
    stage: Stage,
    due: VecDeque<Due>,
    listing: Option<Listing>,
    roster: Roster,
    leaving: bool,
    /// The server said why it refused a room (`* cannot join lobby: banned from lobby`):
    /// the `1` that follows needs no guess at the reason.
    turned_away: bool,
    /// Ask for `/who` and `/list` on entering a room, for the full-screen side pane.
    track: bool,
    /// The connection was dropped after a room was chosen: the next line sent chooses
    /// it again first (issue 15 #10).
    rejoin: bool,
}

impl RoomsSession {
    pub fn new(track: bool) -> Self {
        RoomsSession {
            lines: ServerLines::new(),
            stage: Stage::Lobby,
            due: VecDeque::new(),
            listing: None,
            roster: Roster::default(),
            leaving: false,
            turned_away: false,
            track,
            rejoin: false,
        }
    }

    fn send(&mut self, line: &str, due: Option<Due>, fx: &mut Effects) {
        if let (true, Stage::Nick { room }) = (std::mem::take(&mut self.rejoin), &self.stage) {
            let room = room.clone();
            self.send(&format!("/join {room}"), Some(Due::Rejoin(room)), fx);
        }
        fx.send.extend_from_slice(line.as_bytes());
        fx.send.extend_from_slice(b"\n");
        if let Some(due) = due {
            self.due.push_back(due);
        }
    }

    /// Asks the question of the current guided step again.
    fn ask(&self, fx: &mut Effects) {
        match self.stage {
            Stage::Lobby => fx.info(ASK_ROOM),
            Stage::Nick { .. } => fx.info(ASK_NICK),
            Stage::Chat { .. } => {}
        }
    }

    /// A line typed in the lobby or at the nickname question: a bare word answers the
    /// question; `/list`, `/join ROOM`, `/nick NAME` and `/logout` work too.
    fn on_guided_line(&mut self, line: &str, fx: &mut Effects) {
        let line = line.trim();
        let (word, arg) = split_command(line);
        match word {
            "" if line.is_empty() => self.ask(fx),
            "/list" => self.send("/list", Some(Due::Rooms { quiet: false }), fx),
            "/logout" => self.logout(fx),
            "/join" => self.join(arg, fx),
            "/nick" if self.stage == Stage::Lobby => {
                fx.info(JOIN_FIRST);
                self.ask(fx);
            }
            "/nick" => self.nick(arg, fx),
            "" if self.stage == Stage::Lobby => self.join(line, fx),
            "" => self.nick(line, fx),
            _ => {
                fx.info(format!("Unknown command {word}."));
                self.ask(fx);
            }
        }
    }

    fn join(&mut self, room: &str, fx: &mut Effects) {
        self.send(
            &format!("/join {room}"),
            Some(Due::Join(room.to_owned())),
            fx,
        );
    }

    fn nick(&mut self, nick: &str, fx: &mut Effects) {
        self.send(
            &format!("/nick {nick}"),
            Some(Due::Nick(nick.to_owned())),
            fx,
        );
    }

    fn logout(&mut self, fx: &mut Effects) {
        self.send("/logout", None, fx);
        self.leaving = true;
        fx.end(End::WhenClosed);
    }

    /// A line typed in the room: chat, or one of the commands.
    fn on_chat_line(&mut self, line: &str, fx: &mut Effects) {
        let (word, arg) = split_command(line.trim());
        match word {
            "" if line.trim().is_empty() => {}
            "" => self.send(line, None, fx),
            "/who" => self.send("/who", Some(Due::Who { quiet: false }), fx),
            "/list" => self.send("/list", Some(Due::Rooms { quiet: false }), fx),
            "/join" => self.join(arg, fx),
            "/nick" => self.nick(arg, fx),
            "/logout" => self.logout(fx),
            // Anything else goes as typed; the server answers an unknown command.
            _ => self.send(line, None, fx),
        }
    }

    fn on_answer(&mut self, due: Due, number: usize, fx: &mut Effects) {
        match due {
            Due::Join(room) => self.on_join_answer(room, number, fx),
            Due::Rejoin(_) if number == 0 => {}
            Due::Rejoin(room) => {
                // Refused now: back to the lobby. A /nick sent with it meets the lobby's
                // notice, not a number, so it is no longer due.
                self.due.retain(|due| !matches!(due, Due::Nick(_)));
                self.stage = Stage::Lobby;
                self.on_join_answer(room, number, fx);
            }
            Due::Nick(nick) => self.on_nick_answer(nick, number, fx),
            Due::Rooms { .. } | Due::Who { .. } => {
                self.listing = Some(Listing {
                    due,
                    left: number,
                    items: Vec::new(),
                });
                if number == 0 {
                    self.finish_listing(fx);
                }
            }
        }
    }

    fn on_join_answer(&mut self, room: String, code: usize, fx: &mut Effects) {
        if code != 0 {
            if !std::mem::take(&mut self.turned_away) {
                fx.info(ROOM_REFUSED);
            }
            self.ask(fx);
            return;
        }
        match &self.stage {
            Stage::Chat { nick, .. } => {
                fx.info(format!("You are now in {room}."));
                self.enter(room, nick.clone(), fx);
            }
            _ => {
                fx.info(format!("You chose the room {room}."));
                self.stage = Stage::Nick { room };
                self.ask(fx);
            }
        }
    }

    fn on_nick_answer(&mut self, nick: String, code: usize, fx: &mut Effects) {
        match (code, &self.stage) {
            // The room refused us as we took the name: the server put us in the lobby.
            (1, Stage::Nick { .. }) if std::mem::take(&mut self.turned_away) => {
                self.stage = Stage::Lobby;
                self.ask(fx);
            }
            (0, Stage::Nick { room }) => {
                let room = room.clone();
                fx.info(format!(
                    "You are in {room} as {nick}. Type a message and press Enter to send it; \
                     /who lists who is here, /list the rooms, /join ROOM moves, /logout quits."
                ));
                self.enter(room, nick, fx);
            }
            (0, Stage::Chat { room, .. }) => {
                fx.info(format!("You are now known as {nick}."));
                let room = room.clone();
                self.roster.me = Some(nick.clone());
                self.stage = Stage::Chat { room, nick };
            }
            (2, _) => {
                fx.info(NICK_TAKEN);
                self.ask(fx);
            }
            _ => {
                fx.info(NICK_REFUSED);
                self.ask(fx);
            }
        }
    }

    /// In `room` as `nick`: the side pane starts over.
    fn enter(&mut self, room: String, nick: String, fx: &mut Effects) {
        self.roster.me = Some(nick.clone());
        self.roster.room = Some(room.clone());
        self.roster.names = vec![nick.clone()];
        self.stage = Stage::Chat { room, nick };
        if self.track {
            self.send("/who", Some(Due::Who { quiet: true }), fx);
            self.send("/list", Some(Due::Rooms { quiet: true }), fx);
        }
    }

    fn finish_listing(&mut self, fx: &mut Effects) {
        let Some(Listing { due, items, .. }) = self.listing.take() else {
            return;
        };
        match due {
            Due::Rooms { quiet } => {
                if !quiet {
                    fx.info(if items.is_empty() {
                        NO_ROOMS.to_owned()
                    } else {
                        format!("Rooms: {}", items.join(", "))
                    });
                    self.ask(fx);
                }
                self.roster.rooms = items;
            }
            Due::Who { quiet } => {
                if !quiet {
                    let room = self.roster.room.as_deref().unwrap_or("the room");
                    fx.info(format!("In {room}: {}", items.join(", ")));
                }
                self.roster.names = items;
            }
            Due::Join(_) | Due::Rejoin(_) | Due::Nick(_) => {}
        }
    }

    /// A chat line or a notice: shown as sent; joins, departures, kicks and renames keep
    /// the side pane current. A name holds no space, so the first word of a notice is
    /// whom it is about (`* amy (action): left` is about nobody leaving).
    fn on_event(&mut self, line: &str, fx: &mut Effects) {
        if line == TIMED_OUT && !matches!(self.stage, Stage::Chat { .. }) {
            self.lines.farewell = Some(line.to_owned());
            return;
        }
        let mut kicked_out = false;
        if let Some((name, what)) = line.strip_prefix("* ").and_then(|n| n.split_once(' ')) {
            if name == "cannot" && what.starts_with("join ") {
                self.turned_away = true;
            } else if what.starts_with("was kicked by ") && self.is_me(name) {
                kicked_out = true;
            } else if what == "joined" {
                self.roster.add_name(name);
            } else if what == "left" || what.starts_with("was kicked by ") {
                self.roster.remove_name(name);
            } else if let Some(new) = what.strip_prefix("is now known as ") {
                self.roster.rename(name, new);
            }
        }
        fx.received(line);
        // Kicked, we lost the nickname with the room: the server put us in the lobby.
        if kicked_out {
            self.stage = Stage::Lobby;
            self.roster = Roster::default();
            self.ask(fx);
        }
    }

    fn is_me(&self, name: &str) -> bool {
        matches!(&self.stage, Stage::Chat { nick, .. } if nick.eq_ignore_ascii_case(name))
    }
}

/// `/join  lobby ` -> (`/join`, `lobby`); a line not starting with `/` -> (``, line).
fn split_command(line: &str) -> (&str, &str) {
    if !line.starts_with('/') {
        return ("", line);
    }
    let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
    (word, arg.trim())
}

impl LineSession for RoomsSession {
    fn server_lines(&mut self) -> &mut ServerLines {
        &mut self.lines
    }

    /// One line from the server: part of a list being read, an answer due, or an event.
    fn on_server_line(&mut self, line: &str, fx: &mut Effects) {
        if let Some(listing) = &mut self.listing {
            listing.items.push(line.to_owned());
            listing.left -= 1;
            if listing.left == 0 {
                self.finish_listing(fx);
            }
            return;
        }
        // Answers are bare numbers; chat (`NAME: text`) and notices (`* ...`) never are.
        match (line.parse::<usize>(), self.due.pop_front()) {
            (Ok(number), Some(due)) => self.on_answer(due, number, fx),
            (_, due) => {
                if let Some(due) = due {
                    self.due.push_front(due);
                }
                self.on_event(line, fx);
            }
        }
    }
}

impl Session for RoomsSession {
    fn start(&mut self, fx: &mut Effects) {
        fx.info(WELCOME);
        fx.info(ASK_ROOM);
    }

    fn prompt(&self) -> Option<String> {
        match &self.stage {
            // The next question depends on the answer still due.
            Stage::Lobby | Stage::Nick { .. } if !self.due.is_empty() => None,
            // The prompt shows the nickname, so it waits for a rename's answer.
            Stage::Chat { .. } if self.due.iter().any(|due| matches!(due, Due::Nick(_))) => None,
            Stage::Lobby => Some("room> ".to_owned()),
            Stage::Nick { .. } => Some("nickname> ".to_owned()),
            Stage::Chat { nick, .. } => Some(format!("{nick}> ")),
        }
    }

    fn on_line(&mut self, line: &str, fx: &mut Effects) {
        match self.stage {
            Stage::Chat { .. } => self.on_chat_line(line, fx),
            _ => self.on_guided_line(line, fx),
        }
    }

    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        self.read_lines(buf, fx);
    }

    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        self.read_to_end(buf, fx);
        // After /logout the seed's client just quits.
        if !self.leaving {
            fx.error("The server closed the connection");
        }
    }

    fn leave(&mut self, fx: &mut Effects) {
        self.logout(fx);
    }

    /// After the registration timeout's farewell. Before a nickname the server holds
    /// nothing a new connection cannot redo: at most the chosen room, chosen again with the
    /// next line sent. Not while an answer is due.
    fn restart(&mut self) -> bool {
        let asked = self.due.is_empty() && self.listing.is_none();
        if self.leaving || !asked || self.lines.farewell.is_none() {
            return false;
        }
        match self.stage {
            Stage::Lobby => {}
            Stage::Nick { .. } => self.rejoin = true,
            Stage::Chat { .. } => return false,
        }
        self.lines.restart();
        true
    }

    fn settle(&self) -> Settle {
        if self.due.is_empty() && self.listing.is_none() {
            Settle::QuietFor(QUIET)
        } else {
            Settle::Waiting
        }
    }

    fn roster(&self) -> Roster {
        self.roster.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Run {
        s: RoomsSession,
        shown: Vec<String>,
        sent: Vec<u8>,
    }

    impl Run {
        fn new(track: bool) -> Run {
            let mut s = RoomsSession::new(track);
            let mut fx = Effects::default();
            s.start(&mut fx);
            let mut run = Run {
                s,
                shown: Vec::new(),
                sent: Vec::new(),
            };
            run.take(fx);
            run
        }

        fn take(&mut self, fx: Effects) {
            self.shown.extend(fx.shown.into_iter().map(|s| s.text));
            self.sent.extend_from_slice(&fx.send);
        }

        fn typed(&mut self, line: &str) {
            let mut fx = Effects::default();
            self.s.on_line(line, &mut fx);
            self.take(fx);
        }

        fn server(&mut self, bytes: &str) {
            let mut fx = Effects::default();
            self.s
                .on_bytes(&mut BytesMut::from(bytes.as_bytes()), &mut fx);
            self.take(fx);
        }

        /// What was shown and sent since the last call.
        fn drain(&mut self) -> (Vec<String>, String) {
            let shown = std::mem::take(&mut self.shown);
            let sent = String::from_utf8(std::mem::take(&mut self.sent)).unwrap();
            (shown, sent)
        }
    }

    #[test]
    fn guides_from_lobby_to_chat_asking_again_on_every_refusal() {
        let mut run = Run::new(false);
        assert_eq!(run.drain().0, [WELCOME, ASK_ROOM]);
        assert_eq!(run.s.prompt().as_deref(), Some("room> "));

        run.typed("/list");
        assert_eq!(run.drain().1, "/list\n");
        assert_eq!(run.s.prompt(), None, "input waits for the answer");
        run.server("0\n");
        assert_eq!(run.drain().0, [NO_ROOMS, ASK_ROOM]);

        run.typed("bad room");
        assert_eq!(run.drain().1, "/join bad room\n");
        run.server("1\n");
        assert_eq!(run.drain().0, [ROOM_REFUSED, ASK_ROOM]);

        run.typed("lobby");
        run.server("0\n");
        let (shown, sent) = run.drain();
        assert_eq!(sent, "/join lobby\n");
        assert_eq!(shown, ["You chose the room lobby.", ASK_NICK]);
        assert_eq!(run.s.prompt().as_deref(), Some("nickname> "));

        run.typed("2bad");
        run.server("1\n");
        assert_eq!(run.drain().0, [NICK_REFUSED, ASK_NICK]);
        run.typed("bob");
        run.server("2\n");
        assert_eq!(run.drain().0, [NICK_TAKEN, ASK_NICK]);
        run.typed("carol");
        run.server("0\n");
        let (shown, sent) = run.drain();
        assert_eq!(sent, "/nick carol\n");
        assert_eq!(shown.len(), 1);
        assert!(
            shown[0].starts_with("You are in lobby as carol."),
            "{shown:?}"
        );
        assert_eq!(run.s.prompt().as_deref(), Some("carol> "));
    }

    #[test]
    fn a_connection_dropped_at_the_nickname_question_chooses_the_room_again() {
        let mut run = Run::new(false);
        run.typed("lobby");
        run.server("0\n");
        run.drain();
        // The server's registration timeout: its farewell is not shown, the session goes on.
        run.server("* registration timed out\n");
        assert_eq!(run.drain().0, Vec::<String>::new());
        assert!(run.s.restart());
        assert_eq!(run.s.prompt().as_deref(), Some("nickname> "));
        run.typed("carol");
        assert_eq!(run.drain().1, "/join lobby\n/nick carol\n");
        run.server("0\n0\n");
        let (shown, _) = run.drain();
        assert!(
            shown[0].starts_with("You are in lobby as carol."),
            "{shown:?}"
        );
        // In a room the session is the user's: a drop ends it.
        assert!(!run.s.restart());
    }

    #[test]
    fn a_timeout_farewell_is_shown_when_the_session_ends_on_it() {
        let mut run = Run::new(false);
        run.typed("/list");
        run.server("* registration timed out\n");
        run.drain();
        let mut fx = Effects::default();
        run.s.on_closed(&mut BytesMut::new(), &mut fx);
        run.take(fx);
        assert_eq!(
            run.drain().0,
            [
                "* registration timed out",
                "The server closed the connection"
            ]
        );
    }

    #[test]
    fn chat_who_and_events() {
        let mut run = Run::new(false);
        run.typed("/join r");
        run.server("0\n");
        run.typed("/nick amy");
        run.server("0\n");
        run.drain();
        run.typed("hello there");
        run.typed("/who");
        assert_eq!(run.drain().1, "hello there\n/who\n");
        assert!(run.s.prompt().is_some(), "chat input never waits");
        // An event may arrive between a request and its answer.
        run.server("bob: 12\n* cid joined\n2\namy\nbob\n");
        assert_eq!(run.drain().0, ["bob: 12", "* cid joined", "In r: amy, bob"]);
        run.typed("/logout");
        assert_eq!(run.drain().1, "/logout\n");
    }

    #[test]
    fn lists_rooms_and_nick_needs_a_room() {
        let mut run = Run::new(false);
        run.drain();
        run.typed("/nick amy");
        assert_eq!(
            run.drain(),
            (vec![JOIN_FIRST.into(), ASK_ROOM.into()], String::new())
        );
        run.typed("/list");
        run.server("2\nlobby\ngames\n");
        assert_eq!(run.drain().0, ["Rooms: lobby, games", ASK_ROOM]);
        run.typed("");
        assert_eq!(run.drain(), (vec![ASK_ROOM.into()], String::new()));
    }

    #[test]
    fn tracking_fills_the_roster_quietly() {
        let mut run = Run::new(true);
        run.typed("r");
        run.server("0\n");
        run.typed("amy");
        run.server("0\n");
        let (_, sent) = run.drain();
        assert_eq!(sent, "/join r\n/nick amy\n/who\n/list\n");
        run.server("2\namy\nbob\n1\nr\n* cid joined\n* bob left\n* cid is now known as dan\n");
        assert_eq!(
            run.drain().0,
            ["* cid joined", "* bob left", "* cid is now known as dan"]
        );
        let roster = run.s.roster();
        assert_eq!(roster.names, ["amy", "dan"]);
        assert_eq!(roster.rooms, ["r"]);
        assert_eq!(roster.room.as_deref(), Some("r"));
        assert_eq!(roster.me.as_deref(), Some("amy"));
        // An action that reads like a departure removes nobody; a kick removes the kicked.
        run.server("* dan (action): left\n");
        assert_eq!(run.s.roster().names, ["amy", "dan"]);
        run.server("* dan was kicked by amy (spam)\n");
        assert_eq!(run.s.roster().names, ["amy"]);
    }

    #[test]
    fn a_kick_or_a_refused_room_puts_us_back_in_the_lobby() {
        let mut run = Run::new(false);
        run.drain();
        run.typed("lobby");
        run.server("0\n");
        run.typed("zed");
        run.server("* cannot join lobby: banned from lobby\n1\n");
        assert_eq!(
            run.drain().0,
            [
                "You chose the room lobby.",
                ASK_NICK,
                "* cannot join lobby: banned from lobby",
                ASK_ROOM
            ]
        );
        assert_eq!(run.s.prompt().as_deref(), Some("room> "));
        run.typed("side");
        run.server("0\n");
        run.typed("zed");
        run.server("0\n");
        run.drain();
        run.server("* zed was kicked by teach (spam)\n");
        assert_eq!(
            run.drain().0,
            ["* zed was kicked by teach (spam)", ASK_ROOM]
        );
        assert_eq!(run.s.prompt().as_deref(), Some("room> "));
    }

    #[test]
    fn the_prompt_waits_for_a_renames_answer() {
        let mut run = Run::new(false);
        run.typed("r");
        run.server("0\n");
        run.typed("amy");
        run.server("0\n");
        assert_eq!(run.s.prompt().as_deref(), Some("amy> "));
        run.typed("/nick anna");
        assert_eq!(run.s.prompt(), None, "not amy> for the line after /nick");
        run.server("0\n");
        assert_eq!(run.s.prompt().as_deref(), Some("anna> "));
        run.typed("/nick bob");
        run.server("2\n");
        assert_eq!(run.s.prompt().as_deref(), Some("anna> "));
    }

    #[test]
    fn an_unexpected_close_is_reported_but_logout_is_quiet() {
        let mut s = RoomsSession::new(false);
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::from(&b"* server shutting down"[..]), &mut fx);
        let texts: Vec<_> = fx.shown.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            ["* server shutting down", "The server closed the connection"]
        );
        let mut fx = Effects::default();
        s.leave(&mut fx);
        assert_eq!(&fx.send[..], b"/logout\n");
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::new(), &mut fx);
        assert!(fx.shown.is_empty());
    }
}
