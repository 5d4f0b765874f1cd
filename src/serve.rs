//! `confab serve`: its flags, the configuration they make with the `--config` file, and
//! the life of the server process: signals, reloads (SIGHUP and the control socket) and
//! the `listening` lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use confab_server::{Config, DataSetting, ListenSpecs, ReloadError, Reloader, Server};
use tokio_util::sync::CancellationToken;

use crate::control;

#[derive(Parser, Clone)]
pub struct ServeArgs {
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

pub async fn serve(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
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
            Ok(reloaded.summary())
        }
        // The server logged why.
        Err(ReloadError::Refused(why)) => Err(why.to_string()),
        Err(ReloadError::Stopped) => Err("the server is shutting down".to_owned()),
    }
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
