//! `confab account add|passwd|del|op|deop|list [--data DIR]`: the password from the terminal
//! without echo, or one line of stdin when it is not a terminal; the work is
//! `confab_server::accounts::admin`'s.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use confab_server::accounts::admin;
use confab_server::DataSetting;
use rustix::termios::{self, LocalModes, OptionalActions};

#[derive(Parser)]
pub struct AccountArgs {
    #[command(subcommand)]
    action: Action,
    /// The data directory [default: ./confab-data]
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<DataSetting>,
}

#[derive(Subcommand)]
enum Action {
    /// Create an account (the name follows the nickname rules); asks for its password.
    Add { name: String },
    /// Change an account's password; asks for the new one.
    Passwd { name: String },
    /// Delete an account and the messages waiting for it.
    Del { name: String },
    /// Make an account a server operator: logged in to it, a user runs every room and
    /// may KILL.
    Op { name: String },
    /// Make an account an ordinary one again.
    Deop { name: String },
    /// List the accounts: name, when created (UTC), `oper` for operators.
    List,
}

pub fn run(args: AccountArgs) -> anyhow::Result<ExitCode> {
    let DataSetting::Dir(dir) = args.data.unwrap_or_default() else {
        bail!("accounts need a data directory (--data none keeps none)");
    };
    let db = admin::open(&dir).with_context(|| format!("cannot open {}", dir.display()))?;
    // The name is checked before the password is asked for.
    let said = || -> anyhow::Result<String> {
        Ok(match &args.action {
            Action::Add { name } => {
                admin::check_free(&db, name)?;
                admin::add(&db, name, &password("Password: ")?)?
            }
            Action::Passwd { name } => {
                admin::check_exists(&db, name)?;
                admin::passwd(&db, name, &password("New password: ")?)?
            }
            Action::Del { name } => admin::delete(&db, name)?,
            Action::Op { name } => admin::set_oper(&db, name, true)?,
            Action::Deop { name } => admin::set_oper(&db, name, false)?,
            Action::List => admin::list(&db)?.trim_end().to_string(),
        })
    };
    match said() {
        Ok(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("confab: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The password: typed at the terminal without echo, or one line of stdin.
fn password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let saved = termios::tcgetattr(&stdin).context("cannot read the terminal's mode")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    termios::tcsetattr(&stdin, OptionalActions::Now, &quiet)?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    // The echo comes back whatever the read did.
    let _ = termios::tcsetattr(&stdin, OptionalActions::Now, &saved);
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
