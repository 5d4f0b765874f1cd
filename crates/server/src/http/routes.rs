//! Which request gets what: `/` the page and its files, `/irc` the WebSocket handshake, a
//! 404 page for every other path. A WebSocket request for `/` is taken as one for `/irc`, so a client
//! given only `ws://host:port` (irctest, some web IRC clients) finds IRC too.

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};

use super::page::find;
use super::upgrade::accept;
use super::ws::Mode;
use super::Settings;
use crate::adapter::Farewell;

/// The 404 page: where to go instead.
const NOT_FOUND: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found</title></head>\n<body><h1>404 Not Found</h1>\n<p>This confab serves its page \
at <a href=\"/\">/</a> and IRC over WebSocket at <code>/irc</code>.</p></body></html>\n";

/// What to answer, and whether the connection then becomes a WebSocket in `Mode`.
pub fn route<B>(
    request: &Request<B>,
    tls: bool,
    settings: &Settings,
) -> (Response<Full<Bytes>>, Option<Mode>) {
    let path = request.uri().path();
    let websocket = request.headers().contains_key(UPGRADE);
    match path {
        "/irc" => websocket_or_refusal(request, tls, settings),
        "/" if websocket => websocket_or_refusal(request, tls, settings),
        _ => match find(path) {
            Some(asset) if matches!(*request.method(), Method::GET | Method::HEAD) => {
                (asset.respond(request.headers()), None)
            }
            Some(_) => (not_allowed(path), None),
            None => (not_found(), None),
        },
    }
}

fn not_allowed(path: &str) -> Response<Full<Bytes>> {
    let mut refusal = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{path} takes GET or HEAD\n"),
    );
    refusal
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    refusal
}

fn websocket_or_refusal<B>(
    request: &Request<B>,
    tls: bool,
    settings: &Settings,
) -> (Response<Full<Bytes>>, Option<Mode>) {
    match accept(request, tls, &settings.origins) {
        Ok(accepted) => (accepted.response, Some(accepted.mode)),
        // A client that wanted a WebSocket has no use for the connection, and keeping it
        // would hold its admission slot.
        Err(mut refusal) => {
            let close = HeaderValue::from_static("close");
            refusal.headers_mut().insert(CONNECTION, close);
            (refusal, None)
        }
    }
}

fn not_found() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Full::new(Bytes::from_static(NOT_FOUND.as_bytes())))
        .expect("valid headers")
}

/// A plain-text answer, for refusals a person may read in a browser or a log.
pub fn plain(status: StatusCode, text: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(text.into()))
        .expect("valid headers")
}

/// The answer to a connection refused as it arrived (too many connections, the server
/// shutting down), written before any request is read, since none will be: a complete
/// `503` that closes the connection.
pub fn refusal(why: Farewell, out: &mut BytesMut) {
    let text = format!("503 Service Unavailable: {}\n", why.text());
    out.put_slice(b"HTTP/1.1 503 Service Unavailable\r\n");
    out.put_slice(b"content-type: text/plain; charset=utf-8\r\n");
    out.put_slice(format!("content-length: {}\r\n", text.len()).as_bytes());
    out.put_slice(b"connection: close\r\n\r\n");
    out.put_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_a_whole_503_that_closes() {
        let mut out = BytesMut::new();
        refusal(Farewell::Shutdown, &mut out);
        assert_eq!(
            &out[..],
            &b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
               content-length: 46\r\nconnection: close\r\n\r\n\
               503 Service Unavailable: server shutting down\n"[..]
        );
    }
}
