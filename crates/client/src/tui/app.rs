//! The full-screen UI's state, apart from the terminal: the messages with their times,
//! the scrollback position, the input line with its history, the roster. Keys go in,
//! actions come out, so all of it is tested without a terminal.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::backend::crossterm::to_input_request;
use tui_input::Input;

use crate::session::{Kind, Roster, Shown};

/// Messages kept for scrollback; the oldest go first.
const SCROLLBACK: usize = 10_000;
/// Input lines kept for the up arrow.
const HISTORY: usize = 500;

/// One line in the message pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `HH:MM:SS`, local time of arrival.
    pub time: String,
    pub kind: Kind,
    pub text: String,
}

/// What a key asks the session for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submit(String),
    Leave,
}

/// Typed lines for the up and down arrows, like a shell's.
#[derive(Debug, Default)]
pub struct History {
    entries: Vec<String>,
    /// The entry shown, while browsing.
    at: Option<usize>,
    /// What was being typed when browsing began, given back past the newest entry.
    draft: String,
}

impl History {
    pub fn push(&mut self, line: &str) {
        self.at = None;
        if line.is_empty() || self.entries.last().map(String::as_str) == Some(line) {
            return;
        }
        if self.entries.len() == HISTORY {
            self.entries.remove(0);
        }
        self.entries.push(line.to_owned());
    }

    /// The older entry, if any; `current` is kept as the draft when browsing begins.
    pub fn older(&mut self, current: &str) -> Option<&str> {
        let at = match self.at {
            None if self.entries.is_empty() => return None,
            None => {
                self.draft = current.to_owned();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(at) => at - 1,
        };
        self.at = Some(at);
        self.entries.get(at).map(String::as_str)
    }

    /// The newer entry, or the draft past the newest.
    pub fn newer(&mut self) -> Option<&str> {
        let at = self.at?;
        if at + 1 < self.entries.len() {
            self.at = Some(at + 1);
            self.entries.get(at + 1).map(String::as_str)
        } else {
            self.at = None;
            Some(&self.draft)
        }
    }
}

pub struct App {
    pub messages: Vec<Message>,
    /// Rows scrolled up from the bottom of the message pane; 0 follows new messages.
    pub scroll: usize,
    /// Rows of the message pane at the last draw, the size of a page.
    pub page: usize,
    pub input: Input,
    pub history: History,
    /// The prompt while the session takes a line; `None` while it waits for a reply.
    pub prompt: Option<String>,
    /// The last prompt offered, still shown (dimmed) while waiting.
    pub last_prompt: String,
    pub roster: Roster,
    /// `127.0.0.1:5220`, for the status bar.
    pub addr: String,
    /// Whether the protocol has rooms (the side pane then lists them).
    pub has_rooms: bool,
}

impl App {
    pub fn new(addr: &str, has_rooms: bool) -> App {
        App {
            messages: Vec::new(),
            scroll: 0,
            page: 10,
            input: Input::default(),
            history: History::default(),
            prompt: None,
            last_prompt: String::new(),
            roster: Roster::default(),
            addr: addr.to_owned(),
            has_rooms,
        }
    }

    /// Adds a message stamped with `time`. While scrolled up the view stays put.
    pub fn push(&mut self, shown: &Shown, time: String) {
        if self.messages.len() == SCROLLBACK {
            self.messages.remove(0);
        }
        self.messages.push(Message {
            time,
            kind: shown.kind,
            text: shown.text.clone(),
        });
        if self.scroll > 0 {
            self.scroll += 1;
        }
    }

    pub fn ready(&mut self, prompt: &str) {
        self.prompt = Some(prompt.to_owned());
        self.last_prompt = prompt.to_owned();
    }

    /// `connected to 127.0.0.1:5220 as alice in lobby`
    pub fn status(&self) -> String {
        let mut status = format!("connected to {}", self.addr);
        if let Some(me) = &self.roster.me {
            status.push_str(&format!(" as {me}"));
        }
        if let Some(room) = &self.roster.room {
            status.push_str(&format!(" in {room}"));
        }
        status
    }

    /// Handles one terminal event; returns what the session must do, if anything.
    pub fn on_event(&mut self, event: &Event) -> Option<Action> {
        let Event::Key(key) = event else {
            return None;
        };
        if key.kind == KeyEventKind::Release {
            return None;
        }
        self.on_key(key, event)
    }

    fn on_key(&mut self, key: &KeyEvent, event: &Event) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => return self.submit(),
            KeyCode::Char('c') if ctrl => return Some(Action::Leave),
            KeyCode::Char('d') if ctrl && self.input.value().is_empty() => {
                return Some(Action::Leave)
            }
            KeyCode::Up => self.recall(|h, current| h.older(current).map(str::to_owned)),
            KeyCode::Down => self.recall(|h, _| h.newer().map(str::to_owned)),
            KeyCode::PageUp => self.scroll_by(self.page as isize),
            KeyCode::PageDown => self.scroll_by(-(self.page as isize)),
            KeyCode::End if ctrl => self.scroll = 0,
            _ => {
                if let Some(request) = to_input_request(event) {
                    self.input.handle(request);
                }
            }
        }
        None
    }

    /// Enter: the line goes to the session if it takes one now; otherwise it stays in
    /// the input until the reply the session waits for has come.
    fn submit(&mut self) -> Option<Action> {
        self.prompt.take()?;
        let line = self.input.value_and_reset();
        self.history.push(&line);
        self.scroll = 0;
        Some(Action::Submit(line))
    }

    fn recall(&mut self, step: impl FnOnce(&mut History, &str) -> Option<String>) {
        let current = self.input.value().to_owned();
        if let Some(line) = step(&mut self.history, &current) {
            self.input = Input::new(line);
        }
    }

    /// Scrolls by `rows` (up is positive); clamped when drawn, since only the view knows
    /// how many rows the wrapped messages take.
    fn scroll_by(&mut self, rows: isize) {
        self.scroll = self.scroll.saturating_add_signed(rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn ctrl(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            assert_eq!(app.on_event(&key(KeyCode::Char(c))), None);
        }
    }

    #[test]
    fn enter_submits_only_when_the_session_takes_a_line() {
        let mut app = App::new("h:1", false);
        type_text(&mut app, "hi");
        assert_eq!(app.on_event(&key(KeyCode::Enter)), None);
        assert_eq!(app.input.value(), "hi", "kept while waiting");
        app.ready("> ");
        assert_eq!(
            app.on_event(&key(KeyCode::Enter)),
            Some(Action::Submit("hi".into()))
        );
        assert_eq!(app.input.value(), "");
        assert_eq!(app.prompt, None);
    }

    #[test]
    fn up_and_down_walk_the_history_and_give_back_the_draft() {
        let mut app = App::new("h:1", false);
        for line in ["one", "two"] {
            app.ready("> ");
            type_text(&mut app, line);
            app.on_event(&key(KeyCode::Enter));
        }
        type_text(&mut app, "dra");
        app.on_event(&key(KeyCode::Up));
        assert_eq!(app.input.value(), "two");
        app.on_event(&key(KeyCode::Up));
        app.on_event(&key(KeyCode::Up));
        assert_eq!(app.input.value(), "one");
        app.on_event(&key(KeyCode::Down));
        assert_eq!(app.input.value(), "two");
        app.on_event(&key(KeyCode::Down));
        assert_eq!(app.input.value(), "dra");
    }

    #[test]
    fn ctrl_c_leaves_and_ctrl_d_leaves_on_an_empty_line() {
        let mut app = App::new("h:1", false);
        type_text(&mut app, "x");
        assert_eq!(app.on_event(&ctrl('d')), None);
        assert_eq!(app.on_event(&ctrl('c')), Some(Action::Leave));
        app.on_event(&key(KeyCode::Backspace));
        assert_eq!(app.on_event(&ctrl('d')), Some(Action::Leave));
    }

    #[test]
    fn pages_scroll_and_new_messages_keep_the_view_while_scrolled() {
        let mut app = App::new("h:1", false);
        app.page = 5;
        app.on_event(&key(KeyCode::PageUp));
        assert_eq!(app.scroll, 5);
        let shown = Shown {
            kind: Kind::Received,
            text: "x".into(),
        };
        app.push(&shown, "00:00:00".into());
        assert_eq!(app.scroll, 6);
        app.on_event(&key(KeyCode::PageDown));
        app.on_event(&key(KeyCode::PageDown));
        assert_eq!(app.scroll, 0);
    }

    #[test]
    fn status_names_the_address_user_and_room() {
        let mut app = App::new("127.0.0.1:5220", true);
        assert_eq!(app.status(), "connected to 127.0.0.1:5220");
        app.roster.me = Some("alice".into());
        assert_eq!(app.status(), "connected to 127.0.0.1:5220 as alice");
        app.roster.room = Some("lobby".into());
        assert_eq!(
            app.status(),
            "connected to 127.0.0.1:5220 as alice in lobby"
        );
    }
}
