//! The full-screen UI (`--tui`, ratatui over crossterm): the terminal set up and always
//! restored (on exit, on error and on panic), terminal events turned into input, and
//! the driver's lines drawn as they come.

mod app;
mod view;

use std::process::ExitCode;

use crossterm::event::EventStream;
use futures_util::StreamExt;
use ratatui::DefaultTerminal;

use crate::driver::{self, Frontend, Outcome, UserInput};
use crate::link::Link;
use crate::session::{Roster, Session, Shown};
use app::{Action, App};

/// Puts the terminal back when dropped, however the UI ends. (A panic is covered too:
/// `ratatui::try_init` installs a hook that restores before the panic message.)
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

struct TuiUi {
    terminal: DefaultTerminal,
    app: App,
    events: EventStream,
}

impl TuiUi {
    fn draw(&mut self) {
        let app = &mut self.app;
        // A failed draw leaves the old screen; the next event draws again.
        let _ = self.terminal.draw(|frame| view::draw(frame, app));
    }
}

impl Frontend for TuiUi {
    fn show(&mut self, shown: &Shown) {
        let time = chrono::Local::now().format("%H:%M:%S").to_string();
        self.app.push(shown, time);
        self.draw();
    }

    fn ready(&mut self, prompt: &str) {
        self.app.ready(prompt);
        self.draw();
    }

    fn roster(&mut self, roster: &Roster) {
        self.app.set_roster(roster);
        self.draw();
    }

    /// Keys edit, scroll and recall until one submits a line or leaves; a resize just
    /// redraws. Cancel-safe: an event is handled completely before the next await.
    async fn next_input(&mut self) -> UserInput {
        loop {
            let event = match self.events.next().await {
                Some(Ok(event)) => event,
                // The terminal is gone: nothing more can be typed.
                Some(Err(_)) | None => return UserInput::Leave,
            };
            let action = self.app.on_event(&event);
            self.draw();
            match action {
                Some(Action::Submit(line) | Action::Command(line)) => return UserInput::Line(line),
                Some(Action::Leave) => return UserInput::Leave,
                None => {}
            }
        }
    }
}

/// Runs `session` full-screen. When the session fails (the server left), its last
/// line is printed again after the screen is restored, so the reason stays visible.
pub async fn run(
    session: Box<dyn Session>,
    link: Link,
    addr: &str,
    has_rooms: bool,
) -> anyhow::Result<ExitCode> {
    let terminal = ratatui::try_init()?;
    let restore = Restore;
    let mut ui = TuiUi {
        terminal,
        app: App::new(addr, has_rooms),
        events: EventStream::new(),
    };
    ui.draw();
    let outcome = driver::drive(session, link, &mut ui).await;
    let last = ui.app.messages.last().map(|m| m.text.clone());
    drop(ui);
    drop(restore);
    if let (Outcome::Failed, Some(last)) = (outcome, last) {
        eprintln!("{last}");
    }
    Ok(outcome.into())
}
