//! The `confab` binary: thin glue over the crates, one clap subcommand each.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod account;
mod cert;
mod check;
mod control;
mod reload;
mod serve;

/// jemalloc rather than glibc's allocator: tokio allocates each connection's task and
/// socket registration aligned to 128 bytes, and glibc serves such requests by carving
/// them out of larger blocks, leaving fragments that an idle connection paid for. With
/// jemalloc an idle IRC connection costs about 1.5 KiB instead of 1.7 (docs/benchmarks.md,
/// "Idle connection memory"); fan-out throughput measured the same.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: one arena and no per-thread caches, which
/// on a small machine keeps the memory that partly filled arenas and caches would hold
/// (about 200 KB) and measured no slower. The `_RJEM_MALLOC_CONF` environment variable
/// overrides them, e.g. `narenas:8` on a machine with many cores.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static _rjem_malloc_conf: &[u8] = b"narenas:1,tcache:false\0";

/// `confab --version`: the release and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CONFAB_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "confab",
    version = VERSION,
    about = "One small chat server for every protocol your clients already speak",
    long_about = "One small chat server for every protocol your clients already speak.\n\n\
        `confab serve` runs the server: the four classroom protocols (prefixed on 8820, \
        packet on 3560, rooms on 5220, broadcast on 5001) and IRC (6667) share one chat, \
        so a user of any protocol can talk to a user of any other. `confab check` tests any server against \
        the protocols byte for byte."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the chat server (every protocol on its default port unless --listen is given).
    Serve(serve::ServeArgs),
    /// Run the conformance scenarios of one protocol against a running server, or grade a
    /// student's server against one classroom assignment (--seed).
    #[command(long_about = check::CHECK_ABOUT)]
    Check(check::CheckArgs),
    /// Chat with a server as a client of one protocol (a script when stdin is not a terminal).
    Connect(confab_client::ConnectArgs),
    /// Load a server (IRC or a classroom protocol): connect, fanout, direct or ramp.
    Bench(confab_bench::BenchArgs),
    /// Make a self-signed TLS certificate and key for local use (`--listen irc+tls=...`).
    Cert(cert::CertArgs),
    /// Manage accounts in a data directory the server is not using: add, passwd, del, op,
    /// deop, list.
    Account(account::AccountArgs),
    /// Tell a running `confab serve` to re-read its `--config` file, and print what changed
    /// (through the control socket in its data directory, or SIGHUP with --pid).
    Reload(reload::ReloadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("confab: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Check(args) => check::check(args).await,
            Command::Connect(args) => confab_client::run(args).await,
            Command::Bench(args) => confab_bench::run(args).await,
            Command::Cert(args) => cert::cert(args),
            Command::Account(args) => account::run(args),
            Command::Reload(args) => reload::reload(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("confab: {error:#}");
            ExitCode::FAILURE
        }
    }
}
