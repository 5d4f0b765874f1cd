//! The page at `/`, embedded in the binary (nothing to install beside it), with an ETag
//! made from its bytes at compile time so a browser revalidates it for a `304` rather than
//! fetching it again.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use hyper::{Response, StatusCode};

/// The placeholder page until the web client lands.
pub const PAGE: &[u8] = include_bytes!("../../../../web/index.html");

/// The page's entity tag: its FNV-1a hash in hex, quoted. It changes exactly when the page
/// does, and costs nothing at run time.
pub const PAGE_ETAG: &str = match std::str::from_utf8(&etag(PAGE)) {
    Ok(tag) => tag,
    Err(_) => panic!("an ETag is ASCII"),
};

/// Browsers may keep the page but must ask whether it changed before using it: a new
/// confab serves a new page at the same address.
const CACHE: &str = "no-cache";

/// `"` + 16 hex digits + `"`.
const fn etag(bytes: &[u8]) -> [u8; 18] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    let hex = b"0123456789abcdef";
    let mut tag = [b'"'; 18];
    let mut digit = 0;
    while digit < 16 {
        tag[1 + digit] = hex[((hash >> (60 - 4 * digit)) & 0xf) as usize];
        digit += 1;
    }
    tag
}

/// The page, or `304 Not Modified` when the browser's copy (`If-None-Match`) is current.
pub fn page(headers: &HeaderMap) -> Response<Full<Bytes>> {
    let current = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(matches_page);
    let (status, body) = if current {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else {
        (StatusCode::OK, Bytes::from_static(PAGE))
    };
    let mut response = Response::builder()
        .status(status)
        .header(ETAG, PAGE_ETAG)
        .header(CACHE_CONTROL, CACHE);
    if !current {
        response = response.header(CONTENT_TYPE, "text/html; charset=utf-8");
    }
    response.body(Full::new(body)).expect("valid headers")
}

/// Whether an `If-None-Match` list names the page: `*`, or its tag, weak or strong
/// (RFC 9110 13.1.2 compares weakly).
fn matches_page(list: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == PAGE_ETAG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_etag_is_the_quoted_fnv1a_of_the_page() {
        assert_eq!(
            std::str::from_utf8(&etag(b"")).unwrap(),
            "\"cbf29ce484222325\""
        );
        assert_eq!(
            std::str::from_utf8(&etag(b"a")).unwrap(),
            "\"af63dc4c8601ec8c\""
        );
        assert_eq!(PAGE_ETAG.len(), 18);
    }

    #[test]
    fn if_none_match_lists_are_compared_weakly() {
        assert!(matches_page(PAGE_ETAG));
        assert!(matches_page(&format!("\"x\", W/{PAGE_ETAG}")));
        assert!(matches_page("*"));
        assert!(!matches_page("\"0000000000000000\""));
        assert!(!matches_page(""));
    }
}
