//! `confab reload`: asks a running server to re-read its `--config` file, through the
//! control socket in its data directory or (`--pid`) with SIGHUP.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use crate::control;

#[derive(Parser)]
pub struct ReloadArgs {
    /// The data directory of the server to reload (as given to `confab serve --data`):
    /// asks it through its control socket, DIR/control.sock, and prints the outcome
    /// (`reloaded: ...`, or `refused: ...` and exit status 1) [default: ./confab-data]
    #[arg(long, value_name = "DIR", conflicts_with = "pid")]
    data: Option<PathBuf>,
    /// Signal the server with this process id instead (SIGHUP; e.g. `systemctl show -p
    /// MainPID confab`, `pidof confab`): for a server with `--data none`. The outcome is
    /// then only in its log.
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(i32).range(1..))]
    pid: Option<i32>,
}

/// `confab reload`: asks the server through its control socket and prints the outcome, or
/// (`--pid PID`) sends it SIGHUP.
pub async fn reload(args: ReloadArgs) -> anyhow::Result<ExitCode> {
    let Some(pid) = args.pid else {
        let dir = args
            .data
            .unwrap_or_else(|| PathBuf::from(confab_server::data::DEFAULT_DATA_DIR));
        let reply = control::request_reload(&dir).await?;
        println!("{reply}");
        let reloaded = reply.starts_with("reloaded:");
        return Ok(if reloaded {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    };
    use rustix::process::{kill_process, Pid, Signal};
    // Above 0 (clap checks): a negative number would signal a whole process group.
    let pid = Pid::from_raw(pid).with_context(|| format!("{pid} is not a process id"))?;
    kill_process(pid, Signal::HUP).with_context(|| format!("cannot signal process {pid:?}"))?;
    println!(
        "sent SIGHUP to {}: its log says `reloaded: ...` with what changed, or `reload \
         refused, nothing changed: ...` with why",
        pid.as_raw_nonzero()
    );
    Ok(ExitCode::SUCCESS)
}
