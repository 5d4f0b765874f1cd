//! The event loop shared by every UI: races the socket against the user's input, feeds
//! both to the [`Session`], applies its [`Effects`], and decides when and how to exit.
//!
//! Exit codes: 0 when the user ended the session (a goodbye, the end of a script after
//! its replies), 1 when the server did (closed, reset, unreadable) or never answered.
//!
//! A connection the server drops for its registration timeout while the user is still
//! reading a question is no end when the session says so ([`Session::restart`]): the
//! [`Link`] connects again when the user next has something to send (issue 15 #10).

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use bytes::BytesMut;
use tokio::time::Instant;

use crate::link::Link;
use crate::session::{Effects, End, Kind, Roster, Session, Settle, Shown};
use crate::transport::describe;

/// After a goodbye, how long to wait for the server to close before leaving anyway.
const LEAVE_WAIT: Duration = Duration::from_secs(2);
/// After a script's last line, the longest wait for the replies to arrive.
const SETTLE_MAX: Duration = Duration::from_secs(5);

/// What the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInput {
    /// A typed line, without its newline.
    Line(String),
    /// Ctrl-D or Ctrl-C at the prompt: leave the way the protocol says goodbye.
    Leave,
    /// A script's input ended: wait for the replies, then leave as [`UserInput::Leave`].
    End,
}

/// A user interface as the driver sees it.
pub trait Frontend {
    /// Shows one line (the line and script UIs skip [`Kind::Own`]).
    fn show(&mut self, shown: &Shown);

    /// The session takes the next line now, after `prompt`. Until this is called again
    /// after a line, the UI holds input back (the rooms client's guided steps).
    fn ready(&mut self, prompt: &str);

    /// The next input. It is raced against the socket, so it must be cancel-safe.
    fn next_input(&mut self) -> impl Future<Output = UserInput>;

    /// What the side pane and status bar show changed.
    fn roster(&mut self, _roster: &Roster) {}

    /// True for a script: each line waits until the replies the session counts for the
    /// lines before it have arrived, so the output follows the input's order.
    fn paced(&self) -> bool {
        false
    }
}

/// What woke the loop.
enum Wake {
    Read(std::io::Result<usize>),
    Input(UserInput),
    Deadline,
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user ended it: exit 0.
    Done,
    /// The server ended it, or never answered: exit 1.
    Failed,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::FAILURE,
        }
    }
}

struct Driver<'a, F> {
    session: Box<dyn Session>,
    ui: &'a mut F,
    link: Link,
    /// The prompt has been offered and no line has come since.
    offered: bool,
    /// The prompt that was offered, to echo before the line in the full-screen UI.
    prompt: String,
    /// Set by a goodbye: the server should close before this.
    leave_by: Option<Instant>,
    /// Set when a script's input ended.
    input_ended: Option<Instant>,
    /// The last byte received or sent: a reply overdue is counted from here.
    last_activity: Instant,
    roster: Roster,
}

/// Runs `session` over `link` with `ui` until one of them ends it.
pub async fn drive<F: Frontend>(session: Box<dyn Session>, link: Link, ui: &mut F) -> Outcome {
    let mut driver = Driver {
        session,
        ui,
        link,
        offered: false,
        prompt: String::new(),
        leave_by: None,
        input_ended: None,
        last_activity: Instant::now(),
        roster: Roster::default(),
    };
    let mut buf = BytesMut::with_capacity(16 * 1024);
    driver.run(&mut buf).await
}

impl<F: Frontend> Driver<'_, F> {
    async fn run(&mut self, buf: &mut BytesMut) -> Outcome {
        let mut fx = Effects::default();
        self.session.start(&mut fx);
        if let Some(outcome) = self.apply(fx).await {
            return outcome;
        }
        loop {
            self.offer_prompt();
            let deadline = self.deadline();
            let accepting = self.leave_by.is_none() && self.input_ended.is_none();
            let wake = tokio::select! {
                read = self.link.read(buf) => Wake::Read(read),
                input = self.ui.next_input(), if accepting => Wake::Input(input),
                () = sleep_until(deadline), if deadline.is_some() => Wake::Deadline,
            };
            let step = match wake {
                Wake::Read(read) => self.on_read(read, buf).await,
                Wake::Input(input) => self.on_input(input).await,
                Wake::Deadline => self.on_deadline().await,
            };
            if let Some(outcome) = step {
                return outcome;
            }
        }
    }

    /// Offers the prompt when the session can take a line and the UI has not got one.
    fn offer_prompt(&mut self) {
        if self.offered || self.input_ended.is_some() || self.leave_by.is_some() {
            return;
        }
        if self.ui.paced() && self.session.settle() == Settle::Waiting {
            return;
        }
        if let Some(prompt) = self.session.prompt() {
            self.ui.ready(&prompt);
            self.prompt = prompt;
            self.offered = true;
        }
    }

    /// The next moment the loop must wake without I/O: the goodbye's wait running out,
    /// a script's replies overdue, or a finished script's replies having settled.
    fn deadline(&self) -> Option<Instant> {
        if let Some(leave_by) = self.leave_by {
            return Some(leave_by);
        }
        let settle = self.session.settle();
        if settle == Settle::Waiting && self.ui.paced() {
            return Some(self.last_activity + SETTLE_MAX);
        }
        let ended = self.input_ended?;
        let cap = ended + SETTLE_MAX;
        Some(match settle {
            Settle::Waiting => cap,
            Settle::QuietFor(quiet) => (self.last_activity.max(ended) + quiet).min(cap),
        })
    }

    async fn on_deadline(&mut self) -> Option<Outcome> {
        if self.leave_by.is_some() {
            return Some(Outcome::Done);
        }
        if self.session.settle() == Settle::Waiting {
            let secs = SETTLE_MAX.as_secs();
            self.show_all(&[Shown {
                kind: Kind::Error,
                text: format!("No reply from the server within {secs} s"),
                window: None,
            }]);
            return Some(Outcome::Failed);
        }
        // A script's input ended and its replies came: leave as Ctrl-D does, so the others
        // hear the protocol's goodbye rather than a connection lost.
        let mut fx = Effects::default();
        self.session.leave(&mut fx);
        let waits = fx.end == Some(End::WhenClosed);
        match self.apply(fx).await {
            None if waits => None,
            None => Some(Outcome::Done),
            outcome => outcome,
        }
    }

    async fn on_read(
        &mut self,
        read: std::io::Result<usize>,
        buf: &mut BytesMut,
    ) -> Option<Outcome> {
        self.last_activity = Instant::now();
        let closed = !matches!(read, Ok(n) if n > 0);
        if closed && self.leave_by.is_none() && self.session.restart() {
            // The registration timeout of a user still reading: nothing to tell them.
            self.link.let_go();
            buf.clear();
            return None;
        }
        let mut fx = Effects::default();
        match read {
            Ok(0) => return Some(self.on_closed(buf, fx)),
            Ok(_) => self.session.on_bytes(buf, &mut fx),
            Err(error) => {
                fx.error(format!("Connection lost: {}", describe(&error)));
                return Some(self.on_closed(buf, fx));
            }
        }
        self.apply(fx).await
    }

    /// The server closed: a goodbye's expected end, else a failure.
    fn on_closed(&mut self, buf: &mut BytesMut, mut fx: Effects) -> Outcome {
        self.session.on_closed(buf, &mut fx);
        self.show_all(&fx.shown);
        if self.leave_by.is_some() || fx.end == Some(End::Now) {
            Outcome::Done
        } else {
            Outcome::Failed
        }
    }

    async fn on_input(&mut self, input: UserInput) -> Option<Outcome> {
        let mut fx = Effects::default();
        match input {
            UserInput::Line(line) => {
                self.offered = false;
                if self.session.echo_typed() {
                    fx.push(Kind::Own, format!("{}{line}", self.prompt));
                }
                self.session.on_line(&line, &mut fx);
            }
            UserInput::Leave => self.session.leave(&mut fx),
            UserInput::End => self.input_ended = Some(Instant::now()),
        }
        self.apply(fx).await
    }

    /// Shows, sends, then ends if asked; `Some` when the loop must stop.
    async fn apply(&mut self, fx: Effects) -> Option<Outcome> {
        self.show_all(&fx.shown);
        if !fx.send.is_empty() && !self.link.is_open() && fx.end.is_some() {
            // A goodbye to a server that holds nothing of the user's: no connection for it.
            return Some(match fx.end {
                Some(End::Broken) => Outcome::Failed,
                _ => Outcome::Done,
            });
        }
        if !fx.send.is_empty() {
            self.last_activity = Instant::now();
            if let Err(error) = self.link.send(&fx.send).await {
                self.show_all(&[Shown {
                    kind: Kind::Error,
                    text: error.to_string(),
                    window: None,
                }]);
                return Some(Outcome::Failed);
            }
        }
        match fx.end? {
            End::Now => {
                self.link.shutdown().await;
                Some(Outcome::Done)
            }
            End::Broken => Some(Outcome::Failed),
            End::WhenClosed => {
                self.leave_by.get_or_insert(Instant::now() + LEAVE_WAIT);
                None
            }
        }
    }

    fn show_all(&mut self, shown: &[Shown]) {
        for line in shown {
            self.ui.show(line);
        }
        let roster = self.session.roster();
        if roster != self.roster {
            self.ui.roster(&roster);
            self.roster = roster;
        }
    }
}

/// Sleeps until `deadline`; never wakes without one (the branch is disabled then).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
