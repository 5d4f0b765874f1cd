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
#[path = "rooms_tests.rs"]
mod tests;
