//! The WebSocket opening handshake for `/irc` (RFC 6455 section 4.2.2): the request's
//! checks, the origin rule, the IRCv3 subprotocol choice and the `101 Switching Protocols`
//! answer. What follows the handshake is tungstenite's framing.

use base64ct::Encoding;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    HeaderMap, HeaderValue, ALLOW, CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::{Method, Request, Response, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::origin::{allowed, OriginPattern};
use super::routes::plain;
use super::ws::Mode;

/// The IRCv3 subprotocols, and the mode each means.
const SUBPROTOCOLS: [(&str, Mode); 2] = [
    ("text.ircv3.net", Mode::Text),
    ("binary.ircv3.net", Mode::Binary),
];

/// A handshake to accept: the answer to send and how the messages after it are framed.
pub struct Accepted {
    pub response: Response<Full<Bytes>>,
    pub mode: Mode,
}

/// Checks a request for `/irc`; `Err` is the refusal to send instead (405, 426, 400, 403).
pub fn accept<B>(
    request: &Request<B>,
    tls: bool,
    origins: &[OriginPattern],
) -> Result<Accepted, Response<Full<Bytes>>> {
    let headers = request.headers();
    if request.method() != Method::GET {
        let mut refusal = plain(StatusCode::METHOD_NOT_ALLOWED, "/irc takes GET only\n");
        refusal
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return Err(refusal);
    }
    if !has_token(headers, UPGRADE, "websocket") || !has_token(headers, CONNECTION, "upgrade") {
        let text = "426 Upgrade Required: /irc is IRC over WebSocket; connect with a WebSocket \
                    client (subprotocol text.ircv3.net or binary.ircv3.net)\n";
        let mut refusal = plain(StatusCode::UPGRADE_REQUIRED, text);
        refusal
            .headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        refusal
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        return Err(refusal);
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let text = "426 Upgrade Required: only WebSocket version 13 is spoken here\n";
        let mut refusal = plain(StatusCode::UPGRADE_REQUIRED, text);
        let version = HeaderValue::from_static("13");
        refusal.headers_mut().insert(SEC_WEBSOCKET_VERSION, version);
        return Err(refusal);
    }
    let key = headers.get(SEC_WEBSOCKET_KEY).map(HeaderValue::as_bytes);
    let Some(key) = key.filter(|key| valid_key(key)) else {
        let text = "400 Bad Request: Sec-WebSocket-Key must be 16 bytes in base64\n";
        return Err(plain(StatusCode::BAD_REQUEST, text));
    };
    check_origin(headers, tls, origins)?;
    let chosen = choose_subprotocol(headers);
    let mut response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "Upgrade")
        .header(SEC_WEBSOCKET_ACCEPT, derive_accept_key(key));
    if let Some((name, _)) = chosen {
        response = response.header(SEC_WEBSOCKET_PROTOCOL, name);
    }
    Ok(Accepted {
        response: response.body(Full::default()).expect("valid headers"),
        // No subprotocol agreed: text, which every browser client can read.
        mode: chosen.map_or(Mode::Text, |(_, mode)| mode),
    })
}

/// A `403` naming the origin and the setting that would allow it.
fn check_origin(
    headers: &HeaderMap,
    tls: bool,
    origins: &[OriginPattern],
) -> Result<(), Response<Full<Bytes>>> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    let origin = String::from_utf8_lossy(origin.as_bytes());
    if allowed(&origin, host, tls, origins) {
        return Ok(());
    }
    tracing::info!(%origin, "WebSocket refused: origin not allowed");
    let text = format!(
        "403 Forbidden: pages from {origin} may not open /irc on this server; its operator \
         can add the origin to [http] allowed_origins\n"
    );
    Err(plain(StatusCode::FORBIDDEN, text))
}

/// The first subprotocol the client offers that is one of ours (the client lists them
/// most wanted first, and the IRCv3 spec asks the server to respect that order).
fn choose_subprotocol(headers: &HeaderMap) -> Option<(&'static str, Mode)> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .find_map(|offered| {
            let offered = offered.trim();
            SUBPROTOCOLS
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(offered))
        })
}

/// Whether a comma-separated header has `token`, in any case (`Connection: keep-alive,
/// Upgrade` from Firefox).
fn has_token(headers: &HeaderMap, name: hyper::header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// A key is 16 random bytes in base64 (RFC 6455 section 4.1).
fn valid_key(key: &[u8]) -> bool {
    let mut decoded = [0u8; 18];
    matches!(base64ct::Base64::decode(key, &mut decoded), Ok(bytes) if bytes.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(extra: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::get("/irc")
            .header("host", "chat.example.org")
            .header("upgrade", "websocket")
            .header("connection", "keep-alive, Upgrade")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    fn status(result: Result<Accepted, Response<Full<Bytes>>>) -> StatusCode {
        match result {
            Ok(accepted) => accepted.response.status(),
            Err(refusal) => refusal.status(),
        }
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        let accepted = accept(&request(&[]), false, &[]).ok().unwrap();
        let headers = accepted.response.headers();
        assert_eq!(
            headers[SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(headers.get(SEC_WEBSOCKET_PROTOCOL), None);
        assert_eq!(accepted.mode, Mode::Text);
    }

    #[test]
    fn the_client_s_first_known_subprotocol_wins() {
        for (offered, chosen, mode) in [
            (
                "binary.ircv3.net, text.ircv3.net",
                "binary.ircv3.net",
                Mode::Binary,
            ),
            (
                "chat, text.ircv3.net, binary.ircv3.net",
                "text.ircv3.net",
                Mode::Text,
            ),
        ] {
            let request = request(&[("sec-websocket-protocol", offered)]);
            let accepted = accept(&request, false, &[]).ok().unwrap();
            assert_eq!(accepted.response.headers()[SEC_WEBSOCKET_PROTOCOL], chosen);
            assert_eq!(accepted.mode, mode);
        }
    }

    #[test]
    fn bad_handshakes_are_refused_with_their_status() {
        let post = Request::post("/irc").body(()).unwrap();
        assert_eq!(
            status(accept(&post, false, &[])),
            StatusCode::METHOD_NOT_ALLOWED
        );
        let plain_get = Request::get("/irc").body(()).unwrap();
        assert_eq!(
            status(accept(&plain_get, false, &[])),
            StatusCode::UPGRADE_REQUIRED
        );
        let mut old = request(&[]);
        old.headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(
            status(accept(&old, false, &[])),
            StatusCode::UPGRADE_REQUIRED
        );
        let mut short = request(&[]);
        short
            .headers_mut()
            .insert(SEC_WEBSOCKET_KEY, HeaderValue::from_static("YWJj"));
        assert_eq!(status(accept(&short, false, &[])), StatusCode::BAD_REQUEST);
        let evil = request(&[("origin", "http://evil.example")]);
        assert_eq!(status(accept(&evil, false, &[])), StatusCode::FORBIDDEN);
        let own = request(&[("origin", "http://chat.example.org")]);
        assert_eq!(
            status(accept(&own, false, &[])),
            StatusCode::SWITCHING_PROTOCOLS
        );
    }
}
