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
    /// The window it belongs to ([`Shown::window`]); `None`: the first window.
    pub window: Option<String>,
}

/// What a key asks the session for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submit(String),
    /// A command for the session that leaves the input line alone (`/window next`).
    Command(String),
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
    /// Windows with messages not seen yet (IRC).
    pub unread: Vec<String>,
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
            unread: Vec::new(),
        }
    }

    /// Whether the protocol has windows (IRC): the message pane shows one at a time.
    pub fn has_windows(&self) -> bool {
        !self.roster.windows.is_empty()
    }

    /// Whether `message` belongs to the window shown (always, without windows).
    pub fn in_view(&self, message: &Message) -> bool {
        if !self.has_windows() {
            return true;
        }
        let window = message.window.as_ref().or(self.roster.windows.first());
        window == self.roster.window.as_ref()
    }

    /// A new roster: the window shown may have changed, and is then read.
    pub fn set_roster(&mut self, roster: &Roster) {
        if roster.window != self.roster.window {
            self.scroll = 0;
        }
        self.roster = roster.clone();
        if let Some(window) = &self.roster.window {
            self.unread.retain(|w| w != window);
        }
        self.unread.retain(|w| roster.windows.contains(w));
    }

    /// Adds a message stamped with `time`. While scrolled up the view stays put.
    pub fn push(&mut self, shown: &Shown, time: String) {
        if self.messages.len() == SCROLLBACK {
            self.messages.remove(0);
        }
        // A line for a window goes there, without the `[#lobby] ` the line UI needs;
        // one for wherever the user is looking goes to the window shown.
        let (window, text) = match &shown.window {
            Some(window) => {
                let lead = format!("[{window}] ");
                let text = shown.text.strip_prefix(&lead).unwrap_or(&shown.text);
                (Some(window.clone()), text.to_owned())
            }
            None => (self.roster.window.clone(), shown.text.clone()),
        };
        let message = Message {
            time,
            kind: shown.kind,
            text,
            window,
        };
        let seen = self.in_view(&message);
        if !seen {
            if let Some(window) = &message.window {
                if !self.unread.contains(window) {
                    self.unread.push(window.clone());
                }
            }
        }
        self.messages.push(message);
        if self.scroll > 0 && seen {
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
            KeyCode::Char('n') if ctrl => return self.switch("next"),
            KeyCode::Char('p') if ctrl => return self.switch("prev"),
            KeyCode::Char(c @ '1'..='9') if key.modifiers.contains(KeyModifiers::ALT) => {
                return self.switch(&c.to_string())
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

    /// Ctrl-N, Ctrl-P, Alt-N: `/window ...` for the session, when it has windows and
    /// takes a line now. The input line is kept.
    fn switch(&mut self, to: &str) -> Option<Action> {
        if !self.has_windows() {
            return None;
        }
        self.prompt.take()?;
        Some(Action::Command(format!("/window {to}")))
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
            window: None,
        };
        app.push(&shown, "00:00:00".into());
        assert_eq!(app.scroll, 6);
        app.on_event(&key(KeyCode::PageDown));
        app.on_event(&key(KeyCode::PageDown));
        assert_eq!(app.scroll, 0);
    }

    /// The texts of the messages the current window shows.
    fn shown(app: &App) -> Vec<&str> {
        app.messages
            .iter()
            .filter(|m| app.in_view(m))
            .map(|m| m.text.as_str())
            .collect()
    }

    fn windowed(app: &mut App, window: &str) {
        let roster = Roster {
            windows: vec!["status".into(), "#lobby".into(), "query bob".into()],
            window: Some(window.into()),
            ..Roster::default()
        };
        app.set_roster(&roster);
    }

    #[test]
    fn windows_show_their_own_lines_and_mark_the_unread() {
        let mut app = App::new("h:1", false);
        let line = |window: Option<&str>, text: &str| Shown {
            kind: Kind::Received,
            text: text.into(),
            window: window.map(str::to_owned),
        };
        app.push(&line(None, "welcome"), "00:00:00".into());
        windowed(&mut app, "status");
        app.push(
            &line(Some("#lobby"), "[#lobby] <bob> hi"),
            "00:00:01".into(),
        );
        app.push(
            &line(Some("query bob"), "[query bob] <bob> psst"),
            "t".into(),
        );
        assert_eq!(app.unread, ["#lobby", "query bob"]);
        assert_eq!(shown(&app), ["welcome"]);
        windowed(&mut app, "#lobby");
        assert_eq!(app.unread, ["query bob"]);
        app.push(&line(None, "error: x"), "t".into());
        assert_eq!(shown(&app), ["<bob> hi", "error: x"]);
    }

    #[test]
    fn ctrl_n_p_and_alt_digits_switch_windows_keeping_the_input() {
        let mut app = App::new("h:1", false);
        app.ready("> ");
        assert_eq!(app.on_event(&ctrl('n')), None, "no windows, no switch");
        windowed(&mut app, "#lobby");
        type_text(&mut app, "half");
        assert_eq!(
            app.on_event(&ctrl('n')),
            Some(Action::Command("/window next".into()))
        );
        assert_eq!(app.on_event(&ctrl('p')), None, "until the session is ready");
        app.ready("> ");
        assert_eq!(
            app.on_event(&ctrl('p')),
            Some(Action::Command("/window prev".into()))
        );
        app.ready("> ");
        let alt3 = Event::Key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
        assert_eq!(
            app.on_event(&alt3),
            Some(Action::Command("/window 3".into()))
        );
        assert_eq!(app.input.value(), "half");
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
