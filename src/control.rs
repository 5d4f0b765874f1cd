//! The control socket: `control.sock` in the data directory, a Unix socket only the
//! server's own user may open, through which `confab reload` asks a running server to
//! re-read its configuration and hears the outcome, rather than signalling it and reading
//! its log.
//!
//! One request per connection, one line each way: the client sends `reload`; the server
//! answers `reloaded: WHAT` (what changed, as its log says) or `refused: WHY` (nothing
//! changed), then closes. Anything else is answered `error: ...`.

use std::future::Future;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

/// The socket's name in the data directory.
pub const SOCKET_NAME: &str = "control.sock";
/// The longest request line read; longer is an error.
const REQUEST_MAX: u64 = 64;
/// How long a client has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `confab reload` waits for the outcome (a reload binds listeners and reads TLS
/// files, which takes milliseconds; a server that stopped answering takes this long).
const OUTCOME_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the control socket in `dir` and answers it until `shutdown`, then removes it.
/// `reload` carries out one reload and gives its outcome: `Ok(what changed)` or
/// `Err(why it was refused)`. A socket left by a server that crashed is replaced: the data
/// directory's lock (taken before this) says no other server is using it.
pub fn serve<F, R>(dir: &Path, reload: F, shutdown: CancellationToken) -> anyhow::Result<PathBuf>
where
    F: Fn() -> R + Send + Sync + 'static,
    R: Future<Output = Result<String, String>> + Send,
{
    let path = dir.join(SOCKET_NAME);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).context(format!("cannot replace {}", path.display())),
    }
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("cannot open the control socket {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", path.display()))?;
    let shown = path.clone();
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "control socket: accept failed");
                        continue;
                    }
                },
                _ = shutdown.cancelled() => break,
            };
            if let Err(error) = answer(stream, &reload).await {
                tracing::debug!(%error, "control socket: request ended early");
            }
        }
        let _ = std::fs::remove_file(&shown);
    });
    Ok(path)
}

/// Reads one request and writes its answer. Requests are answered one at a time: reloads
/// are applied one at a time anyway.
async fn answer<F, R>(stream: UnixStream, reload: &F) -> io::Result<()>
where
    F: Fn() -> R,
    R: Future<Output = Result<String, String>>,
{
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(REQUEST_MAX));
    let read = tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await;
    let Ok(result) = read else {
        return reply(&mut write, "error: no request within 5 seconds").await;
    };
    result?;
    let answer = match line.trim_end_matches(['\r', '\n']) {
        "reload" => match reload().await {
            Ok(changed) => format!("reloaded: {changed}"),
            Err(why) => format!("refused: {why}"),
        },
        other => format!("error: unknown request {other:?} (known: reload)"),
    };
    reply(&mut write, &answer).await
}

/// Writes `text` as the one answer line and closes.
async fn reply(write: &mut tokio::net::unix::OwnedWriteHalf, text: &str) -> io::Result<()> {
    write.write_all(format!("{text}\n").as_bytes()).await?;
    write.shutdown().await
}

/// `confab reload`'s side: asks the server whose data directory is `dir` to reload, and
/// returns its answer line (`reloaded: ...` or `refused: ...`).
pub async fn request_reload(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(SOCKET_NAME);
    let mut stream = UnixStream::connect(&path).await.with_context(|| {
        format!(
            "no server answers at {} (is `confab serve` running with --data {}? \
             `confab reload --pid PID` signals a server by its process id instead)",
            path.display(),
            dir.display()
        )
    })?;
    stream.write_all(b"reload\n").await?;
    let mut reply = String::new();
    let mut limited = stream.take(4096);
    tokio::time::timeout(OUTCOME_TIMEOUT, limited.read_to_string(&mut reply))
        .await
        .with_context(|| format!("the server at {} did not answer", path.display()))??;
    Ok(reply.trim_end().to_owned())
}
