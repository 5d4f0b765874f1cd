//! The line UI for a terminal: rustyline edits the input line (history, arrows, Ctrl-R)
//! on its own thread, and everything received is printed through rustyline's
//! `ExternalPrinter`, which writes it above the prompt and redraws the half-typed line
//! intact under it, cursor in place.

use std::io::Write;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::termios::{self, OptionalActions, Termios};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor, ExternalPrinter as _};
use tokio::sync::mpsc;

use crate::driver::{Frontend, UserInput};
use crate::session::{Kind, Shown};

/// Lines waiting to be printed; the driver waits when the printer falls this far behind.
const PRINT_QUEUE: usize = 256;
/// How long the end of the session waits for the printer to finish its queue.
const PRINTER_DRAIN: Duration = Duration::from_secs(1);

pub struct LineUi {
    inputs: mpsc::Receiver<UserInput>,
    prompts: Option<std_mpsc::Sender<String>>,
    printer: Option<std_mpsc::SyncSender<String>>,
    printer_thread: Option<JoinHandle<()>>,
    /// The terminal's mode before rustyline changed it. The editor thread may still be
    /// inside `readline` when the session ends, so the mode is put back here.
    saved: Option<Termios>,
}

impl LineUi {
    pub fn start() -> anyhow::Result<LineUi> {
        let saved = termios::tcgetattr(std::io::stdin()).ok();
        let config = Config::builder()
            .auto_add_history(true)
            .history_ignore_dups(true)?
            .build();
        let mut editor = Editor::<(), DefaultHistory>::with_config(config)?;
        let mut external = editor.create_external_printer()?;
        let (input_tx, inputs) = mpsc::channel(1);
        let (prompt_tx, prompt_rx) = std_mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("readline".into())
            .spawn(move || edit_lines(editor, &prompt_rx, &input_tx))?;
        let (printer, printer_rx) = std_mpsc::sync_channel::<String>(PRINT_QUEUE);
        let printer_thread =
            std::thread::Builder::new()
                .name("printer".into())
                .spawn(move || {
                    for text in printer_rx {
                        let _ = external.print(text);
                    }
                })?;
        Ok(LineUi {
            inputs,
            prompts: Some(prompt_tx),
            printer: Some(printer),
            printer_thread: Some(printer_thread),
            saved,
        })
    }
}

/// The editor thread: one `readline` per prompt offered, its outcome sent back.
fn edit_lines(
    mut editor: Editor<(), DefaultHistory>,
    prompts: &std_mpsc::Receiver<String>,
    inputs: &mpsc::Sender<UserInput>,
) {
    for prompt in prompts {
        let input = match editor.readline(&prompt) {
            Ok(line) => UserInput::Line(line),
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => UserInput::Leave,
            Err(_) => UserInput::Leave,
        };
        if inputs.blocking_send(input).is_err() {
            return;
        }
    }
}

impl Frontend for LineUi {
    fn show(&mut self, shown: &Shown) {
        if shown.kind == Kind::Own {
            return;
        }
        if let Some(printer) = &self.printer {
            let _ = printer.send(format!("{}\n", shown.text));
        }
    }

    fn ready(&mut self, prompt: &str) {
        if let Some(prompts) = &self.prompts {
            let _ = prompts.send(prompt.to_owned());
        }
    }

    async fn next_input(&mut self) -> UserInput {
        self.inputs.recv().await.unwrap_or(UserInput::Leave)
    }
}

impl Drop for LineUi {
    /// Prints what is queued, clears a prompt left on screen and puts the terminal back
    /// as it was, even when the editor thread is still waiting for a key.
    fn drop(&mut self) {
        self.prompts = None;
        self.printer = None;
        if let Some(thread) = self.printer_thread.take() {
            let start = Instant::now();
            while !thread.is_finished() && start.elapsed() < PRINTER_DRAIN {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, saved);
        }
        let mut out = std::io::stdout();
        // Erase the prompt line and turn off the bracketed paste rustyline turned on.
        let _ = out.write_all(b"\r\x1b[K\x1b[?2004l");
        let _ = out.flush();
    }
}
