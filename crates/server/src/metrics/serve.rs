//! One `metrics` connection: hyper's HTTP/1.1 server answering `GET /metrics` (every
//! series, Prometheus text 0.0.4), `/healthz` (200 while the process serves: a liveness
//! check) and `/readyz` (200 once every listener is bound and the data directory open,
//! 503 while shutting down: a readiness check). Any other path is 404.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::prometheus_text::CONTENT_TYPE as PROMETHEUS_TEXT;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

use crate::limits::Ticket;
use crate::shared::Shared;

/// A scrape's request is a few hundred bytes: hyper's smallest buffer (8 KiB) is plenty.
const BUFFER_MAX: usize = 8 * 1024;
/// After a shutdown signal, how long a scrape under way may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Serves one accepted `metrics` connection (after its TLS handshake on `metrics+tls`)
/// until it closes. `ticket` holds its place in the admission counts, like any other
/// connection's. One that arrives during a shutdown gets one answer (`/readyz`: 503).
pub async fn serve<S>(stream: S, shared: Arc<Shared>, ticket: Ticket, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let stopping = shutdown.is_cancelled();
    let header_timeout = shared.http.header_timeout;
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(answer(&request, &shared)) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(BUFFER_MAX)
        .keep_alive(!stopping);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        // Begun during a shutdown, it answers once (no keep-alive) within the header timeout.
        _ = shutdown.cancelled(), if !stopping => {
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await {
                Ok(ended) => ended,
                Err(_) => return,
            }
        }
    };
    if let Err(error) = ended {
        tracing::debug!(peer = %ticket.peer(), %error, "metrics connection ended");
    }
}

fn answer<B>(request: &Request<B>, shared: &Shared) -> Response<Full<Bytes>> {
    let metrics = &shared.metrics;
    match request.uri().path() {
        "/metrics" => text(StatusCode::OK, PROMETHEUS_TEXT, metrics.render()),
        "/healthz" => text(StatusCode::OK, PLAIN, "ok\n"),
        "/readyz" if metrics.is_ready() => text(StatusCode::OK, PLAIN, "ready\n"),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            PLAIN,
            "not ready: shutting down\n",
        ),
        _ => text(StatusCode::NOT_FOUND, PLAIN, NOT_FOUND),
    }
}

const PLAIN: &str = "text/plain; charset=utf-8";
const NOT_FOUND: &str = "not found: this listener serves /metrics, /healthz and /readyz\n";

fn text(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("valid headers")
}
