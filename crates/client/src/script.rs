//! The scriptable UI, used when stdin is not a terminal: commands are read from stdin line
//! by line and everything the session shows goes to stdout, plain, one line each, so the
//! client works in pipes and tests. The end of stdin ends the session once the server's
//! replies to what was sent have arrived (see [`crate::session::Settle`]), with the
//! protocol's goodbye as Ctrl-D would.

use std::io::{BufRead, Write};

use tokio::sync::mpsc;

use crate::driver::{Frontend, UserInput};
use crate::session::{Kind, Shown};

/// Lines read ahead of the session; the reader thread waits when this many are queued.
const READ_AHEAD: usize = 64;

pub struct ScriptUi {
    inputs: mpsc::Receiver<UserInput>,
    /// The session can take a line (a guided step may be waiting for a reply).
    ready: bool,
}

impl ScriptUi {
    /// Starts reading stdin on its own thread: reads block, and a thread blocked in one
    /// must not keep the runtime from shutting down.
    pub fn start() -> std::io::Result<ScriptUi> {
        let (tx, inputs) = mpsc::channel(READ_AHEAD);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_stdin(&tx))?;
        Ok(ScriptUi {
            inputs,
            ready: false,
        })
    }
}

/// Sends each stdin line (bytes that are not UTF-8 replaced), then `End`.
fn read_stdin(tx: &mpsc::Sender<UserInput>) {
    let mut stdin = std::io::stdin().lock();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match stdin.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&raw);
                let line = line.strip_suffix('\n').unwrap_or(&line);
                let line = line.strip_suffix('\r').unwrap_or(line);
                if tx.blocking_send(UserInput::Line(line.to_owned())).is_err() {
                    return;
                }
            }
        }
    }
    let _ = tx.blocking_send(UserInput::End);
}

impl Frontend for ScriptUi {
    fn show(&mut self, shown: &Shown) {
        if shown.kind == Kind::Own {
            return;
        }
        let mut out = std::io::stdout().lock();
        // A closed stdout (`| head`) must not stop the session from ending properly.
        let _ = writeln!(out, "{}", shown.text);
        let _ = out.flush();
    }

    fn paced(&self) -> bool {
        true
    }

    fn ready(&mut self, _prompt: &str) {
        self.ready = true;
    }

    async fn next_input(&mut self) -> UserInput {
        if !self.ready {
            return std::future::pending().await;
        }
        let input = self.inputs.recv().await.unwrap_or(UserInput::End);
        if matches!(input, UserInput::Line(_)) {
            self.ready = false;
        }
        input
    }
}
