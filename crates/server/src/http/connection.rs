//! One `http` connection: hyper's HTTP/1.1 server with the listener's limits (header size
//! and time, requests per connection) answering through `routes`. A WebSocket upgrade
//! hands the connection, with its admission ticket, to the driver with the IRC adapter in
//! a new task: from there on it is an IRC connection like any other.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::routes::route;
use super::ws::{Mode, WsSocket};
use crate::adapter::irc::IrcAdapter;
use crate::driver::drive;
use crate::limits::Ticket;
use crate::shared::Shared;

/// The most a request's head (request line and headers) may take: more is answered `431`.
/// Browsers send a few hundred bytes to a server that sets no cookies.
const HEAD_MAX: usize = 16 * 1024;
/// At most this many headers, too (`431` as well).
const HEADERS_MAX: usize = 64;
/// What hyper may buffer of a connection's input: one head and some pipelined bytes.
const BUFFER_MAX: usize = 2 * HEAD_MAX;
/// Requests one connection may make; the last is answered with `Connection: close`, so a
/// client cannot keep one connection (and its admission slot) busy for ever.
const REQUESTS_MAX: u32 = 100;
/// After a shutdown signal, how long a response under way may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What the requests of one connection share: how to answer, and the upgrade (if one was
/// accepted) for the task to take over once hyper is done.
struct Exchange {
    shared: Arc<Shared>,
    tls: bool,
    requests: AtomicU32,
    upgrade: Mutex<Option<(OnUpgrade, Mode)>>,
}

/// Serves one accepted `http` connection (after its TLS handshake, on `http+tls`) until it
/// closes or is upgraded to a WebSocket on `/irc`; the WebSocket is then an IRC connection
/// in a task of its own, spawned on `tasks`. `ticket` holds its place in the admission
/// counts all along.
pub async fn serve<S>(
    stream: S,
    tls: bool,
    shared: Arc<Shared>,
    ticket: Ticket,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let exchange = Arc::new(Exchange {
        shared,
        tls,
        requests: AtomicU32::new(0),
        upgrade: Mutex::new(None),
    });
    exchange_requests(stream, exchange.clone(), shutdown).await;
    let upgrade = exchange.upgrade.lock().expect("not poisoned").take();
    let Some((on_upgrade, mode)) = upgrade else {
        return;
    };
    let peer = *ticket.peer();
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::info!(%peer, %error, "WebSocket upgrade failed");
            return;
        }
    };
    tracing::debug!(%peer, ?mode, "WebSocket upgraded");
    // The stream itself back from hyper, with what it read past the request: not boxed
    // behind hyper's `Upgraded` for as long as the WebSocket lives.
    let Ok(parts) = upgraded.downcast::<TokioIo<S>>() else {
        tracing::warn!(%peer, "WebSocket upgrade: not the stream hyper was given");
        return;
    };
    let shared = exchange.shared.clone();
    let line_max = shared.limits.irc_read_max;
    let socket = WsSocket::new(parts.io.into_inner(), &parts.read_buf, mode, line_max).await;
    let adapter = IrcAdapter::new(shared.irc.clone(), peer);
    // A task of its own, so this one (sized for hyper's connection state) ends, and an
    // idle WebSocket user keeps only what a driver needs.
    tasks.spawn(drive(socket, adapter, shared, ticket));
}

/// Answers requests until the client closes, a limit ends the connection, or a request is
/// upgraded (hyper then hands the stream over through the `OnUpgrade` kept in `exchange`).
async fn exchange_requests<S>(stream: S, exchange: Arc<Exchange>, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = exchange.shared.http.header_timeout;
    let service = service_fn(move |request| {
        let exchange = exchange.clone();
        async move { Ok::<_, Infallible>(exchange.answer(request)) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(BUFFER_MAX)
        .max_header_size(HEAD_MAX)
        .max_headers(HEADERS_MAX);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await {
                Ok(ended) => ended,
                Err(_) => return,
            }
        }
    };
    // Malformed requests (answered 400 or 431 by hyper), timeouts and resets end here.
    if let Err(error) = ended {
        tracing::debug!(%error, "http connection ended");
    }
}

impl Exchange {
    fn answer(
        &self,
        mut request: Request<Incoming>,
    ) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
        let (mut response, upgrade) = route(&request, self.tls, &self.shared.http);
        if let Some(mode) = upgrade {
            let on_upgrade = hyper::upgrade::on(&mut request);
            *self.upgrade.lock().expect("not poisoned") = Some((on_upgrade, mode));
            return response;
        }
        let answered = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if answered >= REQUESTS_MAX {
            let close = HeaderValue::from_static("close");
            response.headers_mut().insert(CONNECTION, close);
        }
        response
    }
}
