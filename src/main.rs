//! The `confab` binary: thin glue over the crates, one clap subcommand each.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use confab_server::{Config, DataSetting, ListenSpecs, ReloadError, Reloader, Server};
use tokio_util::sync::CancellationToken;

mod account;
mod control;

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
    Serve(ServeArgs),
    /// Run the conformance scenarios of one protocol against a running server, or grade a
    /// student's server against one classroom assignment (--seed).
    #[command(long_about = CHECK_ABOUT)]
    Check(CheckArgs),
    /// Chat with a server as a client of one protocol (a script when stdin is not a terminal).
    Connect(confab_client::ConnectArgs),
    /// Load a server (IRC or a classroom protocol): connect, fanout, direct or ramp.
    Bench(confab_bench::BenchArgs),
    /// Make a self-signed TLS certificate and key for local use (`--listen irc+tls=...`).
    Cert(CertArgs),
    /// Manage accounts in a data directory the server is not using: add, passwd, del, op,
    /// deop, list.
    Account(account::AccountArgs),
    /// Tell a running `confab serve` to re-read its `--config` file, and print what changed
    /// (through the control socket in its data directory, or SIGHUP with --pid).
    Reload(ReloadArgs),
}

#[derive(Parser)]
struct ReloadArgs {
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

#[derive(Parser, Clone)]
struct ServeArgs {
    /// Listen for PROTOCOL on ADDR, e.g. `rooms=127.0.0.1:5220` (port 0 picks a free port;
    /// a host name, e.g. `rooms=localhost:5220`, listens on each of its addresses);
    /// `PROTOCOL+tls=ADDR` for TLS, e.g. `irc+tls=0.0.0.0:6697`. Repeatable; when given,
    /// only these listeners run.
    #[arg(long = "listen", value_name = "PROTOCOL=ADDR")]
    listen: Vec<ListenSpecs>,
    /// The TLS certificate chain (PEM) for `+tls` listeners.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM) for `+tls` listeners.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Where accounts and history are kept: a directory (created on first start; one
    /// server per directory), or `none` to keep nothing across restarts
    /// [default: ./confab-data]
    #[arg(long, value_name = "DIR|none")]
    data: Option<DataSetting>,
    /// Join a cluster of confab nodes sharing one chat through Redis at URL
    /// (`redis://HOST:PORT[/DB]`, `rediss://` for TLS); see docs/cluster.md.
    #[arg(long, value_name = "URL")]
    cluster: Option<String>,
    /// This node's number in the cluster (1 to 65535, unique; default: one Redis hands out).
    #[arg(long, value_name = "N", requires = "cluster", value_parser = clap::value_parser!(u16).range(1..))]
    node: Option<u16>,
    /// With a `rediss://` cluster URL: trust this CA certificate (PEM) for Redis besides
    /// the system's roots (a private CA or a self-signed certificate).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    cluster_ca: Option<PathBuf>,
    /// A TOML file with `listen = [...]`, `data`, a `[history]`, `[limits]` and `[irc]`
    /// table (see README and docs/irc.md); flags win over it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Bytes that may wait for one client before it is disconnected as too slow.
    #[arg(long, value_name = "BYTES")]
    outbox_bytes: Option<usize>,
    /// Longest user name, in characters (1 to 32).
    #[arg(long, value_name = "N")]
    name_max: Option<usize>,
    /// Check FILE (all that `--config FILE` would read, with the other flags, the TLS
    /// certificate and key included) and exit: 0 and `FILE: ok` when it is good, 1 and
    /// the problem, with its line and key, otherwise. Nothing is served or bound.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    check_config: Option<PathBuf>,
}

#[derive(Parser)]
struct CertArgs {
    /// The directory to write `confab-cert.pem` and `confab-key.pem` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// A host name or IP address the certificate is for. Repeatable
    /// (default: localhost, 127.0.0.1 and ::1).
    #[arg(long = "name", value_name = "HOST")]
    names: Vec<String>,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

/// `confab check --help`: what runs, what it may disturb, and how a seed grades.
const CHECK_ABOUT: &str = "\
Run the conformance scenarios of one protocol against a running server (any \
implementation, not only confab) and print a table: each scenario, PASS or FAIL, and \
under a failure the step, the bytes expected and received, the section of the spec \
(docs/protocols/*.md, docs/irc.md) it checks and the seed's own words. Exits 1 if a \
scenario failed.

Other users: the scenarios send 4 KB lines and garbage and join and leave many times, \
so before any of them the checker looks for other users with the protocol's own \
means (prefixed: names itself and asks GET_NAMES; packet: LIST without logging in; \
rooms: /list from the lobby; irc: LUSERS; broadcast has no list, so it joins and \
listens for 1 s, and its users see it join and leave). If anyone else is there it \
stops with exit code 1 and says why; --force runs anyway. Its users and rooms are \
named with a random per-run suffix (e.g. Ritaq7z, #joinsq7z), so they never take a \
real user's name or join a real user's room.

Grading (--seed): 000 and 001 are prefixed, 002 packet, 003 rooms, 004 broadcast. \
Without --seed every rule of the protocol applies. With it only that seed's rules \
count: the names request is the seed's spelling (seed 000 GET_NAMES, seed 001 \
GETNAMES), and a failed scenario prints the seed's own words it checks. What only \
confab adds (its error texts, the 4-digit width, `Error: empty command`, names in any \
case, splitting, robustness) is reported as a NOTE, never as a failure; where a seed \
asks only for \"an appropriate message\", any reply passes and confab's wording is a \
note.";

#[derive(Parser)]
struct CheckArgs {
    /// The protocol to check: prefixed, packet, rooms, broadcast or irc (implied by --seed).
    #[arg(long, value_name = "PROTOCOL", required_unless_present = "seed")]
    protocol: Option<confab_check::Protocol>,
    /// Grade against one classroom assignment, 000 to 004: only its rules count, and
    /// what only confab adds is a note (default: every rule of the protocol).
    #[arg(long, value_name = "SEED")]
    seed: Option<confab_check::Seed>,
    /// Run even when other users are on the server (they will see the scenarios).
    #[arg(long)]
    force: bool,
    /// The suffix of every name the scenarios take (3 of a-z, 0-9; default: random per
    /// run), to replay a run with the same names.
    #[arg(long, value_name = "XYZ", value_parser = parse_suffix)]
    suffix: Option<String>,
    /// The server's address (default: the protocol's default port on 127.0.0.1).
    #[arg(value_name = "HOST:PORT")]
    addr: Option<String>,
}

/// A name suffix: exactly as long as the checker's own, of lower-case letters and digits.
fn parse_suffix(text: &str) -> Result<String, String> {
    let len = confab_check::SUFFIX_LEN;
    let ok = text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!("expected {len} lower-case letters or digits"))
    }
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
            Command::Serve(args) => serve(args).await,
            Command::Check(args) => check(args).await,
            Command::Connect(args) => confab_client::run(args).await,
            Command::Bench(args) => confab_bench::run(args).await,
            Command::Cert(args) => cert(args),
            Command::Account(args) => account::run(args),
            Command::Reload(args) => reload(args).await,
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

/// The configuration `serve` runs with: the file's (or the defaults), then the flags,
/// validated.
fn configured(args: ServeArgs) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if !args.listen.is_empty() {
        config.listen = args.listen.into_iter().flat_map(|specs| specs.0).collect();
    }
    if let Some(data) = args.data {
        config.data = data;
    }
    if let Some(url) = args.cluster {
        config.cluster.redis = Some(url);
    }
    if let Some(node) = args.node {
        config.cluster.node = Some(node);
    }
    if let Some(ca) = args.cluster_ca {
        config.cluster.ca = Some(ca);
    }
    if let Some(bytes) = args.outbox_bytes {
        config.limits.outbox_bytes = bytes;
    }
    if let Some(max) = args.name_max {
        config.limits.name_max = max;
    }
    if let Some(cert) = args.tls_cert {
        config.tls.cert = Some(cert);
    }
    if let Some(key) = args.tls_key {
        config.tls.key = Some(key);
    }
    Ok(config.validated()?)
}

/// [`configured`], with every problem naming the `--config` file once (a TOML error
/// already does): what `--check-config` prints and a refused reload logs.
fn configured_from_file(args: ServeArgs) -> anyhow::Result<Config> {
    let Some(shown) = args.config.as_ref().map(|path| path.display().to_string()) else {
        return configured(args);
    };
    configured(args).map_err(|error| match format!("{error:#}") {
        text if text.starts_with(&shown) => error,
        _ => error.context(shown.clone()),
    })
}

async fn serve(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = args.check_config.take() {
        args.config = Some(path.clone());
        let config = configured_from_file(args)?;
        if let Some((cert, key)) = config.tls_files()? {
            confab_server::tls::acceptor(cert, key)?;
        }
        let listeners: Vec<String> = config.listen.iter().map(ToString::to_string).collect();
        println!("{}: ok ({})", path.display(), listeners.join(", "));
        return Ok(ExitCode::SUCCESS);
    }
    init_logging();
    let config = configured(args.clone())?;
    let server = Server::bind(&config).await?;
    let shutdown = CancellationToken::new();
    cancel_on_signal(shutdown.clone())?;
    reload_on_request(&config, server.reloader(), args.clone(), shutdown.clone());
    reload_on_hangup(server.reloader(), args)?;

    let mut stdout = std::io::stdout().lock();
    for spec in server.listening() {
        writeln!(stdout, "listening {} {}", spec.kind(), spec.addr)?;
    }
    stdout.flush()?;
    drop(stdout);

    server.run(shutdown).await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Writes a self-signed pair and says how to serve with it.
fn cert(args: CertArgs) -> anyhow::Result<ExitCode> {
    use confab_server::tls;
    let names = if args.names.is_empty() {
        tls::DEFAULT_CERT_NAMES.map(String::from).to_vec()
    } else {
        args.names
    };
    let (cert, key) = tls::write_self_signed(&args.out, &names, args.force)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "wrote {} (self-signed, for {}; valid {} days)",
        cert.display(),
        names.join(", "),
        tls::CERT_VALID_DAYS
    )?;
    writeln!(stdout, "wrote {} (private key, mode 0600)", key.display())?;
    writeln!(
        stdout,
        "serve with: confab serve --listen irc+tls=0.0.0.0:6697 --tls-cert {} --tls-key {}",
        tls::shell_word(&cert),
        tls::shell_word(&key)
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM starts a graceful shutdown. The handlers are in place when this
/// returns, before the `listening` lines are printed, so a supervisor that signals as soon
/// as it reads them gets a graceful stop rather than the default kill.
fn cancel_on_signal(shutdown: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    Ok(())
}

/// SIGHUP reloads (see [`reload_from_file`]).
fn reload_on_hangup(reloader: Reloader, args: ServeArgs) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            let _ = reload_from_file(&reloader, &args).await;
        }
    });
    Ok(())
}

/// `confab reload` through the data directory's control socket reloads (see
/// [`reload_from_file`]) and hears the outcome. Without a data directory, or where the
/// socket cannot be made, SIGHUP still reloads.
fn reload_on_request(
    config: &Config,
    reloader: Reloader,
    args: ServeArgs,
    shutdown: CancellationToken,
) {
    let DataSetting::Dir(dir) = &config.data else {
        return;
    };
    let reload = move || {
        let (reloader, args) = (reloader.clone(), args.clone());
        async move { reload_from_file(&reloader, &args).await }
    };
    if let Err(error) = control::serve(dir, reload, shutdown) {
        tracing::warn!("{error:#}; `confab reload --pid` (SIGHUP) still reloads");
    }
}

/// Re-reads the `--config` file with the same flags winning over it, as at the start, and
/// applies it whole or not at all: what changed, or why nothing did; one log line says
/// which. Listeners it opens print their `listening` lines like those of the start.
async fn reload_from_file(reloader: &Reloader, args: &ServeArgs) -> Result<String, String> {
    let config = configured_from_file(args.clone()).map_err(|error| {
        let why = format!("{error:#}");
        confab_server::reload::log_outcome(&Err(why.clone()));
        why
    })?;
    match reloader.reload(config).await {
        Ok(reloaded) => {
            let mut stdout = std::io::stdout().lock();
            for spec in &reloaded.added {
                let _ = writeln!(stdout, "listening {} {}", spec.kind(), spec.addr);
            }
            let _ = stdout.flush();
            Ok(match reloaded.need_restart.is_empty() {
                true => reloaded.to_string(),
                false => format!(
                    "{reloaded}; kept until a restart: {}",
                    reloaded.need_restart.join(", ")
                ),
            })
        }
        // The server logged why.
        Err(ReloadError::Refused(why)) => Err(why.to_string()),
        Err(ReloadError::Stopped) => Err("the server is shutting down".to_owned()),
    }
}

/// `confab reload`: asks the server through its control socket and prints the outcome, or
/// (`--pid PID`) sends it SIGHUP.
async fn reload(args: ReloadArgs) -> anyhow::Result<ExitCode> {
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

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    use confab_check::{occupancy, run_all, scenarios, Ctx, Occupancy};
    let protocol = match (args.protocol, args.seed) {
        (Some(protocol), Some(seed)) if seed.protocol() != protocol => {
            bail!(
                "seed {seed} is a {} assignment, not {protocol}",
                seed.protocol()
            )
        }
        (Some(protocol), _) => protocol,
        (None, Some(seed)) => seed.protocol(),
        (None, None) => bail!("say which protocol to check with --protocol (or --seed)"),
    };
    let text = args
        .addr
        .unwrap_or_else(|| format!("127.0.0.1:{}", protocol.default_port()));
    let addr = resolve(&text).await?;
    let ctx = match &args.suffix {
        Some(suffix) => Ctx::with_suffix(addr, args.seed, suffix),
        None => Ctx::new(addr, args.seed),
    };
    match occupancy(protocol, &ctx).await {
        Occupancy::Quiet => {}
        Occupancy::InUse(what) if args.force => {
            eprintln!("confab check: {text} is in use ({what}); running anyway (--force)");
        }
        Occupancy::InUse(what) => bail!(
            "{text} is in use ({what}): the scenarios send 4 KB lines and garbage and join \
             and leave many times, which its users would see. Check a server nobody else \
             uses, or add --force to run anyway"
        ),
        Occupancy::Unknown(why) => eprintln!(
            "confab check: could not tell whether anyone else is on {text} ({why}); running anyway"
        ),
    }
    if let Some(seed) = args.seed {
        println!("graded against seed {seed} ({protocol}): confab's own rules are notes");
    }
    let report = run_all(&scenarios(protocol), &ctx).await;
    print!("{}", report.render_table());
    Ok(if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The first address of `HOST:PORT`.
async fn resolve(text: &str) -> anyhow::Result<SocketAddr> {
    match tokio::net::lookup_host(text).await {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => Ok(addr),
            None => bail!("{text} has no address"),
        },
        Err(error) => {
            Err(error).with_context(|| format!("cannot resolve {text} (expected HOST:PORT)"))
        }
    }
}
